/* eval_epochs.c — record.eval_epochs: after which epochs a run evaluates its metrics (those of the
 * other epochs stay NaN in the store). Read in one of three forms (spec.h: `all`, a list, a rule
 * {every_until, then_every}), checked against train.epochs once the whole file is read, and the one
 * predicate that the run, the store and the cost model ask: iw_spec_epoch_evaluated.
 *
 * Epoch 0, the last epoch, the boundary epochs and the logit epochs are always in the set: a
 * schedule only leaves out epochs that nothing else asked for, and a boundary or logit epoch has
 * metrics to read beside it. Training never depends on the set (evaluation draws no random numbers and changes
 * no state), so a sparse sweep's values equal a dense one's at the epochs both evaluate.
 */
#include "spec/spec_internal.h"

#include <limits.h>
#include <stdio.h>

static const char forms[] = "all, a list of epochs like [1, 2, 5, 10, 20] or a rule like {every_until: 10, then_every: 10}";

static int read_list(spec_ctx *c, const char *key, const yaml_node_t *node)
{
    iw_eval_schedule *ev = &c->spec->record.eval;
    yaml_node_item_t *items;
    int n;
    if (spec_read_list(c, node, key, 0, IW_MAX_EVAL_EPOCHS, "[1, 2, 5, 10, 20]", &items, &n)) return -1;
    for (int i = 0; i < n; i++) {
        char k[96];
        long long v;
        snprintf(k, sizeof k, "%s[%d]", key, i);
        yaml_node_t *item = spec_item(c, items, i);
        if (spec_read_int(c, item, k, 0, INT_MAX, &v)) return -1;
        if (i > 0 && v <= ev->epochs[i - 1])
            return spec_fail(c, spec_line(item), k, "epochs must increase, got %lld after %d", v, ev->epochs[i - 1]);
        ev->epochs[i] = (int)v;
        c->eval_line[i] = spec_line(item);
    }
    ev->form = IW_EVAL_LIST;
    ev->n_epochs = n;
    return 0;
}

int spec_read_eval_epochs(spec_ctx *c, spec_key id, const yaml_node_t *node)
{
    iw_eval_schedule *ev = &c->spec->record.eval;
    const char *key = spec_key_names[id];
    long long v;
    if (id == SPEC_KEY_RECORD_EVAL_EVERY_UNTIL) {
        if (spec_read_int(c, node, key, 0, INT_MAX, &v)) return -1;
        ev->every_until = (int)v;
        return 0;
    }
    if (id == SPEC_KEY_RECORD_EVAL_THEN_EVERY) {
        if (spec_read_int(c, node, key, 1, INT_MAX, &v)) return -1;
        ev->then_every = (int)v;
        return 0;
    }
    if (node->type == YAML_SEQUENCE_NODE) return read_list(c, key, node);
    if (node->type == YAML_MAPPING_NODE) {
        ev->form = IW_EVAL_RULE;
        ev->every_until = ev->then_every = 0;
        if (spec_walk_mapping(c, key, node)) return -1;
        if (!c->key_line[SPEC_KEY_RECORD_EVAL_EVERY_UNTIL] && !c->key_line[SPEC_KEY_RECORD_EVAL_THEN_EVERY])
            return spec_fail(c, spec_line(node), key,
                             "a rule needs every_until, then_every or both, like {every_until: 10, then_every: 10}");
        return 0;
    }
    if (spec_is_word(node, "all")) {
        ev->form = IW_EVAL_ALL;
        return 0;
    }
    char got[80];
    spec_describe(node, got, sizeof got);
    return spec_fail(c, spec_line(node), key, "expected %s, got %s", forms, got);
}

int spec_check_eval_epochs(spec_ctx *c)
{
    const iw_eval_schedule *ev = &c->spec->record.eval;
    int epochs = c->spec->train.epochs;
    if (ev->form != IW_EVAL_LIST) return 0;
    for (int i = 0; i < ev->n_epochs; i++)
        if (ev->epochs[i] > epochs) {
            char key[64];
            snprintf(key, sizeof key, "record.eval_epochs[%d]", i);
            return spec_fail(c, c->eval_line[i], key, "expected an epoch in 0..%d (train.epochs%s), got %d", epochs,
                             c->key_line[SPEC_KEY_TRAIN_EPOCHS] ? "" : ", default", ev->epochs[i]);
        }
    return 0;
}

int iw_spec_epoch_evaluated(const iw_spec *spec, int epoch)
{
    const iw_eval_schedule *ev = &spec->record.eval;
    if (epoch < 0 || epoch > spec->train.epochs) return 0;
    if (ev->form == IW_EVAL_ALL || epoch == 0 || epoch == spec->train.epochs) return 1;
    for (int s = 0; s < spec->record.n_boundary_epochs; s++)
        if (spec->record.boundary_epochs[s] == epoch) return 1;
    for (int s = 0; s < spec->record.n_logit_epochs; s++)
        if (spec->record.logit_epochs[s] == epoch) return 1;
    if (ev->form == IW_EVAL_RULE) return epoch <= ev->every_until || (ev->then_every > 0 && epoch % ev->then_every == 0);
    int lo = 0, hi = ev->n_epochs; /* the list increases: binary search */
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (ev->epochs[mid] < epoch) lo = mid + 1;
        else hi = mid;
    }
    return lo < ev->n_epochs && ev->epochs[lo] == epoch;
}

int iw_spec_evaluated_epoch_count(const iw_spec *spec)
{
    if (spec->record.eval.form == IW_EVAL_ALL) return spec->train.epochs + 1;
    int n = 0;
    for (int e = 0; e <= spec->train.epochs; e++) n += iw_spec_epoch_evaluated(spec, e);
    return n;
}
