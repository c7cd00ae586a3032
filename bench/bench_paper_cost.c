/* bench_paper_cost.c — what the paper's CIFAR-10 sweeps cost with today's engine, and what they
 * would take on a cluster (issue 12, item 4; the figures of docs/SCALING.md). Prints figures only.
 *
 *   build/bench/bench_paper_cost [SECONDS per configuration, default 2] [SWEEP_FILE ...]
 *   (default sweep files: sweeps/paper/cifar10-cnn.yaml, cifar10-cnn-subsample.yaml, cifar10-resnet.yaml)
 *
 * 1. For each network configuration the sweeps use (the paper's CNN or the ResNet on 3x32x32, with
 *    and without batch norm, with and without dropout) it measures, one thread, on random inputs:
 *      t_step  one training step (forward, weighted cross-entropy, backward, SGD) per example at
 *              the sweep's batch size (16),
 *      t_eval  one evaluation forward per example at the evaluation batch (64, as src/run/run.c),
 *    in process CPU time (less inflated than wall time by other processes on a shared machine);
 *    the wall figure is printed beside it.
 * 2. Cost of one run (core-seconds), as src/run/run.c spends it (train + evaluate every epoch):
 *      run = E * n_train * t_step + (E + 1) * n_eval * t_eval,
 *      n_eval = n_train + test (2 classes) + other-classes probe (8 classes x test_per_class) + noise
 *    with n_train the run's training set (sub-sampling shrinks it).
 * 3. The sweep: the sum over its grid (core-hours), and the wall time on 1, 10 and 100 nodes of
 *    128 cores (one worker per core; the scheduler rank sleeps), scheduled heaviest run first onto
 *    the first free core, as iwsweep does. The cores are assumed as fast as this one.
 * 4. Against a GPU: one H100 running 8 PyTorch processes trains this CNN at 0.061 ms per training
 *    example per run, evaluation included (the lead's measurement, IW_BENCH_H100_MS overrides):
 *      H100s per 128-core node = 128 * 0.061 ms / (run / (E * n_train))   [per-core cost per
 *      training example, evaluation included].
 * To refresh after an engine change: rebuild, rerun; the formula above is all there is.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "iw/common.h"
#include "iw/axis.h"
#include "iw/data.h"
#include "iw/engine.h"
#include "iw/run.h"
#include "iw/spec.h"
#include "bench_common.h"

#define NODE_CORES 128
#define EVAL_BATCH 64

typedef struct net_cost {
    iw_model_kind kind;
    int batchnorm;
    float dropout;
    double step_cpu_ms, step_wall_ms, eval_cpu_ms, eval_wall_ms; /* per example */
} net_cost;

static double cpu_seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* t_step and t_eval of grid point `point`'s network (iw_run_net_config: as src/run builds it). */
static void measure(net_cost *nc, const iw_spec *spec, const iw_point *point, int batch, double seconds)
{
    iw_net_config cfg;
    iw_run_net_config(spec, point, iw_data_example_shape(&spec->data), batch > EVAL_BATCH ? batch : EVAL_BATCH, &cfg);
    iw_error err;
    iw_net *net = iw_net_create(&cfg, &err);
    if (!net) {
        fprintf(stderr, "bench_paper_cost: %s\n", err.message);
        exit(1);
    }
    iw_loss loss; /* the training loss of src/run: weighted cross-entropy, the sweep's normalisation */
    iw_loss_init(&loss, IW_LOSS_CROSS_ENTROPY, spec->train.normalize);
    int64_t class_counts[2] = {spec->data.train_per_class[0], spec->data.train_per_class[1]};
    if (iw_loss_set_class_counts(&loss, class_counts, 2, &err) != 0) {
        fprintf(stderr, "bench_paper_cost: %s\n", err.message);
        exit(1);
    }
    iw_rng rng, drop;
    iw_rng_seed(&rng, 1, IW_STREAM_INIT);
    iw_rng_seed(&drop, 1, IW_STREAM_DROPOUT);
    iw_net_init(net, &rng);
    enum { N_BATCHES = 8 };
    size_t d = iw_shape_size(cfg.input);
    float *x, *w;
    int32_t *y;
    bench_make_batches("bench_paper_cost", &rng, N_BATCHES, EVAL_BATCH, d, &x, &y, &w);
    for (int phase = 0; phase < 2; phase++) { /* 0: training steps at `batch`; 1: evaluation at EVAL_BATCH */
        int b = phase == 0 ? batch : EVAL_BATCH;
        long n = 0;
        double t0 = iw_wall_seconds(), c0 = cpu_seconds(), t;
        do {
            const float *xb = x + (size_t)(n % N_BATCHES) * EVAL_BATCH * d;
            if (phase == 0) {
                iw_net_forward(net, xb, b, 1, nc->dropout > 0 ? &drop : NULL);
                iw_net_backward(net, y + (n % N_BATCHES) * EVAL_BATCH, w + (n % N_BATCHES) * EVAL_BATCH, &loss);
                iw_net_sgd_step(net, 0.01f, 0.0f, 0.0f);
            } else {
                iw_net_forward(net, xb, b, 0, NULL);
            }
            n++;
            t = iw_wall_seconds() - t0;
        } while (t < (phase == 0 ? seconds : seconds / 2) || n < 3);
        double c = cpu_seconds() - c0;
        double per_wall = t * 1e3 / ((double)n * b), per_cpu = c * 1e3 / ((double)n * b);
        if (phase == 0) nc->step_wall_ms = per_wall, nc->step_cpu_ms = per_cpu;
        else nc->eval_wall_ms = per_wall, nc->eval_cpu_ms = per_cpu;
    }
    free(x); free(w); free(y);
    iw_net_free(net);
}

/* The costs of grid point `point`'s network configuration, measured on first use. */
static net_cost *cost_of(net_cost *table, int *n, const iw_spec *spec, const iw_point *point, double seconds)
{
    iw_model_kind kind = spec->model.kind;
    int bn = point->value[IW_AXIS_BATCHNORM] != 0;
    double dropout = point->value[IW_AXIS_DROPOUT];
    int batch = spec->train.batch_size;
    for (int i = 0; i < *n; i++)
        if (table[i].kind == kind && table[i].batchnorm == bn && table[i].dropout == (float)dropout) return &table[i];
    net_cost *nc = &table[(*n)++];
    *nc = (net_cost){.kind = kind, .batchnorm = bn, .dropout = (float)dropout};
    measure(nc, spec, point, batch, seconds);
    printf("  %-6s bn=%d dropout=%.2g: train step %.3f ms/example cpu (%.3f wall), batch %d; evaluation %.3f ms/example cpu (%.3f wall), batch %d\n",
           kind == IW_MODEL_CNN ? "CNN" : "ResNet", bn, dropout, nc->step_cpu_ms, nc->step_wall_ms, batch,
           nc->eval_cpu_ms, nc->eval_wall_ms, EVAL_BATCH);
    fflush(stdout);
    return nc;
}

/* The sweep file with its data.path pointed at "." (the data need not be here: only the sizes are
 * used), parsed. 0 or -1 (err). */
static int load_sweep(const char *path, iw_spec *spec, iw_error *err)
{
    FILE *f = fopen(path, "r");
    if (!f) return iw_error_set(err, "cannot read %s", path);
    char *text = calloc(1, 1 << 20), *out = calloc(1, (1 << 20) + 64);
    size_t n = text && out ? fread(text, 1, (1 << 20) - 1, f) : 0;
    fclose(f);
    size_t k = 0;
    for (char *line = text; line && *line;) {
        char *end = strchr(line, '\n');
        size_t len = end ? (size_t)(end - line) + 1 : strlen(line);
        if (strncmp(line, "  path:", 7) == 0) k += (size_t)sprintf(out + k, "  path: .\n");
        else { memcpy(out + k, line, len); k += len; }
        line += len;
    }
    int rc = n > 0 ? iw_spec_parse(out, k, path, spec, err) : iw_error_set(err, "%s is empty", path);
    free(text);
    free(out);
    return rc;
}

static int by_cost_desc(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x < y) - (x > y);
}

/* Makespan of `n` jobs (sorted heaviest first) on `workers` identical workers, each job to the first
 * free worker (a binary min-heap of finish times). */
static double makespan(const double *cost, int64_t n, int64_t workers)
{
    if (workers > n) workers = n;
    double *heap = calloc((size_t)workers, sizeof *heap), end = 0;
    for (int64_t i = 0; i < n; i++) {
        heap[0] += cost[i];
        if (heap[0] > end) end = heap[0];
        for (int64_t k = 0;;) { /* sift down */
            int64_t l = 2 * k + 1, r = l + 1, m = k;
            if (l < workers && heap[l] < heap[m]) m = l;
            if (r < workers && heap[r] < heap[m]) m = r;
            if (m == k) break;
            double t = heap[k]; heap[k] = heap[m]; heap[m] = t;
            k = m;
        }
    }
    free(heap);
    return end;
}

static void format_hours(double s, char *buf, size_t n)
{
    if (s >= 86400 * 2) snprintf(buf, n, "%.1f days", s / 86400);
    else snprintf(buf, n, "%.1f h", s / 3600);
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 2.0;
    static const char *const defaults[] = {"sweeps/paper/cifar10-cnn.yaml", "sweeps/paper/cifar10-cnn-subsample.yaml",
                                           "sweeps/paper/cifar10-resnet.yaml"};
    const char *const *files = argc > 2 ? (const char *const *)argv + 2 : defaults;
    int n_files = argc > 2 ? argc - 2 : 3;
    double h100_ms = getenv("IW_BENCH_H100_MS") ? atof(getenv("IW_BENCH_H100_MS")) : 0.061;
    const char *core = iw_engine_init_threads();
    char cpu[128] = "?", line[256];
    FILE *f = fopen("/proc/cpuinfo", "r");
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "model name", 10) == 0 && strchr(line, ':')) {
            snprintf(cpu, sizeof cpu, "%s", strchr(line, ':') + 2);
            cpu[strcspn(cpu, "\n")] = '\0';
            break;
        }
    if (f) fclose(f);
    printf("bench_paper_cost: CPU %s; OpenBLAS kernel %s, 1 thread; engine commit %s\n", cpu, core,
           getenv("IW_COMMIT") ? getenv("IW_COMMIT") : "(set IW_COMMIT)");
    net_cost table[16];
    int n_table = 0;
    double cnn_per_train_example_ms = 0;
    for (int fi = 0; fi < n_files; fi++) {
        iw_spec spec;
        iw_error err = {{0}};
        if (load_sweep(files[fi], &spec, &err) != 0) {
            fprintf(stderr, "bench_paper_cost: %s\n", err.message);
            continue;
        }
        int64_t R = iw_spec_run_count(&spec);
        int E = spec.train.epochs;
        const iw_data_spec *d = &spec.data;
        printf("== %s (%s): %lld runs x %d epochs, batch %d\n", files[fi], spec.name, (long long)R, E, spec.train.batch_size);
        double *cost = malloc(sizeof(double) * (size_t)R), total = 0;
        for (int64_t r = 0; r < R; r++) {
            iw_point p;
            iw_spec_point(&spec, r, &p);
            net_cost *nc = cost_of(table, &n_table, &spec, &p, seconds);
            double n_neg = d->train_per_class[0], n_pos = d->train_per_class[1], weight = p.value[IW_AXIS_IMPORTANCE_WEIGHT];
            if (p.value[IW_AXIS_SAMPLING] == IW_SAMPLING_SUBSAMPLE) { /* as src/data/sample.c: w > 1 keeps 1/w of the negatives */
                if (weight > 1) n_neg /= weight;
                else n_pos *= weight;
            }
            double n_train = n_neg + n_pos;
            double n_eval = n_train + d->test_per_class[0] + d->test_per_class[1] +
                            (d->probe_other ? 8.0 * d->test_per_class[0] : 0) + (d->probe_noise ? d->noise_count : 0);
            cost[r] = 1e-3 * (E * n_train * nc->step_cpu_ms + (E + 1) * n_eval * nc->eval_cpu_ms);
            total += cost[r];
            if (r == 0 && spec.model.kind == IW_MODEL_CNN && p.value[IW_AXIS_BATCHNORM] == 0 && p.value[IW_AXIS_DROPOUT] == 0 &&
                p.value[IW_AXIS_SAMPLING] == IW_SAMPLING_WEIGHT && cnn_per_train_example_ms == 0)
                cnn_per_train_example_ms = 1e3 * cost[r] / (E * n_train);
        }
        qsort(cost, (size_t)R, sizeof *cost, by_cost_desc);
        char a[32], b[32];
        format_hours(cost[R - 1], a, sizeof a);
        format_hours(cost[0], b, sizeof b);
        printf("  one run: %s (cheapest) .. %s (heaviest) on one core; the sweep: %.0f core-hours\n", a, b, total / 3600);
        for (int nodes = 1; nodes <= 100; nodes *= 10) {
            char w[32];
            format_hours(makespan(cost, R, (int64_t)nodes * NODE_CORES), w, sizeof w);
            printf("  on %3d node%s of %d cores: %s wall (%lld runs on %d cores%s)\n", nodes, nodes > 1 ? "s" : " ",
                   NODE_CORES, w, (long long)R, nodes * NODE_CORES,
                   R < (int64_t)nodes * NODE_CORES ? ": fewer runs than cores, the heaviest run sets the time" : "");
        }
        free(cost);
        iw_spec_free(&spec);
    }
    if (cnn_per_train_example_ms > 0)
        printf("== GPU: the CNN costs %.3f ms of one core per training example per run, evaluation included;\n"
               "   an H100 with 8 processes %.3f ms: one H100 = %.1f of these cores; one %d-core node = %.2f H100s\n",
               cnn_per_train_example_ms, h100_ms, cnn_per_train_example_ms / h100_ms, NODE_CORES,
               NODE_CORES * h100_ms / cnn_per_train_example_ms);
    return 0;
}
