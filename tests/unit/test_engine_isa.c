/* test_engine_isa.c — every kernel path of the engine (portable, AVX2+FMA, AVX-512), forced in turn
 * with iw_engine_set_isa, against naive double-precision oracles written here from the
 * definitions: the matrix product (plain and with a transposed A, accumulating, ragged shapes),
 * the convolution layer's forward, input gradient and parameter gradients on the Winograd shapes,
 * the direct first-layer shapes (with and without dx) and the strided / 1x1 shapes, 2x2 max
 * pooling (values and argmax, exact), and the dense layer. Bound: max|engine - oracle| <= 1e-4 *
 * max|oracle| per array, the engine's tolerance against PyTorch (test_conv_torch.c). Then the AVX2
 * and AVX-512 paths must give the same bits on all of it, and a few training steps of each model
 * kind must end in the same bits on the AVX2 path with one OpenBLAS kernel and the AVX-512 path with
 * another (two nodes of a cluster). A path the CPU cannot run is a skip.
 */
#include "engine/conv.h"
#include "engine/gemm.h"
#include "test.h"

#include <string.h>
#include <unistd.h>

#define TOL 1e-4

static iw_rng rng_;

static void fill(float *v, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++) v[i] = (float)iw_rng_normal(&rng_) * scale;
}

/* max|a - ref| <= TOL * max|ref|; NaN fails. */
static void expect_close(const char *what, const char *array, const float *a, const double *ref, size_t n)
{
    double maxabs = 0.0, maxdiff = 0.0;
    size_t worst = 0;
    for (size_t i = 0; i < n; i++) {
        maxabs = fmax(maxabs, fabs(ref[i]));
        double d = fabs((double)a[i] - ref[i]);
        if (d > maxdiff || d != d) {
            maxdiff = d;
            worst = i;
        }
    }
    EXPECT(maxdiff <= TOL * maxabs, "%s (%s): %s relative error %.3g at %zu (%.8g vs %.8g)", what,
           iw_engine_isa_name(iw_engine_isa()), array, maxabs > 0 ? maxdiff / maxabs : maxdiff, worst,
           (double)a[worst], ref[worst]);
}

/* Selects `isa`; 0 when the CPU cannot run it (the caller skips). */
static int use(iw_isa isa)
{
    return iw_engine_set_isa(isa) == isa;
}

/* ---- the matrix product ---- */

static void gemm_case(int M, int N, int K, int transposed_a, int accumulate)
{
    const int lda = transposed_a ? M + 3 : K + 2, ldb = N + 1, ldc = N + 5;
    size_t na = transposed_a ? (size_t)K * lda : (size_t)M * lda;
    float *A = malloc(sizeof(float) * na), *B = malloc(sizeof(float) * (size_t)K * ldb);
    float *C = malloc(sizeof(float) * (size_t)M * ldc);
    double *ref = malloc(sizeof(double) * (size_t)M * N);
    float *out = malloc(sizeof(float) * (size_t)M * N);
    fill(A, na, 1.0f);
    fill(B, (size_t)K * ldb, 1.0f);
    fill(C, (size_t)M * ldc, 1.0f);
    ptrdiff_t a_row = transposed_a ? 1 : lda, a_col = transposed_a ? lda : 1;
    for (int i = 0; i < M; i++)
        for (int j = 0; j < N; j++) {
            double s = accumulate ? C[(size_t)i * ldc + j] : 0.0;
            for (int k = 0; k < K; k++) s += (double)A[i * a_row + k * a_col] * B[(size_t)k * ldb + j];
            ref[(size_t)i * N + j] = s;
        }
    float guard = C[(size_t)(M - 1) * ldc + N]; /* a value just past the last row's N columns */
    iw_gemm(M, N, K, A, a_row, a_col, B, ldb, C, ldc, accumulate);
    for (int i = 0; i < M; i++) memcpy(out + (size_t)i * N, C + (size_t)i * ldc, sizeof(float) * N);
    char what[96];
    snprintf(what, sizeof what, "gemm %dx%dx%d%s%s", M, N, K, transposed_a ? " A^T" : "", accumulate ? " +=" : "");
    expect_close(what, "C", out, ref, (size_t)M * N);
    EXPECT(C[(size_t)(M - 1) * ldc + N] == guard, "%s: wrote past column N", what);
    free(A); free(B); free(C); free(ref); free(out);
}

static void gemm_cases(void)
{
    gemm_case(64, 32, 64, 0, 0);    /* a Winograd forward block */
    gemm_case(128, 128, 64, 0, 1);  /* the weight-gradient product, accumulating */
    gemm_case(13, 37, 11, 0, 0);    /* ragged rows and columns */
    gemm_case(7, 5, 3, 0, 1);
    gemm_case(1, 1, 1, 0, 0);
    gemm_case(40, 300, 16, 1, 0);   /* dense dW = dy^T x: A transposed, many column strips */
    gemm_case(9, 70, 33, 1, 1);
    gemm_case(200, 16, 100, 0, 0);  /* a dense forward at batch 16 */
}

/* ---- convolution: naive oracle ---- */

typedef struct conv_case {
    iw_shape in;
    int cout, k, stride, pad, batch;
    iw_conv_algorithm alg;
    int relu; /* 1: the layer with a fused ReLU (iw_layer_conv2d_relu_new), 2: and a 2x2 max pooling
                 (iw_layer_conv2d_relu_pool_new) */
} conv_case;

typedef struct conv_result {
    float *y, *dx, *grads, *dx_free_grads; /* dx_free_grads: parameter grads of a backward without dx */
    float *y_eval;                         /* the evaluation forward's output (training = 0) */
    size_t ny, nx, np;
} conv_result;

static int out_size(int n, int k, int s, int pad) { return (n + 2 * pad - k) / s + 1; }

/* y, dx, dW, db of a convolution in double, from the definition. */
static void conv_oracle(const conv_case *c, const float *x, const float *params, const float *dy, double *y,
                        double *dx, double *dp)
{
    const int Ho = out_size(c->in.h, c->k, c->stride, c->pad), Wo = out_size(c->in.w, c->k, c->stride, c->pad);
    const int Cin = c->in.c, k = c->k;
    const size_t nw = (size_t)c->cout * Cin * k * k;
    memset(dx, 0, sizeof(double) * iw_shape_size(c->in) * c->batch);
    memset(dp, 0, sizeof(double) * (nw + c->cout));
    for (int j = 0; j < c->batch; j++)
        for (int co = 0; co < c->cout; co++)
            for (int oy = 0; oy < Ho; oy++)
                for (int ox = 0; ox < Wo; ox++) {
                    size_t o = (((size_t)j * c->cout + co) * Ho + oy) * Wo + ox;
                    double s = params[nw + co], g = dy[o];
                    dp[nw + co] += g;
                    for (int ci = 0; ci < Cin; ci++)
                        for (int ky = 0; ky < k; ky++)
                            for (int kx = 0; kx < k; kx++) {
                                int iy = oy * c->stride + ky - c->pad, ix = ox * c->stride + kx - c->pad;
                                if (iy < 0 || iy >= c->in.h || ix < 0 || ix >= c->in.w) continue;
                                size_t xi = (((size_t)j * Cin + ci) * c->in.h + iy) * c->in.w + ix;
                                size_t wi = (((size_t)co * Cin + ci) * k + ky) * k + kx;
                                s += (double)params[wi] * x[xi];
                                dx[xi] += (double)params[wi] * g;
                                dp[wi] += (double)x[xi] * g;
                            }
                    y[o] = s;
                }
}

/* The engine's layer on the case; with_dx = 0 runs backward without dx (a first layer). */
static void conv_run(const conv_case *c, const float *x, const float *params, const float *dy, conv_result *r)
{
    iw_layer_harness h;
    iw_error err;
    iw_layer *l = c->relu == 2 ? iw_layer_conv2d_relu_pool_new(c->cout, c->k, c->stride, c->pad)
                  : c->relu    ? iw_layer_conv2d_relu_new(c->cout, c->k, c->stride, c->pad)
                               : iw_layer_conv2d_new(c->cout, c->k, c->stride, c->pad);
    if (l) iw_conv2d_set_algorithm(l, c->alg);
    memset(r, 0, sizeof *r);
    if (iw_layer_harness_create(&h, l, c->in, c->batch, &err)) {
        EXPECT(0, "harness: %s", err.message);
        return;
    }
    r->nx = iw_shape_size(c->in) * c->batch;
    r->ny = iw_shape_size(h.sizes.out) * c->batch;
    r->np = h.sizes.params;
    r->y = malloc(sizeof(float) * r->ny);
    r->y_eval = malloc(sizeof(float) * r->ny);
    r->dx = malloc(sizeof(float) * r->nx);
    r->grads = malloc(sizeof(float) * r->np);
    r->dx_free_grads = malloc(sizeof(float) * r->np);
    memcpy(h.params, params, sizeof(float) * r->np);
    iw_layer_ctx ctx = {c->batch, 1, NULL, h.workspace};
    h.layer->ops->forward(h.layer, &ctx, x, r->y);
    memset(h.grads, 0, sizeof(float) * r->np);
    h.layer->ops->backward(h.layer, &ctx, x, r->y, dy, r->dx);
    memcpy(r->grads, h.grads, sizeof(float) * r->np);
    memset(h.grads, 0, sizeof(float) * r->np);
    h.layer->ops->backward(h.layer, &ctx, x, r->y, dy, NULL);
    memcpy(r->dx_free_grads, h.grads, sizeof(float) * r->np);
    iw_layer_ctx eval = {c->batch, 0, NULL, h.workspace};
    h.layer->ops->forward(h.layer, &eval, x, r->y_eval);
    iw_layer_harness_free(&h);
}

static void conv_result_free(conv_result *r)
{
    free(r->y); free(r->dx); free(r->grads); free(r->dx_free_grads); free(r->y_eval);
    memset(r, 0, sizeof *r);
}

static const conv_case conv_cases[] = {
    /* Winograd: the CNN's shapes (smaller batches), odd sizes, padding 1 and 2, channel counts
     * that are not multiples of 8 or 16, several backward blocks with a partial last one */
    {{64, 14, 14}, 64, 3, 1, 0, 2, IW_CONV_WINOGRAD, 0},
    {{8, 12, 12}, 16, 3, 1, 0, 3, IW_CONV_WINOGRAD, 1}, /* with a fused ReLU */
    {{64, 12, 12}, 128, 3, 1, 0, 2, IW_CONV_WINOGRAD, 0},
    {{16, 7, 9}, 24, 3, 1, 1, 3, IW_CONV_WINOGRAD, 0},
    {{12, 5, 37}, 5, 3, 1, 2, 2, IW_CONV_WINOGRAD, 0},
    {{9, 35, 6}, 13, 3, 1, 0, 1, IW_CONV_WINOGRAD, 0},
    {{160, 6, 6}, 144, 3, 1, 1, 5, IW_CONV_WINOGRAD, 0},
    /* F(4x4): the CNN's output sizes 24, 10 (tiles overhanging by 2), 8 and 6 (overhanging by 2),
     * odd sizes overhanging by 1 and 3, padding 1 and 2, the ResNet's 28, 14 and 7, fused ReLU */
    {{64, 26, 26}, 64, 3, 1, 0, 2, IW_CONV_WINOGRAD4, 0},
    {{64, 12, 12}, 128, 3, 1, 0, 2, IW_CONV_WINOGRAD4, 0},
    {{128, 10, 10}, 128, 3, 1, 0, 3, IW_CONV_WINOGRAD4, 1},
    {{16, 8, 8}, 16, 3, 1, 0, 4, IW_CONV_WINOGRAD4, 0},
    {{16, 7, 9}, 24, 3, 1, 1, 3, IW_CONV_WINOGRAD4, 0},
    {{12, 5, 37}, 5, 3, 1, 2, 2, IW_CONV_WINOGRAD4, 0},
    {{9, 35, 6}, 13, 3, 1, 0, 1, IW_CONV_WINOGRAD4, 1},
    {{32, 28, 28}, 16, 3, 1, 1, 1, IW_CONV_WINOGRAD4, 0},
    {{24, 14, 14}, 40, 3, 1, 1, 2, IW_CONV_WINOGRAD4, 1},
    {{160, 7, 7}, 144, 3, 1, 1, 5, IW_CONV_WINOGRAD4, 0},
    /* direct first layers: 1 and 3 channels, rows wider than 16, narrower than 8, padding */
    {{1, 28, 28}, 16, 3, 1, 0, 3, IW_CONV_AUTO, 0},
    {{3, 19, 34}, 8, 3, 1, 1, 2, IW_CONV_AUTO, 0},
    {{2, 6, 5}, 4, 3, 1, 2, 2, IW_CONV_AUTO, 0},
    {{1, 9, 9}, 3, 5, 1, 2, 2, IW_CONV_AUTO, 0},
    /* the ResNet's strided and 1x1 convolutions, and im2col on a 3x3 stride-1 layer */
    {{16, 14, 14}, 32, 3, 2, 1, 2, IW_CONV_AUTO, 0},
    {{8, 9, 11}, 12, 3, 2, 1, 3, IW_CONV_AUTO, 0},
    {{16, 14, 14}, 32, 1, 2, 0, 2, IW_CONV_AUTO, 0},
    {{12, 7, 9}, 20, 1, 1, 0, 3, IW_CONV_AUTO, 0},
    {{24, 8, 8}, 16, 3, 1, 1, 2, IW_CONV_IM2COL, 0},
    {{1, 20, 20}, 16, 3, 1, 0, 3, IW_CONV_AUTO, 1},  /* fused ReLU on the direct and im2col paths */
    /* fused ReLU + 2x2 max pooling: F(2x2) pools in its kernels (even outputs), the evaluation
     * forward's F(4x4) too; odd outputs, F(4x4) training, im2col and direct sums pool afterwards */
    {{64, 26, 26}, 64, 3, 1, 0, 2, IW_CONV_WINOGRAD, 2},
    {{128, 8, 8}, 128, 3, 1, 0, 3, IW_CONV_WINOGRAD, 2},
    {{16, 9, 11}, 24, 3, 1, 0, 2, IW_CONV_WINOGRAD, 2},
    {{16, 12, 14}, 24, 3, 1, 0, 2, IW_CONV_WINOGRAD4, 2},
    {{8, 9, 9}, 12, 3, 2, 1, 2, IW_CONV_AUTO, 2},
    {{1, 20, 20}, 16, 3, 1, 0, 2, IW_CONV_AUTO, 2},
    /* the engine's own choice: F(2x2) training, F(4x4) evaluation forward (CNN shapes) */
    {{64, 26, 26}, 64, 3, 1, 0, 2, IW_CONV_AUTO, 2},
    {{64, 12, 12}, 128, 3, 1, 0, 2, IW_CONV_AUTO, 1},
    {{24, 14, 14}, 16, 3, 1, 1, 2, IW_CONV_AUTO, 0},
    {{8, 9, 11}, 12, 3, 2, 1, 3, IW_CONV_AUTO, 1},
};
#define N_CONV_CASES ((int)(sizeof conv_cases / sizeof conv_cases[0]))

typedef struct conv_data {
    float *x, *params, *dy;
} conv_data;

/* Inputs of case i, the same for every path (drawn once). */
static conv_data conv_inputs_[N_CONV_CASES];

static const conv_data *conv_inputs(int i)
{
    const conv_case *c = &conv_cases[i];
    conv_data *d = &conv_inputs_[i];
    if (!d->x) {
        size_t nx = iw_shape_size(c->in) * c->batch;
        size_t ny = (size_t)c->cout * out_size(c->in.h, c->k, c->stride, c->pad) *
                    out_size(c->in.w, c->k, c->stride, c->pad) * c->batch;
        size_t np = (size_t)c->cout * c->in.c * c->k * c->k + c->cout;
        d->x = malloc(sizeof(float) * nx);
        d->dy = malloc(sizeof(float) * ny);
        d->params = malloc(sizeof(float) * np);
        fill(d->x, nx, 1.0f);
        fill(d->dy, ny, 1.0f);
        fill(d->params, np, 1.0f / sqrtf((float)(c->in.c * c->k * c->k)));
    }
    return d;
}

/* A conv + ReLU + 2x2 max pooling in double: y (pooled), and dx, dW, db for the pooled gradient
 * dy, which flows to each window's first maximum where it is > 0. */
static void pool_oracle(const conv_case *c, const float *x, const float *params, const float *dy, double *y,
                        double *dx, double *dp)
{
    const int Ho = out_size(c->in.h, c->k, c->stride, c->pad), Wo = out_size(c->in.w, c->k, c->stride, c->pad);
    const int Hp = Ho / 2, Wp = Wo / 2;
    const size_t nfull = (size_t)c->batch * c->cout * Ho * Wo;
    double *full = malloc(sizeof(double) * nfull);
    float *dfull = calloc(nfull, sizeof(float));
    conv_oracle(c, x, params, dfull, full, dx, dp);
    for (size_t pl = 0; pl < (size_t)c->batch * c->cout; pl++)
        for (int py = 0; py < Hp; py++)
            for (int px = 0; px < Wp; px++) {
                size_t best = pl * Ho * Wo + (size_t)(2 * py) * Wo + 2 * px;
                double m = fmax(full[best], 0.0);
                for (int q = 1; q < 4; q++) {
                    size_t i = pl * Ho * Wo + (size_t)(2 * py + q / 2) * Wo + 2 * px + q % 2;
                    if (fmax(full[i], 0.0) > m) {
                        m = fmax(full[i], 0.0);
                        best = i;
                    }
                }
                size_t o = pl * Hp * Wp + (size_t)py * Wp + px;
                y[o] = m;
                dfull[best] = m > 0.0 ? dy[o] : 0.0f;
            }
    conv_oracle(c, x, params, dfull, full, dx, dp);
    free(full);
    free(dfull);
}

static void conv_against_oracle(void)
{
    for (int i = 0; i < N_CONV_CASES; i++) {
        const conv_case *c = &conv_cases[i];
        const conv_data *d = conv_inputs(i);
        conv_result r;
        conv_run(c, d->x, d->params, d->dy, &r);
        if (!r.y) continue;
        double *y = malloc(sizeof(double) * r.ny), *dx = malloc(sizeof(double) * r.nx);
        double *dp = malloc(sizeof(double) * r.np);
        if (c->relu == 2)
            pool_oracle(c, d->x, d->params, d->dy, y, dx, dp);
        else {
            float *dy = malloc(sizeof(float) * r.ny);
            /* a fused ReLU: y = max(conv, 0), and the gradient masked by the layer's own y > 0 */
            for (size_t o = 0; o < r.ny; o++) dy[o] = !c->relu || r.y[o] > 0.0f ? d->dy[o] : 0.0f;
            conv_oracle(c, d->x, d->params, dy, y, dx, dp);
            if (c->relu)
                for (size_t o = 0; o < r.ny; o++) y[o] = y[o] > 0.0 ? y[o] : 0.0;
            free(dy);
        }
        char what[128];
        snprintf(what, sizeof what, "conv %dx%dx%d -> %d, %dx%d s%d p%d, batch %d, %s%s", c->in.c, c->in.h, c->in.w,
                 c->cout, c->k, c->k, c->stride, c->pad, c->batch,
                 c->alg == IW_CONV_WINOGRAD    ? "winograd F(2x2)"
                 : c->alg == IW_CONV_WINOGRAD4 ? "winograd F(4x4)"
                 : c->alg == IW_CONV_IM2COL    ? "im2col"
                                               : "auto",
                 c->relu == 2 ? " + relu + maxpool" : c->relu ? " + relu" : "");
        expect_close(what, "y", r.y, y, r.ny);
        expect_close(what, "y of the evaluation forward", r.y_eval, y, r.ny);
        expect_close(what, "dx", r.dx, dx, r.nx);
        expect_close(what, "dparams", r.grads, dp, r.np);
        expect_close(what, "dparams without dx", r.dx_free_grads, dp, r.np);
        free(y); free(dx); free(dp);
        conv_result_free(&r);
    }
}

/* ---- max pooling 2x2: exact ---- */

static void maxpool_against_oracle(void)
{
    const iw_shape shapes[3] = {{3, 24, 24}, {2, 7, 37}, {4, 6, 5}};
    for (int s = 0; s < 3; s++) {
        iw_layer_harness h;
        iw_error err;
        const int batch = 2;
        if (iw_layer_harness_create(&h, iw_layer_maxpool_new(2, 2), shapes[s], batch, &err)) {
            EXPECT(0, "harness: %s", err.message);
            continue;
        }
        iw_shape in = shapes[s], out = h.sizes.out;
        size_t nx = iw_shape_size(in) * batch, ny = iw_shape_size(out) * batch;
        float *x = malloc(sizeof(float) * nx), *y = malloc(sizeof(float) * ny);
        fill(x, nx, 1.0f);
        x[1] = x[0]; /* a tie: the first maximum wins */
        iw_layer_ctx ctx = {batch, 1, NULL, h.workspace};
        h.layer->ops->forward(h.layer, &ctx, x, y);
        const int32_t *arg = (const int32_t *)h.saved;
        int bad = 0;
        for (size_t pl = 0; pl < (size_t)batch * in.c; pl++)
            for (int oy = 0; oy < out.h; oy++)
                for (int ox = 0; ox < out.w; ox++) {
                    const float *xp = x + pl * in.h * in.w;
                    int best = 2 * oy * in.w + 2 * ox;
                    for (int q = 1; q < 4; q++) {
                        int i = (2 * oy + q / 2) * in.w + 2 * ox + q % 2;
                        if (xp[i] > xp[best]) best = i;
                    }
                    size_t o = pl * out.h * out.w + (size_t)oy * out.w + ox;
                    bad += y[o] != xp[best] || arg[o] != best;
                }
        EXPECT(bad == 0, "maxpool %dx%dx%d (%s): %d outputs differ from the first maximum", in.c, in.h, in.w,
               iw_engine_isa_name(iw_engine_isa()), bad);
        free(x); free(y);
        iw_layer_harness_free(&h);
    }
}

/* ---- dense ---- */

static void dense_case(int in, int out, int batch)
{
    iw_layer_harness h;
    iw_error err;
    if (iw_layer_harness_create(&h, iw_layer_dense_new(out), (iw_shape){in, 1, 1}, batch, &err)) {
        EXPECT(0, "harness: %s", err.message);
        return;
    }
    size_t nw = (size_t)out * in;
    float *x = malloc(sizeof(float) * (size_t)batch * in), *dy = malloc(sizeof(float) * (size_t)batch * out);
    float *y = malloc(sizeof(float) * (size_t)batch * out), *dx = malloc(sizeof(float) * (size_t)batch * in);
    fill(x, (size_t)batch * in, 1.0f);
    fill(dy, (size_t)batch * out, 1.0f);
    fill(h.params, nw + out, 0.1f);
    iw_layer_ctx ctx = {batch, 1, NULL, h.workspace};
    h.layer->ops->forward(h.layer, &ctx, x, y);
    h.layer->ops->backward(h.layer, &ctx, x, y, dy, dx);
    double *ry = malloc(sizeof(double) * (size_t)batch * out), *rdx = calloc((size_t)batch * in, sizeof(double));
    double *rg = calloc(nw + out, sizeof(double));
    for (int b = 0; b < batch; b++)
        for (int o = 0; o < out; o++) {
            double s = h.params[nw + o], g = dy[(size_t)b * out + o];
            rg[nw + o] += g;
            for (int i = 0; i < in; i++) {
                s += (double)h.params[(size_t)o * in + i] * x[(size_t)b * in + i];
                rg[(size_t)o * in + i] += g * x[(size_t)b * in + i];
                rdx[(size_t)b * in + i] += g * h.params[(size_t)o * in + i];
            }
            ry[(size_t)b * out + o] = s;
        }
    char what[64];
    snprintf(what, sizeof what, "dense %d -> %d, batch %d", in, out, batch);
    expect_close(what, "y", y, ry, (size_t)batch * out);
    expect_close(what, "dx", dx, rdx, (size_t)batch * in);
    expect_close(what, "dparams", h.grads, rg, nw + out);
    free(x); free(dy); free(y); free(dx); free(ry); free(rdx); free(rg);
    iw_layer_harness_free(&h);
}

static void dense_cases(void)
{
    dense_case(784, 37, 16);
    dense_case(100, 9, 1);
    dense_case(33, 70, 45);
}

/* ---- one case per path ---- */

static void run_path(iw_isa isa)
{
    iw_isa before = iw_engine_isa();
    if (!use(isa)) {
        TEST_SKIP("this CPU cannot run the %s path (best: %s)", iw_engine_isa_name(isa),
                  iw_engine_isa_name(iw_engine_isa_best()));
        iw_engine_set_isa(before);
        return;
    }
    gemm_cases();
    conv_against_oracle();
    maxpool_against_oracle();
    dense_cases();
    iw_engine_set_isa(before);
}

static void test_isa_portable(void) { run_path(IW_ISA_PORTABLE); }
static void test_isa_avx2(void) { run_path(IW_ISA_AVX2); }
static void test_isa_avx512(void) { run_path(IW_ISA_AVX512); }

/* The AVX2 and AVX-512 paths on the same inputs: the same bits (outputs, dx, every grad). */
static void test_isa_avx2_equals_avx512(void)
{
    iw_isa before = iw_engine_isa();
    if (iw_engine_isa_best() < IW_ISA_AVX512) {
        TEST_SKIP("this CPU has no AVX-512 to compare the AVX2 path with");
        return;
    }
    for (int i = 0; i < N_CONV_CASES; i++) {
        const conv_case *c = &conv_cases[i];
        const conv_data *d = conv_inputs(i);
        conv_result r[2];
        use(IW_ISA_AVX2);
        conv_run(c, d->x, d->params, d->dy, &r[0]);
        use(IW_ISA_AVX512);
        conv_run(c, d->x, d->params, d->dy, &r[1]);
        if (r[0].y && r[1].y) {
            EXPECT(memcmp(r[0].y, r[1].y, sizeof(float) * r[0].ny) == 0, "case %d: y differs", i);
            EXPECT(memcmp(r[0].y_eval, r[1].y_eval, sizeof(float) * r[0].ny) == 0, "case %d: evaluation y differs", i);
            EXPECT(memcmp(r[0].dx, r[1].dx, sizeof(float) * r[0].nx) == 0, "case %d: dx differs", i);
            EXPECT(memcmp(r[0].grads, r[1].grads, sizeof(float) * r[0].np) == 0, "case %d: grads differ", i);
            EXPECT(memcmp(r[0].dx_free_grads, r[1].dx_free_grads, sizeof(float) * r[0].np) == 0,
                   "case %d: grads without dx differ", i);
        }
        conv_result_free(&r[0]);
        conv_result_free(&r[1]);
    }
    /* the products themselves on a ragged, accumulating, transposed-A shape */
    const int M = 29, N = 45, K = 70;
    float *A = malloc(sizeof(float) * K * M), *B = malloc(sizeof(float) * K * N);
    float *C[2] = {malloc(sizeof(float) * M * N), malloc(sizeof(float) * M * N)};
    fill(A, (size_t)K * M, 1.0f);
    fill(B, (size_t)K * N, 1.0f);
    fill(C[0], (size_t)M * N, 1.0f);
    memcpy(C[1], C[0], sizeof(float) * M * N);
    iw_gemm_avx2(M, N, K, A, 1, M, B, N, C[0], N, 1);
    iw_gemm_avx512(M, N, K, A, 1, M, B, N, C[1], N, 1);
    EXPECT(memcmp(C[0], C[1], sizeof(float) * M * N) == 0, "gemm: AVX2 and AVX-512 differ");
    free(A); free(B); free(C[0]); free(C[1]);
    iw_engine_set_isa(before);
}

/* Selection: names parse, a request above the CPU is clamped, and every kernel name is stable. */
static void test_isa_selection(void)
{
    iw_isa before = iw_engine_isa(), isa = IW_ISA_PORTABLE;
    EXPECT(iw_engine_isa_parse("AVX2", &isa) == 0 && isa == IW_ISA_AVX2, "AVX2 parses");
    EXPECT(iw_engine_isa_parse("avx512", &isa) == 0 && isa == IW_ISA_AVX512, "avx512 parses");
    EXPECT(iw_engine_isa_parse("portable", &isa) == 0 && isa == IW_ISA_PORTABLE, "portable parses");
    EXPECT(iw_engine_isa_parse("sse9", &isa) == -1, "an unknown name is refused");
    EXPECT(iw_engine_set_isa(IW_ISA_AVX512) == iw_engine_isa_best(), "AVX-512 clamped to the CPU's best");
    EXPECT(iw_engine_set_isa(IW_ISA_PORTABLE) == IW_ISA_PORTABLE, "portable always runs");
    EXPECT(strcmp(iw_engine_isa_name(IW_ISA_AVX2), "avx2") == 0, "name of AVX2");
    iw_engine_set_isa(before);
}

/* Child mode: trains a small network of each kind (MLP with batch norm and dropout, the CNN and the
 * ResNet with reduced widths and batch norm) for three SGD steps on seeded random data, evaluates
 * it, and prints one FNV-1a hash of the parameters, batch-norm statistics and evaluation logits. */
static int print_training_hash(void)
{
    uint64_t h = 1469598103934665603ull;
    const iw_model_kind kinds[3] = {IW_MODEL_MLP, IW_MODEL_CNN, IW_MODEL_RESNET};
    for (int m = 0; m < 3; m++) {
        iw_net_config cfg = {.kind = kinds[m], .input = {1, 20, 20}, .n_classes = 2, .hidden = {24, 16},
                             .n_hidden = 2, .channels = {8, 8, 16, 16, 16}, .fc = {24, 16}, .n_fc = 2,
                             .batchnorm = 1, .dropout = kinds[m] == IW_MODEL_RESNET ? 0.0f : 0.25f,
                             .init = IW_INIT_PYTORCH, .max_batch = 8};
        cfg.n_channels = kinds[m] == IW_MODEL_CNN ? 5 : kinds[m] == IW_MODEL_RESNET ? 4 : 0;
        iw_error err;
        iw_net *net = iw_net_create(&cfg, &err);
        if (!net) {
            printf("error %s\n", err.message);
            return 1;
        }
        iw_rng rng, drop;
        iw_rng_seed(&rng, 5, IW_STREAM_INIT);
        iw_rng_seed(&drop, 5, IW_STREAM_DROPOUT);
        iw_net_init(net, &rng);
        float x[8 * 400], w[8];
        int32_t y[8];
        const float *logits = NULL;
        iw_loss ce;
        iw_loss_init(&ce, IW_LOSS_CROSS_ENTROPY, IW_NORMALIZE_WEIGHTS);
        for (int step = 0; step < 4; step++) {
            for (int i = 0; i < 8 * 400; i++) x[i] = (float)iw_rng_normal(&rng);
            for (int i = 0; i < 8; i++) {
                y[i] = (int32_t)iw_rng_below(&rng, 2);
                w[i] = y[i] ? 4.0f : 1.0f;
            }
            if (step == 3) {
                logits = iw_net_forward(net, x, 8, 0, NULL);
                break;
            }
            iw_net_forward(net, x, 8, 1, &drop);
            iw_net_backward(net, y, w, &ce);
            iw_net_sgd_step(net, 0.05f, 0.9f, 1e-3f);
        }
        const float *arrays[3] = {iw_net_params(net), iw_net_buffers(net), logits};
        const size_t counts[3] = {iw_net_param_count(net), iw_net_buffer_count(net), 16};
        for (int a = 0; a < 3; a++) {
            const unsigned char *b = (const unsigned char *)arrays[a];
            for (size_t i = 0; i < counts[a] * sizeof(float); i++) h = (h ^ b[i]) * 1099511628211ull;
        }
        iw_net_free(net);
    }
    printf("%016llx\n", (unsigned long long)h);
    fflush(stdout);
    return 0;
}

/* Child mode: prints the path the engine chose from the environment and the warning. */
static int print_choice(void)
{
    const char *w = iw_engine_kernel_warning();
    printf("%s|%s\n", iw_engine_isa_name(iw_engine_isa()), w ? w : "none");
    fflush(stdout);
    return 0;
}

/* The first line a child prints, started as `env ENV <this program> MODE`. */
static void child_line(const char *env, const char *mode, char *line, size_t size)
{
    char exe[4096], cmd[8300];
    line[0] = '\0';
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return;
    exe[n] = '\0';
    snprintf(cmd, sizeof cmd, "env %s '%s' %s", env, exe, mode);
    FILE *f = popen(cmd, "r");
    EXPECT(f != NULL, "cannot run %s", cmd);
    if (!f) return;
    if (!fgets(line, (int)size, f)) line[0] = '\0';
    pclose(f);
}

/* What a child started with IW_ENGINE_ISA=value prints: "path|warning". */
static void child_choice(const char *value, char *line, size_t size)
{
    char env[128];
    snprintf(env, sizeof env, "-u OPENBLAS_CORETYPE IW_ENGINE_ISA='%s'", value);
    child_line(env, "--print-choice", line, size);
}

/* IW_ENGINE_ISA, read once at start: a lower path is taken, a higher one clamped with a message,
 * an unknown name ignored with a message. */
static void test_isa_environment(void)
{
    char line[1024], want[64];
    child_choice("portable", line, sizeof line);
    EXPECT(strncmp(line, "portable|none", 13) == 0, "IW_ENGINE_ISA=portable: '%s'", line);
    child_choice("sse9", line, sizeof line);
    snprintf(want, sizeof want, "%s|", iw_engine_isa_name(iw_engine_isa_best()));
    EXPECT(strncmp(line, want, strlen(want)) == 0 && strstr(line, "sse9") && strstr(line, "not one of"),
           "IW_ENGINE_ISA=sse9: '%s'", line);
    child_choice("avx512", line, sizeof line);
    if (iw_engine_isa_best() == IW_ISA_AVX512)
        EXPECT(strncmp(line, "avx512|none", 11) == 0, "IW_ENGINE_ISA=avx512 on an AVX-512 CPU: '%s'", line);
    else
        EXPECT(strncmp(line, want, strlen(want)) == 0 && strstr(line, "cannot run"),
               "IW_ENGINE_ISA=avx512 clamped with a message: '%s'", line);
}

/* Training on the AVX2 path with OpenBLAS's Haswell kernel and on the AVX-512 path with its
 * SkylakeX kernel (as on two different nodes of a cluster) ends in the same bits: the vector
 * paths use no OpenBLAS product. Without AVX-512, two OpenBLAS kernels on the AVX2 path. */
static void test_isa_training_independent_of_node(void)
{
    if (iw_engine_isa_best() < IW_ISA_AVX2) {
        TEST_SKIP("this CPU has no AVX2 + FMA");
        return;
    }
    char a[256], b[256];
    child_line("IW_ENGINE_ISA=avx2 OPENBLAS_CORETYPE=Haswell", "--print-training-hash", a, sizeof a);
    if (iw_engine_isa_best() == IW_ISA_AVX512)
        child_line("IW_ENGINE_ISA=avx512 OPENBLAS_CORETYPE=SkylakeX", "--print-training-hash", b, sizeof b);
    else
        child_line("IW_ENGINE_ISA=avx2 OPENBLAS_CORETYPE=Sandybridge", "--print-training-hash", b, sizeof b);
    EXPECT(strlen(a) == 17 && strcmp(a, b) == 0, "training hashes differ: '%s' vs '%s'", a, b);
    char p[256];
    child_line("IW_ENGINE_ISA=portable", "--print-training-hash", p, sizeof p);
    EXPECT(strlen(p) == 17, "the portable path trains too: '%s'", p);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--print-choice") == 0) return print_choice();
    if (argc > 1 && strcmp(argv[1], "--print-training-hash") == 0) return print_training_hash();
    iw_rng_seed(&rng_, 13, 1);
    RUN_TEST(test_isa_selection);
    RUN_TEST(test_isa_environment);
    RUN_TEST(test_isa_portable);
    RUN_TEST(test_isa_avx2);
    RUN_TEST(test_isa_avx512);
    RUN_TEST(test_isa_avx2_equals_avx512);
    RUN_TEST(test_isa_training_independent_of_node);
    for (int i = 0; i < N_CONV_CASES; i++) {
        free(conv_inputs_[i].x);
        free(conv_inputs_[i].params);
        free(conv_inputs_[i].dy);
    }
    return test_exit_code();
}
