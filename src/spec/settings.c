/* settings.c — the checks of a sweep file that concern what each run uses, once the grid is known
 * (validate.c has built spec->axes): the value a run takes for an axis the grid lacks
 * (spec->axis_default: the table's default or the train key of the same name), a setting given
 * both as a train key and as an axis (refused: one of them would be ignored), an axis or a train
 * key that only some losses use while no run of the grid has such a loss (refused, as every unused
 * key is), deferred re-weighting beyond the last epoch, and the size of the stored logits.
 */
#include "spec/spec_internal.h"

#include <stdio.h>
#include <string.h>

/* Settings that are both a train key and an axis: the axis varies it across runs, the key fixes
 * it for all. */
static const struct {
    iw_axis_id axis;
    spec_key key;
} both_ways[] = {
    {IW_AXIS_POLY_ALPHA, SPEC_KEY_TRAIN_POLY_ALPHA},
    {IW_AXIS_NORMALIZE, SPEC_KEY_TRAIN_NORMALIZE},
};

/* Train keys of one loss's parameters (engine.h, "Losses"). */
static const struct {
    spec_key key;
    iw_loss_kind loss;
} loss_keys[] = {
    {SPEC_KEY_TRAIN_POLY_ALPHA, IW_LOSS_POLY},
    {SPEC_KEY_TRAIN_LDAM_MAX_MARGIN, IW_LOSS_LDAM},
    {SPEC_KEY_TRAIN_LDAM_SCALE, IW_LOSS_LDAM},
    {SPEC_KEY_TRAIN_LA_TAU, IW_LOSS_LOGIT_ADJUSTED},
};

#define COUNT(a) (sizeof(a) / sizeof *(a))

/* 1 when some run of the grid has value v on axis id (the grid's values, or its default). */
static int some_run_has(const iw_spec *s, iw_axis_id id, double v)
{
    int at = iw_spec_axis_index(s, id);
    if (at < 0) return s->axis_default[id] == v;
    for (int i = 0; i < s->axes[at].count; i++)
        if (s->axes[at].values[i] == v) return 1;
    return 0;
}

/* "grid.loss is [cross-entropy, ldam]" or "grid.loss is not given: every run has cross-entropy". */
static void describe_axis(const iw_spec *s, iw_axis_id id, char *buf, size_t size)
{
    const iw_axis_def *def = &iw_axis_defs[id];
    char value[64];
    int at = iw_spec_axis_index(s, id);
    if (at < 0) {
        iw_axis_format(def, s->axis_default[id], value, sizeof value);
        snprintf(buf, size, "grid.%s is not given: every run has %s", def->name, value);
        return;
    }
    size_t n = (size_t)snprintf(buf, size, "grid.%s is [", def->name);
    for (int i = 0; i < s->axes[at].count && n < size; i++) {
        iw_axis_format(def, s->axes[at].values[i], value, sizeof value);
        n += (size_t)snprintf(buf + n, size - n, "%s%s", i ? ", " : "", value);
    }
    if (n < size) snprintf(buf + n, size - n, "]");
}

static int axis_line(const spec_ctx *c, iw_axis_id id)
{
    return c->axis_line[id] ? c->axis_line[id] : c->key_line[SPEC_KEY_GRID] ? c->key_line[SPEC_KEY_GRID] : c->top_line;
}

static void fill_axis_defaults(spec_ctx *c)
{
    iw_spec *s = c->spec;
    for (int a = 0; a < IW_AXIS_COUNT; a++) s->axis_default[a] = iw_axis_defs[a].default_value;
    s->axis_default[IW_AXIS_POLY_ALPHA] = s->train.poly_alpha;
    s->axis_default[IW_AXIS_NORMALIZE] = (double)s->train.normalize;
}

static int check_given_twice(spec_ctx *c)
{
    for (size_t i = 0; i < COUNT(both_ways); i++) {
        iw_axis_id a = both_ways[i].axis;
        spec_key k = both_ways[i].key;
        if (!c->axis_line[a] || !c->key_line[k]) continue;
        char key[96];
        snprintf(key, sizeof key, "grid.%s", iw_axis_defs[a].name);
        return spec_fail(c, c->axis_line[a], key,
                         "%s (line %d) gives it too; give one of them: the axis varies it across runs, the train key "
                         "fixes it for every run",
                         spec_key_names[k], c->key_line[k]);
    }
    return 0;
}

/* An axis whose row names used_with (poly_alpha: loss poly) needs a run with that value. */
static int check_used_with(spec_ctx *c)
{
    const iw_spec *s = c->spec;
    for (int i = 0; i < s->n_axes; i++) {
        const iw_axis_def *def = s->axes[i].def;
        if (!def->used_with) continue;
        const iw_axis_def *other = iw_axis_find(def->used_with);
        if (!other) continue;
        iw_axis_id other_id = (iw_axis_id)(other - iw_axis_defs);
        if (some_run_has(s, other_id, def->used_with_value)) continue;
        char key[96], value[64], grid[256];
        snprintf(key, sizeof key, "grid.%s", def->name);
        iw_axis_format(other, def->used_with_value, value, sizeof value);
        describe_axis(s, other_id, grid, sizeof grid);
        return spec_fail(c, axis_line(c, s->axes[i].id), key, "used only by runs with %s %s, and no run has it (%s); remove it or add %s to grid.%s",
                         other->name, value, grid, value, other->name);
    }
    return 0;
}

static int check_loss_keys(spec_ctx *c)
{
    const iw_spec *s = c->spec;
    for (size_t i = 0; i < COUNT(loss_keys); i++) {
        spec_key k = loss_keys[i].key;
        if (!c->key_line[k] || some_run_has(s, IW_AXIS_LOSS, loss_keys[i].loss)) continue;
        char grid[256];
        describe_axis(s, IW_AXIS_LOSS, grid, sizeof grid);
        return spec_fail(c, c->key_line[k], spec_key_names[k], "a parameter of loss %s, which no run uses (%s); remove it",
                         iw_axis_defs[IW_AXIS_LOSS].names[loss_keys[i].loss], grid);
    }
    return 0;
}

static int check_reweight_from(spec_ctx *c)
{
    const iw_spec *s = c->spec;
    int at = iw_spec_axis_index(s, IW_AXIS_REWEIGHT_FROM);
    for (int i = 0; at >= 0 && i < s->axes[at].count; i++)
        if (s->axes[at].values[i] > s->train.epochs) {
            char key[96];
            snprintf(key, sizeof key, "grid.reweight_from[%d]", i);
            return spec_fail(c, axis_line(c, IW_AXIS_REWEIGHT_FROM), key,
                             "expected an epoch in 1..%d (train.epochs%s): the weights would never apply, got %.0f",
                             s->train.epochs, c->key_line[SPEC_KEY_TRAIN_EPOCHS] ? "" : ", default", s->axes[at].values[i]);
        }
    return 0;
}

/* /logits holds R x S x N_test x 2 float32: refuse what could not sanely be stored. */
static int check_logit_size(spec_ctx *c)
{
    const iw_spec *s = c->spec;
    const iw_record_spec *r = &s->record;
    if (r->n_logit_epochs == 0) return 0;
    double runs = (double)iw_spec_run_count(s);
    double n_test = (double)s->data.test_per_class[0] + (double)s->data.test_per_class[1];
    double bytes = runs * r->n_logit_epochs * n_test * 2.0 * 4.0;
    if (bytes <= (double)IW_MAX_LOGIT_BYTES) return 0;
    return spec_fail(c, c->key_line[SPEC_KEY_RECORD_LOGIT_EPOCHS], "record.logit_epochs",
                     "the test logits would take %.0f runs x %d epochs x %.0f test examples x 2 classes x 4 bytes = %.1f GiB, "
                     "more than the limit of %.0f GiB: record fewer epochs, use fewer test examples or split the sweep",
                     runs, r->n_logit_epochs, n_test, bytes / 1073741824.0, (double)IW_MAX_LOGIT_BYTES / 1073741824.0);
}

int spec_check_run_settings(spec_ctx *c)
{
    fill_axis_defaults(c);
    if (check_given_twice(c) || check_used_with(c) || check_loss_keys(c) || check_reweight_from(c) ||
        check_logit_size(c))
        return -1;
    return 0;
}
