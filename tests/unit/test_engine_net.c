/* test_engine_net.c — networks as a whole: structure built from a config, errors on bad configs,
 * initialisation (He / PyTorch default), the SGD step's exact semantics (L2 on weights only,
 * momentum as PyTorch), weight norm, evaluation vs training mode, dropout statistics, the OpenBLAS
 * kernel check, and a small training run that must learn a separable problem.
 */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/layer.h"
#include "test.h"

/* Allocation counting for "no allocation inside a training step": outside the sanitizers (which
 * own malloc) this binary interposes malloc/calloc/realloc over glibc's and counts the calls. */
#if !defined(__SANITIZE_ADDRESS__) && defined(__GLIBC__)
#define COUNT_ALLOCATIONS 1
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
static volatile long allocations;
void *malloc(size_t n) { allocations++; return __libc_malloc(n); }
void *calloc(size_t n, size_t m) { allocations++; return __libc_calloc(n, m); }
void *realloc(void *p, size_t n) { allocations++; return __libc_realloc(p, n); }
#else
#define COUNT_ALLOCATIONS 0
static volatile long allocations;
#endif

static iw_net *make_mlp(int in, int h1, int h2, int bn, float dropout, iw_init init, int max_batch)
{
    iw_net_config cfg = {.kind = IW_MODEL_MLP, .input = {in, 1, 1}, .n_classes = 2, .hidden = {h1, h2},
                         .n_hidden = 2, .batchnorm = bn, .dropout = dropout, .init = init,
                         .max_batch = max_batch};
    iw_error err;
    iw_net *net = iw_net_create(&cfg, &err);
    EXPECT(net != NULL, "%s", err.message);
    return net;
}

static void test_config_from_spec(void)
{
    iw_model_spec m;
    memset(&m, 0, sizeof m);
    m.kind = IW_MODEL_MLP;
    m.n_hidden = 3;
    m.hidden[0] = 64; m.hidden[1] = 32; m.hidden[2] = 16;
    m.init = IW_INIT_PYTORCH;
    iw_net_config cfg;
    iw_net_config_from_spec(&cfg, &m, (iw_shape){1, 28, 28}, 1, 0.5, 64);
    EXPECT(cfg.kind == IW_MODEL_MLP && cfg.n_hidden == 3 && cfg.hidden[2] == 16, "hidden copied");
    EXPECT(cfg.input.c == 1 && cfg.input.h == 28 && cfg.input.w == 28, "input shape copied");
    EXPECT(cfg.n_classes == 2 && cfg.batchnorm == 1 && cfg.dropout == 0.5f && cfg.max_batch == 64,
           "classes %d, batchnorm %d, dropout %g, max_batch %d", cfg.n_classes, cfg.batchnorm,
           (double)cfg.dropout, cfg.max_batch);
    EXPECT(cfg.init == IW_INIT_PYTORCH, "init copied");
}

static void test_mlp_structure(void)
{
    iw_net *net = make_mlp(10, 8, 6, 1, 0.5f, IW_INIT_HE, 4);
    if (!net) return;
    const char *kinds[] = {"dense", "batchnorm", "relu", "dropout", "dense", "batchnorm", "relu", "dropout", "dense"};
    EXPECT(iw_net_layer_count(net) == 9, "%d layers", iw_net_layer_count(net));
    for (int i = 0; i < iw_net_layer_count(net) && i < 9; i++)
        EXPECT(strcmp(iw_net_layer(net, i)->ops->kind, kinds[i]) == 0, "layer %d is %s, expected %s", i,
               iw_net_layer(net, i)->ops->kind, kinds[i]);
    size_t expect = (10 * 8 + 8) + 2 * 8 + (8 * 6 + 6) + 2 * 6 + (6 * 2 + 2);
    EXPECT(iw_net_param_count(net) == expect, "%zu params, expected %zu", iw_net_param_count(net), expect);
    EXPECT(iw_net_buffer_count(net) == 2 * 8 + 2 * 6, "%zu buffers", iw_net_buffer_count(net));
    /* the layers' slices tile the flat vector in order */
    float *p = iw_net_params(net);
    size_t off = 0;
    for (int i = 0; i < iw_net_layer_count(net); i++) {
        iw_layer *l = iw_net_layer(net, i);
        if (!l->n_params) continue;
        EXPECT(l->params == p + off, "layer %d params at offset %td, expected %zu", i, l->params - p, off);
        off += l->n_params;
    }
    EXPECT(iw_net_layer(net, 0)->n_weights == 80 && iw_net_layer(net, 1)->n_weights == 0, "L2 ranges");
    iw_net_free(net);

    iw_net_config lin = {.kind = IW_MODEL_LINEAR, .input = {2, 1, 1}, .n_classes = 2, .hidden = {99},
                         .n_hidden = 1, .init = IW_INIT_HE, .max_batch = 1};
    iw_error err;
    net = iw_net_create(&lin, &err);
    EXPECT(net && iw_net_layer_count(net) == 1 && iw_net_param_count(net) == 6, "linear = one dense layer");
    iw_net_free(net);
}

static void test_bad_configs_are_reported(void)
{
    iw_error err;
    iw_net_config cfg = {.kind = IW_MODEL_MLP, .input = {4, 1, 1}, .n_classes = 2, .hidden = {0},
                         .n_hidden = 1, .max_batch = 2};
    EXPECT(iw_net_create(&cfg, &err) == NULL && strstr(err.message, "width 0"), "hidden 0: %s", err.message);
    cfg.hidden[0] = 3;
    cfg.dropout = 1.0f;
    EXPECT(iw_net_create(&cfg, &err) == NULL && strstr(err.message, "dropout"), "dropout 1: %s", err.message);
    cfg.dropout = 0.0f;
    cfg.max_batch = 0;
    EXPECT(iw_net_create(&cfg, &err) == NULL && strstr(err.message, "max_batch"), "max_batch 0: %s", err.message);
    cfg.max_batch = 2;
    cfg.input.c = 0;
    EXPECT(iw_net_create(&cfg, &err) == NULL && strstr(err.message, "input"), "input 0: %s", err.message);
    cfg.input.c = 4;
    /* a custom list whose last layer does not give n_classes outputs */
    iw_layer *layers[2] = {iw_layer_dense_new(5), iw_layer_relu_new()};
    EXPECT(iw_net_create_from_layers(&cfg, layers, 2, &err) == NULL && strstr(err.message, "n_classes"),
           "wrong output size: %s", err.message);
    iw_layer_harness h;
    EXPECT(iw_layer_harness_create(&h, iw_layer_dense_new(0), (iw_shape){3, 1, 1}, 2, &err) != 0 &&
               strstr(err.message, "dense"), "dense width 0: %s", err.message);
    EXPECT(iw_layer_harness_create(&h, NULL, (iw_shape){3, 1, 1}, 2, &err) != 0, "NULL layer refused");
    /* forward outside 1..max_batch and backward without a training forward */
    iw_net *net = iw_net_create(&cfg, &err);
    float x[8] = {0};
    int32_t y[2] = {0, 1};
    EXPECT(net && iw_net_forward(net, x, 3, 1, NULL) == NULL, "batch 3 > max_batch 2 refused");
    if (net) {
        iw_net_forward(net, x, 2, 0, NULL);
        EXPECT(isnan(iw_net_backward(net, y, NULL, IW_NORMALIZE_BATCH)), "backward after an evaluation forward is NaN");
    }
    iw_net_free(net);
}

static void stats(const float *v, size_t n, double *mean, double *sd, double *maxabs)
{
    double s = 0, ss = 0, m = 0;
    for (size_t i = 0; i < n; i++) {
        s += v[i];
        ss += (double)v[i] * v[i];
        if (fabs(v[i]) > m) m = fabs(v[i]);
    }
    *mean = s / n;
    *sd = sqrt(ss / n - *mean * *mean);
    *maxabs = m;
}

static void test_init_he_and_pytorch(void)
{
    iw_rng rng;
    for (int kind = 0; kind < 2; kind++) {
        iw_init init = kind ? IW_INIT_PYTORCH : IW_INIT_HE;
        iw_net *net = make_mlp(400, 300, 20, 1, 0.0f, init, 2);
        if (!net) return;
        iw_rng_seed(&rng, 1, IW_STREAM_INIT);
        iw_net_init(net, &rng);
        iw_layer *d0 = iw_net_layer(net, 0), *bn = iw_net_layer(net, 1);
        double mean, sd, maxabs, bmean, bsd, bmax;
        stats(d0->params, 400 * 300, &mean, &sd, &maxabs);
        stats(d0->params + 400 * 300, 300, &bmean, &bsd, &bmax);
        double bound = 1.0 / sqrt(400.0);
        if (init == IW_INIT_HE) {
            EXPECT(fabs(sd - sqrt(2.0 / 400)) < 0.01 * sqrt(2.0 / 400), "He std %g, expected %g", sd, sqrt(2.0 / 400));
            EXPECT(fabs(mean) < 0.001, "He mean %g", mean);
            EXPECT(bmax == 0.0, "He biases are 0");
        } else {
            EXPECT(maxabs <= bound && maxabs > 0.999 * bound, "PyTorch weights in +-%g, max %g", bound, maxabs);
            EXPECT(fabs(sd - bound / sqrt(3.0)) < 0.01 * bound, "uniform std %g, expected %g", sd, bound / sqrt(3.0));
            EXPECT(bmax <= bound && bmax > 0.9 * bound && bsd > 0.4 * bound, "PyTorch biases in +-%g (max %g)", bound, bmax);
        }
        int bn_ok = 1;
        for (int c = 0; c < 300; c++)
            bn_ok &= bn->params[c] == 1.0f && bn->params[300 + c] == 0.0f && bn->buffers[c] == 0.0f &&
                     bn->buffers[300 + c] == 1.0f;
        EXPECT(bn_ok, "batch norm: gamma 1, beta 0, running mean 0, running var 1");
        /* same seed, same network; another seed, another network */
        size_t P = iw_net_param_count(net);
        float *copy = malloc(P * sizeof(float));
        memcpy(copy, iw_net_params(net), P * sizeof(float));
        iw_rng_seed(&rng, 1, IW_STREAM_INIT);
        iw_net_init(net, &rng);
        EXPECT(memcmp(copy, iw_net_params(net), P * sizeof(float)) == 0, "init reproduces from the seed");
        iw_rng_seed(&rng, 2, IW_STREAM_INIT);
        iw_net_init(net, &rng);
        EXPECT(memcmp(copy, iw_net_params(net), P * sizeof(float)) != 0, "another seed, other parameters");
        free(copy);
        iw_net_free(net);
    }
}

/* One SGD step by hand on a linear model 3 -> 2 (W 6 floats with L2, b 2 without). */
static void test_sgd_semantics(void)
{
    iw_net_config cfg = {.kind = IW_MODEL_LINEAR, .input = {3, 1, 1}, .n_classes = 2, .max_batch = 1};
    iw_error err;
    iw_net *net = iw_net_create(&cfg, &err);
    EXPECT(net != NULL, "%s", err.message);
    if (!net) return;
    iw_rng rng;
    iw_rng_seed(&rng, 1, IW_STREAM_INIT);
    iw_net_init(net, &rng);
    float *p = iw_net_params(net), *g = iw_net_grads(net);
    float p0[8], g1[8], g2[8];
    for (int i = 0; i < 8; i++) {
        p[i] = p0[i] = 0.5f - 0.1f * i;
        g1[i] = 0.3f * (i % 3) - 0.2f;
        g2[i] = -0.1f * i + 0.05f;
    }
    const float lr = 0.1f, m = 0.9f, l2 = 0.01f;
    /* momentum 0: p -= lr (g + l2 p) on weights, p -= lr g on biases */
    memcpy(g, g1, sizeof g1);
    iw_net_sgd_step(net, lr, 0.0f, l2);
    for (int i = 0; i < 8; i++) {
        float expect = i < 6 ? p0[i] - lr * (g1[i] + l2 * p0[i]) : p0[i] - lr * g1[i];
        EXPECT(p[i] == expect, "momentum 0, param %d: %.9g, expected %.9g", i, (double)p[i], (double)expect);
    }
    /* momentum: v1 = g1', p1 = p0 - lr v1; v2 = m v1 + g2', p2 = p1 - lr v2 (g' with L2 on weights) */
    memcpy(p, p0, sizeof p0);
    memset(iw_net_velocity(net), 0, 8 * sizeof(float));
    memcpy(g, g1, sizeof g1);
    iw_net_sgd_step(net, lr, m, l2);
    memcpy(g, g2, sizeof g2);
    iw_net_sgd_step(net, lr, m, l2);
    for (int i = 0; i < 8; i++) {
        float decay = i < 6 ? l2 : 0.0f;
        float v1 = g1[i] + decay * p0[i], p1 = p0[i] - lr * v1;
        float v2 = m * v1 + (g2[i] + decay * p1), p2 = p1 - lr * v2;
        EXPECT(fabsf(p[i] - p2) <= 1e-6f * fabsf(p2) + 1e-7f, "momentum, param %d: %.9g, expected %.9g", i,
               (double)p[i], (double)p2);
        EXPECT(fabsf(iw_net_velocity(net)[i] - v2) <= 1e-6f, "velocity %d", i);
    }
    double wn = 0;
    for (int i = 0; i < 6; i++) wn += (double)p[i] * p[i];
    EXPECT_CLOSE(iw_net_weight_norm(net), sqrt(wn), 1e-6);
    iw_net_free(net);
}

static void test_weight_norm_excludes_bias_and_batchnorm(void)
{
    iw_net *net = make_mlp(3, 4, 4, 1, 0.0f, IW_INIT_PYTORCH, 2);
    if (!net) return;
    float *p = iw_net_params(net);
    for (size_t i = 0; i < iw_net_param_count(net); i++) p[i] = 1.0f;
    /* weights: 3*4 + 4*4 + 4*2 = 36 ones */
    EXPECT_CLOSE(iw_net_weight_norm(net), 6.0, 1e-9);
    iw_net_free(net);
}

static void test_evaluation_mode(void)
{
    enum { B = 16, IN = 5 };
    iw_net *net = make_mlp(IN, 32, 32, 1, 0.5f, IW_INIT_HE, B);
    if (!net) return;
    iw_rng rng, drop;
    iw_rng_seed(&rng, 3, IW_STREAM_INIT);
    iw_rng_seed(&drop, 3, IW_STREAM_DROPOUT);
    iw_net_init(net, &rng);
    float x[B * IN], a[B * 2], b[B * 2], t1[B * 2], t2[B * 2];
    for (int i = 0; i < B * IN; i++) x[i] = (float)iw_rng_normal(&rng);
    size_t nb = iw_net_buffer_count(net);
    float *buf0 = malloc(nb * sizeof(float));
    memcpy(buf0, iw_net_buffers(net), nb * sizeof(float));
    memcpy(a, iw_net_forward(net, x, B, 0, &drop), sizeof a);
    memcpy(b, iw_net_forward(net, x, B, 0, &drop), sizeof b);
    EXPECT(memcmp(a, b, sizeof a) == 0, "evaluation forward is deterministic (no dropout)");
    EXPECT(memcmp(buf0, iw_net_buffers(net), nb * sizeof(float)) == 0, "evaluation leaves running stats alone");
    /* evaluation of one example does not depend on the rest of the batch (running stats); sgemm
     * may sum in another order for one row, hence a tolerance */
    const float *one = iw_net_forward(net, x, 1, 0, NULL);
    EXPECT_CLOSE(one[0], a[0], 1e-5);
    EXPECT_CLOSE(one[1], a[1], 1e-5);
    memcpy(t1, iw_net_forward(net, x, B, 1, &drop), sizeof t1);
    memcpy(t2, iw_net_forward(net, x, B, 1, &drop), sizeof t2);
    EXPECT(memcmp(t1, t2, sizeof t1) != 0, "training forwards draw new dropout masks");
    EXPECT(memcmp(buf0, iw_net_buffers(net), nb * sizeof(float)) != 0, "training updates running stats");
    free(buf0);
    iw_net_free(net);
}

static void test_dropout_statistics(void)
{
    enum { B = 50, N = 1000 };
    const float p = 0.3f;
    iw_layer_harness h;
    iw_error err;
    EXPECT(iw_layer_harness_create(&h, iw_layer_dropout_new(p), (iw_shape){N, 1, 1}, B, &err) == 0, "%s", err.message);
    float *x = malloc(B * N * sizeof(float)), *y = malloc(B * N * sizeof(float)),
          *dy = malloc(B * N * sizeof(float)), *dx = malloc(B * N * sizeof(float));
    for (int i = 0; i < B * N; i++) x[i] = dy[i] = 1.0f;
    iw_rng r1, r2;
    iw_rng_seed(&r1, 11, IW_STREAM_DROPOUT);
    r2 = r1;
    iw_layer_ctx ctx = {.batch = B, .training = 1, .dropout_rng = &r1, .workspace = h.workspace};
    h.layer->ops->forward(h.layer, &ctx, x, y);
    int kept = 0, values_ok = 1;
    double sum = 0;
    for (int i = 0; i < B * N; i++) {
        kept += y[i] != 0.0f;
        values_ok &= y[i] == 0.0f || y[i] == 1.0f / (1.0f - p);
        sum += y[i];
    }
    double rate = (double)kept / (B * N);
    EXPECT(fabs(rate - 0.7) < 0.01, "keep rate %g, expected 0.7", rate); /* se 0.002 */
    EXPECT(values_ok, "kept values are scaled by 1/(1-p)");
    EXPECT(fabs(sum / (B * N) - 1.0) < 0.015, "mean output %g keeps the input mean 1", sum / (B * N));
    h.layer->ops->backward(h.layer, &ctx, x, y, dy, dx);
    EXPECT(memcmp(dx, y, B * N * sizeof(float)) == 0, "backward applies the same mask and scale");
    /* the same rng state gives the same mask */
    ctx.dropout_rng = &r2;
    h.layer->ops->forward(h.layer, &ctx, x, dx);
    EXPECT(memcmp(dx, y, B * N * sizeof(float)) == 0, "mask reproduces from the rng state");
    ctx.training = 0;
    h.layer->ops->forward(h.layer, &ctx, x, y);
    EXPECT(memcmp(x, y, B * N * sizeof(float)) == 0, "identity in evaluation");
    free(x); free(y); free(dy); free(dx);
    iw_layer_harness_free(&h);
}

/* Two Gaussian clouds in 2-D, weight 4 on the positive class: the MLP must separate them. */
static void test_training_learns_separable_data(void)
{
    enum { B = 16, N = 256 };
    iw_net_config cfg = {.kind = IW_MODEL_MLP, .input = {2, 1, 1}, .n_classes = 2, .hidden = {16, 16},
                         .n_hidden = 2, .batchnorm = 1, .init = IW_INIT_HE, .max_batch = N};
    iw_error err;
    iw_net *net = iw_net_create(&cfg, &err);
    EXPECT(net != NULL, "%s", err.message);
    if (!net) return;
    iw_rng rng, order;
    iw_rng_seed(&rng, 1, IW_STREAM_INIT);
    iw_rng_seed(&order, 1, IW_STREAM_BATCH);
    iw_net_init(net, &rng);
    float x[N * 2], w[N], xb[B * 2], wb[B];
    int32_t y[N], yb[B], idx[N];
    for (int i = 0; i < N; i++) {
        y[i] = i % 2;
        x[2 * i] = (float)iw_rng_normal(&rng) + (y[i] ? 2.0f : -2.0f);
        x[2 * i + 1] = (float)iw_rng_normal(&rng);
        w[i] = y[i] ? 4.0f : 1.0f;
        idx[i] = i;
    }
    double first = 0, last = 0;
    for (int epoch = 0; epoch < 20; epoch++) {
        iw_rng_shuffle(&order, idx, N);
        double total = 0;
        for (int s = 0; s < N / B; s++) {
            for (int k = 0; k < B; k++) {
                int j = idx[s * B + k];
                xb[2 * k] = x[2 * j]; xb[2 * k + 1] = x[2 * j + 1];
                yb[k] = y[j]; wb[k] = w[j];
            }
            iw_net_forward(net, xb, B, 1, NULL);
            total += iw_net_backward(net, yb, wb, IW_NORMALIZE_WEIGHTS);
            iw_net_sgd_step(net, 0.1f, 0.0f, 0.0f);
        }
        if (epoch == 0) first = total;
        last = total;
    }
    const float *logits = iw_net_forward(net, x, N, 0, NULL);
    int correct = 0;
    for (int i = 0; i < N; i++) correct += (logits[2 * i + 1] > logits[2 * i]) == (y[i] == 1);
    EXPECT(last < 0.5 * first, "epoch loss %g -> %g", first, last);
    EXPECT(correct >= 0.95 * N, "accuracy %d / %d", correct, N);
    iw_net_free(net);
}

static void test_no_allocation_in_training_step(void)
{
    if (!COUNT_ALLOCATIONS) {
        TEST_SKIP("allocation counting is off under the sanitizers");
        return;
    }
    enum { B = 16, IN = 30 };
    iw_net *net = make_mlp(IN, 64, 32, 1, 0.5f, IW_INIT_HE, B);
    if (!net) return;
    iw_rng rng, drop;
    iw_rng_seed(&rng, 1, IW_STREAM_INIT);
    iw_rng_seed(&drop, 1, IW_STREAM_DROPOUT);
    iw_net_init(net, &rng);
    float x[B * IN], w[B];
    int32_t y[B];
    for (int i = 0; i < B * IN; i++) x[i] = (float)iw_rng_normal(&rng);
    for (int i = 0; i < B; i++) {
        y[i] = i % 2;
        w[i] = 1.0f + (float)i;
    }
    /* one warm-up step (OpenBLAS sets up its buffers on first use) */
    iw_net_forward(net, x, B, 1, &drop);
    iw_net_backward(net, y, w, IW_NORMALIZE_WEIGHTS);
    iw_net_sgd_step(net, 0.1f, 0.9f, 1e-3f);
    long before = allocations;
    for (int s = 0; s < 5; s++) {
        iw_net_forward(net, x, B, 1, &drop);
        iw_net_backward(net, y, w, IW_NORMALIZE_WEIGHTS);
        iw_net_sgd_step(net, 0.1f, 0.9f, 1e-3f);
        iw_net_forward(net, x, B, 0, NULL);
    }
    long during = allocations - before;
    EXPECT(during == 0, "%ld allocations in 5 training steps", during);
    iw_net_free(net);
}

/* --print-kernel-warning: prints the warning (or "none"), for the re-executed child below. */
static int print_kernel_warning(void)
{
    iw_engine_init_threads();
    const char *w = iw_engine_kernel_warning();
    printf("%s\n", w ? w : "none");
    fflush(stdout); /* before exit: a sanitizer exit handler may end the process before stdio flushes */
    return 0;
}

static void test_kernel_warning(void)
{
    const char *core = iw_engine_init_threads();
    EXPECT(core && core[0], "openblas_get_corename gives a name");
    /* A generic kernel forced through the environment must be reported on a CPU with AVX2 or
     * AVX-512, naming the variable to set; run in a child since OpenBLAS reads it at load time. */
    char exe[4096], cmd[8300], line[1024] = "";
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) return;
    exe[n] = '\0';
    snprintf(cmd, sizeof cmd, "OPENBLAS_CORETYPE=Prescott '%s' --print-kernel-warning", exe);
    FILE *f = popen(cmd, "r");
    EXPECT(f != NULL, "cannot run %s", cmd);
    if (!f) return;
    if (!fgets(line, sizeof line, f)) line[0] = '\0';
    pclose(f);
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
        EXPECT(strstr(line, "OPENBLAS_CORETYPE=SkylakeX") != NULL, "Prescott on AVX-512: '%s'", line);
    else if (__builtin_cpu_supports("avx2"))
        EXPECT(strstr(line, "OPENBLAS_CORETYPE=Haswell") != NULL, "Prescott on AVX2: '%s'", line);
    else
        EXPECT(strncmp(line, "none", 4) == 0, "no AVX2: no warning, got '%s'", line);
    printf("# kernel %s; child with OPENBLAS_CORETYPE=Prescott says: %s", core, line);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--print-kernel-warning") == 0) return print_kernel_warning();
    RUN_TEST(test_config_from_spec);
    RUN_TEST(test_mlp_structure);
    RUN_TEST(test_bad_configs_are_reported);
    RUN_TEST(test_init_he_and_pytorch);
    RUN_TEST(test_sgd_semantics);
    RUN_TEST(test_weight_norm_excludes_bias_and_batchnorm);
    RUN_TEST(test_evaluation_mode);
    RUN_TEST(test_dropout_statistics);
    RUN_TEST(test_training_learns_separable_data);
    RUN_TEST(test_no_allocation_in_training_step);
    RUN_TEST(test_kernel_warning);
    return test_exit_code();
}
