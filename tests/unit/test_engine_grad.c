/* test_engine_grad.c — finite-difference gradient checks of the engine's layers, the loss and a
 * whole network.
 *
 * For a layer y = f(x; θ) and a fixed random R, the objective F = Σ R·y has dF/dy = R, so one
 * backward with dout = R gives dF/dx and dF/dθ. Along a random direction d the analytic
 * directional derivative <∇F, d> is compared with the central difference
 * (F(x + εd) − F(x − εd)) / 2ε, F summed in double from the float forward. A wrong gradient (a
 * missing term, a wrong scale, a transposed product) is off by O(1) relatively; the tolerances
 * below are two orders of magnitude above the float rounding of these sizes.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/layer.h"
#include "test.h"

#define N_DIRECTIONS 4
#define EPS 3e-3
#define REL_TOL 2e-3

typedef void (*before_forward_fn)(iw_layer *layer, void *arg);

typedef struct grad_case {
    iw_layer_harness h;
    iw_layer_ctx ctx;
    int batch;
    size_t n_in, n_out;
    float *x, *y, *r, *dx, *dir, *xp;
    before_forward_fn before;
    void *arg;
} grad_case;

static float rand_normal(iw_rng *rng) { return (float)iw_rng_normal(rng); }

/* F = Σ R·y at input x (params as they are now). */
static double objective(grad_case *c, const float *x)
{
    if (c->before) c->before(c->h.layer, c->arg);
    c->h.layer->ops->forward(c->h.layer, &c->ctx, x, c->y);
    double f = 0.0;
    for (size_t i = 0; i < (size_t)c->batch * c->n_out; i++) f += (double)c->r[i] * c->y[i];
    return f;
}

/* Relative error of a directional derivative. For a direction of unit-variance normals the
 * derivative is typically of the size of the gradient's norm, but one direction can cancel to
 * near 0; the scale is therefore floored at a tenth of |grad| (and 1e-6 absolute). */
static double rel_error(double analytic, double numeric, double grad_norm)
{
    double scale = fmax(fmax(fabs(analytic), fabs(numeric)), fmax(0.1 * grad_norm, 1e-6));
    return fabs(analytic - numeric) / scale;
}

static double norm(const float *v, size_t n)
{
    double s = 0.0;
    for (size_t i = 0; i < n; i++) s += (double)v[i] * v[i];
    return sqrt(s);
}

/* Builds the layer over a batch, randomises inputs (|x| >= x_min_abs, to stay off ReLU's kink) and
 * parameters (around their init, so gamma != 1 etc.), runs one backward with dout = R and checks
 * the input and parameter gradients along random directions. Returns the worst relative error. */
static double check_layer(const char *name, iw_layer *layer, iw_shape in, int batch, int training,
                          float x_min_abs, before_forward_fn before, void *arg)
{
    grad_case c;
    memset(&c, 0, sizeof c);
    iw_error err;
    if (iw_layer_harness_create(&c.h, layer, in, batch, &err) != 0) {
        EXPECT(0, "%s: harness: %s", name, err.message);
        return INFINITY;
    }
    iw_rng rng;
    iw_rng_seed(&rng, 42, 99);
    c.batch = batch;
    c.ctx = (iw_layer_ctx){.batch = batch, .training = training, .dropout_rng = &rng,
                           .workspace = c.h.workspace};
    c.before = before;
    c.arg = arg;
    c.n_in = iw_shape_size(in);
    c.n_out = iw_shape_size(c.h.sizes.out);
    size_t nx = (size_t)batch * c.n_in, ny = (size_t)batch * c.n_out;
    c.x = malloc(nx * sizeof(float));
    c.xp = malloc(nx * sizeof(float));
    c.dx = malloc(nx * sizeof(float));
    c.dir = malloc((nx + c.h.sizes.params + 1) * sizeof(float));
    c.y = malloc(ny * sizeof(float));
    c.r = malloc(ny * sizeof(float));
    if (layer->ops->init) layer->ops->init(layer, IW_INIT_PYTORCH, &rng);
    for (size_t i = 0; i < c.h.sizes.params; i++) c.h.params[i] += 0.3f * rand_normal(&rng);
    for (size_t i = 0; i < nx; i++) {
        float v = rand_normal(&rng);
        if (fabsf(v) < x_min_abs) v = v < 0 ? -x_min_abs - 0.1f : x_min_abs + 0.1f;
        c.x[i] = v;
    }
    for (size_t i = 0; i < ny; i++) c.r[i] = rand_normal(&rng);

    objective(&c, c.x);
    if (c.h.sizes.params) memset(c.h.grads, 0, c.h.sizes.params * sizeof(float));
    layer->ops->backward(layer, &c.ctx, c.x, c.y, c.r, c.dx);

    double worst = 0.0;
    for (int k = 0; k < N_DIRECTIONS; k++) {
        /* input direction */
        double analytic = 0.0;
        for (size_t i = 0; i < nx; i++) {
            c.dir[i] = rand_normal(&rng);
            analytic += (double)c.dx[i] * c.dir[i];
        }
        for (size_t i = 0; i < nx; i++) c.xp[i] = c.x[i] + (float)EPS * c.dir[i];
        double fp = objective(&c, c.xp);
        for (size_t i = 0; i < nx; i++) c.xp[i] = c.x[i] - (float)EPS * c.dir[i];
        double fm = objective(&c, c.xp);
        double numeric = (fp - fm) / (2 * EPS);
        double rel = rel_error(analytic, numeric, norm(c.dx, nx));
        if (rel > worst) worst = rel;
        EXPECT(rel <= REL_TOL, "%s: d/dx along direction %d: analytic %.8g, numeric %.8g",
               name, k, analytic, numeric);
        /* parameter direction */
        size_t np = c.h.sizes.params;
        if (np == 0) continue;
        float *saved = malloc(np * sizeof(float));
        memcpy(saved, c.h.params, np * sizeof(float));
        analytic = 0.0;
        for (size_t i = 0; i < np; i++) {
            c.dir[i] = rand_normal(&rng);
            analytic += (double)c.h.grads[i] * c.dir[i];
        }
        for (size_t i = 0; i < np; i++) c.h.params[i] = saved[i] + (float)EPS * c.dir[i];
        fp = objective(&c, c.x);
        for (size_t i = 0; i < np; i++) c.h.params[i] = saved[i] - (float)EPS * c.dir[i];
        fm = objective(&c, c.x);
        memcpy(c.h.params, saved, np * sizeof(float));
        free(saved);
        numeric = (fp - fm) / (2 * EPS);
        rel = rel_error(analytic, numeric, norm(c.h.grads, np));
        if (rel > worst) worst = rel;
        EXPECT(rel <= REL_TOL, "%s: d/dparams along direction %d: analytic %.8g, numeric %.8g",
               name, k, analytic, numeric);
    }
    free(c.x); free(c.xp); free(c.dx); free(c.dir); free(c.y); free(c.r);
    iw_layer_harness_free(&c.h);
    return worst;
}

static void test_dense_gradients(void)
{
    /* input of a spatial shape: dense flattens it */
    double w = check_layer("dense", iw_layer_dense_new(7), (iw_shape){3, 2, 2}, 5, 1, 0.0f, NULL, NULL);
    printf("# dense: worst relative error %.2g\n", w);
    w = check_layer("dense b1", iw_layer_dense_new(3), (iw_shape){9, 1, 1}, 1, 1, 0.0f, NULL, NULL);
    printf("# dense batch 1: worst relative error %.2g\n", w);
    /* above dense.c's SMALL_BATCH (32) the forward product runs in the other orientation */
    w = check_layer("dense b40", iw_layer_dense_new(6), (iw_shape){11, 1, 1}, 40, 1, 0.0f, NULL, NULL);
    printf("# dense batch 40: worst relative error %.2g\n", w);
}

static void test_relu_gradients(void)
{
    double w = check_layer("relu", iw_layer_relu_new(), (iw_shape){4, 3, 5}, 3, 1, 0.05f, NULL, NULL);
    printf("# relu: worst relative error %.2g\n", w);
}

static void test_batchnorm_dense_gradients(void)
{
    double w = check_layer("batchnorm (c,1,1)", iw_layer_batchnorm_new(), (iw_shape){6, 1, 1}, 8, 1, 0.0f, NULL, NULL);
    printf("# batchnorm dense shape: worst relative error %.2g\n", w);
}

static void test_batchnorm_spatial_gradients(void)
{
    double w = check_layer("batchnorm (c,h,w)", iw_layer_batchnorm_new(), (iw_shape){3, 4, 5}, 4, 1, 0.0f, NULL, NULL);
    printf("# batchnorm spatial shape: worst relative error %.2g\n", w);
}

static void test_batchnorm_evaluation_uses_running_stats(void)
{
    /* evaluation: y = gamma (x - running_mean) / sqrt(running_var + eps) + beta, stats untouched */
    iw_layer_harness h;
    iw_error err;
    EXPECT(iw_layer_harness_create(&h, iw_layer_batchnorm_new(), (iw_shape){2, 1, 3}, 2, &err) == 0, "%s", err.message);
    h.layer->ops->init(h.layer, IW_INIT_HE, NULL);
    h.params[0] = 2.0f; h.params[1] = 0.5f; h.params[2] = 0.1f; h.params[3] = -1.0f;
    h.buffers[0] = 1.0f; h.buffers[1] = -2.0f; h.buffers[2] = 4.0f; h.buffers[3] = 0.25f;
    float x[12], y[12];
    for (int i = 0; i < 12; i++) x[i] = (float)i - 5.0f;
    iw_layer_ctx ctx = {.batch = 2, .training = 0, .workspace = h.workspace};
    h.layer->ops->forward(h.layer, &ctx, x, y);
    for (int b = 0; b < 2; b++)
        for (int c = 0; c < 2; c++)
            for (int i = 0; i < 3; i++) {
                int j = b * 6 + c * 3 + i;
                double expect = h.params[c] * (x[j] - h.buffers[c]) / sqrt(h.buffers[2 + c] + 1e-5) + h.params[2 + c];
                EXPECT_CLOSE(y[j], expect, 1e-5);
            }
    EXPECT(h.buffers[0] == 1.0f && h.buffers[3] == 0.25f, "evaluation must not touch running stats");
    iw_layer_harness_free(&h);
}

typedef struct mask_arg {
    const float *keep;
} mask_arg;

static void feed_mask(iw_layer *layer, void *arg) { iw_layer_dropout_use_mask(layer, ((mask_arg *)arg)->keep); }

static void test_dropout_gradients(void)
{
    int B = 4;
    iw_shape in = {10, 1, 1};
    float keep[40];
    iw_rng rng;
    iw_rng_seed(&rng, 7, 1);
    int kept = 0;
    for (int i = 0; i < 40; i++) kept += (keep[i] = iw_rng_uniform(&rng) < 0.6f ? 1.0f : 0.0f) != 0.0f;
    EXPECT(kept > 0 && kept < 40, "mask has both kinds (%d kept)", kept);
    mask_arg arg = {keep};
    double w = check_layer("dropout", iw_layer_dropout_new(0.4f), in, B, 1, 0.0f, feed_mask, &arg);
    printf("# dropout with a fixed mask: worst relative error %.2g\n", w);
}

/* Loss: F(z) = L(z) with weights != 1; compares dlogits with central differences of L. */
static void check_loss(iw_normalize normalize, const char *name)
{
    enum { B = 6, K = 3 };
    float z[B * K], dz[B * K], zp[B * K], d[B * K];
    int32_t y[B] = {0, 1, 2, 1, 0, 2};
    float w[B] = {0.25f, 4.0f, 1.0f, 16.0f, 0.0625f, 2.0f};
    iw_rng rng;
    iw_rng_seed(&rng, 3, 3);
    for (int i = 0; i < B * K; i++) z[i] = 3.0f * rand_normal(&rng);
    iw_loss loss;
    iw_loss_init(&loss, IW_LOSS_CROSS_ENTROPY, normalize);
    double L = iw_loss_compute(&loss, z, B, K, y, w, dz);
    EXPECT(isfinite(L) && L > 0, "%s: loss %g", name, L);
    /* the loss value itself, from the formula in engine.h */
    double sum = 0.0, wsum = 0.0;
    for (int i = 0; i < B; i++) {
        double s = 0.0;
        for (int k = 0; k < K; k++) s += exp(z[i * K + k]);
        sum += w[i] * (log(s) - z[i * K + y[i]]);
        wsum += w[i];
    }
    EXPECT_CLOSE(L, sum / (normalize == IW_NORMALIZE_WEIGHTS ? wsum : B), 1e-6);
    EXPECT_CLOSE(iw_loss_weighted_sum(&loss, z, B, K, y, w), sum, 1e-6);
    for (int k = 0; k < N_DIRECTIONS; k++) {
        double analytic = 0.0;
        for (int i = 0; i < B * K; i++) {
            d[i] = rand_normal(&rng);
            analytic += (double)dz[i] * d[i];
        }
        for (int i = 0; i < B * K; i++) zp[i] = z[i] + (float)EPS * d[i];
        double fp = iw_loss_compute(&loss, zp, B, K, y, w, NULL);
        for (int i = 0; i < B * K; i++) zp[i] = z[i] - (float)EPS * d[i];
        double fm = iw_loss_compute(&loss, zp, B, K, y, w, NULL);
        double numeric = (fp - fm) / (2 * EPS);
        EXPECT(rel_error(analytic, numeric, norm(dz, B * K)) <= REL_TOL, "%s: direction %d: analytic %.8g, numeric %.8g",
               name, k, analytic, numeric);
    }
}

static void test_loss_gradients_weights(void) { check_loss(IW_NORMALIZE_WEIGHTS, "loss normalize=weights"); }
static void test_loss_gradients_batch(void) { check_loss(IW_NORMALIZE_BATCH, "loss normalize=batch"); }

static void test_loss_stable_for_large_logits(void)
{
    float z[4] = {1000.0f, -1000.0f, -50.0f, 60.0f}, dz[4];
    int32_t y[2] = {0, 0};
    iw_loss loss;
    iw_loss_init(&loss, IW_LOSS_CROSS_ENTROPY, IW_NORMALIZE_BATCH);
    double L = iw_loss_compute(&loss, z, 2, 2, y, NULL, dz);
    EXPECT(isfinite(L), "loss %g", L);
    EXPECT_CLOSE(L, 110.0 / 2, 1e-6); /* first example ~0, second 110 */
    EXPECT(isnan(iw_loss_compute(&loss, z, 2, 2, (int32_t[]){0, 2}, NULL, dz)),
           "a label outside [0, K) gives NaN");
}

/* Whole network: MLP with batch norm and dropout (masks from a dropout rng restored before every
 * forward), weighted loss; d loss / d params along random directions. */
static void check_net(iw_normalize normalize, const char *name)
{
    enum { B = 7, IN = 6, K = 2 };
    iw_net_config cfg = {.kind = IW_MODEL_MLP, .input = {IN, 1, 1}, .n_classes = K, .hidden = {5, 4},
                         .n_hidden = 2, .batchnorm = 1, .dropout = 0.3f, .init = IW_INIT_PYTORCH,
                         .max_batch = B};
    iw_error err;
    iw_net *net = iw_net_create(&cfg, &err);
    EXPECT(net != NULL, "%s", err.message);
    if (!net) return;
    iw_rng rng, drop0, drop;
    iw_rng_seed(&rng, 5, IW_STREAM_INIT);
    iw_rng_seed(&drop0, 5, IW_STREAM_DROPOUT);
    iw_net_init(net, &rng);
    float x[B * IN], w[B];
    int32_t y[B];
    for (int i = 0; i < B * IN; i++) x[i] = rand_normal(&rng);
    for (int i = 0; i < B; i++) {
        y[i] = i % 2;
        w[i] = y[i] ? 4.0f : 0.5f;
    }
    size_t P = iw_net_param_count(net);
    float *p = iw_net_params(net), *g = malloc(P * sizeof(float)), *p0 = malloc(P * sizeof(float)),
          *d = malloc(P * sizeof(float));
    drop = drop0;
    iw_net_forward(net, x, B, 1, &drop);
    iw_loss loss;
    iw_loss_init(&loss, IW_LOSS_CROSS_ENTROPY, normalize);
    double L = iw_net_backward(net, y, w, &loss);
    EXPECT(isfinite(L), "%s: loss %g", name, L);
    memcpy(g, iw_net_grads(net), P * sizeof(float));
    memcpy(p0, p, P * sizeof(float));
    for (int k = 0; k < N_DIRECTIONS; k++) {
        double analytic = 0.0;
        for (size_t i = 0; i < P; i++) {
            d[i] = rand_normal(&rng);
            analytic += (double)g[i] * d[i];
        }
        double f[2];
        for (int s = 0; s < 2; s++) {
            for (size_t i = 0; i < P; i++) p[i] = p0[i] + (s ? -1.0f : 1.0f) * (float)EPS * d[i];
            drop = drop0;
            const float *logits = iw_net_forward(net, x, B, 1, &drop);
            f[s] = iw_loss_compute(&loss, logits, B, K, y, w, NULL);
        }
        memcpy(p, p0, P * sizeof(float));
        double numeric = (f[0] - f[1]) / (2 * EPS);
        EXPECT(rel_error(analytic, numeric, norm(g, P)) <= REL_TOL, "%s: direction %d: analytic %.8g, numeric %.8g",
               name, k, analytic, numeric);
    }
    free(g); free(p0); free(d);
    iw_net_free(net);
}

static void test_net_gradients_weights(void) { check_net(IW_NORMALIZE_WEIGHTS, "mlp normalize=weights"); }
static void test_net_gradients_batch(void) { check_net(IW_NORMALIZE_BATCH, "mlp normalize=batch"); }

int main(void)
{
    RUN_TEST(test_dense_gradients);
    RUN_TEST(test_relu_gradients);
    RUN_TEST(test_batchnorm_dense_gradients);
    RUN_TEST(test_batchnorm_spatial_gradients);
    RUN_TEST(test_batchnorm_evaluation_uses_running_stats);
    RUN_TEST(test_dropout_gradients);
    RUN_TEST(test_loss_gradients_weights);
    RUN_TEST(test_loss_gradients_batch);
    RUN_TEST(test_loss_stable_for_large_logits);
    RUN_TEST(test_net_gradients_weights);
    RUN_TEST(test_net_gradients_batch);
    return test_exit_code();
}
