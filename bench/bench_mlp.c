/* bench_mlp.c — training speed of the engine on the MLP 784-512-512-2 (Fashion-MNIST-sized input,
 * random data), weighted cross-entropy + plain SGD: forward + backward + step per batch, on the
 * kernel path IW_ENGINE_ISA selects. Prints milliseconds per training example (wall clock; process
 * CPU time beside it, which a busy machine inflates less) at batch 16 and 64, with the FLOPs of the
 * products per example, the GFLOP/s by CPU time and its fraction of one thread's sgemm peak
 * (bench_common.h), as lines "MLP b<B>: <ms> ms/example ..." that bench/run_bench.sh pairs with
 * bench/peer_torch_mlp.py's. Prints figures only; it asserts nothing about speed.
 *
 *   build/bench/bench_mlp [seconds per batch size, default 2]
 */
#include <stdio.h>
#include <stdlib.h>

#include "iw/common.h"
#include "iw/engine.h"
#include "bench_common.h"

static bench_machine machine_;

static double bench(int batch, double seconds)
{
    iw_net_config cfg = {.kind = IW_MODEL_MLP, .input = {1, 28, 28}, .n_classes = 2,
                         .hidden = {512, 512}, .n_hidden = 2, .init = IW_INIT_HE, .max_batch = batch};
    iw_error err;
    iw_net *net = iw_net_create(&cfg, &err);
    if (!net) {
        fprintf(stderr, "bench_mlp: %s\n", err.message);
        exit(1);
    }
    iw_rng rng, drop;
    iw_rng_seed(&rng, 1, IW_STREAM_INIT);
    iw_rng_seed(&drop, 1, IW_STREAM_DROPOUT);
    iw_net_init(net, &rng);
    iw_loss ce;
    iw_loss_init(&ce, IW_LOSS_CROSS_ENTROPY, IW_NORMALIZE_WEIGHTS);
    enum { N_BATCHES = 64 };
    size_t d = 784;
    float *x, *w;
    int32_t *y;
    bench_make_batches("bench_mlp", &rng, N_BATCHES, batch, d, &x, &y, &w);
    long steps = 0;
    double loss = 0.0;
    /* warm-up, then timed steps until `seconds` of wall time */
    for (int k = 0; k < 20; k++) {
        int bi = k % N_BATCHES;
        iw_net_forward(net, x + (size_t)bi * batch * d, batch, 1, &drop);
        loss = iw_net_backward(net, y + bi * batch, w + bi * batch, &ce);
        iw_net_sgd_step(net, 0.01f, 0.0f, 0.0f);
    }
    double t0 = iw_wall_seconds(), c0 = iw_cpu_seconds(), t;
    do {
        for (int k = 0; k < 50; k++, steps++) {
            int bi = (int)(steps % N_BATCHES);
            iw_net_forward(net, x + (size_t)bi * batch * d, batch, 1, &drop);
            loss = iw_net_backward(net, y + bi * batch, w + bi * batch, &ce);
            iw_net_sgd_step(net, 0.01f, 0.0f, 0.0f);
        }
        t = iw_wall_seconds() - t0;
    } while (t < seconds);
    double ms = t * 1e3 / ((double)steps * batch);
    double cpu_ms = (iw_cpu_seconds() - c0) * 1e3 / ((double)steps * batch);
    /* forward, weight gradient and input gradient (not of the first layer), 2 FLOPs per multiply-add */
    const double macs = 784.0 * 512 + 512.0 * 512 + 512.0 * 2, first = 784.0 * 512;
    const double gflop = 2.0 * (3.0 * macs - first) * 1e-9, gflops = gflop / (cpu_ms * 1e-3);
    printf("MLP b%d: %.4f ms/example  (cpu %.4f ms/example, %ld steps, %.2f MFLOP/example, %.1f GFLOP/s by CPU "
           "time = %.2f of the 1024^3 sgemm peak; path %s; last loss %.4f)\n", batch, ms, cpu_ms, steps, gflop * 1e3,
           gflops, gflops / machine_.peak, machine_.path, loss);
    free(x);
    free(w);
    free(y);
    iw_net_free(net);
    return ms;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    bench_machine_line("bench_mlp", &machine_);
    printf("bench_mlp: iwsweep engine, MLP 784-512-512-2, weighted CE + SGD (forward+backward+step)\n");
    bench(16, seconds);
    bench(64, seconds);
    return 0;
}
