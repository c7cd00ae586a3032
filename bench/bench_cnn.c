/* bench_cnn.c — speed of the engine on the paper's CNN (model kind cnn, default widths) and the
 * ResNet (kind resnet, default widths, no batch norm), on random inputs, with the engine's kernel
 * path from IW_ENGINE_ISA (bench/run_bench.sh runs it once per path the CPU has):
 *   - a training step (forward + weighted cross-entropy + backward + SGD step) of the CNN on
 *     1x28x28 and 3x32x32 at batch 16 and 64, and of the ResNet on 1x28x28 at batch 16;
 *   - the evaluation forward (no gradients, running statistics) of the CNN at batch 64, what
 *     src/run evaluates its sets with.
 * Each prints one line that bench/run_bench.sh pairs with bench/peer_torch_cnn.py's,
 *   "CNN 1x28x28 b16: <ms> ms/example  (cpu <ms> ms/example; best step <ms> ms/example; ..."
 * (cpu = this process's CPU time, best step = the fastest single step: both less inflated than the
 * mean wall time on a shared machine), with the FLOPs per example counted as direct convolution
 * and dense products (forward, weight gradient and input gradient, the last skipped for the first
 * layer; the forward alone for evaluation), the GFLOP/s that makes by CPU time, and that as a
 * fraction of one thread's sgemm peak measured in the same run (bench_common.h). A per-layer
 * breakdown of one step follows the batch-16 CNN lines. Prints figures only; asserts nothing.
 *
 *   build/bench/bench_cnn [seconds per configuration, default 2]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "engine/conv.h"
#include "iw/common.h"
#include "iw/engine.h"
#include "bench_common.h"

typedef struct config {
    iw_model_kind kind;
    int c, side, batch;
    int evaluation;             /* 1: the evaluation forward alone */
} config;

static bench_machine machine_;

/* FLOPs per example as direct convolution and dense products: 2*MACs for the forward, and for a
 * training step also the weight gradient and the input gradient (none for the first layer). */
static double flops_per_example(iw_net *net, int evaluation)
{
    double total = 0.0;
    for (int i = 0; i < iw_net_layer_count(net); i++) {
        iw_layer *l = iw_net_layer(net, i);
        double macs = 0.0;
        if (strcmp(l->ops->kind, "conv2d") == 0) {
            const iw_conv2d_config *c = l->config; /* before a fused pooling */
            macs = (double)l->in.c * c->kernel * c->kernel * c->out_channels * c->conv_h * c->conv_w;
        } else if (strcmp(l->ops->kind, "resblock") == 0) { /* conv3x3, conv3x3, 1x1 projection */
            double out = (double)iw_shape_size(l->out);
            macs = (double)l->in.c * 9 * out + (double)l->out.c * 9 * out;
            if (l->in.c != l->out.c || l->in.h != l->out.h) macs += (double)l->in.c * out;
        } else if (strcmp(l->ops->kind, "dense") == 0) {
            macs = (double)iw_shape_size(l->in) * iw_shape_size(l->out);
        }
        total += 2.0 * macs * (evaluation ? 1 : i == 0 ? 2 : 3);
    }
    return total;
}

static long peak_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* Times each layer's forward and backward on the net's own parameters with separate buffers. */
static void breakdown(iw_net *net, const float *x, int batch, int reps)
{
    int n = iw_net_layer_count(net);
    size_t max_act = iw_shape_size(iw_net_layer(net, 0)->in), ws = 0;
    for (int i = 0; i < n; i++) {
        iw_layer *l = iw_net_layer(net, i);
        iw_layer_sizes s;
        iw_error err;
        if (iw_shape_size(l->out) > max_act) max_act = iw_shape_size(l->out);
        if (l->ops->plan(l, l->in, l->max_batch, &s, &err) == 0 && s.workspace > ws) ws = s.workspace;
    }
    float *act[IW_MAX_LAYERS];
    float *g[2], *work = malloc(sizeof(float) * (ws ? ws : 1));
    double tf[IW_MAX_LAYERS] = {0}, tb[IW_MAX_LAYERS] = {0};
    for (int i = 0; i < n; i++) act[i] = calloc(max_act * batch, sizeof(float));
    g[0] = calloc(max_act * batch, sizeof(float));
    g[1] = calloc(max_act * batch, sizeof(float));
    for (size_t i = 0; i < max_act * batch; i++) g[0][i] = 1e-3f * (float)(i % 7);
    iw_layer_ctx ctx = {.batch = batch, .training = 1, .dropout_rng = NULL, .workspace = work};
    for (int r = -1; r < reps; r++) { /* r = -1: warm-up (first touch of the buffers), not counted */
        const float *in = x;
        for (int i = 0; i < n; i++) {
            iw_layer *l = iw_net_layer(net, i);
            double t0 = iw_cpu_seconds();
            l->ops->forward(l, &ctx, in, act[i]);
            if (r >= 0) tf[i] += iw_cpu_seconds() - t0;
            in = act[i];
        }
        for (int i = n - 1; i >= 0; i--) {
            iw_layer *l = iw_net_layer(net, i);
            double t0 = iw_cpu_seconds();
            l->ops->backward(l, &ctx, i ? act[i - 1] : x, act[i], g[0], i ? g[1] : NULL);
            if (r >= 0) tb[i] += iw_cpu_seconds() - t0;
        }
    }
    double total = 0.0;
    for (int i = 0; i < n; i++) total += tf[i] + tb[i];
    printf("  per-layer CPU time of one step (ms per example; forward + backward, share):\n");
    for (int i = 0; i < n; i++) {
        iw_layer *l = iw_net_layer(net, i);
        const char *alg = "";
        if (strcmp(l->ops->kind, "conv2d") == 0) {
            const iw_conv2d_config *c = l->config;
            alg = iw_conv2d_algorithm(l) == IW_CONV_WINOGRAD    ? (c->relu ? " F2x2+relu" : " F2x2")
                  : iw_conv2d_algorithm(l) == IW_CONV_WINOGRAD4 ? (c->relu ? " F4x4+relu" : " F4x4")
                  : c->relu                                     ? " im2col+relu"
                                                                : " im2col";
        }
        printf("    %2d %-6s%-12s %4dx%3dx%3d -> %4dx%3dx%3d  %7.4f + %7.4f  %5.1f%%\n", i, l->ops->kind, alg,
               l->in.c, l->in.h, l->in.w, l->out.c, l->out.h, l->out.w, tf[i] * 1e3 / reps / batch,
               tb[i] * 1e3 / reps / batch, 100.0 * (tf[i] + tb[i]) / total);
    }
    for (int i = 0; i < n; i++) free(act[i]);
    free(g[0]); free(g[1]); free(work);
}

static void bench(const config *cf, double seconds)
{
    iw_net_config cfg = {.kind = cf->kind, .input = {cf->c, cf->side, cf->side}, .n_classes = 2,
                         .init = IW_INIT_PYTORCH, .max_batch = cf->batch};
    iw_error err;
    iw_net *net = iw_net_create(&cfg, &err);
    if (!net) {
        fprintf(stderr, "bench_cnn: %s\n", err.message);
        exit(1);
    }
    iw_rng rng, drop;
    iw_rng_seed(&rng, 1, IW_STREAM_INIT);
    iw_rng_seed(&drop, 1, IW_STREAM_DROPOUT);
    iw_net_init(net, &rng);
    iw_loss ce;
    iw_loss_init(&ce, IW_LOSS_CROSS_ENTROPY, IW_NORMALIZE_WEIGHTS);
    enum { N_BATCHES = 16 };
    const int batch = cf->batch, training = !cf->evaluation;
    size_t d = iw_shape_size(cfg.input);
    float *x, *w;
    int32_t *y;
    bench_make_batches("bench_cnn", &rng, N_BATCHES, batch, d, &x, &y, &w);
    long steps = 0;
    double loss = 0.0, t0 = 0.0, t = 0.0, c0 = 0.0, best = 1e30;
    for (long k = -3; k < 0 || t < seconds || steps < 3; k++) { /* k < 0: warm-up, not timed */
        if (k == 0) {
            t0 = iw_wall_seconds();
            c0 = iw_cpu_seconds();
        }
        int bi = (int)((k + 3) % N_BATCHES);
        double s0 = iw_wall_seconds();
        const float *logits = iw_net_forward(net, x + (size_t)bi * batch * d, batch, training, &drop);
        if (training) {
            loss = iw_net_backward(net, y + bi * batch, w + bi * batch, &ce);
            iw_net_sgd_step(net, 0.01f, 0.0f, 0.0f);
        } else {
            loss = logits[0];
        }
        double s1 = iw_wall_seconds();
        if (k < 0) {
            t = 0.0;
            continue;
        }
        if (s1 - s0 < best) best = s1 - s0;
        steps++;
        t = s1 - t0;
    }
    double ms = t * 1e3 / ((double)steps * batch), cpu_ms = (iw_cpu_seconds() - c0) * 1e3 / ((double)steps * batch);
    double gflop = flops_per_example(net, cf->evaluation) * 1e-9, gflops = gflop / (cpu_ms * 1e-3);
    printf("%s %dx%dx%d %sb%d: %.4f ms/example  (cpu %.4f ms/example; best step %.4f ms/example; %ld steps; "
           "%.1f MFLOP/example as direct convolution, %.1f GFLOP/s by CPU time = %.2f of the 1024^3 sgemm peak; "
           "path %s; %s %.4f; peak RSS %.1f MiB)\n",
           cf->kind == IW_MODEL_CNN ? "CNN" : "ResNet", cf->c, cf->side, cf->side, cf->evaluation ? "eval " : "",
           batch, ms, cpu_ms, best * 1e3 / batch, steps, gflop * 1e3, gflops, gflops / machine_.peak, machine_.path,
           training ? "last loss" : "logit", loss, peak_rss_kib() / 1024.0);
    if (batch == 16 && cf->kind == IW_MODEL_CNN && training) breakdown(net, x, batch, 3);
    fflush(stdout);
    free(x); free(w); free(y);
    iw_net_free(net);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    bench_machine_line("bench_cnn", &machine_);
    printf("bench_cnn: the paper's CNN and the ResNet, weighted CE + SGD, no allocation per step; convolution "
           "kernels %s; 3x3 layers train with Winograd F(2x2) and evaluate with F(4x4) where it saves "
           "multiplications\n", iw_conv_kernels());
    const config cf[] = {
        {IW_MODEL_CNN, 1, 28, 16, 0}, {IW_MODEL_CNN, 1, 28, 64, 0}, {IW_MODEL_CNN, 3, 32, 16, 0},
        {IW_MODEL_CNN, 3, 32, 64, 0}, {IW_MODEL_CNN, 1, 28, 64, 1}, {IW_MODEL_CNN, 3, 32, 64, 1},
        {IW_MODEL_RESNET, 1, 28, 16, 0},
    };
    for (size_t i = 0; i < sizeof cf / sizeof cf[0]; i++) bench(&cf[i], seconds);
    return 0;
}
