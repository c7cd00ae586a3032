/* validate.c — the sweep file's defaults and the checks that involve more than one key: which keys
 * a data source or model kind uses (data.other_count needs the other-classes probe), the default
 * data folder, the validation split against the training counts, boundary and logit epochs (and
 * record.eval_epochs, eval_epochs.c) against train.epochs, the grid's default axes and its size
 * (refused above IW_MAX_RUNS, computed without overflow), the axes and train keys that only some
 * losses use, a setting given both as a train key and as an axis, and the size of the stored
 * logits (settings.c), then whether every run can train (trainable.c).
 * Parsing touches no file; iw_spec_check_data_path (here too) is the one check of the file
 * system, made by the caller.
 * Keys that do not apply (data.synthetic with an image source, model.hidden with a cnn, ...) are
 * errors rather than silently ignored: a user who writes them believes they matter.
 */
#include "spec/spec_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

void spec_set_defaults(iw_spec *s)
{
    s->data.source = IW_SOURCE_FASHION_MNIST;
    s->data.train_per_class[0] = s->data.train_per_class[1] = 1000;
    s->data.test_per_class[0] = s->data.test_per_class[1] = 1000;
    s->data.noise_count = 1000;
    s->data.synthetic = (iw_synthetic2d_spec){.std = {0.5, 0.125}, .rotation_deg = 90.0, .shift = {3.0, 0.0}};
    s->model.kind = IW_MODEL_MLP;
    s->model.init = IW_INIT_HE;
    s->train.epochs = 100;
    s->train.batch_size = 16;
    s->train.lr = 0.1;
    s->train.normalize = IW_NORMALIZE_WEIGHTS;
    s->train.poly_alpha = IW_LOSS_DEFAULT_POLY_ALPHA; /* the engine's defaults (engine.h, header only) */
    s->train.ldam_max_margin = IW_LOSS_DEFAULT_LDAM_MAX_MARGIN;
    s->train.ldam_scale = IW_LOSS_DEFAULT_LDAM_SCALE;
    s->train.la_tau = IW_LOSS_DEFAULT_LA_TAU;
    s->record.boundary_grid = 64;
    s->record.boundary_range[0] = -4, s->record.boundary_range[1] = 6;
    s->record.boundary_range[2] = -4, s->record.boundary_range[3] = 6;
}

/* Line to blame for something that depends on key `id`: the key itself, else its section, else
 * the top of the file. */
static int blame_line(const spec_ctx *c, spec_key id, spec_key section)
{
    if (c->key_line[id]) return c->key_line[id];
    if (c->key_line[section]) return c->key_line[section];
    return c->top_line;
}

/* A key given although the current source or model kind does not use it. */
static int refuse_if_given(spec_ctx *c, spec_key id, const char *why)
{
    if (!c->key_line[id]) return 0;
    return spec_fail(c, c->key_line[id], spec_key_names[id], "%s; remove it", why);
}

/* The default data folder of an image source; data.path is required for cifar10. No file-system
 * access here: iw_spec_check_data_path does that, for the caller. */
static int default_data_folder(spec_ctx *c)
{
    iw_data_spec *d = &c->spec->data;
    d->path_blame_line = blame_line(c, SPEC_KEY_DATA_PATH, SPEC_KEY_DATA_SOURCE);
    if (c->key_line[SPEC_KEY_DATA_PATH]) return 0;
    if (!c->key_line[SPEC_KEY_DATA_SOURCE]) d->path_blame_line = blame_line(c, SPEC_KEY_DATA, SPEC_KEY_DATA);
    if (d->source == IW_SOURCE_CIFAR10)
        return spec_fail(c, d->path_blame_line, "data.path",
                         "missing: required for source cifar10 (the folder holding data_batch_1.bin ... test_batch.bin)");
    snprintf(d->path, sizeof d->path, "%s",
             d->source == IW_SOURCE_MNIST ? "/usr/share/datasets/mnist" : "/usr/share/datasets/fashion-mnist");
    return 0;
}

int iw_spec_check_data_path(const iw_spec *spec, iw_error *err)
{
    const iw_data_spec *d = &spec->data;
    if (d->source == IW_SOURCE_SYNTHETIC2D) return 0;
    spec_ctx c = {.file = spec->file, .err = err};
    const char *source = spec_source_names[d->source];
    int given = d->path_line != 0;
    static const char *const hints[4] = {
        "",
        "install it with `apt-get install dataset-fashion-mnist` or set data.path",
        "set data.path to the folder of the MNIST IDX files (train-images-idx3-ubyte[.gz], ...)",
        "set data.path to CIFAR-10's binary version folder (cifar-10-batches-bin: data_batch_1.bin ... test_batch.bin)",
    };
    struct stat st;
    if (stat(d->path, &st) != 0) {
        int e = errno;
        return spec_fail(&c, d->path_blame_line, "data.path", "data folder '%s'%s%s%s cannot be used (%s): %s", d->path,
                         given ? "" : " (the default for ", given ? "" : source, given ? "" : ")", strerror(e),
                         hints[d->source]);
    }
    if (!S_ISDIR(st.st_mode))
        return spec_fail(&c, d->path_blame_line, "data.path", "'%s' is not a folder: expected the folder holding the %s files",
                         d->path, source);
    return 0;
}

static int check_data(spec_ctx *c)
{
    iw_data_spec *d = &c->spec->data;
    const char *source = spec_source_names[d->source];
    char why[160];
    snprintf(why, sizeof why, "not used by source %s", source);
    if (!c->key_line[SPEC_KEY_DATA_PROBES] && d->source != IW_SOURCE_SYNTHETIC2D) d->probe_other = d->probe_noise = 1;
    if (d->probe_noise && d->noise_count < 1)
        return spec_fail(c, blame_line(c, SPEC_KEY_DATA_NOISE_COUNT, SPEC_KEY_DATA), "data.noise_count",
                         "expected a whole number >= 1 when data.probes includes noise, got 0");
    static const char *const class_words[2] = {"negative", "positive"};
    for (int k = 0; k < 2; k++)
        if (d->val_per_class[k] >= d->train_per_class[k])
            return spec_fail(c, c->key_line[SPEC_KEY_DATA_VAL_PER_CLASS], "data.val_per_class",
                             "holding out %d %s examples leaves none to train on (data.train_per_class%s gives %d); "
                             "expected at most %d",
                             d->val_per_class[k], class_words[k], c->key_line[SPEC_KEY_DATA_TRAIN_PER_CLASS] ? "" : ", default",
                             d->train_per_class[k], d->train_per_class[k] - 1);
    if (d->source == IW_SOURCE_SYNTHETIC2D) {
        if (refuse_if_given(c, SPEC_KEY_DATA_PATH, "not used by source synthetic2d (its data is generated)")) return -1;
        if (refuse_if_given(c, SPEC_KEY_DATA_OTHER_COUNT, "not used by source synthetic2d (it has no out-of-class probe)"))
            return -1;
        if (refuse_if_given(c, SPEC_KEY_DATA_CLASSES, "not used by source synthetic2d (its classes are 0 and 1)")) return -1;
        if (d->probe_other)
            return spec_fail(c, c->key_line[SPEC_KEY_DATA_PROBES], "data.probes",
                             "'other-classes' needs an image source; synthetic2d has only two classes");
        d->classes[0] = 0, d->classes[1] = 1;
        return 0;
    }
    if (refuse_if_given(c, SPEC_KEY_DATA_SYNTHETIC, why)) return -1;
    if (!d->probe_other &&
        refuse_if_given(c, SPEC_KEY_DATA_OTHER_COUNT, "sizes the out-of-class probe, which data.probes does not ask for "
                                                      "(add other-classes to data.probes)"))
        return -1;
    snprintf(why, sizeof why, "decision boundaries are recorded for source synthetic2d only, not %s", source);
    for (spec_key k = SPEC_KEY_RECORD_BOUNDARY_EPOCHS; k <= SPEC_KEY_RECORD_BOUNDARY_RANGE; k++)
        if (refuse_if_given(c, k, why)) return -1;
    if (!c->key_line[SPEC_KEY_DATA_CLASSES]) {
        d->classes[0] = d->source == IW_SOURCE_CIFAR10 ? 3 : 0;
        d->classes[1] = d->source == IW_SOURCE_CIFAR10 ? 5 : 6;
    }
    return default_data_folder(c);
}

static int check_model(spec_ctx *c)
{
    iw_model_spec *m = &c->spec->model;
    const char *kind = spec_model_names[m->kind];
    char why[96];
    snprintf(why, sizeof why, "not used by model kind %s", kind);
    if (m->kind != IW_MODEL_MLP && refuse_if_given(c, SPEC_KEY_MODEL_HIDDEN, why)) return -1;
    if (m->kind != IW_MODEL_CNN && refuse_if_given(c, SPEC_KEY_MODEL_FC, why)) return -1;
    if ((m->kind == IW_MODEL_LINEAR || m->kind == IW_MODEL_MLP) && refuse_if_given(c, SPEC_KEY_MODEL_CHANNELS, why))
        return -1;
    if ((m->kind == IW_MODEL_CNN || m->kind == IW_MODEL_RESNET) && c->spec->data.source == IW_SOURCE_SYNTHETIC2D)
        return spec_fail(c, blame_line(c, SPEC_KEY_MODEL_KIND, SPEC_KEY_MODEL), "model.kind",
                         "a %s needs image data; source synthetic2d is 2-D points (use linear or mlp)", kind);
    static const int cnn_channels[5] = {64, 64, 128, 128, 128}, resnet_channels[4] = {64, 64, 128, 256};
    if (m->kind == IW_MODEL_MLP && m->n_hidden == 0) m->hidden[0] = m->hidden[1] = 256, m->n_hidden = 2;
    if (m->kind == IW_MODEL_CNN || m->kind == IW_MODEL_RESNET) {
        int want = m->kind == IW_MODEL_CNN ? 5 : 4;
        if (m->n_channels == 0) {
            memcpy(m->channels, m->kind == IW_MODEL_CNN ? cnn_channels : resnet_channels, (size_t)want * sizeof(int));
            m->n_channels = want;
        } else if (m->n_channels != want) {
            return spec_fail(c, c->key_line[SPEC_KEY_MODEL_CHANNELS], "model.channels",
                             "a %s takes %d widths (%s), got %d", kind, want,
                             m->kind == IW_MODEL_CNN ? "five convolutions, like [64, 64, 128, 128, 128]"
                                                     : "stem + three stages, like [64, 64, 128, 256]",
                             m->n_channels);
        }
    }
    if (m->kind == IW_MODEL_CNN && m->n_fc == 0) m->fc[0] = 512, m->fc[1] = 128, m->n_fc = 2;
    return 0;
}

/* Each of epochs[0..n) (the list `name`) within 0..train.epochs. */
static int check_record_epochs(spec_ctx *c, const char *name, const int *epochs, int n, const int *lines)
{
    int last = c->spec->train.epochs;
    for (int i = 0; i < n; i++)
        if (epochs[i] > last) {
            char key[64];
            snprintf(key, sizeof key, "record.%s[%d]", name, i);
            return spec_fail(c, lines[i], key, "expected an epoch in 0..%d (train.epochs%s), got %d", last,
                             c->key_line[SPEC_KEY_TRAIN_EPOCHS] ? "" : ", default", epochs[i]);
        }
    return 0;
}

static int check_record(spec_ctx *c)
{
    const iw_record_spec *r = &c->spec->record;
    if (check_record_epochs(c, "boundary_epochs", r->boundary_epochs, r->n_boundary_epochs, c->boundary_line)) return -1;
    return check_record_epochs(c, "logit_epochs", r->logit_epochs, r->n_logit_epochs, c->logit_line);
}

/* Fills the axes the file omits (each non-optional one with its default value), puts the grid's
 * axes in canonical order at the front of spec->axes, and checks the product of the axis sizes. */
static int check_grid(spec_ctx *c)
{
    iw_spec *s = c->spec;
    s->n_axes = 0;
    for (int id = 0; id < IW_AXIS_COUNT; id++) {
        iw_axis a = s->axes[id]; /* read_axis put a given axis at its id; n_axes <= id */
        const iw_axis_def *def = &iw_axis_defs[id];
        memset(&s->axes[id], 0, sizeof s->axes[id]);
        if (a.count == 0) {
            if (def->optional) continue;
            a.values = malloc(sizeof *a.values);
            if (!a.values) return spec_fail(c, c->top_line, NULL, "out of memory");
            a.values[0] = def->default_value;
            a.count = 1;
            a.id = (iw_axis_id)id;
            a.def = def;
        }
        s->axes[s->n_axes++] = a;
    }
    int64_t runs = 1;
    char sizes[256] = "";
    int too_many = 0;
    for (int i = 0; i < s->n_axes; i++) {
        int64_t n = s->axes[i].count;
        if (runs > IW_MAX_RUNS / n) too_many = 1; /* runs * n would exceed the limit (or overflow) */
        else runs *= n;
        char part[32];
        snprintf(part, sizeof part, "%s%lld", i ? " x " : "", (long long)n);
        strncat(sizes, part, sizeof sizes - strlen(sizes) - 1);
    }
    if (too_many)
        return spec_fail(c, blame_line(c, SPEC_KEY_GRID, SPEC_KEY_GRID), "grid",
                         "grid too large: %s runs is more than the limit of %lld; split the sweep into several files",
                         sizes, (long long)IW_MAX_RUNS);
    /* The paper's ResNet has no dropout layer: refuse here rather than fail every such run later. */
    const iw_axis *dropout = &s->axes[iw_spec_axis_index(s, IW_AXIS_DROPOUT)];
    int dropout_line = c->axis_line[IW_AXIS_DROPOUT] ? c->axis_line[IW_AXIS_DROPOUT] : blame_line(c, SPEC_KEY_GRID, SPEC_KEY_GRID);
    if (s->model.kind == IW_MODEL_RESNET)
        for (int i = 0; i < dropout->count; i++)
            if (dropout->values[i] != 0.0)
                return spec_fail(c, dropout_line, "grid.dropout", "model kind resnet has no dropout layers; expected [0], got %g",
                                 dropout->values[i]);
    return 0;
}

int spec_validate(spec_ctx *c)
{
    iw_spec *s = c->spec;
    if (!c->key_line[SPEC_KEY_NAME])
        return spec_fail(c, c->top_line, "name", "missing: every sweep file needs a name (it names the store results/<name>.h5)");
    if (!c->key_line[SPEC_KEY_TRAIN_LR_DROPOUT]) s->train.lr_dropout = s->train.lr;
    if (check_data(c) || check_model(c) || check_record(c) || spec_check_eval_epochs(c) || check_grid(c) ||
        spec_check_run_settings(c) || spec_check_trainable(c))
        return -1;
    return 0;
}
