/* test_run.c — what src/run derives from a sweep file before training: the engine configuration of
 * a grid point (spec -> network translation) and the relative cost of runs used for heaviest-first
 * scheduling (sane directions: batch norm and dropout cost more, sub-sampling less, weighting alone
 * nothing, the CNN much more than an MLP). Training itself is covered by the sweeps under
 * tests/integration (sweep_basic, sweep_models, sweep_ranks, ...).
 */
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

int main(void)
{
    RUN_TEST(test_net_config);
    RUN_TEST(test_run_cost_is_sane);
    return test_exit_code();
}
