/* bench_run.c — a whole sweep run with evaluation, through the real iw_run_execute on real
 * Fashion-MNIST (T-shirt/top vs Shirt), the way a worker rank runs one grid point: 600 training
 * examples (300 per class), 1 epoch of SGD at batch 16 with importance weight 4, and the metrics
 * evaluated before training and after the epoch on the training set (600), the test set (2,000),
 * the out-of-class probe (8,000) and the noise probe (1,000): 23,200 forward examples and 600
 * training examples per run. Loading the data is not timed (a sweep loads it once per node).
 * For the CNN (the paper's, default widths) and the MLP 784-512-512-2 it prints
 *   "CNN run: <ms> ms/run  (cpu <ms> ms/run; best <ms> ms/run; <n> runs; train <ms> + eval <ms>)"
 * (the line bench/run_bench.sh pairs with bench/peer_torch_run.py's), then where a run's time goes:
 * the epoch's training steps and the two evaluations timed alone on a network of the same shape
 * (process CPU time). The kernel path is IW_ENGINE_ISA's. Prints figures only; asserts nothing.
 *
 * A run is long enough (seconds) that it needs no warm-up run.
 *
 *   build/bench/bench_run [runs per model, default 1]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iw/common.h"
#include "iw/data.h"
#include "iw/engine.h"
#include "iw/run.h"
#include "iw/spec.h"
#include "bench_common.h"

#define DATA_PATH "/usr/share/datasets/fashion-mnist"

static const char *spec_text(const char *model)
{
    static char text[1024];
    snprintf(text, sizeof text,
             "name: bench-run\n"
             "data:\n"
             "  source: fashion-mnist\n"
             "  path: " DATA_PATH "\n"
             "  classes: [0, 6]\n"
             "  train_per_class: 300\n"
             "  test_per_class: 1000\n"
             "  probes: [other-classes, noise]\n"
             "  noise_count: 1000\n"
             "model:\n%s"
             "train:\n"
             "  epochs: 1\n"
             "  batch_size: 16\n"
             "  lr: 0.01\n"
             "grid:\n"
             "  importance_weight: [4]\n"
             "  seed: [0]\n",
             model);
    return text;
}

/* Process CPU time of `reps` forward passes over n examples at batch b (evaluation mode). */
static double eval_seconds(iw_net *net, const float *x, int64_t n, size_t dim, int b)
{
    double c0 = iw_cpu_seconds();
    for (int64_t k = 0; k < n; k += b) {
        int nb = (int)(n - k < b ? n - k : b);
        iw_net_forward(net, x + (size_t)k * dim, nb, 0, NULL);
    }
    return iw_cpu_seconds() - c0;
}

static int bench(const char *label, const char *model, int runs)
{
    iw_spec spec;
    iw_error err;
    const char *text = spec_text(model);
    if (iw_spec_parse(text, strlen(text), "bench_run.yaml", &spec, &err) != 0) {
        fprintf(stderr, "bench_run: %s\n", err.message);
        return -1;
    }
    iw_data data;
    if (iw_data_load(&spec.data, &data, &err) != 0) {
        printf("%s run: skipped (%s)\n", label, err.message);
        iw_spec_free(&spec);
        return 0;
    }
    iw_point point;
    iw_spec_point(&spec, 0, &point);
    iw_trajectory traj;
    if (iw_trajectory_alloc(&traj, &spec, &err) != 0) {
        fprintf(stderr, "bench_run: %s\n", err.message);
        return -1;
    }
    double best = 1e30, best_cpu = 1e30, sum = 0.0, sum_cpu = 0.0;
    int rc = 0;
    for (int r = 0; r < runs && rc == 0; r++) {
        double w0 = iw_wall_seconds(), c0 = iw_cpu_seconds();
        rc = iw_run_execute(&spec, &data, &point, NULL, &traj, &err);
        double w = iw_wall_seconds() - w0, c = iw_cpu_seconds() - c0;
        sum += w;
        sum_cpu += c;
        if (w < best) best = w;
        if (c < best_cpu) best_cpu = c;
    }
    if (rc != 0) {
        fprintf(stderr, "bench_run: %s\n", err.message);
        return -1;
    }
    /* Where a run's time goes: the same network, evaluation forward and training steps alone. */
    iw_net_config cfg;
    const int eval_batch = spec.model.kind == IW_MODEL_MLP ? 256 : 64;
    iw_run_net_config(&spec, &point, data.shape, eval_batch, &cfg); /* the grid point: no batch norm, no dropout */
    iw_net *net = iw_net_create(&cfg, &err);
    if (!net) {
        fprintf(stderr, "bench_run: %s\n", err.message);
        return -1;
    }
    iw_rng rng;
    iw_rng_seed(&rng, 0, IW_STREAM_INIT);
    iw_net_init(net, &rng);
    const size_t dim = iw_shape_size(data.shape);
    const iw_split *sets[4] = {&data.train, &data.test, &data.other, &data.noise};
    double eval = 0.0;
    int64_t n_eval = 0;
    for (int s = 0; s < 4; s++) {
        eval += 2 * eval_seconds(net, sets[s]->x, sets[s]->n, dim, eval_batch); /* epochs 0 and 1 */
        n_eval += 2 * sets[s]->n;
    }
    double t0 = iw_cpu_seconds();
    float w[16];
    for (int i = 0; i < 16; i++) w[i] = data.train.y[i] ? 4.0f : 1.0f;
    iw_loss ce;
    iw_loss_init(&ce, IW_LOSS_CROSS_ENTROPY, IW_NORMALIZE_WEIGHTS);
    for (int64_t k = 0; k + 16 <= data.train.n; k += 16) {
        iw_net_forward(net, data.train.x + (size_t)k * dim, 16, 1, NULL);
        iw_net_backward(net, data.train.y + k, w, &ce);
        iw_net_sgd_step(net, 0.01f, 0.0f, 0.0f);
    }
    double train = iw_cpu_seconds() - t0;
    printf("%s run: %.1f ms/run  (cpu %.1f ms/run; best %.1f ms/run; %d runs of %lld training + %lld evaluation "
           "examples; alone: training %.1f ms + evaluation %.1f ms = %.4f ms per evaluated example; path %s)\n",
           label, 1e3 * sum / runs, 1e3 * sum_cpu / runs, 1e3 * best, runs, (long long)data.train.n,
           (long long)n_eval, 1e3 * train, 1e3 * eval, 1e3 * eval / (double)n_eval,
           iw_engine_isa_name(iw_engine_isa()));
    fflush(stdout);
    iw_net_free(net);
    iw_trajectory_free(&traj);
    iw_data_free(&data);
    iw_spec_free(&spec);
    return 0;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 1;
    if (runs < 1) runs = 1;
    bench_machine machine;
    bench_machine_line("bench_run", &machine);
    printf("bench_run: one grid point through iw_run_execute, Fashion-MNIST 0 vs 6\n");
    if (bench("CNN", "  kind: cnn\n  init: pytorch\n", runs) != 0) return 1;
    if (bench("MLP", "  kind: mlp\n  hidden: [512, 512]\n  init: pytorch\n", runs) != 0) return 1;
    return 0;
}
