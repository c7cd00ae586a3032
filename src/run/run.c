/* run.c — one grid point: build the network from the spec, choose the run's examples (validation
 * split, training set), train it with SGD, and evaluate at epoch 0, after each epoch that
 * record.eval_epochs names (iw_spec_epoch_evaluated) and at the epoch of a divergence (run.h has
 * the contract). The evaluation itself is run_eval.c; the loss and each epoch's weights,
 * run_loss.c; the context they share, run_internal.h.
 *
 * Everything is allocated before the first epoch (network arena sized for the larger of the
 * training batch and the evaluation batch, batch buffers, index arrays, the boundary grid); the
 * epoch loop only gathers rows into the batch buffer and calls forward/backward/step.
 *
 * Random streams (rng.h): the point's seed alone seeds the initialisation, the batch order (one
 * fresh permutation of the training set per epoch) and the dropout masks, so runs that differ only
 * in weight or regulariser start from the same network and see the same batches.
 */
#include "checkpoint.h"
#include "run_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Evaluation batch: large enough to amortise the matrix products, small enough that a CNN's
 * activations for it stay modest (they are sized for max_batch). */
static int eval_batch_for(iw_model_kind kind) { return kind == IW_MODEL_CNN || kind == IW_MODEL_RESNET ? 64 : 256; }

void iw_run_net_config(const iw_spec *spec, const iw_point *point, iw_shape input, int max_batch,
                       iw_net_config *cfg)
{
    const iw_model_spec *model = &spec->model;
    memset(cfg, 0, sizeof *cfg);
    cfg->kind = model->kind;
    cfg->input = input;
    cfg->n_classes = 2;
    cfg->n_hidden = model->n_hidden;
    memcpy(cfg->hidden, model->hidden, sizeof cfg->hidden);
    cfg->n_channels = model->n_channels;
    memcpy(cfg->channels, model->channels, sizeof cfg->channels);
    cfg->n_fc = model->n_fc;
    memcpy(cfg->fc, model->fc, sizeof cfg->fc);
    cfg->batchnorm = point->value[IW_AXIS_BATCHNORM] != 0.0;
    cfg->dropout = (float)point->value[IW_AXIS_DROPOUT];
    cfg->init = model->init;
    cfg->max_batch = max_batch;
}

int iw_trajectory_alloc(iw_trajectory *t, const iw_spec *spec, iw_error *err)
{
    memset(t, 0, sizeof *t);
    t->epochs = spec->train.epochs;
    t->metrics = malloc(sizeof(float) * IW_METRIC_COUNT * (size_t)(t->epochs + 1));
    if (spec->data.source == IW_SOURCE_SYNTHETIC2D && spec->record.n_boundary_epochs > 0) {
        t->n_boundary = spec->record.n_boundary_epochs;
        t->grid = spec->record.boundary_grid;
        t->boundary = malloc(sizeof(float) * (size_t)t->n_boundary * (size_t)t->grid * (size_t)t->grid);
    }
    t->n_test = (int64_t)spec->data.test_per_class[0] + spec->data.test_per_class[1];
    if (spec->record.n_logit_epochs > 0) {
        t->n_logit = spec->record.n_logit_epochs;
        t->logits = malloc(sizeof(float) * 2 * (size_t)t->n_logit * (size_t)t->n_test);
        t->test_labels = malloc(sizeof(int8_t) * (size_t)t->n_test);
    }
    if (!t->metrics || (t->n_boundary > 0 && !t->boundary) || (t->n_logit > 0 && (!t->logits || !t->test_labels))) {
        iw_trajectory_free(t);
        return iw_error_set(err, "out of memory for a trajectory of %d epochs", spec->train.epochs);
    }
    iw_trajectory_reset(t);
    return 0;
}

void iw_trajectory_reset(iw_trajectory *t)
{
    size_t nm = (size_t)IW_METRIC_COUNT * (size_t)(t->epochs + 1);
    for (size_t i = 0; i < nm; i++) t->metrics[i] = NAN;
    for (size_t i = 0; i < (size_t)t->n_boundary * (size_t)t->grid * (size_t)t->grid; i++) t->boundary[i] = NAN;
    for (size_t i = 0; i < 2 * (size_t)t->n_logit * (size_t)t->n_test; i++) t->logits[i] = NAN;
    if (t->test_labels) memset(t->test_labels, 0xff, (size_t)t->n_test); /* -1: not known yet */
    t->train_class_count[0] = t->train_class_count[1] = 0;
    t->status = IW_STATUS_PENDING;
    t->diverged_epoch = -1;
    t->resumed_epoch = -1;
}

void iw_trajectory_free(iw_trajectory *t)
{
    if (!t) return;
    free(t->metrics);
    free(t->boundary);
    free(t->logits);
    free(t->test_labels);
    memset(t, 0, sizeof *t);
}

int iw_run_checkpoints_enabled(const iw_spec *spec)
{
    return spec->train.checkpoint_every > 0 || spec->train.checkpoint_minutes > 0;
}

static void run_teardown(run_ctx *c)
{
    iw_net_free(c->net);
    free(c->idx); free(c->labels); free(c->base_weights); free(c->weights);
    free(c->val_idx); free(c->val_labels); free(c->val_base_weights); free(c->val_weights);
    free(c->order); free(c->x); free(c->y); free(c->w); free(c->grid_x);
}

/* The run's examples: its validation split (data.val_per_class, drawn by its seed), then its
 * training set from the rest (weights or sub-sampling), labels and base weights of both; the loss
 * with the class counts of the training set. order[] holds the pool until the first epoch
 * shuffles it. */
static int run_examples(run_ctx *c, iw_error *err)
{
    const iw_data *data = c->data;
    const double *v = c->point->value;
    uint64_t seed = (uint64_t)v[IW_AXIS_SEED];
    iw_sampling sampling = (iw_sampling)v[IW_AXIS_SAMPLING];
    double weight = v[IW_AXIS_IMPORTANCE_WEIGHT];
    int64_t n_pool;
    if (iw_data_validation_split(data, c->spec->data.val_per_class, seed, c->val_idx, &c->n_val, c->order, &n_pool, err) != 0 ||
        iw_data_training_set(data, c->order, n_pool, sampling, weight, seed, c->idx, c->base_weights, &c->n_train, err) != 0)
        return -1;
    if (c->n_train < 1) return iw_error_set(err, "the run's training set is empty");
    int64_t class_counts[2] = {0, 0};
    for (int64_t k = 0; k < c->n_train; k++) {
        c->labels[k] = data->train.y[c->idx[k]];
        class_counts[c->labels[k] != 0]++;
    }
    for (int64_t k = 0; k < c->n_val; k++) {
        c->val_labels[k] = data->train.y[c->val_idx[k]];
        c->val_base_weights[k] = c->val_labels[k] && sampling == IW_SAMPLING_WEIGHT ? (float)weight : 1.0f;
    }
    memcpy(c->class_counts, class_counts, sizeof class_counts);
    c->weights_applied = -1;
    return iw_run_loss(c->spec, c->point, class_counts, &c->loss, err);
}

static int run_setup(run_ctx *c, iw_trajectory *traj, iw_error *err)
{
    const iw_spec *spec = c->spec;
    const iw_data *data = c->data;
    c->dim = iw_shape_size(data->shape);
    c->eval_batch = eval_batch_for(spec->model.kind);
    c->max_batch = spec->train.batch_size > c->eval_batch ? spec->train.batch_size : c->eval_batch;

    iw_net_config cfg;
    iw_run_net_config(spec, c->point, data->shape, c->max_batch, &cfg);
    c->net = iw_net_create(&cfg, err);
    if (!c->net) return -1;

    size_t n = (size_t)(data->train.n > 0 ? data->train.n : 1); /* every per-example array holds all rows */
    int32_t **rows[] = {&c->idx, &c->labels, &c->val_idx, &c->val_labels, &c->order};
    float **reals[] = {&c->base_weights, &c->weights, &c->val_base_weights, &c->val_weights};
    int ok = 1;
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) ok &= (*rows[i] = malloc(sizeof(int32_t) * n)) != NULL;
    for (size_t i = 0; i < sizeof reals / sizeof *reals; i++) ok &= (*reals[i] = malloc(sizeof(float) * n)) != NULL;
    c->x = malloc(sizeof(float) * c->dim * (size_t)c->max_batch);
    c->y = malloc(sizeof(int32_t) * (size_t)c->max_batch);
    c->w = malloc(sizeof(float) * (size_t)c->max_batch);
    if (!ok || !c->x || !c->y || !c->w)
        return iw_error_set(err, "out of memory for the run's buffers (%lld training examples)", (long long)data->train.n);
    if (run_examples(c, err) != 0) return -1;
    if (traj->n_logit > 0) {
        if (data->test.n != traj->n_test)
            return iw_error_set(err, "the test set has %lld examples, the trajectory's logits %lld", (long long)data->test.n,
                                (long long)traj->n_test);
        for (int64_t i = 0; i < data->test.n; i++) traj->test_labels[i] = (int8_t)data->test.y[i];
    }
    traj->train_class_count[0] = c->class_counts[0];
    traj->train_class_count[1] = c->class_counts[1];

    if (traj->n_boundary > 0) {
        int G = traj->grid;
        const double *r = spec->record.boundary_range;
        c->grid_x = malloc(sizeof(float) * 2 * (size_t)G * (size_t)G);
        if (!c->grid_x) return iw_error_set(err, "out of memory for the %dx%d boundary grid", G, G);
        for (int iy = 0; iy < G; iy++)
            for (int ix = 0; ix < G; ix++) {
                double gx = G > 1 ? r[0] + (r[1] - r[0]) * ix / (G - 1) : r[0];
                double gy = G > 1 ? r[2] + (r[3] - r[2]) * iy / (G - 1) : r[2];
                float *p = c->grid_x + 2 * ((size_t)iy * G + ix); /* (2, 1, 1): channel = coordinate */
                p[0] = (float)((gx - data->mean[0]) / data->std[0]);
                p[1] = (float)((gy - data->mean[1]) / data->std[1]);
            }
    }
    return 0;
}

/* Fresh start: initialisation from the seed, epoch 0 not evaluated yet. */
static void fresh_state(run_ctx *c, iw_checkpoint_state *st, iw_trajectory *t)
{
    iw_rng init;
    uint64_t seed = (uint64_t)c->point->value[IW_AXIS_SEED];
    iw_rng_seed(&init, seed, IW_STREAM_INIT);
    iw_net_init(c->net, &init);
    iw_rng_seed(&st->batch_rng, seed, IW_STREAM_BATCH);
    iw_rng_seed(&st->dropout_rng, seed, IW_STREAM_DROPOUT);
    size_t nm = (size_t)IW_METRIC_COUNT * (size_t)(t->epochs + 1);
    for (size_t i = 0; i < nm; i++) t->metrics[i] = NAN;
    for (size_t i = 0; i < (size_t)t->n_boundary * (size_t)t->grid * (size_t)t->grid; i++) t->boundary[i] = NAN;
    for (size_t i = 0; i < 2 * (size_t)t->n_logit * (size_t)t->n_test; i++) t->logits[i] = NAN;
    st->epoch = 0;
    st->position = -1;
}

/* A checkpoint is insurance, not a result: a problem with one (a full disk, an unusable folder, an
 * unreadable file) is reported once per execution through hooks->on_warning and training goes on;
 * later saves are still tried (space may come back). */
static void checkpoint_warning(run_ctx *c, const iw_run_hooks *hooks, const char *what, const iw_error *e)
{
    if (c->checkpoint_warned) return;
    c->checkpoint_warned = 1;
    if (!hooks || !hooks->on_warning) return;
    char message[sizeof e->message + 160];
    snprintf(message, sizeof message, "%s; %s (reported once per run)", e->message, what);
    hooks->on_warning(hooks->ctx, c->point->run, message);
}

static void save_checkpoint(run_ctx *c, const iw_run_hooks *hooks, const char *path, const iw_checkpoint_state *st)
{
    iw_error e = {{0}};
    if (iw_checkpoint_save(path, st, &e) != 0)
        checkpoint_warning(c, hooks, "the run goes on without this checkpoint", &e);
}

/* Trains from the state in st to the end (or a stop). Returns 0, IW_RUN_INTERRUPTED or -1. */
static int train(run_ctx *c, iw_checkpoint_state *st, iw_trajectory *t, const iw_run_hooks *hooks,
                 int checkpoints, iw_error *err)
{
    const iw_train_spec *tr = &c->spec->train;
    const char *ckpt = checkpoints ? hooks->checkpoint_path : NULL;
    float lr = (float)(c->point->value[IW_AXIS_DROPOUT] > 0 ? tr->lr_dropout : tr->lr);
    float momentum = (float)tr->momentum, l2 = (float)c->point->value[IW_AXIS_L2];
    int batchnorm = c->point->value[IW_AXIS_BATCHNORM] != 0.0;
    double ckpt_interval = tr->checkpoint_minutes > 0 ? tr->checkpoint_minutes * 60.0 : 0;
    double last_save = iw_wall_seconds();
    int B = tr->batch_size;

    for (; st->epoch < t->epochs; st->epoch++) {
        run_set_epoch_weights(c, st->epoch + 1);
        if (st->position < 0) { /* new epoch: a fresh permutation of the training set */
            for (int64_t k = 0; k < c->n_train; k++) c->order[k] = (int32_t)k;
            iw_rng_shuffle(&st->batch_rng, c->order, (size_t)c->n_train);
            st->position = 0;
        }
        int diverged = 0;
        int64_t steps = 0; /* optimiser steps taken in this epoch (this execution) */
        int64_t start = st->position;
        for (; st->position < c->n_train; st->position += B) {
            int stop = hooks && hooks->stop && *hooks->stop;
            int due = ckpt && ckpt_interval > 0 && iw_wall_seconds() - last_save >= ckpt_interval;
            if (ckpt && (stop || due)) {
                save_checkpoint(c, hooks, ckpt, st);
                last_save = iw_wall_seconds();
            }
            if (stop) return IW_RUN_INTERRUPTED;
            int b = (int)(c->n_train - st->position < B ? c->n_train - st->position : B);
            /* A last minibatch of one example under batch norm is skipped: the batch variance of
             * one value is 0, so the step would be meaningless (PyTorch refuses such a batch). */
            if (b == 1 && batchnorm && c->n_train > 1) continue;
            for (int i = 0; i < b; i++) {
                int32_t k = c->order[st->position + i];
                memcpy(c->x + (size_t)i * c->dim, c->data->train.x + (size_t)c->idx[k] * c->dim, sizeof(float) * c->dim);
                c->y[i] = c->labels[k];
                c->w[i] = c->weights[k];
            }
            iw_net_forward(c->net, c->x, b, 1, &st->dropout_rng);
            double loss = iw_net_backward(c->net, c->y, c->w, &c->loss);
            if (!isfinite(loss)) {
                diverged = 1;
                break;
            }
            iw_net_sgd_step(c->net, lr, momentum, l2);
            steps++;
        }
        /* An epoch (started at its beginning) without a single step did not train: a run in that
         * state must not be stored as done. The parser refuses the set-ups known to cause it. */
        if (steps == 0 && start == 0 && !diverged)
            return iw_error_set(err, "epoch %d took no optimiser step: every minibatch of %lld training examples was "
                                     "skipped (under batch norm a minibatch of one example is; batch_size %d)",
                                st->epoch + 1, (long long)c->n_train, B);
        int e = st->epoch + 1;
        /* The training loss was checked at every step above: a divergence between evaluated
         * epochs is caught at once and evaluated (and marked) at its own epoch. */
        if ((diverged || iw_spec_epoch_evaluated(c->spec, e)) && (run_evaluate(c, t, e) || diverged)) {
            t->status = IW_STATUS_DIVERGED;
            t->diverged_epoch = e;
            return 0;
        }
        run_record_boundary(c, t, e);
        st->position = -1;
        if (hooks && hooks->on_epoch) hooks->on_epoch(hooks->ctx, c->point->run, e, t->epochs);
        if (ckpt && tr->checkpoint_every > 0 && e % tr->checkpoint_every == 0 && e < t->epochs) {
            st->epoch = e; /* the loop's increment has not happened yet */
            save_checkpoint(c, hooks, ckpt, st);
            st->epoch = e - 1;
            last_save = iw_wall_seconds();
        }
    }
    t->status = IW_STATUS_DONE;
    return 0;
}

int iw_run_execute(const iw_spec *spec, const iw_data *data, const iw_point *point,
                   const iw_run_hooks *hooks, iw_trajectory *traj, iw_error *err)
{
    double wall0 = iw_wall_seconds(), cpu0 = iw_cpu_seconds();
    if (traj->epochs != spec->train.epochs)
        return iw_error_set(err, "run %lld: trajectory sized for %d epochs, the sweep has %d",
                            (long long)point->run, traj->epochs, spec->train.epochs);
    if (data->train.n < 1 || data->test.n < 1)
        return iw_error_set(err, "run %lld: no training or test examples", (long long)point->run);
    traj->status = IW_STATUS_PENDING;
    traj->diverged_epoch = -1;
    traj->resumed_epoch = -1;

    run_ctx c = {.spec = spec, .data = data, .point = point};
    int rc = run_setup(&c, traj, err);
    if (rc == 0) {
        int checkpoints = hooks && hooks->checkpoint_path && iw_run_checkpoints_enabled(spec);
        iw_checkpoint_state st = {.spec_sha256 = spec->sha256, .run = point->run, .net = c.net,
                                  .n_train = c.n_train, .order = c.order, .traj = traj};
        iw_error load_err = {{0}};
        int loaded = checkpoints ? iw_checkpoint_load(hooks->checkpoint_path, &st, &load_err) : 0;
        if (loaded < 0) { /* unreadable: start afresh, as with no checkpoint */
            checkpoint_warning(&c, hooks, "the run starts from epoch 0", &load_err);
            loaded = 0;
        }
        if (loaded == 1) {
            traj->resumed_epoch = st.epoch;
        } else {
            fresh_state(&c, &st, traj);
            if (run_evaluate(&c, traj, 0)) {
                traj->status = IW_STATUS_DIVERGED;
                traj->diverged_epoch = 0;
            } else {
                run_record_boundary(&c, traj, 0);
            }
        }
        if (traj->status != IW_STATUS_DIVERGED) rc = train(&c, &st, traj, hooks, checkpoints, err);
    }
    if (rc < 0) iw_error_prefix(err, "run %lld", (long long)point->run);
    run_teardown(&c);
    traj->wall_seconds = iw_wall_seconds() - wall0;
    traj->cpu_seconds = iw_cpu_seconds() - cpu0;
    return rc;
}
