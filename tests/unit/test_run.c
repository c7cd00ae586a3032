/* test_run.c — what src/run derives from a sweep file: the engine configuration of a grid point
 * (spec -> network translation), the relative cost of runs used for heaviest-first scheduling
 * (sane directions: batch norm and dropout cost more, sub-sampling less, weighting alone nothing,
 * the CNN much more than an MLP, a sparse record.eval_epochs and a smaller data.other_count less),
 * and the loss descriptor of a point. In training: that the right loss, weights and normalisation
 * reach the engine (a short run, one full-batch step per epoch, against the same steps made by
 * calling the data and engine functions directly with a descriptor and weights built here by
 * hand), and record.eval_epochs (a sparse schedule's trajectory equals a dense one's at the
 * evaluated epochs and is NaN elsewhere; a divergence between evaluations is marked at its own
 * epoch; the epochs of record.logit_epochs are evaluated). Training at large is covered by the
 * sweeps under tests/integration (sweep_basic, sweep_models, sweep_ranks, sweep_eval_epochs, ...).
 */
#include <math.h>
#include <string.h>

#include "iw/rng.h"
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
    /* a logit epoch (9) joins the evaluated ones: its metrics sit beside its logits */
    snprintf(text, sizeof text, sweep, "record: {eval_epochs: [4, 7], logit_epochs: [7, 9]}\n");
    if (train_run(text, 0, &sparse) == 0) {
        static const int evaluated[13] = {1, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 1};
        expect_sparse_matches(&dense, &sparse, evaluated, "list with logit epochs");
        int finite = 0;
        for (int64_t i = 0; i < 2 * sparse.n_logit * sparse.n_test; i++) finite += isfinite(sparse.logits[i]) != 0;
        EXPECT(sparse.n_logit == 2 && finite == 2 * 2 * sparse.n_test, "logits at epochs 7 and 9: %d of %lld finite", finite,
               (long long)(2 * sparse.n_logit * sparse.n_test));
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

/* The descriptor of a point: the loss axis's kind, the poly_alpha axis or key, train.ldam_* and
 * la_tau, the normalize axis, class constants from the counts given. */
static void test_loss_of_a_point(void)
{
    iw_spec s;
    if (parse("name: l\ndata: {source: synthetic2d}\ntrain: {ldam_max_margin: 0.3, ldam_scale: 7, la_tau: 0.25}\n"
              "grid: {loss: [poly, ldam, logit-adjusted], poly_alpha: [2.5], normalize: [batch, dataset]}\n", &s))
        return;
    const int64_t counts[2] = {400, 25};
    iw_error err = {{0}};
    iw_loss_kind kinds[3] = {IW_LOSS_POLY, IW_LOSS_LDAM, IW_LOSS_LOGIT_ADJUSTED};
    for (int k = 0; k < 3; k++)
        for (int z = 0; z < 2; z++) {
            iw_point p;
            iw_spec_point(&s, 2 * k + z, &p);
            iw_loss loss;
            EXPECT(iw_run_loss(&s, &p, counts, &loss, &err) == 0, "%s", err.message);
            EXPECT(loss.kind == kinds[k] && loss.normalize == (z ? IW_NORMALIZE_DATASET : IW_NORMALIZE_BATCH),
                   "run %d: kind %d normalize %d", 2 * k + z, loss.kind, loss.normalize);
            EXPECT(loss.poly_alpha == 2.5 && loss.ldam_max_margin == 0.3 && loss.ldam_scale == 7 && loss.la_tau == 0.25 &&
                       loss.weight_mean == 1.0,
                   "parameters");
            EXPECT_CLOSE(loss.log_prior[1], log(25.0 / 425.0), 1e-12);
            EXPECT_CLOSE(loss.ldam_relative_margin[0], pow(25.0 / 400.0, 0.25), 1e-12);
        }
    iw_spec_free(&s);
    if (parse("name: l\ndata: {source: synthetic2d}\ntrain: {poly_alpha: 3, normalize: batch}\ngrid: {loss: [poly]}\n", &s))
        return;
    iw_point p;
    iw_spec_point(&s, 0, &p);
    iw_loss loss;
    EXPECT(iw_run_loss(&s, &p, counts, &loss, &err) == 0 && loss.poly_alpha == 3 && loss.normalize == IW_NORMALIZE_BATCH,
           "train.poly_alpha and train.normalize reach the descriptor: alpha %g normalize %d", loss.poly_alpha, loss.normalize);
    const int64_t one_class[2] = {10, 0};
    iw_spec_free(&s);
    if (parse("name: l\ndata: {source: synthetic2d}\ngrid: {loss: [ldam]}\n", &s)) return;
    iw_spec_point(&s, 0, &p);
    EXPECT(iw_run_loss(&s, &p, one_class, &loss, &err) == -1 && strstr(err.message, "no training examples"),
           "a class without examples under ldam: %s", err.message);
    iw_spec_free(&s);
}

/* What the run should do, made here by calling the data and engine functions directly: the
 * validation split and training set, weights w^rho from reweight_from on (1 before), a descriptor
 * of `kind` built by hand with the sweep's parameters, the seed's initialisation and batch order,
 * one full-batch SGD step per epoch. Fills weight_norm, train_loss and val_loss at epochs 1..E. */
static void direct_steps(const iw_spec *s, const iw_data *data, const iw_point *p, iw_loss_kind kind, double rho,
                         double *weight_norm, double *train_loss, double *val_loss)
{
    enum { MAX = 512 };
    const double *v = p->value;
    uint64_t seed = (uint64_t)v[IW_AXIS_SEED];
    int32_t val[MAX], pool[MAX], idx[MAX], order[MAX], y[MAX], val_y[MAX];
    float base[MAX], w[MAX], bw[MAX], val_w[MAX], x[MAX * 2];
    int64_t n_val, n_pool, n;
    iw_error err = {{0}};
    EXPECT(data->train.n <= MAX && data->shape.c == 2, "test data too large");
    EXPECT(iw_data_validation_split(data, s->data.val_per_class, seed, val, &n_val, pool, &n_pool, &err) == 0, "%s", err.message);
    EXPECT(iw_data_training_set(data, pool, n_pool, (iw_sampling)v[IW_AXIS_SAMPLING], v[IW_AXIS_IMPORTANCE_WEIGHT], seed, idx,
                                base, &n, &err) == 0, "%s", err.message);
    int64_t counts[2] = {0, 0};
    for (int64_t i = 0; i < n; i++) y[i] = data->train.y[idx[i]], counts[y[i]]++;
    iw_loss loss;
    iw_loss_init(&loss, kind, (iw_normalize)v[IW_AXIS_NORMALIZE]);
    loss.poly_alpha = v[IW_AXIS_POLY_ALPHA];
    loss.ldam_max_margin = s->train.ldam_max_margin;
    loss.ldam_scale = s->train.ldam_scale;
    loss.la_tau = s->train.la_tau;
    EXPECT(iw_loss_set_class_counts(&loss, counts, 2, &err) == 0, "%s", err.message);
    iw_net_config cfg;
    iw_run_net_config(s, p, data->shape, MAX, &cfg);
    iw_net *net = iw_net_create(&cfg, &err);
    EXPECT(net != NULL, "%s", err.message);
    if (!net) return;
    iw_rng init, batch;
    iw_rng_seed(&init, seed, IW_STREAM_INIT);
    iw_rng_seed(&batch, seed, IW_STREAM_BATCH);
    iw_net_init(net, &init);
    int sub = v[IW_AXIS_SAMPLING] == IW_SAMPLING_SUBSAMPLE;
    for (int e = 1; e <= s->train.epochs; e++) {
        int apply = e >= (int)v[IW_AXIS_REWEIGHT_FROM];
        double sum = 0, val_sum = 0;
        for (int64_t i = 0; i < n; i++) sum += bw[i] = apply ? (float)pow(base[i], rho) : 1.0f;
        loss.weight_mean = sum / (double)n;
        for (int64_t i = 0; i < n; i++) order[i] = (int32_t)i;
        iw_rng_shuffle(&batch, order, (size_t)n);
        int32_t by[MAX];
        for (int64_t i = 0; i < n; i++) {
            memcpy(x + 2 * i, data->train.x + 2 * (size_t)idx[order[i]], 2 * sizeof(float));
            by[i] = y[order[i]];
            w[i] = bw[order[i]];
        }
        iw_net_forward(net, x, (int)n, 1, NULL);
        iw_net_backward(net, by, w, &loss);
        iw_net_sgd_step(net, (float)s->train.lr, (float)s->train.momentum, (float)v[IW_AXIS_L2]);
        weight_norm[e] = iw_net_weight_norm(net);
        for (int64_t i = 0; i < n; i++) memcpy(x + 2 * i, data->train.x + 2 * (size_t)idx[i], 2 * sizeof(float));
        const float *z = iw_net_forward(net, x, (int)n, 0, NULL);
        train_loss[e] = iw_loss_weighted_sum(&loss, z, (int)n, 2, y, bw) / iw_loss_normalizer(&loss, sum, n);
        for (int64_t i = 0; i < n_val; i++) {
            memcpy(x + 2 * i, data->train.x + 2 * (size_t)val[i], 2 * sizeof(float));
            val_y[i] = data->train.y[val[i]];
            float b = val_y[i] && !sub ? (float)v[IW_AXIS_IMPORTANCE_WEIGHT] : 1.0f;
            val_sum += val_w[i] = apply ? (float)pow(b, rho) : 1.0f;
        }
        z = iw_net_forward(net, x, (int)n_val, 0, NULL);
        val_loss[e] = iw_loss_weighted_sum(&loss, z, (int)n_val, 2, val_y, val_w) / iw_loss_normalizer(&loss, val_sum, n_val);
    }
    iw_net_free(net);
}

static void check_against_direct(const char *name, const char *text, iw_loss_kind kind, iw_loss_kind other_kind)
{
    iw_spec s;
    if (parse(text, &s)) return;
    iw_data data;
    iw_error err = {{0}};
    if (iw_data_load(&s.data, &data, &err) != 0) {
        EXPECT(0, "%s: %s", name, err.message);
        iw_spec_free(&s);
        return;
    }
    iw_point p;
    iw_spec_point(&s, 0, &p);
    iw_trajectory t;
    EXPECT(iw_trajectory_alloc(&t, &s, &err) == 0, "%s", err.message);
    EXPECT(iw_run_execute(&s, &data, &p, NULL, &t, &err) == 0 && t.status == IW_STATUS_DONE, "%s: %s", name, err.message);
    int E = s.train.epochs, E1 = E + 1;
    double norm[8], loss[8], val[8], other_norm[8], other_loss[8], other_val[8];
    double rho = p.value[IW_AXIS_WEIGHT_EXPONENT];
    direct_steps(&s, &data, &p, kind, rho, norm, loss, val);
    for (int e = 1; e <= E; e++) {
        EXPECT_CLOSE(t.metrics[IW_METRIC_WEIGHT_NORM * E1 + e], norm[e], 1e-6);
        EXPECT_CLOSE(t.metrics[IW_METRIC_TRAIN_LOSS * E1 + e], loss[e], 1e-5);
        EXPECT_CLOSE(t.metrics[IW_METRIC_VAL_LOSS * E1 + e], val[e], 1e-5);
    }
    /* the comparison can fail: another loss, or the weights without their exponent, end elsewhere */
    direct_steps(&s, &data, &p, other_kind, rho, other_norm, other_loss, other_val);
    EXPECT(fabs(other_loss[E] - loss[E]) > 1e-3 * fabs(loss[E]), "%s: loss kind %d vs %d: %g vs %g", name, kind, other_kind,
           other_loss[E], loss[E]);
    if (rho != 1) {
        direct_steps(&s, &data, &p, kind, 1.0, other_norm, other_loss, other_val);
        EXPECT(fabs(other_norm[E] - norm[E]) > 1e-4 * norm[E], "%s: rho %g vs 1: weight norm %g vs %g", name, rho, norm[E],
               other_norm[E]);
    }
    int64_t want[2] = {s.data.train_per_class[0] - s.data.val_per_class[0], s.data.train_per_class[1] - s.data.val_per_class[1]};
    if (p.value[IW_AXIS_SAMPLING] == IW_SAMPLING_WEIGHT)
        EXPECT(t.train_class_count[0] == want[0] && t.train_class_count[1] == want[1], "%s: class counts %lld %lld", name,
               (long long)t.train_class_count[0], (long long)t.train_class_count[1]);
    iw_trajectory_free(&t);
    iw_data_free(&data);
    iw_spec_free(&s);
}

static void test_ldam_deferred_exponentiated_dataset_normalised(void)
{
    check_against_direct("ldam",
                         "name: a\ndata: {source: synthetic2d, train_per_class: [60, 20], val_per_class: [10, 4], test_per_class: 20}\n"
                         "model: {kind: mlp, hidden: [8]}\ntrain: {epochs: 3, batch_size: 256, lr: 0.2, ldam_scale: 5, ldam_max_margin: 0.4}\n"
                         "grid: {importance_weight: [4], loss: [ldam], weight_exponent: [1.5], reweight_from: [2], normalize: [dataset]}\n",
                         IW_LOSS_LDAM, IW_LOSS_CROSS_ENTROPY);
}

static void test_poly_alpha_axis_batch_normalised(void)
{
    check_against_direct("poly",
                         "name: b\ndata: {source: synthetic2d, train_per_class: [30, 50], val_per_class: 5, test_per_class: 20}\n"
                         "model: {kind: mlp, hidden: [8]}\ntrain: {epochs: 2, batch_size: 256, lr: 0.5}\n"
                         "grid: {importance_weight: [0.25], loss: [poly], poly_alpha: [2], weight_exponent: [2], normalize: [batch]}\n",
                         IW_LOSS_POLY, IW_LOSS_CROSS_ENTROPY);
}

static void test_logit_adjusted_subsampled(void)
{
    check_against_direct("logit-adjusted",
                         "name: c\ndata: {source: synthetic2d, train_per_class: [80, 40], val_per_class: [8, 8], test_per_class: 20}\n"
                         "model: {kind: linear}\ntrain: {epochs: 2, batch_size: 256, lr: 0.5, la_tau: 2}\n"
                         "grid: {importance_weight: [4], sampling: [subsample], loss: [logit-adjusted]}\n",
                         IW_LOSS_LOGIT_ADJUSTED, IW_LOSS_CROSS_ENTROPY);
}

int main(void)
{
    RUN_TEST(test_net_config);
    RUN_TEST(test_run_cost_is_sane);
    RUN_TEST(test_cost_of_evaluation);
    RUN_TEST(test_sparse_schedule_in_training);
    RUN_TEST(test_loss_of_a_point);
    RUN_TEST(test_ldam_deferred_exponentiated_dataset_normalised);
    RUN_TEST(test_poly_alpha_axis_batch_normalised);
    RUN_TEST(test_logit_adjusted_subsampled);
    return test_exit_code();
}
