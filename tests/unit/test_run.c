/* test_run.c — what src/run derives from a sweep file before training: the engine configuration of
 * a grid point (spec -> network translation) and the relative cost of runs used for heaviest-first
 * scheduling (sane directions: batch norm and dropout cost more, sub-sampling less, weighting alone
 * nothing, the CNN much more than an MLP, a sparse record.eval_epochs and a smaller
 * data.other_count less). And record.eval_epochs in training: a sparse schedule's trajectory equals
 * a dense one's at the evaluated epochs and is NaN elsewhere, and a divergence between evaluations
 * is marked at its own epoch. Training at large is covered by the sweeps under tests/integration
 * (sweep_basic, sweep_models, sweep_ranks, sweep_eval_epochs, ...).
 */
#include <math.h>
#include <string.h>

#include "iw/run.h"
#include "test.h"

static int parse(const char *text, iw_spec *spec)
{
    iw_error err = {{0}};
    int rc = iw_spec_parse(text, strlen(text), "test.yaml", spec, &err);
    EXPECT(rc == 0, "%s", err.message);
    return rc;
}

static void test_net_config(void)
{
    iw_spec s;
    if (parse("name: n\ndata: {source: synthetic2d}\nmodel: {kind: mlp, hidden: [64, 32, 16], init: pytorch}\n"
              "grid: {dropout: [0, 0.5], batchnorm: [true]}\n", &s))
        return;
    iw_point p;
    iw_spec_point(&s, 1, &p);
    iw_net_config cfg;
    iw_run_net_config(&s, &p, (iw_shape){2, 1, 1}, 64, &cfg);
    EXPECT(cfg.kind == IW_MODEL_MLP && cfg.n_hidden == 3 && cfg.hidden[0] == 64 && cfg.hidden[2] == 16, "hidden");
    EXPECT(cfg.input.c == 2 && cfg.input.h == 1 && cfg.input.w == 1, "input shape");
    EXPECT(cfg.n_classes == 2 && cfg.batchnorm == 1 && cfg.dropout == 0.5f && cfg.max_batch == 64,
           "classes %d, batchnorm %d, dropout %g, max_batch %d", cfg.n_classes, cfg.batchnorm, (double)cfg.dropout,
           cfg.max_batch);
    EXPECT(cfg.init == IW_INIT_PYTORCH, "init");
    iw_spec_free(&s);
    if (parse("name: c\ndata: {source: cifar10, path: /data/cifar-10-batches-bin}\n"
              "model: {kind: cnn, channels: [8, 8, 16, 16, 16], fc: [64]}\n", &s))
        return;
    iw_spec_point(&s, 0, &p);
    iw_run_net_config(&s, &p, iw_data_example_shape(&s.data), 16, &cfg);
    EXPECT(cfg.kind == IW_MODEL_CNN && cfg.n_channels == 5 && cfg.channels[4] == 16 && cfg.n_fc == 1 && cfg.fc[0] == 64,
           "cnn widths");
    EXPECT(cfg.input.c == 3 && cfg.input.h == 32 && cfg.input.w == 32 && !cfg.batchnorm && cfg.dropout == 0.0f,
           "cifar input, no batch norm or dropout");
    iw_spec_free(&s);
}

static double cost_of(const iw_spec *s, int64_t run)
{
    double cost = -1;
    iw_error err = {{0}};
    EXPECT(iw_run_costs(s, &run, 1, &cost, &err) == 0, "%s", err.message);
    return cost;
}

static void test_run_cost_is_sane(void)
{
    iw_spec s;
    /* runs: importance_weight x dropout x batchnorm x sampling = 3 x 2 x 2 x 2, last axis fastest */
    if (parse("name: c\ndata: {source: synthetic2d, train_per_class: 1000}\nmodel: {kind: mlp, hidden: [64]}\n"
              "grid: {importance_weight: [0.0625, 1, 16], dropout: [0, 0.5], batchnorm: [false, true],\n"
              "       sampling: [weight, subsample]}\n", &s))
        return;
    enum { W = 8, DROP = 4, BN = 2, SUB = 1 }; /* run-index strides */
    int64_t plain = 1 * W;                     /* weight 1, no dropout, no batch norm, weighted */
    double base = cost_of(&s, plain);
    EXPECT(base > 0 && isfinite(base), "base cost %g", base);
    EXPECT(cost_of(&s, plain + BN) > base, "batch norm costs more");
    EXPECT(cost_of(&s, plain + DROP) > base, "dropout costs more");
    EXPECT(cost_of(&s, 2 * W) == base && cost_of(&s, 0) == base, "weighting alone changes nothing");
    EXPECT(cost_of(&s, 2 * W + SUB) < base && cost_of(&s, 0 + SUB) < base, "sub-sampling trains on fewer");
    EXPECT(cost_of(&s, plain + SUB) == base, "sub-sampling at weight 1 keeps everything");
    int64_t all[24];
    double costs[24];
    for (int i = 0; i < 24; i++) all[i] = i;
    iw_error err = {{0}};
    EXPECT(iw_run_costs(&s, all, 24, costs, &err) == 0, "%s", err.message);
    for (int i = 0; i < 24; i++) EXPECT(costs[i] == cost_of(&s, i), "run %d: batch and single costs agree", i);
    int old_epochs = s.train.epochs;
    s.train.epochs = old_epochs * 2;
    EXPECT(cost_of(&s, plain) > base, "more epochs cost more");
    s.train.epochs = old_epochs;
    s.model.hidden[0] = 512;
    EXPECT(cost_of(&s, plain) > base, "a wider network costs more");
    iw_spec_free(&s);
    /* the paper's CNN on CIFAR-10 is much heavier than an MLP on it */
    iw_spec a, b;
    if (parse("name: a\ndata: {source: cifar10, path: /data/cifar-10-batches-bin}\nmodel: {kind: cnn}\n", &a)) return;
    if (parse("name: b\ndata: {source: cifar10, path: /data/cifar-10-batches-bin}\nmodel: {kind: mlp}\n", &b)) {
        iw_spec_free(&a);
        return;
    }
    EXPECT(cost_of(&a, 0) > 10 * cost_of(&b, 0), "cnn %g vs mlp %g", cost_of(&a, 0), cost_of(&b, 0));
    iw_spec_free(&a);
    iw_spec_free(&b);
}

static void test_cost_of_evaluation(void)
{
    iw_spec dense, sparse, subset;
    const char *base = "name: c\ndata: {source: fashion-mnist, train_per_class: 100, test_per_class: 500%s}\n"
                       "model: {kind: mlp, hidden: [64]}\ntrain: {epochs: 100}\n%s";
    char text[512];
    snprintf(text, sizeof text, base, "", "");
    if (parse(text, &dense)) return;
    snprintf(text, sizeof text, base, "", "record: {eval_epochs: {every_until: 10, then_every: 10}}\n");
    if (parse(text, &sparse)) { iw_spec_free(&dense); return; }
    snprintf(text, sizeof text, base, ", other_count: 1000", "");
    if (parse(text, &subset)) { iw_spec_free(&dense); iw_spec_free(&sparse); return; }
    double d = cost_of(&dense, 0), sp = cost_of(&sparse, 0), su = cost_of(&subset, 0);
    /* per epoch: 3 x 200 training + (200 + 1000 + 4000 + 1000) evaluated; 101 vs 20 evaluated epochs */
    double want_sparse = (100.0 * 600 + 20.0 * 6200) / (100.0 * 600 + 101.0 * 6200);
    double want_subset = (100.0 * 600 + 101.0 * (6200 - 4000 + 1000)) / (100.0 * 600 + 101.0 * 6200);
    EXPECT(fabs(sp / d - want_sparse) < 1e-9, "sparse / dense cost %g, want %g", sp / d, want_sparse);
    EXPECT(fabs(su / d - want_subset) < 1e-9, "other_count 1000 / all cost %g, want %g", su / d, want_subset);
    iw_spec_free(&dense);
    iw_spec_free(&sparse);
    iw_spec_free(&subset);
}

/* Trains run `run` of the sweep `text` on its own data into *t (allocated here). 0 or -1. */
static int train_run(const char *text, int64_t run, iw_trajectory *t)
{
    iw_spec spec;
    iw_data data;
    iw_error err = {{0}};
    if (parse(text, &spec)) return -1;
    int rc = iw_data_load(&spec.data, &data, &err);
    EXPECT(rc == 0, "data: %s", err.message);
    if (rc == 0) {
        rc = iw_trajectory_alloc(t, &spec, &err);
        EXPECT(rc == 0, "%s", err.message);
        iw_point p;
        iw_spec_point(&spec, run, &p);
        if (rc == 0) rc = iw_run_execute(&spec, &data, &p, NULL, t, &err);
        EXPECT(rc == 0, "run %lld: %s", (long long)run, err.message);
        iw_data_free(&data);
    }
    iw_spec_free(&spec);
    return rc;
}

/* The sparse trajectory is the dense one at the evaluated epochs (bit for bit: evaluation changes
 * nothing in training, with dropout, batch norm and momentum in play) and NaN at every other. */
static void expect_sparse_matches(const iw_trajectory *dense, const iw_trajectory *sparse, const int *evaluated,
                                  const char *what)
{
    int E1 = dense->epochs + 1, bad_equal = 0, bad_nan = 0;
    for (int m = 0; m < IW_METRIC_COUNT; m++)
        for (int e = 0; e < E1; e++) {
            float a = dense->metrics[m * E1 + e], b = sparse->metrics[m * E1 + e];
            if (evaluated[e]) bad_equal += memcmp(&a, &b, sizeof a) != 0;
            else bad_nan += !isnan(b);
        }
    EXPECT(bad_equal == 0, "%s: %d values differ from the dense run's at evaluated epochs", what, bad_equal);
    EXPECT(bad_nan == 0, "%s: %d values are not NaN at unevaluated epochs", what, bad_nan);
    EXPECT(dense->status == sparse->status && dense->diverged_epoch == sparse->diverged_epoch, "%s: status %d/%d, diverged %d/%d",
           what, dense->status, sparse->status, dense->diverged_epoch, sparse->diverged_epoch);
}

static void test_sparse_schedule_in_training(void)
{
    const char *sweep = "name: s\ndata: {source: synthetic2d, train_per_class: 150, test_per_class: 50, probes: [noise],\n"
                        "       noise_count: 40}\n"
                        "model: {kind: mlp, hidden: [16, 16]}\ntrain: {epochs: 12, lr: 0.05, momentum: 0.9}\n"
                        "grid: {dropout: [0.5], batchnorm: [true], importance_weight: [4]}\n%s";
    char text[1024];
    iw_trajectory dense, sparse;
    snprintf(text, sizeof text, sweep, "");
    if (train_run(text, 0, &dense)) return;
    snprintf(text, sizeof text, sweep, "record: {eval_epochs: {every_until: 2, then_every: 5}}\n");
    if (train_run(text, 0, &sparse) == 0) {
        static const int evaluated[13] = {1, 1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 0, 1}; /* 0-2, 5, 10, 12 */
        EXPECT(dense.status == IW_STATUS_DONE, "dense run done");
        expect_sparse_matches(&dense, &sparse, evaluated, "rule");
        iw_trajectory_free(&sparse);
    }
    snprintf(text, sizeof text, sweep, "record: {eval_epochs: [4, 7]}\n");
    if (train_run(text, 0, &sparse) == 0) {
        static const int evaluated[13] = {1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 1};
        expect_sparse_matches(&dense, &sparse, evaluated, "list");
        iw_trajectory_free(&sparse);
    }
    iw_trajectory_free(&dense);

    /* weight 1e30 with normalize: batch diverges in epoch 1 (tests/sweeps/diverge2d.yaml); with
     * epochs 5 and 10 only scheduled, the run is still evaluated and marked at epoch 1 */
    const char *diverging = "name: d\ndata: {source: synthetic2d, train_per_class: 200, test_per_class: 100}\n"
                            "model: {kind: mlp, hidden: [16]}\ntrain: {epochs: 10, normalize: batch}\n"
                            "grid: {importance_weight: [1.0e30]}\n%s";
    snprintf(text, sizeof text, diverging, "");
    if (train_run(text, 0, &dense)) return;
    snprintf(text, sizeof text, diverging, "record: {eval_epochs: {then_every: 5}}\n");
    if (train_run(text, 0, &sparse) == 0) {
        int e = sparse.diverged_epoch, E1 = sparse.epochs + 1;
        EXPECT(dense.status == IW_STATUS_DIVERGED && e >= 1 && e < 5, "diverged at epoch %d, between evaluations", e);
        int evaluated[11] = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1};
        if (e >= 1 && e <= 10) evaluated[e] = 1;
        expect_sparse_matches(&dense, &sparse, evaluated, "diverging");
        EXPECT(e >= 1 && e < 5 && isfinite(sparse.metrics[IW_METRIC_WEIGHT_NORM * E1 + e]),
               "the divergence epoch %d is evaluated (weight norm finite)", e);
        iw_trajectory_free(&sparse);
    }
    iw_trajectory_free(&dense);
}

int main(void)
{
    RUN_TEST(test_net_config);
    RUN_TEST(test_run_cost_is_sane);
    RUN_TEST(test_cost_of_evaluation);
    RUN_TEST(test_sparse_schedule_in_training);
    return test_exit_code();
}
