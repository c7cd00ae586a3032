/* test_run.c — what src/run derives from a sweep file: the engine configuration of a grid point
 * (spec -> network translation), the relative cost of runs used for heaviest-first scheduling
 * (sane directions: batch norm and dropout cost more, sub-sampling less, weighting alone nothing,
 * the CNN much more than an MLP), the loss descriptor of a point, and that the right loss, weights
 * and normalisation reach the engine: a short run (one full-batch step per epoch) against the same
 * steps made by calling the data and engine functions directly with a descriptor and weights
 * built here by hand. Longer training is covered by the sweeps under tests/integration.
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
    RUN_TEST(test_loss_of_a_point);
    RUN_TEST(test_ldam_deferred_exponentiated_dataset_normalised);
    RUN_TEST(test_poly_alpha_axis_batch_normalised);
    RUN_TEST(test_logit_adjusted_subsampled);
    return test_exit_code();
}
