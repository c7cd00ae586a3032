/* axis.h — the grid axes of a sweep, one row each in one table (src/spec/axis.c).
 *
 * A row says everything the system needs to know about an axis: its name (the key grid.<name> in
 * the sweep file and the dataset /runs/<name> in the store), its type, the values it accepts, its
 * default, how the store keeps it, how labels print it, and what it adds to a run's cost. Every
 * part that handles axes reads the table instead of naming axes itself:
 *
 *   sweep file ──► parser (src/spec)        grid.<name> keys, validation, duplicates, messages
 *                  grid expansion            run r <-> iw_point.value[axis], canonical order
 *                  --dry-run, progress lines iw_axis_format, iw_spec_describe_point
 *              ──► run cost (src/run)        cost_when_set
 *              ──► store writer (src/store)  /runs/<name>: dtype, fill, flags, description
 *              ──► store reader, iwreport    canonical order, labels ("1/16", "true", "subsample")
 *
 * Adding an axis is one entry in iw_axis_id and one row in src/spec/axis.c; the code that uses
 * the value (say src/run for a loss function) reads point->value[IW_AXIS_<NAME>].
 *
 * Types, as written in the file / kept in the store / printed:
 *   REAL  a finite number in [lo, hi] (either bound open)  float64, fill NaN     "%g"
 *   INT   a whole number in [lo, hi], exact in a double    int64                 "%lld"
 *   FLAG  true or false                                    int8 0/1, flag_values [0 1],
 *                                                          flag_meanings "false true"   true/false
 *   ENUM  one of names[] (value = its index)               int8 index, flag_values [0 .. n-1],
 *                                                          flag_meanings "name0 name1 ..." the name
 * (flag_values / flag_meanings are the CF convention's attributes: xarray shows them.)
 * Values travel as double everywhere (iw_axis.values, iw_point.value): exact for every type.
 */
#ifndef IW_AXIS_H
#define IW_AXIS_H

#include <stddef.h>

typedef enum { IW_AXIS_REAL, IW_AXIS_INT, IW_AXIS_FLAG, IW_AXIS_ENUM } iw_axis_type;

/* The axes in canonical order: runs are numbered in this order, last axis fastest, whatever
 * order the file writes them in. */
typedef enum {
    IW_AXIS_IMPORTANCE_WEIGHT = 0,
    IW_AXIS_L2,
    IW_AXIS_DROPOUT,
    IW_AXIS_BATCHNORM,
    IW_AXIS_SEED,
    IW_AXIS_SAMPLING,
    IW_AXIS_LOSS,
    IW_AXIS_POLY_ALPHA,
    IW_AXIS_WEIGHT_EXPONENT,
    IW_AXIS_REWEIGHT_FROM,
    IW_AXIS_NORMALIZE,
    IW_AXIS_COUNT
} iw_axis_id;

#define IW_AXIS_MAX_NAMES 8

typedef struct iw_axis_def {
    const char *name;           /* grid.<name> in the file; /runs/<name> in the store */
    iw_axis_type type;
    const char *names[IW_AXIS_MAX_NAMES]; /* FLAG: "false", "true"; ENUM: the value names */
    int n_names;
    double lo, hi;              /* REAL, INT: the valid range (+-INFINITY: unbounded; an INT range
                                   is cut to +-2^53, where doubles stop being exact) */
    int lo_open, hi_open;       /* REAL: 1 = the bound itself is excluded */
    double default_value;       /* the one value of the axis when the file omits it */
    int optional;               /* 0: always in the grid and the store (the one default value when
                                   omitted); 1: only when the file names it */
    const char *example;        /* a valid list, for messages: "[0.25, 1, 4]" */
    const char *description;    /* the description attribute of /runs/<name> */
    const char *progress_label; /* the name in iwsweep's progress lines, NULL = name */
    int reciprocal_labels;      /* 1: a value exactly 1/k (k <= 1000, or a power of two up to 2^20)
                                   prints as "1/k" in reports */
    double cost_when_set;       /* a run whose value is not 0 costs this fraction more (the
                                   run-cost model for heaviest-first scheduling) */
    const char *used_with;      /* NULL, or the name of another axis whose value decides whether
                                   this one matters: poly_alpha is used by runs with loss poly only */
    double used_with_value;     /* that axis's value (ENUM: the name's index); a grid that gives
                                   this axis but not that value is refused */
} iw_axis_def;

extern const iw_axis_def iw_axis_defs[IW_AXIS_COUNT];

/* The row of an axis named `name` (the file's key, the store's dataset), or NULL. */
const iw_axis_def *iw_axis_find(const char *name);

/* A value as the sweep file writes it: REAL "%g" ("0.001"), INT "%lld", FLAG "true"/"false",
 * ENUM the name ("?" for an index out of range). Returns snprintf's count. */
int iw_axis_format(const iw_axis_def *def, double value, char *buf, size_t size);

#endif
