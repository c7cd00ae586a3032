/* compare.c — are two parsed sweeps the same sweep? (iw_spec_compare in spec.h)
 *
 * "The same sweep" is the same parsed sweep: every key of the key table and grid.<axis> for every
 * axis of the axis table, each with its default filled in, compared as text written from the
 * parsed values (reals in the fewest digits that read back exactly, lists in the file's order:
 * the order of an axis's values numbers the runs). The file's bytes — line endings, comments,
 * key order, flow or block style, a default written out or left out — do not take part; the
 * store keeps those verbatim in /spec. Adding a key to the table without a case below does not
 * compile (-Wswitch, no default case).
 */
#include "spec/spec_internal.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct text {
    char *s;
    size_t len, cap;
    int failed;           /* out of memory */
} text;

static void put(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(text *t, const char *fmt, ...)
{
    if (t->failed) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int n = vsnprintf(t->s ? t->s + t->len : NULL, t->s ? t->cap - t->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            t->failed = 1;
            return;
        }
        if (t->s && t->len + (size_t)n < t->cap) {
            t->len += (size_t)n;
            return;
        }
        size_t cap = (t->cap ? t->cap * 2 : 256) + (size_t)n;
        char *s = realloc(t->s, cap);
        if (!s) {
            t->failed = 1;
            return;
        }
        t->s = s;
        t->cap = cap;
    }
}

/* The fewest digits that read back as the same double (iw_format_number). */
static void put_real(text *t, double v)
{
    char buf[48];
    iw_format_number(v, buf, sizeof buf);
    put(t, "%s", buf);
}

static void put_ints(text *t, const int *v, int n)
{
    put(t, "[");
    for (int i = 0; i < n; i++) put(t, "%s%d", i ? ", " : "", v[i]);
    put(t, "]");
}

static void put_reals(text *t, const double *v, int n)
{
    put(t, "[");
    for (int i = 0; i < n; i++) {
        if (i) put(t, ", ");
        put_real(t, v[i]);
    }
    put(t, "]");
}

/* The epochs the schedule evaluates, as ranges "0-10, 20, 30": two schedules that evaluate the
 * same epochs (a rule and the list it expands to) are the same sweep. `all` stays "all", so a
 * change of train.epochs alone lists only train.epochs. */
static void put_evaluated(text *t, const iw_spec *s)
{
    const int E = s->train.epochs;
    if (s->record.eval.form == IW_EVAL_ALL) { /* every epoch, whatever E (train.epochs says it) */
        put(t, "all");
        return;
    }
    put(t, "[");
    int first = 1;
    for (int e = 0; e <= E; e++) {
        if (!iw_spec_epoch_evaluated(s, e)) continue;
        int end = e;
        while (end < E && iw_spec_epoch_evaluated(s, end + 1)) end++;
        put(t, end > e ? "%s%d-%d" : "%s%d", first ? "" : ", ", e, end);
        first = 0;
        e = end;
    }
    put(t, "]");
}

/* Writes the value of key id; nothing for a section. */
static void key_value(const iw_spec *s, spec_key id, text *t)
{
    const iw_data_spec *d = &s->data;
    switch (id) {
    case SPEC_KEY_NAME: put(t, "%s", s->name); break;
    case SPEC_KEY_DATA_SOURCE: put(t, "%s", spec_source_names[d->source]); break;
    case SPEC_KEY_DATA_PATH: put(t, "%s", d->path); break;
    case SPEC_KEY_DATA_CLASSES: put_ints(t, d->classes, 2); break;
    case SPEC_KEY_DATA_TRAIN_PER_CLASS: put_ints(t, d->train_per_class, 2); break;
    case SPEC_KEY_DATA_TEST_PER_CLASS: put_ints(t, d->test_per_class, 2); break;
    case SPEC_KEY_DATA_VAL_PER_CLASS: put_ints(t, d->val_per_class, 2); break;
    case SPEC_KEY_DATA_PROBES:
        put(t, "[%s%s%s]", d->probe_other ? "other-classes" : "", d->probe_other && d->probe_noise ? ", " : "",
            d->probe_noise ? "noise" : "");
        break;
    case SPEC_KEY_DATA_NOISE_COUNT: put(t, "%d", d->noise_count); break;
    case SPEC_KEY_DATA_OTHER_COUNT:
        if (d->other_count > 0)
            put(t, "%d", d->other_count);
        else
            put(t, "all");
        break;
    case SPEC_KEY_DATA_SEED: put(t, "%" PRIu64, d->data_seed); break;
    case SPEC_KEY_SYN_STD: put_reals(t, d->synthetic.std, 2); break;
    case SPEC_KEY_SYN_ROTATION: put_real(t, d->synthetic.rotation_deg); break;
    case SPEC_KEY_SYN_SHIFT: put_reals(t, d->synthetic.shift, 2); break;
    case SPEC_KEY_MODEL_KIND: put(t, "%s", spec_model_names[s->model.kind]); break;
    case SPEC_KEY_MODEL_HIDDEN: put_ints(t, s->model.hidden, s->model.n_hidden); break;
    case SPEC_KEY_MODEL_CHANNELS: put_ints(t, s->model.channels, s->model.n_channels); break;
    case SPEC_KEY_MODEL_FC: put_ints(t, s->model.fc, s->model.n_fc); break;
    case SPEC_KEY_MODEL_INIT: put(t, "%s", spec_init_names[s->model.init]); break;
    case SPEC_KEY_TRAIN_EPOCHS: put(t, "%d", s->train.epochs); break;
    case SPEC_KEY_TRAIN_BATCH_SIZE: put(t, "%d", s->train.batch_size); break;
    case SPEC_KEY_TRAIN_LR: put_real(t, s->train.lr); break;
    case SPEC_KEY_TRAIN_LR_DROPOUT: put_real(t, s->train.lr_dropout); break;
    case SPEC_KEY_TRAIN_MOMENTUM: put_real(t, s->train.momentum); break;
    case SPEC_KEY_TRAIN_NORMALIZE: put(t, "%s", iw_axis_defs[IW_AXIS_NORMALIZE].names[s->train.normalize]); break;
    case SPEC_KEY_TRAIN_POLY_ALPHA: put_real(t, s->train.poly_alpha); break;
    case SPEC_KEY_TRAIN_LDAM_MAX_MARGIN: put_real(t, s->train.ldam_max_margin); break;
    case SPEC_KEY_TRAIN_LDAM_SCALE: put_real(t, s->train.ldam_scale); break;
    case SPEC_KEY_TRAIN_LA_TAU: put_real(t, s->train.la_tau); break;
    case SPEC_KEY_TRAIN_CHECKPOINT_EVERY: put(t, "%d", s->train.checkpoint_every); break;
    case SPEC_KEY_TRAIN_CHECKPOINT_MINUTES: put_real(t, s->train.checkpoint_minutes); break;
    case SPEC_KEY_RECORD_BOUNDARY_EPOCHS: put_ints(t, s->record.boundary_epochs, s->record.n_boundary_epochs); break;
    case SPEC_KEY_RECORD_BOUNDARY_GRID: put(t, "%d", s->record.boundary_grid); break;
    case SPEC_KEY_RECORD_BOUNDARY_RANGE: put_reals(t, s->record.boundary_range, 4); break;
    case SPEC_KEY_RECORD_EVAL_EPOCHS: put_evaluated(t, s); break;
    case SPEC_KEY_RECORD_LOGIT_EPOCHS: put_ints(t, s->record.logit_epochs, s->record.n_logit_epochs); break;
    case SPEC_KEY_RECORD_EVAL_EVERY_UNTIL: /* part of record.eval_epochs's rule, compared there */
    case SPEC_KEY_RECORD_EVAL_THEN_EVERY: break;
    case SPEC_KEY_DATA:
    case SPEC_KEY_DATA_SYNTHETIC:
    case SPEC_KEY_MODEL:
    case SPEC_KEY_TRAIN:
    case SPEC_KEY_GRID:
    case SPEC_KEY_RECORD:
    case SPEC_KEY_COUNT: break;
    }
}

/* grid.<axis>: its values in the file's order, or "(not in the grid)" for an optional axis left out. */
static void axis_value(const iw_spec *s, iw_axis_id id, text *t)
{
    int i = iw_spec_axis_index(s, id);
    if (i < 0) {
        put(t, "(not in the grid)");
        return;
    }
    const iw_axis *axis = &s->axes[i];
    put(t, "[");
    for (int k = 0; k < axis->count; k++) {
        if (k) put(t, ", ");
        if (axis->def->type == IW_AXIS_REAL) {
            put_real(t, axis->values[k]);
        } else {
            char buf[64];
            iw_axis_format(axis->def, axis->values[k], buf, sizeof buf);
            put(t, "%s", buf);
        }
    }
    put(t, "]");
}

/* value into out (size bytes); when either side is longer than fits, the part around the first
 * difference is shown, with "..." where text was left out, so that two shortened values differ. */
static void shorten(const char *value, size_t first_difference, char *out, size_t size)
{
    size_t len = strlen(value);
    if (len < size) {
        snprintf(out, size, "%s", value);
        return;
    }
    size_t keep = size - 8, from = first_difference > keep / 2 ? first_difference - keep / 2 : 0;
    if (from + keep > len) from = len - keep;
    snprintf(out, size, "%s%.*s%s", from ? "..." : "", (int)keep, value + from, from + keep < len ? "..." : "");
}

int iw_spec_compare(const iw_spec *a, const iw_spec *b, iw_spec_change *changes, int max, iw_error *err)
{
    int n = 0;
    for (int k = 0; k < SPEC_KEY_COUNT + IW_AXIS_COUNT; k++) {
        text ta = {0}, tb = {0};
        char key[sizeof changes->key];
        if (k < SPEC_KEY_COUNT) {
            key_value(a, (spec_key)k, &ta);
            key_value(b, (spec_key)k, &tb);
            snprintf(key, sizeof key, "%s", spec_key_names[k]);
        } else {
            iw_axis_id id = (iw_axis_id)(k - SPEC_KEY_COUNT);
            axis_value(a, id, &ta);
            axis_value(b, id, &tb);
            snprintf(key, sizeof key, "grid.%s", iw_axis_defs[id].name);
        }
        int failed = ta.failed || tb.failed;
        const char *va = ta.s ? ta.s : "", *vb = tb.s ? tb.s : "";
        if (!failed && strcmp(va, vb) != 0) {
            if (n < max) {
                size_t first = 0;
                while (va[first] && va[first] == vb[first]) first++;
                snprintf(changes[n].key, sizeof changes[n].key, "%s", key);
                shorten(va, first, changes[n].a, sizeof changes[n].a);
                shorten(vb, first, changes[n].b, sizeof changes[n].b);
            }
            n++;
        }
        free(ta.s);
        free(tb.s);
        if (failed) return iw_error_set(err, "out of memory comparing two sweeps");
    }
    return n;
}
