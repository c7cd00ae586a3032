/* common.h — error reporting and small shared definitions for every iwsweep module.
 *
 * Error convention (all library code): a function returns 0 on success and -1 on failure, after
 * writing a human-readable message into the caller's iw_error (which may be NULL when the caller
 * does not care). Messages name the file, line and key where they can ("sweep.yaml:12: key
 * 'train.epochs': expected a whole number >= 1, got 'ten'"). Library code never exits, aborts or
 * prints; only a command's main() decides to stop.
 */
#ifndef IW_COMMON_H
#define IW_COMMON_H

#include <stddef.h>
#include <stdint.h>

#define IW_VERSION "0.1.0"

typedef struct iw_error {
    char message[2048];
} iw_error;

/* Writes a printf-style message into err (if non-NULL). Always returns -1 so that library code
 * can write `return iw_error_set(err, "...", ...);`. */
int iw_error_set(iw_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prepends context to an existing message: "<prefix>: <old message>". Returns -1. */
int iw_error_prefix(iw_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Per-example input shape, NCHW order in memory: a batch of B examples is B*c*h*w floats with
 * w fastest. Dense data uses h = w = 1. */
typedef struct iw_shape {
    int c, h, w;
} iw_shape;

static inline size_t iw_shape_size(iw_shape s) { return (size_t)s.c * (size_t)s.h * (size_t)s.w; }

/* Run status values, as stored in /runs/status. */
enum iw_status {
    IW_STATUS_PENDING = 0,
    IW_STATUS_DONE = 1,
    IW_STATUS_DIVERGED = 2, /* non-finite loss: a result, counts as done */
    IW_STATUS_FAILED = 3,
    IW_STATUS_COUNT
};

/* One row per status, indexed by enum iw_status: its name (the store's flag_meanings of
 * /runs/status, iwreport's words) and, where a word is not enough, what it means (written into
 * the description of /runs/status). */
typedef struct iw_status_def {
    const char *name;         /* "pending", "done", "diverged", "failed" */
    const char *meaning;      /* NULL, or e.g. "non-finite loss; metrics NaN from that epoch on" */
} iw_status_def;
extern const iw_status_def iw_status_defs[IW_STATUS_COUNT];

/* The name of a status, or "unknown" for a value outside 0..IW_STATUS_COUNT-1. */
const char *iw_status_name(int status);

/* Per-epoch metrics, in the order of /metrics/<name> in the store. */
enum iw_metric {
    IW_METRIC_TRAIN_LOSS = 0,
    IW_METRIC_TRAIN_ACC,
    IW_METRIC_TRAIN_FRAC_POSITIVE,
    IW_METRIC_TEST_ACC,
    IW_METRIC_TEST_FRAC_POSITIVE,
    IW_METRIC_OTHER_FRAC_POSITIVE,
    IW_METRIC_NOISE_FRAC_POSITIVE,
    IW_METRIC_WEIGHT_NORM,
    IW_METRIC_TEST_ACC_NEGATIVE,     /* per-class test accuracy and their mean (imbalanced set-ups) */
    IW_METRIC_TEST_ACC_POSITIVE,
    IW_METRIC_TEST_BALANCED_ACC,
    IW_METRIC_VAL_LOSS,              /* the validation split (data.val_per_class; NaN without one) */
    IW_METRIC_VAL_LOSS_UNWEIGHTED,
    IW_METRIC_VAL_ACC,
    IW_METRIC_VAL_ACC_NEGATIVE,
    IW_METRIC_VAL_ACC_POSITIVE,
    IW_METRIC_VAL_BALANCED_ACC,
    IW_METRIC_COUNT
};

/* Store names ("train_loss", ...) and one-line descriptions, indexed by enum iw_metric: the
 * datasets /metrics/<name> and their description attributes. */
extern const char *const iw_metric_names[IW_METRIC_COUNT];
extern const char *const iw_metric_descriptions[IW_METRIC_COUNT];

/* Monotonic wall clock and process CPU time, in seconds. */
double iw_wall_seconds(void);
double iw_cpu_seconds(void);
/* A duration for people: "12.3s", "4m05s", "2h03m07s". */
void iw_format_seconds(double seconds, char *buf, size_t size);
/* A number for people, in the fewest digits that read back as the same double (so two distinct
 * values never print alike): plain decimals for 1e-4 <= |v| < 1e15 ("10", "100", "0.001",
 * "0.3333333333333333", "2.5"), exponent form outside that range ("1e-05", "1e-300", "1e+20");
 * "nan", "inf", "-inf" as printf says them. size >= 32 holds every value. */
void iw_format_number(double v, char *out, size_t size);
/* This process's proportional set size in bytes (Linux /proc/self/smaps_rollup: a page shared by
 * k processes counts 1/k in each), 0 when it cannot be read. What node-shared data saves is
 * measured with it (test_data_mpi, bench_data_share). */
double iw_pss_bytes(void);

#endif
