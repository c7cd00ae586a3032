/* parse.c — reads a sweep file into an iw_spec: libyaml builds the document tree (which keeps the
 * 1-based line of every node), then this file walks it section by section against the table of
 * known keys (spec_internal.h). Unknown keys, duplicate keys, wrong types and out-of-range values
 * stop the walk with a message naming the file, the line and the dotted key. Defaults that depend
 * on other keys and checks across keys live in validate.c.
 */
#include "spec/spec_internal.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *const spec_source_names[4] = {"synthetic2d", "fashion-mnist", "mnist", "cifar10"};
const char *const spec_model_names[4] = {"linear", "mlp", "cnn", "resnet"};
const char *const spec_init_names[2] = {"he", "pytorch"};
static const char *const probe_names[2] = {"other-classes", "noise"};

#define MAX_EXAMPLES_PER_CLASS 10000000LL
#define MAX_LAYER_WIDTH 65536LL

static void item_key(char *buf, size_t size, const char *key, int i) { snprintf(buf, size, "%s[%d]", key, i); }

/* One whole number per list item, each in lo..hi. */
static int read_int_list(spec_ctx *c, const yaml_node_t *node, const char *key, int min, int max,
                         const char *example, long long lo, long long hi, int *out, int *n_out)
{
    yaml_node_item_t *items;
    int n;
    if (spec_read_list(c, node, key, min, max, example, &items, &n)) return -1;
    for (int i = 0; i < n; i++) {
        char k[96];
        long long v;
        item_key(k, sizeof k, key, i);
        if (spec_read_int(c, spec_item(c, items, i), k, lo, hi, &v)) return -1;
        out[i] = (int)v;
    }
    if (n_out) *n_out = n;
    return 0;
}

static int read_real_pair(spec_ctx *c, const yaml_node_t *node, const char *key, const char *example,
                          double lo, int lo_open, double *out)
{
    yaml_node_item_t *items;
    int n;
    if (spec_read_list(c, node, key, 2, 2, example, &items, &n)) return -1;
    for (int i = 0; i < 2; i++) {
        char k[96];
        item_key(k, sizeof k, key, i);
        if (spec_read_real(c, spec_item(c, items, i), k, lo, lo_open, INFINITY, 0, &out[i])) return -1;
    }
    return 0;
}

/* A count per class, each >= lo: one number for both classes, or [negative, positive]. */
static int read_per_class(spec_ctx *c, const yaml_node_t *node, const char *key, long long lo, int out[2])
{
    if (node->type == YAML_SEQUENCE_NODE)
        return read_int_list(c, node, key, 2, 2, "[1000, 100]", lo, MAX_EXAMPLES_PER_CLASS, out, NULL);
    long long v;
    if (node->type != YAML_SCALAR_NODE) {
        char got[80];
        spec_describe(node, got, sizeof got);
        return spec_fail(c, spec_line(node), key,
                         "expected a whole number >= %lld or a list [negative, positive] like [1000, 100], got %s", lo, got);
    }
    if (spec_read_int(c, node, key, lo, MAX_EXAMPLES_PER_CLASS, &v)) return -1;
    out[0] = out[1] = (int)v;
    return 0;
}

static int read_name(spec_ctx *c, const yaml_node_t *node)
{
    char *name = c->spec->name;
    int line = spec_line(node);
    if (spec_read_string(c, node, "name", name, sizeof c->spec->name)) return -1;
    if (name[0] == '\0') return spec_fail(c, line, "name", "must not be empty (it names the store results/<name>.h5)");
    if (strchr(name, '/'))
        return spec_fail(c, line, "name", "must not contain '/', got '%.60s' (it names the store results/<name>.h5)", name);
    if (!strcmp(name, ".") || !strcmp(name, ".."))
        return spec_fail(c, line, "name", "must not be '.' or '..' (it names the store results/<name>.h5)");
    for (const unsigned char *p = (const unsigned char *)name; *p; p++)
        if (*p < 0x20 || *p == 0x7f) return spec_fail(c, line, "name", "must not contain control characters");
    return 0;
}

static int read_probes(spec_ctx *c, const yaml_node_t *node)
{
    const char *key = "data.probes";
    yaml_node_item_t *items;
    int n, seen[2] = {0, 0};
    if (spec_read_list(c, node, key, 0, -1, "[other-classes, noise]", &items, &n)) return -1;
    for (int i = 0; i < n; i++) {
        char k[96];
        int p;
        item_key(k, sizeof k, key, i);
        yaml_node_t *item = spec_item(c, items, i);
        if (spec_read_enum(c, item, k, probe_names, 2, &p)) return -1;
        if (seen[p]) return spec_fail(c, spec_line(item), k, "probe '%s' is listed twice", probe_names[p]);
        seen[p] = 1;
    }
    c->spec->data.probe_other = seen[0];
    c->spec->data.probe_noise = seen[1];
    return 0;
}

/* record.boundary_epochs, record.logit_epochs: 1 to IW_MAX_RECORD_EPOCHS increasing epochs (their
 * upper bound, train.epochs, is checked in validate.c), each value's line into lines[]. */
static int read_record_epochs(spec_ctx *c, const yaml_node_t *node, const char *key, int *epochs, int *n_out,
                              int *lines)
{
    yaml_node_item_t *items;
    int n;
    if (spec_read_list(c, node, key, 1, IW_MAX_RECORD_EPOCHS, "[0, 10, 100]", &items, &n)) return -1;
    for (int i = 0; i < n; i++) {
        char k[96];
        long long v;
        item_key(k, sizeof k, key, i);
        yaml_node_t *item = spec_item(c, items, i);
        if (spec_read_int(c, item, k, 0, INT_MAX, &v)) return -1;
        if (i > 0 && v <= epochs[i - 1])
            return spec_fail(c, spec_line(item), k, "epochs must increase, got %lld after %d", v, epochs[i - 1]);
        epochs[i] = (int)v;
        lines[i] = spec_line(item);
    }
    *n_out = n;
    return 0;
}

static int read_boundary_range(spec_ctx *c, const yaml_node_t *node)
{
    const char *key = "record.boundary_range";
    double *b = c->spec->record.boundary_range;
    yaml_node_item_t *items;
    int n;
    if (spec_read_list(c, node, key, 4, 4, "[xmin, xmax, ymin, ymax] like [-4, 6, -4, 6]", &items, &n)) return -1;
    for (int i = 0; i < 4; i++) {
        char k[96];
        item_key(k, sizeof k, key, i);
        if (spec_read_real(c, spec_item(c, items, i), k, -INFINITY, 0, INFINITY, 0, &b[i])) return -1;
    }
    if (!(b[0] < b[1]) || !(b[2] < b[3]))
        return spec_fail(c, spec_line(node), key, "expected [xmin, xmax, ymin, ymax] with xmin < xmax and ymin < ymax, got [%g, %g, %g, %g]",
                         b[0], b[1], b[2], b[3]);
    return 0;
}

/* One value of an axis, checked against its row of the axis table. */
static int read_axis_value(spec_ctx *c, const iw_axis_def *def, const yaml_node_t *item, const char *key, double *v)
{
    long long whole;
    int index;
    switch (def->type) {
    case IW_AXIS_REAL: return spec_read_real(c, item, key, def->lo, def->lo_open, def->hi, def->hi_open, v);
    case IW_AXIS_INT: { /* values travel as doubles: whole numbers are exact up to 2^53 */
        const double exact = 9007199254740992.0;
        long long lo = (long long)(def->lo > -exact ? def->lo : -exact), hi = (long long)(def->hi < exact ? def->hi : exact);
        if (spec_read_int(c, item, key, lo, hi, &whole)) return -1;
        *v = (double)whole;
        return 0;
    }
    case IW_AXIS_FLAG:
        if (spec_read_bool(c, item, key, &index)) return -1;
        *v = index;
        return 0;
    case IW_AXIS_ENUM:
        if (spec_read_enum(c, item, key, def->names, def->n_names, &index)) return -1;
        *v = index;
        return 0;
    }
    return spec_fail(c, spec_line(item), key, "internal error: axis type %d", (int)def->type);
}

/* grid.<axis>: a non-empty list of distinct values of the axis's type, into spec->axes[id] (the
 * axes are put in canonical order once the whole file is read, validate.c). */
static int read_axis(spec_ctx *c, iw_axis_id id, const yaml_node_t *node)
{
    const iw_axis_def *def = &iw_axis_defs[id];
    iw_axis *axis = &c->spec->axes[id];
    char key[96];
    snprintf(key, sizeof key, "grid.%s", def->name);
    yaml_node_item_t *items;
    int n;
    if (spec_read_list(c, node, key, 0, IW_MAX_AXIS_VALUES, def->example, &items, &n)) return -1;
    if (n == 0) return spec_fail(c, spec_line(node), key, "empty axis: give at least one value, like %s", def->example);
    axis->id = id;
    axis->def = def;
    axis->values = malloc((size_t)n * sizeof *axis->values);
    if (!axis->values) return spec_fail(c, spec_line(node), key, "out of memory");
    axis->count = n;
    for (int i = 0; i < n; i++) {
        char k[128];
        yaml_node_t *item = spec_item(c, items, i);
        double v = 0;
        item_key(k, sizeof k, key, i);
        if (read_axis_value(c, def, item, k, &v)) return -1;
        for (int j = 0; j < i; j++)
            if (axis->values[j] == v)
                return spec_fail(c, spec_line(item), k, "duplicate axis value (the same as %s[%d] on line %d); each value must appear once",
                                 key, j, spec_line(spec_item(c, items, j)));
        axis->values[i] = v;
    }
    return 0;
}

/* A key that is not a section: read its value into the spec. */
static int read_leaf(spec_ctx *c, spec_key id, const yaml_node_t *node)
{
    iw_spec *s = c->spec;
    const char *key = spec_key_names[id];
    long long v;
    int e;
    switch (id) {
    case SPEC_KEY_NAME: return read_name(c, node);
    case SPEC_KEY_DATA_SOURCE:
        if (spec_read_enum(c, node, key, spec_source_names, 4, &e)) return -1;
        s->data.source = (iw_source)e;
        return 0;
    case SPEC_KEY_DATA_PATH:
        if (spec_read_string(c, node, key, s->data.path, sizeof s->data.path)) return -1;
        if (!s->data.path[0]) return spec_fail(c, spec_line(node), key, "must not be empty");
        s->data.path_line = spec_line(node);
        return 0;
    case SPEC_KEY_DATA_CLASSES:
        if (read_int_list(c, node, key, 2, 2, "[0, 6] ([negative, positive])", 0, 9, s->data.classes, NULL)) return -1;
        if (s->data.classes[0] == s->data.classes[1])
            return spec_fail(c, spec_line(node), key, "the two classes must differ, got [%d, %d]", s->data.classes[0], s->data.classes[1]);
        return 0;
    case SPEC_KEY_DATA_TRAIN_PER_CLASS: return read_per_class(c, node, key, 1, s->data.train_per_class);
    case SPEC_KEY_DATA_TEST_PER_CLASS: return read_per_class(c, node, key, 1, s->data.test_per_class);
    case SPEC_KEY_DATA_VAL_PER_CLASS: return read_per_class(c, node, key, 0, s->data.val_per_class);
    case SPEC_KEY_DATA_PROBES: return read_probes(c, node);
    case SPEC_KEY_DATA_NOISE_COUNT:
        if (spec_read_int(c, node, key, 0, MAX_EXAMPLES_PER_CLASS, &v)) return -1;
        s->data.noise_count = (int)v;
        return 0;
    case SPEC_KEY_DATA_OTHER_COUNT: /* whether the probe holds that many is the loader's question */
        if (spec_read_int_or_word(c, node, key, "all", 0, 1, MAX_EXAMPLES_PER_CLASS, &v)) return -1;
        s->data.other_count = (int)v;
        s->data.other_count_line = spec_line(node);
        return 0;
    case SPEC_KEY_DATA_SEED:
        if (spec_read_int(c, node, key, 0, LLONG_MAX, &v)) return -1;
        s->data.data_seed = (uint64_t)v;
        return 0;
    case SPEC_KEY_SYN_STD: return read_real_pair(c, node, key, "[0.5, 0.125]", 0, 1, s->data.synthetic.std);
    case SPEC_KEY_SYN_ROTATION:
        return spec_read_real(c, node, key, -INFINITY, 0, INFINITY, 0, &s->data.synthetic.rotation_deg);
    case SPEC_KEY_SYN_SHIFT: return read_real_pair(c, node, key, "[3.0, 0.0]", -INFINITY, 0, s->data.synthetic.shift);
    case SPEC_KEY_MODEL_KIND:
        if (spec_read_enum(c, node, key, spec_model_names, 4, &e)) return -1;
        s->model.kind = (iw_model_kind)e;
        return 0;
    case SPEC_KEY_MODEL_HIDDEN:
        return read_int_list(c, node, key, 1, IW_MAX_HIDDEN, "[256, 256]", 1, MAX_LAYER_WIDTH, s->model.hidden, &s->model.n_hidden);
    case SPEC_KEY_MODEL_CHANNELS:
        return read_int_list(c, node, key, 1, IW_MAX_CHANNELS, "[64, 64, 128, 128, 128]", 1, 4096, s->model.channels,
                             &s->model.n_channels);
    case SPEC_KEY_MODEL_FC:
        return read_int_list(c, node, key, 1, 4, "[512, 128]", 1, MAX_LAYER_WIDTH, s->model.fc, &s->model.n_fc);
    case SPEC_KEY_MODEL_INIT:
        if (spec_read_enum(c, node, key, spec_init_names, 2, &e)) return -1;
        s->model.init = (iw_init)e;
        return 0;
    case SPEC_KEY_TRAIN_EPOCHS:
        if (spec_read_int(c, node, key, 1, 1000000, &v)) return -1;
        s->train.epochs = (int)v;
        return 0;
    case SPEC_KEY_TRAIN_BATCH_SIZE:
        if (spec_read_int(c, node, key, 1, 1 << 20, &v)) return -1;
        s->train.batch_size = (int)v;
        return 0;
    case SPEC_KEY_TRAIN_LR: return spec_read_real(c, node, key, 0, 1, INFINITY, 0, &s->train.lr);
    case SPEC_KEY_TRAIN_LR_DROPOUT: return spec_read_real(c, node, key, 0, 1, INFINITY, 0, &s->train.lr_dropout);
    case SPEC_KEY_TRAIN_MOMENTUM: return spec_read_real(c, node, key, 0, 0, 1, 1, &s->train.momentum);
    case SPEC_KEY_TRAIN_NORMALIZE: { /* the names of the normalize axis: one list of the choices */
        const iw_axis_def *def = &iw_axis_defs[IW_AXIS_NORMALIZE];
        if (spec_read_enum(c, node, key, def->names, def->n_names, &e)) return -1;
        s->train.normalize = (iw_normalize)e;
        return 0;
    }
    case SPEC_KEY_TRAIN_POLY_ALPHA: return spec_read_real(c, node, key, 0, 1, INFINITY, 0, &s->train.poly_alpha);
    case SPEC_KEY_TRAIN_LDAM_MAX_MARGIN: return spec_read_real(c, node, key, 0, 0, INFINITY, 0, &s->train.ldam_max_margin);
    case SPEC_KEY_TRAIN_LDAM_SCALE: return spec_read_real(c, node, key, 0, 1, INFINITY, 0, &s->train.ldam_scale);
    case SPEC_KEY_TRAIN_LA_TAU: return spec_read_real(c, node, key, -INFINITY, 0, INFINITY, 0, &s->train.la_tau);
    case SPEC_KEY_TRAIN_CHECKPOINT_EVERY:
        if (spec_read_int(c, node, key, 0, INT_MAX, &v)) return -1;
        s->train.checkpoint_every = (int)v;
        return 0;
    case SPEC_KEY_TRAIN_CHECKPOINT_MINUTES:
        return spec_read_real(c, node, key, 0, 0, INFINITY, 0, &s->train.checkpoint_minutes);
    case SPEC_KEY_RECORD_BOUNDARY_EPOCHS:
        return read_record_epochs(c, node, key, s->record.boundary_epochs, &s->record.n_boundary_epochs, c->boundary_line);
    case SPEC_KEY_RECORD_LOGIT_EPOCHS:
        return read_record_epochs(c, node, key, s->record.logit_epochs, &s->record.n_logit_epochs, c->logit_line);
    case SPEC_KEY_RECORD_BOUNDARY_GRID:
        if (spec_read_int(c, node, key, 2, 1024, &v)) return -1;
        s->record.boundary_grid = (int)v;
        return 0;
    case SPEC_KEY_RECORD_BOUNDARY_RANGE: return read_boundary_range(c, node);
    case SPEC_KEY_RECORD_EVAL_EPOCHS:
    case SPEC_KEY_RECORD_EVAL_EVERY_UNTIL:
    case SPEC_KEY_RECORD_EVAL_THEN_EVERY: return spec_read_eval_epochs(c, id, node);
    default: return spec_fail(c, spec_line(node), key, "internal error: no reader for this key");
    }
}

static int is_section(spec_key id)
{
    return id == SPEC_KEY_DATA || id == SPEC_KEY_DATA_SYNTHETIC || id == SPEC_KEY_MODEL || id == SPEC_KEY_TRAIN ||
           id == SPEC_KEY_GRID || id == SPEC_KEY_RECORD;
}

/* "name, data, model, ..." — the keys directly under `parent`. */
static void list_keys(const char *parent, char *buf, size_t size)
{
    size_t plen = strlen(parent);
    char scratch[96];
    buf[0] = '\0';
    for (int k = 0; k < SPEC_KNOWN_KEYS; k++) {
        const char *name = spec_known_key(k, scratch, sizeof scratch), *leaf = strrchr(name, '.');
        leaf = leaf ? leaf + 1 : name;
        int direct = plen == 0 ? leaf == name : ((size_t)(leaf - name) == plen + 1 && !strncmp(name, parent, plen));
        if (!direct) continue;
        if (buf[0]) strncat(buf, ", ", size - strlen(buf) - 1);
        strncat(buf, leaf, size - strlen(buf) - 1);
    }
}

static int unknown_key(spec_ctx *c, const char *parent, const char *given, int line)
{
    char dotted[160], known[512];
    snprintf(dotted, sizeof dotted, "%s%s%.63s", parent, parent[0] ? "." : "", given);
    list_keys(parent, known, sizeof known);
    const char *where = parent[0] ? parent : "the top level";
    if (strchr(given, '.'))
        return spec_fail(c, line, NULL, "unknown key '%s': keys are nested, not dotted (write '%.*s:' and indent the rest below it); "
                         "keys of %s: %s", dotted, (int)strcspn(given, "."), given, where, known);
    char hint[96];
    if (spec_suggest_key(parent, given, hint, sizeof hint))
        return spec_fail(c, line, NULL, "unknown key '%s' (did you mean '%s'?); keys of %s: %s", dotted, hint, where, known);
    return spec_fail(c, line, NULL, "unknown key '%s'; keys of %s: %s", dotted, where, known);
}

int spec_walk_mapping(spec_ctx *c, const char *parent, const yaml_node_t *node)
{
    if (node->type != YAML_MAPPING_NODE) {
        char got[80], known[512];
        spec_describe(node, got, sizeof got);
        list_keys(parent, known, sizeof known);
        return spec_fail(c, spec_line(node), parent, "expected a mapping of keys (%s), got %s", known, got);
    }
    yaml_node_pair_t *pairs = node->data.mapping.pairs.start;
    long n = (long)(node->data.mapping.pairs.top - pairs);
    for (long i = 0; i < n; i++) {
        yaml_node_t *key_node = yaml_document_get_node(c->doc, pairs[i].key);
        yaml_node_t *value = yaml_document_get_node(c->doc, pairs[i].value);
        int line = spec_line(key_node);
        if (key_node->type != YAML_SCALAR_NODE || spec_is_null(key_node)) {
            char got[80];
            spec_describe(key_node, got, sizeof got);
            return spec_fail(c, line, parent[0] ? parent : NULL, "expected a key name, got %s", got);
        }
        char given[64];
        size_t klen = key_node->data.scalar.length;
        if (klen > sizeof given - 1 || memchr(key_node->data.scalar.value, '\0', klen)) klen = 0;
        memcpy(given, key_node->data.scalar.value, klen);
        given[klen] = '\0';
        char dotted[160];
        snprintf(dotted, sizeof dotted, "%s%s%s", parent, parent[0] ? "." : "", given);
        int id = -1;
        const iw_axis_def *axis = NULL;
        if (klen > 0 && !strchr(given, '.')) {
            if (!strcmp(parent, "grid")) axis = iw_axis_find(given);
            else
                for (int k = 0; k < SPEC_KEY_COUNT && id < 0; k++)
                    if (!strcmp(spec_key_names[k], dotted)) id = k;
        }
        if (axis) {
            iw_axis_id a = (iw_axis_id)(axis - iw_axis_defs);
            if (c->axis_line[a]) return spec_fail(c, line, dotted, "duplicate key (first given on line %d)", c->axis_line[a]);
            c->axis_line[a] = line;
            if (read_axis(c, a, value)) return -1;
            continue;
        }
        if (id < 0) {
            if (klen == 0) {
                char got[80];
                spec_describe(key_node, got, sizeof got);
                return spec_fail(c, line, NULL, "unknown key %s under %s", got, parent[0] ? parent : "the top level");
            }
            return unknown_key(c, parent, given, line);
        }
        if (c->key_line[id])
            return spec_fail(c, line, spec_key_names[id], "duplicate key (first given on line %d)", c->key_line[id]);
        c->key_line[id] = line;
        int rc = is_section((spec_key)id) ? spec_walk_mapping(c, spec_key_names[id], value) : read_leaf(c, (spec_key)id, value);
        if (rc) return -1;
    }
    return 0;
}

int spec_parse_document(spec_ctx *c)
{
    yaml_node_t *root = yaml_document_get_root_node(c->doc);
    c->top_line = spec_line(root);
    if (root->type != YAML_MAPPING_NODE) {
        char got[80];
        spec_describe(root, got, sizeof got);
        return spec_fail(c, spec_line(root), NULL, "the top level must be a mapping of keys (name:, data:, model:, train:, grid:, record:), got %s",
                         got);
    }
    return spec_walk_mapping(c, "", root);
}
