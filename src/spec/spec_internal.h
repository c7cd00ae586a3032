/* spec_internal.h — what the sweep-file parser's files share: the table of known keys, the parse
 * context (file name, YAML document, where each key was seen) and the scalar readers that turn a
 * YAML node into a checked value or a message "file:line: key 'a.b': expected ..., got '...'".
 * Not part of the public API (include/iw/spec.h is).
 */
#ifndef IW_SPEC_INTERNAL_H
#define IW_SPEC_INTERNAL_H

#include <yaml.h>
#include "iw/spec.h"

/* Every key a sweep file may contain, sections included, as dotted names, except the keys under
 * grid: those are the axis table's names (axis.h), grid.<name>. The parent of a key is its name up
 * to the last dot ("" for the top level). Order: each section right before its keys. */
#define SPEC_KEYS(X)                                                                              \
    X(NAME, "name") X(DATA, "data") X(DATA_SOURCE, "data.source") X(DATA_PATH, "data.path")      \
    X(DATA_CLASSES, "data.classes") X(DATA_TRAIN_PER_CLASS, "data.train_per_class")              \
    X(DATA_TEST_PER_CLASS, "data.test_per_class") X(DATA_VAL_PER_CLASS, "data.val_per_class")    \
    X(DATA_PROBES, "data.probes")                                                                 \
    X(DATA_NOISE_COUNT, "data.noise_count") X(DATA_OTHER_COUNT, "data.other_count")               \
    X(DATA_SEED, "data.seed")                                                                     \
    X(DATA_SYNTHETIC, "data.synthetic") X(SYN_STD, "data.synthetic.std")                          \
    X(SYN_ROTATION, "data.synthetic.rotation") X(SYN_SHIFT, "data.synthetic.shift")               \
    X(MODEL, "model") X(MODEL_KIND, "model.kind") X(MODEL_HIDDEN, "model.hidden")                 \
    X(MODEL_CHANNELS, "model.channels") X(MODEL_FC, "model.fc") X(MODEL_INIT, "model.init")       \
    X(TRAIN, "train") X(TRAIN_EPOCHS, "train.epochs") X(TRAIN_BATCH_SIZE, "train.batch_size")     \
    X(TRAIN_LR, "train.lr") X(TRAIN_LR_DROPOUT, "train.lr_dropout")                              \
    X(TRAIN_MOMENTUM, "train.momentum") X(TRAIN_NORMALIZE, "train.normalize")                     \
    X(TRAIN_POLY_ALPHA, "train.poly_alpha") X(TRAIN_LDAM_MAX_MARGIN, "train.ldam_max_margin")     \
    X(TRAIN_LDAM_SCALE, "train.ldam_scale") X(TRAIN_LA_TAU, "train.la_tau")                       \
    X(TRAIN_CHECKPOINT_EVERY, "train.checkpoint_every")                                           \
    X(TRAIN_CHECKPOINT_MINUTES, "train.checkpoint_minutes")                                       \
    X(GRID, "grid") X(RECORD, "record")                                                           \
    X(RECORD_BOUNDARY_EPOCHS, "record.boundary_epochs")                                           \
    X(RECORD_BOUNDARY_GRID, "record.boundary_grid")                                               \
    X(RECORD_BOUNDARY_RANGE, "record.boundary_range")                                             \
    X(RECORD_EVAL_EPOCHS, "record.eval_epochs")                                                   \
    X(RECORD_EVAL_EVERY_UNTIL, "record.eval_epochs.every_until")                                  \
    X(RECORD_EVAL_THEN_EVERY, "record.eval_epochs.then_every")                                    \
    X(RECORD_LOGIT_EPOCHS, "record.logit_epochs")

#define SPEC_KEY_ENUM(id, dotted) SPEC_KEY_##id,
typedef enum { SPEC_KEYS(SPEC_KEY_ENUM) SPEC_KEY_COUNT } spec_key;
#undef SPEC_KEY_ENUM

extern const char *const spec_key_names[SPEC_KEY_COUNT];

typedef struct spec_ctx {
    const char *file;          /* for messages */
    yaml_document_t *doc;
    iw_spec *spec;
    iw_error *err;
    int key_line[SPEC_KEY_COUNT];                /* 1-based line where each key was given, 0 = absent */
    int axis_line[IW_AXIS_COUNT];                /* the same for grid.<axis> */
    int boundary_line[IW_MAX_RECORD_EPOCHS];     /* line of each record.boundary_epochs value */
    int eval_line[IW_MAX_EVAL_EPOCHS];           /* line of each record.eval_epochs value (list form) */
    int logit_line[IW_MAX_RECORD_EPOCHS];        /* line of each record.logit_epochs value */
    int top_line;                                /* line where the top-level mapping starts */
} spec_ctx;

/* ---- value.c: messages and scalar readers ---- */
int spec_line(const yaml_node_t *node);             /* 1-based */
/* "file:line: key 'key': <fmt>"; key may be NULL ("file:line: <fmt>"); line 0 omits the line. */
int spec_fail(spec_ctx *c, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* What a node holds, for "got ...": "'ten'" (printable, shortened), "a list", "a mapping", "nothing". */
void spec_describe(const yaml_node_t *node, char *buf, size_t size);
int spec_is_null(const yaml_node_t *node);
/* 1 when the node is the scalar `word` (quoted or not, as enum values are read). */
int spec_is_word(const yaml_node_t *node, const char *word);

int spec_read_int(spec_ctx *c, const yaml_node_t *node, const char *key, long long lo, long long hi,
                  long long *out);
/* A whole number in lo..hi, or the plain (unquoted) word `word`, which gives word_value: "all". */
int spec_read_int_or_word(spec_ctx *c, const yaml_node_t *node, const char *key, const char *word, long long word_value,
                          long long lo, long long hi, long long *out);
/* Finite numbers in lo..hi; lo_open/hi_open make the bound strict. +-INFINITY = no bound. */
int spec_read_real(spec_ctx *c, const yaml_node_t *node, const char *key, double lo, int lo_open,
                   double hi, int hi_open, double *out);
int spec_read_bool(spec_ctx *c, const yaml_node_t *node, const char *key, int *out);
int spec_read_enum(spec_ctx *c, const yaml_node_t *node, const char *key,
                   const char *const *names, int n_names, int *out);
int spec_read_string(spec_ctx *c, const yaml_node_t *node, const char *key, char *buf, size_t size);
/* A list of min..max items (max < 0: no limit); *items points into the document. */
int spec_read_list(spec_ctx *c, const yaml_node_t *node, const char *key, int min, int max,
                   const char *example, yaml_node_item_t **items, int *n);
yaml_node_t *spec_item(spec_ctx *c, const yaml_node_item_t *items, int i);

/* Every known key in the file's order, grid.<axis> for each axis right after "grid": the k-th of
 * SPEC_KNOWN_KEYS (k >= 0), its dotted name written into buf when needed. */
#define SPEC_KNOWN_KEYS (SPEC_KEY_COUNT + IW_AXIS_COUNT)
const char *spec_known_key(int k, char *buf, size_t size);

/* Closest known key to `given` under section `parent` ("" = top level) for "did you mean", into
 * out; 0 when none is close. */
int spec_suggest_key(const char *parent, const char *given, char *out, size_t size);

/* ---- encoding.c ---- */
/* 0 when text[0..len) is UTF-8 (after an optional UTF-8 byte-order mark); else -1 with
 * "file:line: ..." naming the encoding found (UTF-16/32 mark, NUL byte, non-UTF-8 bytes). */
int spec_check_encoding(spec_ctx *c, const char *text, size_t len);

/* ---- trainable.c ---- */
/* Refuses settings under which some run could take no optimiser step (after spec_validate's grid
 * defaults): batch norm with batch_size 1, a sub-sample that keeps no example of a class, weights
 * or learning rates that are 0 or infinite in float32. 0, or -1 with the key and its line. */
int spec_check_trainable(spec_ctx *c);

/* ---- parse.c / validate.c ---- */
int spec_parse_document(spec_ctx *c);   /* walks the document into c->spec */
/* Walks a mapping whose keys live under `parent` ("" for the top level): each known key's value is
 * read (or walked, for a section), unknown and duplicate keys are refused. */
int spec_walk_mapping(spec_ctx *c, const char *parent, const yaml_node_t *node);
int spec_validate(spec_ctx *c);         /* defaults that depend on other keys, cross-key checks */
/* settings.c: spec->axis_default, train keys and axes that only some runs use, logit size; called
 * by spec_validate once spec->axes is in canonical order. */
int spec_check_run_settings(spec_ctx *c);

/* ---- eval_epochs.c: record.eval_epochs ---- */
/* Reads the value of record.eval_epochs or of one of its rule's keys (id is SPEC_KEY_RECORD_EVAL_*). */
int spec_read_eval_epochs(spec_ctx *c, spec_key id, const yaml_node_t *node);
/* Once train.epochs is known: list epochs in 0..E. */
int spec_check_eval_epochs(spec_ctx *c);

extern const char *const spec_source_names[4];
extern const char *const spec_model_names[4];
extern const char *const spec_init_names[2];

#endif
