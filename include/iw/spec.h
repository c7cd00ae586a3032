/* spec.h — the sweep file: parse, validate, and expand into the list of runs (grid points).
 *
 * A sweep file (YAML, keys in docs/DESIGN.md) describes one sweep: data, model, training settings,
 * and a grid whose axes multiply into R runs. The axes are the rows of the axis table (axis.h);
 * runs are numbered 0..R-1 in grid order, last axis fastest, with the axes in the table's order
 *
 *     importance_weight, l2, dropout, batchnorm, seed,
 *     [sampling], [loss], [poly_alpha], [weight_exponent], [reweight_from], [normalize]
 *
 * whatever order the file writes them in. An axis that is not optional always exists (one default
 * value when the file omits it: 1, 0, 0, false, 0); an optional one (in brackets) only when the
 * file names it; a run of a grid without it has spec->axis_default (the table's default, or the
 * train key of the same name: train.poly_alpha, train.normalize).
 *
 *     run r  ->  (i_weight, i_l2, i_dropout, i_bn, i_seed[, i_sampling ...])   mixed-radix digits of r
 *
 * Ownership: iw_spec_load/iw_spec_parse fill a caller-provided iw_spec whose heap parts (the text,
 * axis values) are released by iw_spec_free. Errors name the file, the line and the key.
 *
 * Reading rules (src/spec/): the file must be UTF-8 (a UTF-8 byte-order mark is allowed; UTF-16/32,
 * NUL bytes and other encodings are refused with the line), so that /spec holds it whole; libyaml
 * builds the document; every key is checked against the table
 * of known keys. Errors look like
 *     sweep.yaml:7: key 'train.epochs': expected a whole number >= 1, got 'ten'
 *     sweep.yaml:3: unknown key 'train.epoch' (did you mean 'train.epochs'?); keys of train: ...
 * and cover: unknown or duplicate keys, wrong types, quoted numbers (a quoted scalar is a string),
 * NaN/inf anywhere, empty axes, duplicate axis values, grids above IW_MAX_RUNS, out-of-range
 * values, YAML syntax errors (libyaml's message and line), more than one YAML document, and keys
 * that the chosen source, model kind or grid does not use (data.synthetic with an image source,
 * record.boundary_* without synthetic2d, data.other_count without the other-classes probe,
 * model.hidden without mlp, train.ldam_scale when no run has loss ldam, grid.poly_alpha without
 * loss poly, ...: refused, not ignored), a setting given both as a train key and as an axis
 * (poly_alpha, normalize), grid.reweight_from beyond train.epochs, data.val_per_class leaving a
 * class nothing to train on, record.logit_epochs whose logits would exceed IW_MAX_LOGIT_BYTES (the
 * message gives the size), and settings under which a run could not train (src/spec/trainable.c):
 * batch norm with train.batch_size 1, sampling subsample with a weight that leaves a class with
 * round(count x fraction) = 0 examples, importance weights (raised to every weight_exponent of the
 * grid) or learning rates that are 0 or infinite in float32.
 * Required: name (non-empty, no '/'). Defaults besides those written below: data.source
 * fashion-mnist; data.path /usr/share/datasets/fashion-mnist or /usr/share/datasets/mnist,
 * required for cifar10 (whether the folder exists is iw_spec_check_data_path's question; relative
 * paths are relative to the current directory); data.classes [0, 6] ([3, 5] for cifar10, [0, 1]
 * for synthetic2d); data.probes
 * [other-classes, noise] for image sources, none for synthetic2d; train_per_class and
 * test_per_class 1000; val_per_class 0 (no validation split); data.other_count all; model.kind
 * mlp, init he; train.epochs 100, checkpoints off; train.poly_alpha 1, ldam_max_margin 0.5,
 * ldam_scale 30, la_tau 1 (engine.h's IW_LOSS_DEFAULT_*); record.boundary_epochs and logit_epochs
 * empty; record.eval_epochs all. cnn/resnet channels and cnn fc are filled with their defaults, so
 * n_channels/n_fc are > 0 for those kinds after parsing.
 */
#ifndef IW_SPEC_H
#define IW_SPEC_H

#include <stdio.h>
#include "iw/axis.h"
#include "iw/common.h"
#include "iw/engine.h" /* model kinds, init and normalisation: the file names the engine's choices */

#define IW_MAX_AXIS_VALUES 4096
#define IW_MAX_RECORD_EPOCHS 64
#define IW_MAX_EVAL_EPOCHS 1024 /* epochs in an explicit record.eval_epochs list */
#define IW_MAX_RUNS ((int64_t)1 << 24) /* a bigger grid is refused: it could not be stored sanely */
#define IW_MAX_LOGIT_BYTES ((int64_t)4 << 30) /* record.logit_epochs: R x S x N_test x 2 x 4 bytes at
                                                 most (4 GiB); more is refused at parse time */

typedef enum { IW_SOURCE_SYNTHETIC2D, IW_SOURCE_FASHION_MNIST, IW_SOURCE_MNIST, IW_SOURCE_CIFAR10 } iw_source;
/* Values of the sampling axis, in the order of its names in the axis table. */
typedef enum { IW_SAMPLING_WEIGHT, IW_SAMPLING_SUBSAMPLE } iw_sampling;

/* The paper's 2-D data: class 0 ~ N(0, diag(std_x^2, std_y^2)); class 1 is the same cloud rotated
 * by rotation_deg about the origin, then shifted by (shift_x, shift_y). Keys under data.synthetic. */
typedef struct iw_synthetic2d_spec {
    double std[2];        /* default [0.5, 0.125] */
    double rotation_deg;  /* default 90 */
    double shift[2];      /* default [3.0, 0.0] */
} iw_synthetic2d_spec;

typedef struct iw_data_spec {
    iw_source source;
    char path[1024];           /* data.path: folder of the files (unused for synthetic2d) */
    int classes[2];            /* [negative, positive]; the positive class carries the weight */
    int train_per_class[2];    /* scalar in the file means the same for both */
    int test_per_class[2];
    int val_per_class[2];      /* data.val_per_class, default 0: examples of each class held out of
                                  the loaded training examples as a validation split, drawn by the
                                  run's seed (never trained on); < train_per_class */
    int probe_other;           /* data.probes contains other-classes */
    int probe_noise;           /* data.probes contains noise */
    int noise_count;           /* data.noise_count, default 1000 */
    int other_count;           /* data.other_count: the out-of-class probe is a fixed random subset
                                  of this many of its images, drawn from (data.seed,
                                  IW_STREAM_OTHER); 0 = all of them (the default, `all`) */
    int other_count_line;      /* line of data.other_count in the file (0 if absent) */
    uint64_t data_seed;        /* data.seed, default 0: synthetic draws, noise images, the subset of
                                  the out-of-class probe */
    iw_synthetic2d_spec synthetic;
    int path_line;             /* line of data.path in the file (0 if absent) */
    int path_blame_line;       /* line a message about the data folder names: data.path's, else
                                  data.source's, else data's, else the first line */
    char spec_file[1024];      /* the sweep file (iw_spec.file), so that the loader's messages about
                                  a key read "file:line: key 'data.other_count': ..."; "" when the
                                  data spec is made by hand */
} iw_data_spec;

typedef struct iw_model_spec {
    iw_model_kind kind;
    int hidden[IW_MAX_HIDDEN]; /* mlp: widths of the hidden layers; default [256, 256] */
    int n_hidden;
    int channels[IW_MAX_CHANNELS]; /* cnn: 5 conv widths (default 64,64,128,128,128);
                                      resnet: stem + 3 stage widths (default 64,64,128,256) */
    int n_channels;            /* 0 = defaults */
    int fc[4];                 /* cnn: hidden fully connected widths, default [512, 128] */
    int n_fc;
    iw_init init;
} iw_model_spec;

typedef struct iw_train_spec {
    int epochs;                /* E >= 1 */
    int batch_size;            /* default 16 */
    double lr;                 /* default 0.1 */
    double lr_dropout;         /* lr used by runs with dropout > 0; default = lr */
    double momentum;           /* default 0 */
    iw_normalize normalize;    /* default weights (the normalize axis, when the grid has it, decides
                                  per run: read point->value[IW_AXIS_NORMALIZE]) */
    double poly_alpha;         /* loss poly: tail exponent, default 1 (or the poly_alpha axis) */
    double ldam_max_margin;    /* loss ldam: the largest margin, default 0.5 */
    double ldam_scale;         /* loss ldam: logit scale s, default 30 */
    double la_tau;             /* loss logit-adjusted: tau, default 1 */
    int checkpoint_every;      /* train.checkpoint_every: epochs between checkpoints, 0 = off */
    double checkpoint_minutes; /* train.checkpoint_minutes: also checkpoint after this long, 0 = off */
} iw_train_spec;

/* One axis of the grid as the file gives it (or its default): the row of the axis table, and its
 * values in the file's order. */
typedef struct iw_axis {
    iw_axis_id id;
    const iw_axis_def *def;    /* &iw_axis_defs[id] */
    int count;                 /* >= 1 */
    double *values;            /* count distinct values; FLAG 0/1, INT exact, ENUM the name's index */
} iw_axis;

/* record.eval_epochs: after which epochs the metrics are evaluated (the rest stay NaN). The file
 * writes one of
 *     eval_epochs: all                                   every epoch (the default)
 *     eval_epochs: [1, 2, 5, 10, 20, 50]                 these epochs
 *     eval_epochs: {every_until: 10, then_every: 10}     0..10, then 20, 30, ... (multiples of 10)
 * (either key of the rule may be left out: every_until 0, or no then_every). Epoch 0, the last
 * epoch and every record.boundary_epochs and record.logit_epochs epoch are always evaluated:
 * iw_spec_epoch_evaluated is the one answer. */
typedef enum { IW_EVAL_ALL, IW_EVAL_LIST, IW_EVAL_RULE } iw_eval_form;

typedef struct iw_eval_schedule {
    iw_eval_form form;
    int epochs[IW_MAX_EVAL_EPOCHS]; /* list: increasing, each in 0..E */
    int n_epochs;
    int every_until;           /* rule: every epoch 0..every_until ... */
    int then_every;            /* ... and every multiple of then_every (0: none) */
} iw_eval_schedule;

typedef struct iw_record_spec {
    int boundary_epochs[IW_MAX_RECORD_EPOCHS]; /* synthetic2d only; each in 0..E, increasing */
    int n_boundary_epochs;
    int boundary_grid;         /* G points per side, default 64 */
    double boundary_range[4];  /* xmin, xmax, ymin, ymax in raw data coordinates; default [-4, 6, -4, 6] */
    iw_eval_schedule eval;     /* record.eval_epochs */
    int logit_epochs[IW_MAX_RECORD_EPOCHS]; /* every source; each in 0..E, increasing: the test
                                  logits of every run at these epochs are stored (/logits) */
    int n_logit_epochs;
} iw_record_spec;

typedef struct iw_spec {
    char file[1024];           /* path it was read from (for messages) */
    char *text;                /* the file verbatim (NUL-terminated), stored as /spec */
    size_t text_len;
    char sha256[65];           /* hex digest of text */
    char name[256];
    iw_data_spec data;
    iw_model_spec model;
    iw_train_spec train;
    iw_axis axes[IW_AXIS_COUNT]; /* the axes of the grid, in canonical order (table order): every
                                    axis that is not optional, and the optional ones the file names */
    int n_axes;
    double axis_default[IW_AXIS_COUNT]; /* the value a run takes for an axis the grid lacks: the
                                    table's default, or the train key of the same name when given
                                    (train.poly_alpha, train.normalize) */
    iw_record_spec record;
} iw_spec;

/* One grid point: the value of every axis of the table (an axis the grid lacks has
 * spec->axis_default: the table's default, or the train key of the same name), read as
 * point->value[IW_AXIS_L2] etc. (FLAG 0/1, INT exact, ENUM the index of the name). */
typedef struct iw_point {
    int64_t run;               /* 0..R-1 */
    double value[IW_AXIS_COUNT];
} iw_point;

/* Reads and parses `path`. Returns 0, or -1 with "path:line: key 'a.b': what was expected".
 * Parsing is pure: besides reading `path` it touches no file (see iw_spec_check_data_path). */
int iw_spec_load(const char *path, iw_spec *spec, iw_error *err);
/* Same from memory; `filename` is only used in messages. */
int iw_spec_parse(const char *text, size_t len, const char *filename, iw_spec *spec, iw_error *err);
void iw_spec_free(iw_spec *spec);
/* Checks that data.path names an existing folder (image sources; synthetic2d has none). 0, or -1
 * with "sweep.yaml:4: key 'data.path': data folder '...' cannot be used (No such file or
 * directory): install it with `apt-get install dataset-fashion-mnist` or set data.path" (or "is
 * not a folder"). The caller (iwsweep, before it locks or opens a store) calls it after parsing. */
int iw_spec_check_data_path(const iw_spec *spec, iw_error *err);

int64_t iw_spec_run_count(const iw_spec *spec);
/* Fills the grid point of run `run` (0 <= run < R; other values are taken modulo R). */
void iw_spec_point(const iw_spec *spec, int64_t run, iw_point *point);
/* Index of an axis by id in spec->axes, or -1 when the grid lacks it (an optional axis the file
 * does not name). */
int iw_spec_axis_index(const iw_spec *spec, iw_axis_id id);
/* A key whose value differs between two parsed sweeps (iw_spec_compare), both values as text:
 * "0.1", "[1, 4]", "mlp", "(not in the grid)"; a value too long to fit shows the part around the
 * first difference, with "..." where text was left out. */
typedef struct iw_spec_change {
    char key[64];          /* "train.lr", "grid.importance_weight" */
    char a[160], b[160];
} iw_spec_change;

/* Whether a and b are the same sweep: every key of the sweep file (name, data.*, model.*,
 * train.*, record.*) and grid.<axis> for every axis of the table, compared after parsing with
 * defaults filled in, so that line endings, comments, key order, flow or block style and a
 * default written out or left out do not matter, while a changed value, a different grid (values
 * or their order) or an axis added or left out does. Returns the number of keys whose values
 * differ (0: the same sweep), the first `max` of them written into changes[] in the key table's
 * order; -1 with err when out of memory. */
int iw_spec_compare(const iw_spec *a, const iw_spec *b, iw_spec_change *changes, int max, iw_error *err);

/* Writes the run list for --dry-run: a header naming the axes, one aligned line per run (index,
 * then each axis value as iw_axis_format writes it), and a last line "120 runs (5 x 2 x 2 x 2 x 3)"
 * (axis sizes in canonical order; "1 run (...)" for one). */
void iw_spec_print_runs(const iw_spec *spec, FILE *out);
/* A short label of a grid point for progress lines, the grid's axes in canonical order:
 * "weight=4 l2=0 dropout=0.5 batchnorm=1 seed=2 sampling=subsample" (each axis's progress label;
 * flags as 0/1 to keep the line short, the rest as iw_axis_format writes them). */
void iw_spec_describe_point(const iw_spec *spec, const iw_point *point, char *buf, size_t size);

/* 1 when the metrics are evaluated after epoch `epoch` (0..E; 0 = before training), else 0: epoch
 * 0, the last epoch, the epochs of record.eval_epochs and those of record.boundary_epochs and
 * record.logit_epochs (a boundary or logit epoch is always an evaluated one). A run evaluates these epochs and, when it diverges,
 * the epoch of its divergence (run.h); the store records this set as /evaluated. */
int iw_spec_epoch_evaluated(const iw_spec *spec, int epoch);
/* How many of the epochs 0..E iw_spec_epoch_evaluated says yes to (E + 1 with `all`). */
int iw_spec_evaluated_epoch_count(const iw_spec *spec);

/* SHA-256 of a buffer, as 64 lowercase hex digits + NUL. */
void iw_sha256_hex(const void *data, size_t len, char out[65]);

#endif
