/* store_read.h — serial, read-only access to a sweep's store (schema iwsweep/1, see docs/DESIGN.md),
 * for iwreport and tests. Its implementation (src/store/reader*.c) is, with the writer, the only code
 * that includes hdf5.h.
 *
 * A store may be read while a sweep is still writing it: the parallel writer takes no file lock,
 * creates every object before its first flush and afterwards writes raw data only, so a reader
 * sees the whole structure and every row written so far (rows not yet written are NaN; a run's
 * status is written after its rows, so a run whose status is done is complete). The reader opens
 * the file with HDF5's file locking turned off, so it never blocks nor is blocked by a writer.
 *
 *   iw_store_reader (one open store)
 *   ├── root attributes        name, spec_sha256, created, version, openblas_core, mpi_library
 *   ├── spec_text              /spec, verbatim
 *   ├── runs R, epochs E       metrics have R rows of E+1 epochs (epoch 0 = before training)
 *   ├── evaluated              which of the E+1 epochs the sweep evaluates (/evaluated)
 *   ├── axes[]                 grid axes in canonical order (importance_weight, l2, dropout,
 *   │                          batchnorm, seed, sampling, then any other axis by name); each has
 *   │                          per-run values as double and the sorted distinct values, with labels
 *   ├── status, provenance     per run (arrays of R); train_class_count (R x 2) when stored
 *   ├── metric names           the /metrics/<name> datasets present
 *   └── logits info            L logit epochs, N_test test examples and their labels (/logits)
 * Metrics, boundaries and logits are read on demand (they are the big parts). Stores written
 * before a dataset existed (train_class_count, logits, the newer metrics) open all the same; what
 * they lack is absent (NULL / 0 / not in metric_names).
 *
 * Ownership: iw_store_reader_open allocates the reader; iw_store_reader_close frees it and all
 * arrays in it. Buffers passed to the read functions belong to the caller.
 */
#ifndef IW_STORE_READ_H
#define IW_STORE_READ_H

#include <stdint.h>
#include "iw/common.h"

#define IW_READ_MAX_AXES 16
#define IW_READ_MAX_METRICS 64
#define IW_READ_NAME 64
#define IW_READ_HOST 65   /* a /runs/host entry (up to 64 bytes) and its NUL */

typedef struct iw_read_axis {
    char name[IW_READ_NAME];   /* the /runs/<name> dataset */
    int is_label;              /* 1: stored as strings or an enum; values are indices into labels */
    int is_bool;               /* 1: batchnorm-like 0/1 axis (stored as bool, enum or integer) */
    double *values;            /* [R] value of each run (label axes: index into distinct[]) */
    int n_distinct;            /* distinct values, sorted increasing (labels: first appearance) */
    double *distinct;          /* [n_distinct] */
    char (*labels)[IW_READ_NAME]; /* [n_distinct] printable form: "0.001", "1/256", "true", "subsample";
                                     "1/k" only for a weight that is exactly 1/k (k <= 1000 or a power
                                     of two), other numbers in the fewest digits that read back exactly */
    int *index;                /* [R] position of each run's value in distinct[] */
} iw_read_axis;

typedef struct iw_store_reader {
    char path[1024];
    char schema[64], name[256], spec_sha256[80], created[64], version[64];
    char openblas_core[128], mpi_library[256];
    char *spec_text;           /* NUL-terminated, "" when /spec is absent */
    int64_t runs;              /* R */
    int epochs;                /* E: metrics have E + 1 columns */
    int32_t *epoch;            /* [E+1] the /epoch scale (0..E) */
    int8_t *evaluated;         /* [E+1] 1 where the sweep evaluates the metrics (record.eval_epochs),
                                  0 where they stay NaN; all 1 in a store without /evaluated */
    int n_evaluated;           /* epochs with evaluated[e] = 1 */
    int n_axes;
    iw_read_axis axes[IW_READ_MAX_AXES];
    int8_t *status;            /* [R] enum iw_status */
    double *wall_seconds;      /* [R] NaN when absent from the store */
    double *cpu_seconds;       /* [R] */
    int32_t *worker_rank;      /* [R] -1 when absent */
    int32_t *attempt;          /* [R] 0 when absent */
    int64_t *slurm_job_id;     /* [R] 0 when absent */
    char (*host)[IW_READ_HOST];/* [R] /runs/host (the node that ran the run), "" when absent */
    int n_metrics;
    char metric_names[IW_READ_MAX_METRICS][IW_READ_NAME];
    /* /boundary (synthetic2d): S recorded epochs on a G x G grid; 0 when absent */
    int boundary_count;        /* S */
    int boundary_grid;         /* G */
    int32_t *boundary_epoch;   /* [S] */
    double *boundary_x, *boundary_y; /* [G] raw data coordinates of the grid columns / rows */
    int64_t *train_class_count; /* [R * 2] examples per class (negative, positive) of each run's training
                                   set; NULL when the store predates /runs/train_class_count */
    /* /logits: L recorded epochs of N_test test examples x 2 classes; 0 when absent */
    int logit_count;           /* L */
    int64_t n_test;            /* N_test */
    int32_t *logit_epoch;      /* [L] */
    int8_t *test_labels;       /* [N_test] 0/1, -1 where not (yet) written */
    void *impl;                /* HDF5 handles, private to reader.c */
} iw_store_reader;

/* Opens STORE read-only and reads everything but metrics and boundaries. Errors: the file is
 * missing or not HDF5 ("STORE: no such file"), it is not an iwsweep/1 store (schema attribute
 * missing or different), a required dataset is missing or has the wrong shape. */
int iw_store_reader_open(const char *path, iw_store_reader **reader, iw_error *err);
void iw_store_reader_close(iw_store_reader *reader);

/* Index of metric `name` in reader->metric_names, or -1. */
int iw_store_reader_metric_index(const iw_store_reader *reader, const char *name);
/* Reads rows [run0, run0 + n) of /metrics/<name> into out[n * (E+1)], row-major (run, epoch). */
int iw_store_reader_metric(const iw_store_reader *reader, const char *name, int64_t run0, int64_t n,
                           float *out, iw_error *err);
/* Reads the boundary of one run into out[S * G * G] (s, iy, ix with x fastest). */
int iw_store_reader_boundary(const iw_store_reader *reader, int64_t run, float *out, iw_error *err);

/* Reads the logits of one run into out[L * N_test * 2] ((s * N_test + i) * 2 + class), NaN where
 * not written. -1 with err when the store has none. */
int iw_store_reader_logits(const iw_store_reader *reader, int64_t run, float *out, iw_error *err);

/* Index of axis `name` in reader->axes, or -1. */
int iw_store_reader_axis_index(const iw_store_reader *reader, const char *name);

#endif
