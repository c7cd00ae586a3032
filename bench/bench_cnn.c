/* bench_cnn.c — training speed of the engine on the paper's CNN (model kind cnn, default widths),
 * random inputs of 1x28x28 and 3x32x32 at batch 16 and 64: forward + weighted cross-entropy +
 * backward + SGD step. For each configuration it prints
 *   "CNN 1x28x28 b16: <ms> ms/example  (cpu <ms> ms/example; best step <ms> ms/example; ..."
 *   (the line bench/run_bench.sh reads; cpu = this process's CPU time and best step = the fastest
 *   single step, both less inflated than the mean wall time on a shared machine),
 * the achieved GFLOP/s counting direct-convolution and dense FLOPs (forward, weight gradient and
 * input gradient, the last skipped for the first layer), the peak RSS, and a per-layer breakdown of
 * one step; then one line for the ResNet (kind resnet, default widths) on 1x28x28 at batch 16.
 * Then, unless IW_BENCH_NO_PEER is set, it runs bench/peer_torch_cnn.py (PyTorch, one
 * thread) in the same run and prints the ratio engine / PyTorch per configuration.
 * Prints figures only; asserts nothing about speed.
 *
 *   build/bench/bench_cnn [seconds per configuration, default 2]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "engine/conv.h"
#include "iw/common.h"
#include "iw/engine.h"
#include "bench_common.h"

typedef struct config {
    iw_model_kind kind;
    int c, side, batch;
    double ms, cpu_ms, best_ms; /* engine wall, CPU, and fastest single step, ms per example */
} config;

/* CPU time of this process: on a shared machine it counts only our own work. */
static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* FLOPs of one training step per example: 2*MACs for forward, weight gradient, input gradient. */
static double flops_per_example(iw_net *net)
{
    double total = 0.0;
    for (int i = 0; i < iw_net_layer_count(net); i++) {
        iw_layer *l = iw_net_layer(net, i);
        double macs = 0.0;
        if (strcmp(l->ops->kind, "conv2d") == 0) {
            const iw_conv2d_config *c = l->config;
            macs = (double)l->in.c * c->kernel * c->kernel * iw_shape_size(l->out);
        } else if (strcmp(l->ops->kind, "resblock") == 0) { /* conv3x3, conv3x3, 1x1 projection */
            double out = (double)iw_shape_size(l->out);
            macs = (double)l->in.c * 9 * out + (double)l->out.c * 9 * out;
            if (l->in.c != l->out.c || l->in.h != l->out.h) macs += (double)l->in.c * out;
        } else if (strcmp(l->ops->kind, "dense") == 0) {
            macs = (double)iw_shape_size(l->in) * iw_shape_size(l->out);
        }
        total += 2.0 * macs * (i == 0 ? 2 : 3);
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
    size_t max_act = iw_shape_size(iw_net_get_config(net)->input), ws = 0;
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
            double t0 = cpu_seconds();
            l->ops->forward(l, &ctx, in, act[i]);
            if (r >= 0) tf[i] += cpu_seconds() - t0;
            in = act[i];
        }
        for (int i = n - 1; i >= 0; i--) {
            iw_layer *l = iw_net_layer(net, i);
            double t0 = cpu_seconds();
            l->ops->backward(l, &ctx, i ? act[i - 1] : x, act[i], g[0], i ? g[1] : NULL);
            if (r >= 0) tb[i] += cpu_seconds() - t0;
        }
    }
    double total = 0.0;
    for (int i = 0; i < n; i++) total += tf[i] + tb[i];
    printf("  per-layer CPU time of one step (ms per example; forward + backward, share):\n");
    for (int i = 0; i < n; i++) {
        iw_layer *l = iw_net_layer(net, i);
        const char *alg = "";
        if (strcmp(l->ops->kind, "conv2d") == 0)
            alg = iw_conv2d_algorithm(l) == IW_CONV_WINOGRAD ? " winograd" : " im2col";
        printf("    %2d %-8s%-9s %4dx%3dx%3d -> %4dx%3dx%3d  %7.4f + %7.4f  %5.1f%%\n", i, l->ops->kind, alg,
               l->in.c, l->in.h, l->in.w, l->out.c, l->out.h, l->out.w, tf[i] * 1e3 / reps / batch,
               tb[i] * 1e3 / reps / batch, 100.0 * (tf[i] + tb[i]) / total);
    }
    for (int i = 0; i < n; i++) free(act[i]);
    free(g[0]); free(g[1]); free(work);
}

static void bench(config *cf, double seconds)
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
    enum { N_BATCHES = 16 };
    const int batch = cf->batch;
    size_t d = iw_shape_size(cfg.input);
    float *x, *w;
    int32_t *y;
    bench_make_batches("bench_cnn", &rng, N_BATCHES, batch, d, &x, &y, &w);
    long steps = 0;
    double loss = 0.0, t0, t, c0, best = 1e30;
    for (int k = 0; k < 3; k++) {
        iw_net_forward(net, x + (size_t)(k % N_BATCHES) * batch * d, batch, 1, &drop);
        loss = iw_net_backward(net, y + (k % N_BATCHES) * batch, w + (k % N_BATCHES) * batch, IW_NORMALIZE_WEIGHTS);
        iw_net_sgd_step(net, 0.01f, 0.0f, 0.0f);
    }
    t0 = iw_wall_seconds();
    c0 = cpu_seconds();
    do {
        int bi = (int)(steps % N_BATCHES);
        double s0 = iw_wall_seconds();
        iw_net_forward(net, x + (size_t)bi * batch * d, batch, 1, &drop);
        loss = iw_net_backward(net, y + bi * batch, w + bi * batch, IW_NORMALIZE_WEIGHTS);
        iw_net_sgd_step(net, 0.01f, 0.0f, 0.0f);
        double s1 = iw_wall_seconds();
        if (s1 - s0 < best) best = s1 - s0;
        steps++;
        t = s1 - t0;
    } while (t < seconds || steps < 3);
    cf->ms = t * 1e3 / ((double)steps * batch);
    cf->cpu_ms = (cpu_seconds() - c0) * 1e3 / ((double)steps * batch);
    cf->best_ms = best * 1e3 / batch;
    double gflop = flops_per_example(net) * 1e-9;
    printf("%s %dx%dx%d b%d: %.4f ms/example  (cpu %.4f ms/example; best step %.4f ms/example; %ld steps, %.1f MFLOP/example, %.1f GFLOP/s "
           "wall, %.1f GFLOP/s CPU, last loss %.4f, peak RSS %.1f MiB)\n",
           cf->kind == IW_MODEL_CNN ? "CNN" : "ResNet", cf->c, cf->side, cf->side, batch, cf->ms, cf->cpu_ms,
           cf->best_ms, steps, gflop * 1e3, gflop / (cf->ms * 1e-3),
           gflop / (cf->cpu_ms * 1e-3), loss, peak_rss_kib() / 1024.0);
    if (batch == 16 && cf->kind == IW_MODEL_CNN) breakdown(net, x, batch, 3);
    fflush(stdout);
    free(x); free(w); free(y);
    iw_net_free(net);
}

/* Runs the PyTorch peer and fills peer[i] (wall) and peer_cpu[i] from its
 * "CNN CxSxS bB: ms ms/example  (cpu ms ms/example; ..." lines. */
static void run_peer(config *cf, int n, double *peer, double *peer_cpu, double *peer_best, double seconds)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 bench/peer_torch_cnn.py %g 2>&1", seconds);
    FILE *p = popen(cmd, "r");
    if (!p) return;
    char line[512];
    while (fgets(line, sizeof line, p)) {
        printf("  peer: %s", line);
        int c, s1, s2, b;
        double ms, cpu = 0.0, best = 0.0;
        if (sscanf(line, "CNN %dx%dx%d b%d: %lf ms/example (cpu %lf ms/example; best step %lf", &c, &s1, &s2, &b,
                   &ms, &cpu, &best) >= 5)
            for (int i = 0; i < n; i++)
                if (cf[i].c == c && cf[i].side == s1 && cf[i].batch == b) {
                    peer[i] = ms;
                    peer_cpu[i] = cpu;
                    peer_best[i] = best;
                }
    }
    pclose(p);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    const char *core = iw_engine_init_threads();
    const char *warning = iw_engine_kernel_warning();
    printf("bench_cnn: the paper's CNN, weighted CE + SGD, OpenBLAS kernel %s, 1 thread, Winograd products "
           "on %s, no allocation per step\n", core, iw_conv_kernels());
    if (warning) printf("  warning: %s\n", warning);
    config cf[4] = {{IW_MODEL_CNN, 1, 28, 16, 0, 0, 0}, {IW_MODEL_CNN, 1, 28, 64, 0, 0, 0},
                    {IW_MODEL_CNN, 3, 32, 16, 0, 0, 0}, {IW_MODEL_CNN, 3, 32, 64, 0, 0, 0}};
    for (int i = 0; i < 4; i++) bench(&cf[i], seconds);
    /* for planning sweeps: the ResNet (default widths 64, 64, 128, 256), no peer figure */
    config resnet = {IW_MODEL_RESNET, 1, 28, 16, 0, 0, 0};
    bench(&resnet, seconds);
    if (getenv("IW_BENCH_NO_PEER")) return 0;
    double peer[4] = {0}, peer_cpu[4] = {0}, peer_best[4] = {0};
    run_peer(cf, 4, peer, peer_cpu, peer_best, seconds);
    printf("engine / PyTorch per training example (same run; < 1 means the engine is faster). On a loaded\n"
           "machine the mean wall time mostly measures the load; CPU time and the fastest single step are\n"
           "the fairer figures:\n");
    for (int i = 0; i < 4; i++)
        if (peer[i] > 0)
            printf("  CNN %dx%dx%d b%d: mean wall %.4f / %.4f ms = %.2f | cpu %.4f / %.4f ms = %.2f | best step "
                   "%.4f / %.4f ms = %.2f\n", cf[i].c, cf[i].side, cf[i].side, cf[i].batch, cf[i].ms, peer[i],
                   cf[i].ms / peer[i], cf[i].cpu_ms, peer_cpu[i], peer_cpu[i] > 0 ? cf[i].cpu_ms / peer_cpu[i] : 0.0,
                   cf[i].best_ms, peer_best[i], peer_best[i] > 0 ? cf[i].best_ms / peer_best[i] : 0.0);
    return 0;
}
