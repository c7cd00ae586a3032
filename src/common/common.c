/* common.c — error messages, the tables of run statuses and metrics, and clocks shared by every
 * module. */
#define _POSIX_C_SOURCE 200809L
#include "iw/common.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int iw_error_set(iw_error *err, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
    }
    return -1;
}

int iw_error_prefix(iw_error *err, const char *fmt, ...)
{
    if (err) {
        char prefix[512], old[sizeof err->message];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(prefix, sizeof prefix, fmt, ap);
        va_end(ap);
        memcpy(old, err->message, sizeof old);
        size_t n = strlen(prefix);
        if (n > sizeof err->message - 3) n = sizeof err->message - 3;
        memcpy(err->message, prefix, n);
        memcpy(err->message + n, ": ", 2);
        size_t room = sizeof err->message - n - 3;
        size_t m = strnlen(old, room);
        memcpy(err->message + n + 2, old, m);
        err->message[n + 2 + m] = '\0';
    }
    return -1;
}

const iw_status_def iw_status_defs[IW_STATUS_COUNT] = {
    [IW_STATUS_PENDING] = {"pending", NULL},
    [IW_STATUS_DONE] = {"done", NULL},
    [IW_STATUS_DIVERGED] = {"diverged", "non-finite loss; metrics NaN from that epoch on"},
    [IW_STATUS_FAILED] = {"failed", NULL},
};

const char *iw_status_name(int status)
{
    return status >= 0 && status < IW_STATUS_COUNT ? iw_status_defs[status].name : "unknown";
}

const char *const iw_metric_names[IW_METRIC_COUNT] = {
    "train_loss",           "train_acc",          "train_frac_positive",
    "test_acc",             "test_frac_positive", "other_frac_positive",
    "noise_frac_positive",  "weight_norm",        "test_acc_negative",
    "test_acc_positive",    "test_balanced_acc",  "val_loss",
    "val_loss_unweighted",  "val_acc",            "val_acc_negative",
    "val_acc_positive",     "val_balanced_acc",
};

const char *const iw_metric_descriptions[IW_METRIC_COUNT] = {
    "the run's training loss (grid.loss, cross-entropy by default) on its training set, importance-weighted with the weights of the epoch just trained (epoch 0: of epoch 1), evaluation mode, normalised as the run's normalize",
    "accuracy on the training set (evaluation mode)",
    "fraction of training examples predicted as the positive class",
    "accuracy on the test examples of the two classes",
    "fraction of test examples of the two classes predicted as the positive class",
    "fraction of test images of the other classes predicted as the positive class (out-of-class probe)",
    "fraction of uniform-noise images predicted as the positive class (noise probe)",
    "L2 norm of all conv/linear weights (biases and batch-norm parameters excluded)",
    "accuracy on the negative test examples (data.classes[0]): the fraction predicted negative",
    "accuracy on the positive test examples (data.classes[1]): the fraction predicted positive",
    "balanced test accuracy: the mean of test_acc_negative and test_acc_positive",
    "the run's training loss on its validation split (data.val_per_class), weighted and normalised as train_loss; NaN without a validation split",
    "the run's training loss on its validation split, every weight 1, the mean over its examples; NaN without a validation split",
    "accuracy on the validation split; NaN without one",
    "accuracy on the negative examples of the validation split; NaN without one",
    "accuracy on the positive examples of the validation split; NaN without one",
    "balanced validation accuracy: the mean of val_acc_negative and val_acc_positive; NaN without a validation split",
};

double iw_wall_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void iw_format_number(double v, char *out, size_t size)
{
    double a = fabs(v);
    if (isfinite(v) && (a == 0 || (a >= 1e-4 && a < 1e15))) {
        for (int decimals = 0; decimals <= 20; decimals++) { /* 1e-4 needs 4, and 17 digits follow */
            snprintf(out, size, "%.*f", decimals, v);
            if (strtod(out, NULL) == v) return;
        }
    }
    for (int digits = 1; digits <= 17; digits++) {
        snprintf(out, size, "%.*g", digits, v);
        if (strtod(out, NULL) == v || !isfinite(v)) return;
    }
}

void iw_format_seconds(double seconds, char *buf, size_t size)
{
    long t = (long)(seconds + 0.5);
    if (t >= 3600) snprintf(buf, size, "%ldh%02ldm%02lds", t / 3600, (t % 3600) / 60, t % 60);
    else if (t >= 60) snprintf(buf, size, "%ldm%02lds", t / 60, t % 60);
    else snprintf(buf, size, "%.1fs", seconds);
}

double iw_cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double iw_pss_bytes(void)
{
    FILE *f = fopen("/proc/self/smaps_rollup", "r");
    char line[256];
    double kib = 0;
    while (f && fgets(line, sizeof line, f))
        if (strncmp(line, "Pss:", 4) == 0) kib = atof(line + 4);
    if (f) fclose(f);
    return kib * 1024.0;
}
