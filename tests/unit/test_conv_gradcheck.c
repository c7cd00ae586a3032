/* test_conv_gradcheck.c — finite-difference checks of the convolutional layers (conv2d by both
 * algorithms, maxpool, global average pooling, the residual block with and without batch norm
 * and projection), and Winograd against im2col on the same data.
 *
 * Each check takes L = sum_i r_i y_i for a random r, runs backward with dy = r, and compares the
 * analytic directional derivative <grad, u> (for a random direction u in the input and, separately,
 * in the parameters) with the central difference (L(v + eps u) - L(v - eps u)) / (2 eps) in double.
 */
#include "engine/conv.h"
#include "test.h"

#include <string.h>

static iw_rng rng_;
static int distinct_inputs_; /* 1: inputs 0.01 apart, so no max-pooling window holds a near tie */

static void fill_normal(float *v, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++) v[i] = (float)iw_rng_normal(&rng_) * scale;
}

static double dot(const float *a, const float *b, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

typedef struct check {
    iw_layer_harness h;
    int batch;
    size_t n_in, n_out;
    float *x, *y, *r, *dx, *u;
} check;

static int check_open(check *c, iw_layer *layer, iw_shape in, int batch)
{
    iw_error err;
    memset(c, 0, sizeof *c);
    if (iw_layer_harness_create(&c->h, layer, in, batch, &err) != 0) {
        EXPECT(0, "harness: %s", err.message);
        return -1;
    }
    c->batch = batch;
    c->n_in = iw_shape_size(in) * batch;
    c->n_out = iw_shape_size(c->h.sizes.out) * batch;
    size_t nu = c->n_in > c->h.sizes.params ? c->n_in : c->h.sizes.params;
    c->x = malloc(sizeof(float) * c->n_in);
    c->dx = malloc(sizeof(float) * c->n_in);
    c->y = malloc(sizeof(float) * c->n_out);
    c->r = malloc(sizeof(float) * c->n_out);
    c->u = malloc(sizeof(float) * (nu ? nu : 1));
    fill_normal(c->x, c->n_in, 1.0f);
    if (distinct_inputs_) { /* a shuffled ladder: a difference step cannot reorder two values */
        for (size_t i = 0; i < c->n_in; i++) c->x[i] = 0.01f * (float)i - 0.005f * (float)c->n_in;
        for (size_t i = c->n_in - 1; i > 0; i--) {
            size_t j = (size_t)iw_rng_below(&rng_, i + 1);
            float t = c->x[i];
            c->x[i] = c->x[j];
            c->x[j] = t;
        }
    }
    fill_normal(c->r, c->n_out, 1.0f);
    if (c->h.layer->ops->init) c->h.layer->ops->init(c->h.layer, IW_INIT_PYTORCH, &rng_);
    return 0;
}

static void check_close(check *c)
{
    iw_layer_harness_free(&c->h);
    free(c->x); free(c->dx); free(c->y); free(c->r); free(c->u);
}

static double loss(check *c)
{
    iw_layer_ctx ctx = {c->batch, 1, NULL, c->h.workspace};
    c->h.layer->ops->forward(c->h.layer, &ctx, c->x, c->y);
    return dot(c->r, c->y, c->n_out);
}

static void analytic(check *c)
{
    iw_layer_ctx ctx = {c->batch, 1, NULL, c->h.workspace};
    loss(c);
    if (c->h.sizes.params) memset(c->h.grads, 0, sizeof(float) * c->h.sizes.params);
    c->h.layer->ops->backward(c->h.layer, &ctx, c->x, c->y, c->r, c->dx);
}

/* Directional derivative of L along u applied to v (n floats): central difference. */
static double numeric(check *c, float *v, size_t n, double eps)
{
    float *save = malloc(sizeof(float) * n);
    memcpy(save, v, sizeof(float) * n);
    for (size_t i = 0; i < n; i++) v[i] = save[i] + (float)(eps * c->u[i]);
    double lp = loss(c);
    for (size_t i = 0; i < n; i++) v[i] = save[i] - (float)(eps * c->u[i]);
    double lm = loss(c);
    memcpy(v, save, sizeof(float) * n);
    free(save);
    return (lp - lm) / (2 * eps);
}

/* Compares analytic gradient g with central differences in v: every coordinate when n <= 400
 * (composite layers: a random direction through all parameters at once crosses too many ReLU
 * kinks for float32 differences), else a random direction plus the first, middle and last. */
static void compare(check *c, const char *what, const char *name, const float *g, float *v, size_t n,
                    double eps, double tol)
{
    if (n <= 400) {
        size_t kinks = 0;
        for (size_t i = 0; i < n; i++) {
            memset(c->u, 0, sizeof(float) * n);
            c->u[i] = 1.0f;
            double num = numeric(c, v, n, eps), half = numeric(c, v, n, eps / 2);
            if (fabs(num - half) > tol * fmax(1.0, fabs(num))) { /* not smooth here: a ReLU kink */
                kinks++;
                continue;
            }
            EXPECT(fabs(g[i] - num) <= tol * fmax(1.0, fabs(num)), "%s: d/d%s[%zu] analytic %.8g numeric %.8g",
                   what, name, i, (double)g[i], num);
        }
        /* each parameter moves many ReLU inputs; at least half the coordinates must be checkable */
        EXPECT(kinks * 2 <= n, "%s: %zu of %zu coordinates of %s at a kink", what, kinks, n, name);
        return;
    }
    fill_normal(c->u, n, 1.0f);
    double a = dot(g, c->u, n), num = numeric(c, v, n, eps);
    EXPECT(fabs(a - num) <= tol * fmax(1.0, fabs(num)), "%s: d/d%s along u: analytic %.8g numeric %.8g",
           what, name, a, num);
    size_t idx[3] = {0, n / 2, n - 1};
    for (int k = 0; k < 3; k++) {
        memset(c->u, 0, sizeof(float) * n);
        c->u[idx[k]] = 1.0f;
        num = numeric(c, v, n, eps);
        EXPECT(fabs(g[idx[k]] - num) <= tol * fmax(1.0, fabs(num)), "%s: d/d%s[%zu] analytic %.8g numeric %.8g",
               what, name, idx[k], (double)g[idx[k]], num);
    }
}

/* Checks dL/dx and dL/dparams of `layer` on input shape `in`. */
static void gradcheck(const char *what, iw_layer *layer, iw_shape in, int batch, double eps, double tol)
{
    check c;
    if (check_open(&c, layer, in, batch)) return;
    analytic(&c);
    compare(&c, what, "x", c.dx, c.x, c.n_in, eps, tol);
    size_t np = c.h.sizes.params;
    if (np) {
        float *g = malloc(sizeof(float) * np);
        memcpy(g, c.h.grads, sizeof(float) * np);
        compare(&c, what, "params", g, c.h.params, np, eps, tol);
        free(g);
    }
    check_close(&c);
}

static iw_layer *conv(int cout, int k, int s, int pad, iw_conv_algorithm alg)
{
    iw_layer *l = iw_layer_conv2d_new(cout, k, s, pad);
    if (l) iw_conv2d_set_algorithm(l, alg);
    return l;
}

static void test_conv_im2col_gradients(void)
{
    gradcheck("3x3 s1 p0", conv(4, 3, 1, 0, IW_CONV_IM2COL), (iw_shape){3, 7, 6}, 2, 1e-2, 1e-3);
    gradcheck("3x3 s2 p1", conv(5, 3, 2, 1, IW_CONV_IM2COL), (iw_shape){2, 8, 7}, 3, 1e-2, 1e-3);
    gradcheck("1x1 s2", conv(3, 1, 2, 0, IW_CONV_IM2COL), (iw_shape){4, 5, 5}, 2, 1e-2, 1e-3);
    gradcheck("5x5 s1 p2", conv(2, 5, 1, 2, IW_CONV_IM2COL), (iw_shape){2, 6, 6}, 2, 1e-2, 1e-3);
    /* few taps per output: the forward sums directly (conv_direct.c), rows wider than 16 */
    gradcheck("direct 3x3 p1", conv(4, 3, 1, 1, IW_CONV_AUTO), (iw_shape){2, 5, 19}, 2, 1e-2, 1e-3);
    gradcheck("direct 3x3 p0", conv(3, 3, 1, 0, IW_CONV_AUTO), (iw_shape){1, 20, 6}, 2, 1e-2, 1e-3);
}

static void test_conv_winograd_gradients(void)
{
    gradcheck("wino even p0", conv(4, 3, 1, 0, IW_CONV_WINOGRAD), (iw_shape){3, 8, 8}, 2, 1e-2, 1e-3);
    gradcheck("wino odd p0", conv(5, 3, 1, 0, IW_CONV_WINOGRAD), (iw_shape){2, 7, 9}, 3, 1e-2, 1e-3);
    gradcheck("wino p1", conv(3, 3, 1, 1, IW_CONV_WINOGRAD), (iw_shape){4, 5, 6}, 2, 1e-2, 1e-3);
    gradcheck("wino p2", conv(3, 3, 1, 2, IW_CONV_WINOGRAD), (iw_shape){2, 4, 3}, 2, 1e-2, 1e-3);
    /* F(4x4): outputs of 4 (whole tiles), 6 and 10 (tiles overhanging by 2), odd sizes, padding */
    gradcheck("wino4 p0 4x4", conv(4, 3, 1, 0, IW_CONV_WINOGRAD4), (iw_shape){3, 6, 6}, 2, 1e-2, 1e-3);
    gradcheck("wino4 p0 6x10", conv(5, 3, 1, 0, IW_CONV_WINOGRAD4), (iw_shape){2, 8, 12}, 2, 1e-2, 1e-3);
    gradcheck("wino4 odd p0", conv(5, 3, 1, 0, IW_CONV_WINOGRAD4), (iw_shape){2, 7, 9}, 3, 1e-2, 1e-3);
    gradcheck("wino4 p1", conv(3, 3, 1, 1, IW_CONV_WINOGRAD4), (iw_shape){4, 5, 6}, 2, 1e-2, 1e-3);
    gradcheck("wino4 p2", conv(3, 3, 1, 2, IW_CONV_WINOGRAD4), (iw_shape){2, 4, 3}, 2, 1e-2, 1e-3);
}

static iw_layer *conv_relu(int cout, int k, int s, int pad, iw_conv_algorithm alg)
{
    iw_layer *l = iw_layer_conv2d_relu_new(cout, k, s, pad);
    if (l) iw_conv2d_set_algorithm(l, alg);
    return l;
}

/* A conv with its ReLU fused, by im2col, direct sums and F(2x2) (inputs kept away from the ReLU's
 * kink: a difference step must not cross it). */
static void test_conv_relu_gradients(void)
{
    distinct_inputs_ = 1;
    gradcheck("relu im2col", conv_relu(4, 3, 2, 1, IW_CONV_IM2COL), (iw_shape){3, 7, 6}, 2, 1e-3, 1e-3);
    gradcheck("relu direct", conv_relu(4, 3, 1, 0, IW_CONV_AUTO), (iw_shape){1, 9, 9}, 2, 1e-3, 1e-3);
    gradcheck("relu wino", conv_relu(5, 3, 1, 0, IW_CONV_WINOGRAD), (iw_shape){2, 7, 9}, 2, 1e-3, 1e-3);
    distinct_inputs_ = 0;
    /* F(4x4) rounds 4-8x more than F(2x2): its differences need a step that crosses the kinks of
     * most parameters; test_engine_isa checks its fused ReLU against the double oracle instead */
}

/* Plan's choice for the CNN's 3x3 layers: F(2x2) for training; for the evaluation forward F(4x4)
 * where it takes fewer multiplications (outputs 24, 10, 8), F(2x2) where the two tie (6); im2col
 * for few input channels; a forced algorithm for both passes. */
static void test_conv_algorithm_choice(void)
{
    const struct { iw_shape in; iw_conv_algorithm requested, train, eval; } cases[] = {
        {{64, 26, 26}, IW_CONV_AUTO, IW_CONV_WINOGRAD, IW_CONV_WINOGRAD4},
        {{64, 12, 12}, IW_CONV_AUTO, IW_CONV_WINOGRAD, IW_CONV_WINOGRAD4},
        {{128, 10, 10}, IW_CONV_AUTO, IW_CONV_WINOGRAD, IW_CONV_WINOGRAD4},
        {{128, 8, 8}, IW_CONV_AUTO, IW_CONV_WINOGRAD, IW_CONV_WINOGRAD},
        {{3, 32, 32}, IW_CONV_AUTO, IW_CONV_IM2COL, IW_CONV_IM2COL},
        {{64, 26, 26}, IW_CONV_WINOGRAD, IW_CONV_WINOGRAD, IW_CONV_WINOGRAD},
        {{64, 8, 8}, IW_CONV_WINOGRAD4, IW_CONV_WINOGRAD4, IW_CONV_WINOGRAD4},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        iw_layer_harness h;
        iw_error err;
        if (iw_layer_harness_create(&h, conv(16, 3, 1, 0, cases[i].requested), cases[i].in, 4, &err)) {
            EXPECT(0, "harness: %s", err.message);
            continue;
        }
        EXPECT(iw_conv2d_algorithm(h.layer) == cases[i].train && iw_conv2d_eval_algorithm(h.layer) == cases[i].eval,
               "case %zu (%dx%dx%d): algorithms %d / %d, expected %d / %d", i, cases[i].in.c, cases[i].in.h,
               cases[i].in.w, iw_conv2d_algorithm(h.layer), iw_conv2d_eval_algorithm(h.layer), cases[i].train,
               cases[i].eval);
        iw_layer_harness_free(&h);
    }
}

/* Winograd and im2col on identical data: outputs and every gradient within 1e-4 (relative to
 * the largest magnitude of each array); F(2x2), or F(4x4) when tile4. */
static void compare_algorithms_tile(iw_shape in, int cout, int pad, int batch, int tile4)
{
    iw_layer_harness h[2];
    iw_error err;
    iw_conv_algorithm alg[2] = {IW_CONV_IM2COL, tile4 ? IW_CONV_WINOGRAD4 : IW_CONV_WINOGRAD};
    for (int a = 0; a < 2; a++)
        if (iw_layer_harness_create(&h[a], conv(cout, 3, 1, pad, alg[a]), in, batch, &err)) {
            EXPECT(0, "harness: %s", err.message);
            return;
        }
    EXPECT(iw_conv2d_algorithm(h[1].layer) == alg[1], "winograd chosen");
    size_t nin = iw_shape_size(in) * batch, nout = iw_shape_size(h[0].sizes.out) * batch, np = h[0].sizes.params;
    float *x = malloc(sizeof(float) * nin), *r = malloc(sizeof(float) * nout);
    float *y[2], *dx[2];
    fill_normal(x, nin, 1.0f);
    fill_normal(r, nout, 1.0f);
    fill_normal(h[0].params, np, 0.3f);
    memcpy(h[1].params, h[0].params, sizeof(float) * np);
    for (int a = 0; a < 2; a++) {
        y[a] = malloc(sizeof(float) * nout);
        dx[a] = malloc(sizeof(float) * nin);
        iw_layer_ctx ctx = {batch, 1, NULL, h[a].workspace};
        h[a].layer->ops->forward(h[a].layer, &ctx, x, y[a]);
        h[a].layer->ops->backward(h[a].layer, &ctx, x, y[a], r, dx[a]);
    }
    const float *pairs[3][2] = {{y[0], y[1]}, {dx[0], dx[1]}, {h[0].grads, h[1].grads}};
    size_t counts[3] = {nout, nin, np};
    const char *names[3] = {"y", "dx", "dparams"};
    for (int k = 0; k < 3; k++) {
        double maxabs = 0.0, maxdiff = 0.0;
        for (size_t i = 0; i < counts[k]; i++) {
            maxabs = fmax(maxabs, fabs(pairs[k][0][i]));
            maxdiff = fmax(maxdiff, fabs(pairs[k][0][i] - pairs[k][1][i]));
        }
        EXPECT(maxdiff <= 1e-4 * maxabs, "%s: winograd F(%dx%d) vs im2col max diff %g, scale %g (in %dx%dx%d pad %d)",
               names[k], tile4 ? 4 : 2, tile4 ? 4 : 2, maxdiff, maxabs, in.c, in.h, in.w, pad);
    }
    for (int a = 0; a < 2; a++) {
        free(y[a]);
        free(dx[a]);
        iw_layer_harness_free(&h[a]);
    }
    free(x);
    free(r);
}

static void compare_algorithms(iw_shape in, int cout, int pad, int batch)
{
    compare_algorithms_tile(in, cout, pad, batch, 0);
    compare_algorithms_tile(in, cout, pad, batch, 1);
}

static void test_conv_winograd_matches_im2col(void)
{
    compare_algorithms((iw_shape){64, 26, 26}, 64, 0, 4);  /* the CNN's second conv */
    compare_algorithms((iw_shape){64, 12, 12}, 128, 0, 3); /* third conv */
    compare_algorithms((iw_shape){16, 7, 7}, 32, 1, 5);    /* ResNet-style, odd size, padded */
    compare_algorithms((iw_shape){256, 7, 7}, 256, 1, 9);  /* backward passes of 4 blocks, last partial */
}

/* The same on the other kernel paths: the portable code (cblas_sgemm, plain C transforms and direct
 * sums) and, where the CPU has it, AVX2 (the suite's default is the CPU's best path). */
static void winograd_on_path(void)
{
    gradcheck("portable wino odd p0", conv(5, 3, 1, 0, IW_CONV_WINOGRAD), (iw_shape){2, 7, 9}, 3, 1e-2, 1e-3);
    gradcheck("portable wino p1", conv(3, 3, 1, 1, IW_CONV_WINOGRAD), (iw_shape){4, 5, 6}, 2, 1e-2, 1e-3);
    gradcheck("portable wino4 odd p0", conv(5, 3, 1, 0, IW_CONV_WINOGRAD4), (iw_shape){2, 7, 9}, 3, 1e-2, 1e-3);
    gradcheck("portable direct 3x3 p1", conv(4, 3, 1, 1, IW_CONV_AUTO), (iw_shape){2, 5, 19}, 2, 1e-2, 1e-3);
    distinct_inputs_ = 1;
    gradcheck("portable maxpool 2", iw_layer_maxpool_new(2, 2), (iw_shape){3, 6, 35}, 2, 1e-3, 1e-3);
    distinct_inputs_ = 0;
    compare_algorithms((iw_shape){64, 26, 26}, 64, 0, 2);
    compare_algorithms((iw_shape){16, 7, 7}, 32, 1, 5);
}

static void test_conv_winograd_portable(void)
{
    iw_isa before = iw_engine_isa();
    iw_engine_set_isa(IW_ISA_PORTABLE);
    winograd_on_path();
    iw_engine_set_isa(before);
}

static void test_conv_winograd_avx2(void)
{
    iw_isa before = iw_engine_isa();
    if (iw_engine_set_isa(IW_ISA_AVX2) != IW_ISA_AVX2)
        TEST_SKIP("this CPU has no AVX2 + FMA");
    else
        winograd_on_path();
    iw_engine_set_isa(before);
}

static void test_conv_pool_gradients(void)
{
    distinct_inputs_ = 1;
    gradcheck("maxpool 2", iw_layer_maxpool_new(2, 2), (iw_shape){3, 6, 5}, 2, 1e-3, 1e-3);
    gradcheck("maxpool 2 wide", iw_layer_maxpool_new(2, 2), (iw_shape){2, 5, 37}, 2, 1e-3, 1e-3);
    gradcheck("maxpool 3/2", iw_layer_maxpool_new(3, 2), (iw_shape){2, 7, 7}, 2, 1e-3, 1e-3);
    distinct_inputs_ = 0;
    gradcheck("global avgpool", iw_layer_global_avgpool_new(), (iw_shape){4, 3, 5}, 3, 1e-2, 1e-3);
}

static void test_conv_resblock_gradients(void)
{
    gradcheck("resblock identity", iw_layer_resblock_new(3, 1, 0), (iw_shape){3, 4, 4}, 2, 1e-3, 2e-3);
    gradcheck("resblock projection", iw_layer_resblock_new(4, 2, 0), (iw_shape){2, 5, 5}, 2, 1e-3, 2e-3);
    gradcheck("resblock identity bn", iw_layer_resblock_new(3, 1, 1), (iw_shape){3, 4, 4}, 2, 1e-3, 2e-3);
    gradcheck("resblock projection bn", iw_layer_resblock_new(4, 2, 1), (iw_shape){2, 5, 5}, 2, 1e-3, 2e-3);
}

/* A first layer (backward without dx) takes another weight-gradient path (conv_direct.c for
 * 3x3 stride 1 with few taps): its gradients must equal those of the path with dx. */
static void first_layer_case(iw_shape in, int cout, int pad, int batch)
{
    iw_layer_harness h;
    iw_error err;
    if (iw_layer_harness_create(&h, iw_layer_conv2d_new(cout, 3, 1, pad), in, batch, &err)) {
        EXPECT(0, "harness: %s", err.message);
        return;
    }
    size_t nin = iw_shape_size(in) * batch, nout = iw_shape_size(h.sizes.out) * batch, np = h.sizes.params;
    float *x = malloc(sizeof(float) * nin), *y = malloc(sizeof(float) * nout), *r = malloc(sizeof(float) * nout);
    float *dx = malloc(sizeof(float) * nin), *g = malloc(sizeof(float) * np);
    fill_normal(x, nin, 1.0f);
    fill_normal(r, nout, 1.0f);
    fill_normal(h.params, np, 0.3f);
    iw_layer_ctx ctx = {batch, 1, NULL, h.workspace};
    h.layer->ops->forward(h.layer, &ctx, x, y);
    memset(h.grads, 0, sizeof(float) * np);
    h.layer->ops->backward(h.layer, &ctx, x, y, r, dx);
    memcpy(g, h.grads, sizeof(float) * np);
    memset(h.grads, 0, sizeof(float) * np);
    h.layer->ops->backward(h.layer, &ctx, x, y, r, NULL);
    double maxabs = 0.0, maxdiff = 0.0;
    for (size_t i = 0; i < np; i++) {
        maxabs = fmax(maxabs, fabs(g[i]));
        maxdiff = fmax(maxdiff, fabs(g[i] - h.grads[i]));
    }
    EXPECT(maxdiff <= 1e-5 * maxabs, "first-layer grads differ by %g (scale %g), in %dx%dx%d pad %d", maxdiff, maxabs,
           in.c, in.h, in.w, pad);
    free(x); free(y); free(r); free(dx); free(g);
    iw_layer_harness_free(&h);
}

static void test_conv_first_layer_weights(void)
{
    first_layer_case((iw_shape){1, 28, 28}, 8, 0, 3);
    first_layer_case((iw_shape){3, 9, 20}, 5, 1, 2);
    iw_isa before = iw_engine_isa();
    for (int isa = IW_ISA_PORTABLE; isa < (int)before; isa++)
        if (iw_engine_set_isa((iw_isa)isa) == (iw_isa)isa) first_layer_case((iw_shape){3, 9, 20}, 5, 1, 2);
    iw_engine_set_isa(before);
}

/* Plan rejects shapes that cannot work, with a message. */
static void test_conv_bad_shapes(void)
{
    iw_layer_harness h;
    iw_error err = {{0}};
    EXPECT(iw_layer_harness_create(&h, iw_layer_conv2d_new(4, 5, 1, 0), (iw_shape){1, 3, 3}, 2, &err) == -1,
           "5x5 kernel on 3x3 input refused");
    EXPECT(strstr(err.message, "does not fit") != NULL, "message: %s", err.message);
    EXPECT(iw_layer_harness_create(&h, iw_layer_maxpool_new(4, 4), (iw_shape){1, 3, 3}, 2, &err) == -1,
           "maxpool window larger than input refused");
    iw_layer *l = iw_layer_conv2d_new(4, 5, 1, 0);
    iw_conv2d_set_algorithm(l, IW_CONV_WINOGRAD);
    EXPECT(iw_layer_harness_create(&h, l, (iw_shape){1, 8, 8}, 2, &err) == -1, "winograd on 5x5 refused");
}

int main(void)
{
    iw_rng_seed(&rng_, 42, 1);
    RUN_TEST(test_conv_im2col_gradients);
    RUN_TEST(test_conv_winograd_gradients);
    RUN_TEST(test_conv_relu_gradients);
    RUN_TEST(test_conv_algorithm_choice);
    RUN_TEST(test_conv_winograd_matches_im2col);
    RUN_TEST(test_conv_winograd_portable);
    RUN_TEST(test_conv_winograd_avx2);
    RUN_TEST(test_conv_pool_gradients);
    RUN_TEST(test_conv_resblock_gradients);
    RUN_TEST(test_conv_first_layer_weights);
    RUN_TEST(test_conv_bad_shapes);
    return test_exit_code();
}
