/* report.h — what iwreport prints and draws from a store (src/report/report_*.c, bootstrap.c).
 * These files read the store through store_read.h only (reader.c alone talks to HDF5); the
 * bootstrap draws from rng.h.
 *
 * Vocabulary:
 *   weight axis    importance_weight: the rows of a table, the lines of a plot;
 *   seed axis      seed: the repeats that a cell averages over (mean ± sample std, n - 1 in the
 *                  denominator; iw_report_cell_at gives std 0 for one value, and the table then
 *                  prints the value alone: a std is shown only where n >= 2);
 *   group          one setting of every other axis (l2, dropout, batchnorm, sampling, ...): a
 *                  table block, a plot panel. Groups are numbered in grid order, last axis fastest.
 * A run counts in a cell when its status is done or diverged and its value at that epoch is finite
 * (a diverged run has values up to its divergence). Pending and failed runs are left out and the
 * output says how many there are.
 *
 * The functions write to the FILE they are given and return 0, or -1 with err set.
 */
#ifndef IW_REPORT_H
#define IW_REPORT_H

#include <stdio.h>
#include "iw/store_read.h"

#define IW_REPORT_MAX_EPOCHS 64
#define IW_REPORT_MAX_METRICS 16

typedef struct iw_report_grouping {
    int weight_axis;          /* index in reader->axes */
    int seed_axis;            /* -1 when the store has none */
    int n_weights;            /* distinct importance weights */
    int n_groups;
    int *group_of_run;        /* [R] */
} iw_report_grouping;

typedef struct iw_report_cell {
    double mean, std;
    int n;                    /* runs counted; 0 -> mean and std are NaN */
} iw_report_cell;

int iw_report_grouping_make(const iw_store_reader *rd, iw_report_grouping *grouping, iw_error *err);
void iw_report_grouping_free(iw_report_grouping *grouping);
/* "l2=0.001 dropout=0 batchnorm=true": the axes with more than one value; "all runs" if none. */
void iw_report_group_label(const iw_store_reader *rd, const iw_report_grouping *grouping, int group,
                           char *out, size_t size);
/* 1 for the runs whose values the reports count: done, or diverged (values up to divergence). */
int iw_report_counts(int status);
/* 1 when run r is counted and belongs to (group, weight index). */
int iw_report_run_in_cell(const iw_store_reader *rd, const iw_report_grouping *grouping, int64_t r, int group,
                          int weight);
/* Mean ± std over the runs of (group, weight index) at epoch column e of metric[R * (E+1)]. */
iw_report_cell iw_report_cell_at(const iw_store_reader *rd, const iw_report_grouping *grouping,
                                 const float *metric, int group, int weight, int e);
/* The same over one value per run, value[R] (non-finite values are left out). */
iw_report_cell iw_report_cell_of(const iw_store_reader *rd, const iw_report_grouping *grouping,
                                 const double *value, int group, int weight);
/* Column of epoch number `epoch` in the metrics (the /epoch scale), -1 when absent. */
int iw_report_epoch_column(const iw_store_reader *rd, int epoch);

/* iwreport summary: also which epochs were evaluated (a line "evaluated: ..."). */
int iw_report_summary(const iw_store_reader *rd, FILE *out, iw_error *err);
/* The evaluated epochs (reader->evaluated) compactly, into out: "0-10, 20-100 every 10, 105"
 * (runs of step 1 as a-b, runs of 3+ epochs with a larger step as "a-b every d"); ends in "..."
 * when it does not fit. */
void iw_report_format_evaluated(const iw_store_reader *rd, char *out, size_t size);

typedef struct iw_table_options {
    const char *metrics[IW_REPORT_MAX_METRICS];
    int n_metrics;
    int epochs[IW_REPORT_MAX_EPOCHS];  /* epoch numbers (values of /epoch), in print order */
    int n_epochs;
} iw_table_options;

/* Parses "0,1,10,last" (last = E) into options->epochs. Errors name the bad item; an epoch the
 * sweep did not evaluate (record.eval_epochs) is refused with the list of evaluated epochs. */
int iw_report_parse_epochs(const iw_store_reader *rd, const char *list, iw_table_options *options, iw_error *err);
/* Default epochs: 0; for each of 1, 10, 100, ... below E, the first evaluated epoch at or after it
 * (below E; each once); and E. */
void iw_report_default_epochs(const iw_store_reader *rd, iw_table_options *options);
int iw_report_table(const iw_store_reader *rd, const iw_table_options *options, FILE *out, iw_error *err);

/* iwreport csv: header run,<axes>,status,epoch,<metrics>, then one row per run x epoch for every
 * run (pending runs too: NaN values are written as empty fields, which pandas reads as NaN; so are
 * the epochs a sparse record.eval_epochs did not evaluate).
 * done_only: leave out runs that are pending or failed. */
int iw_report_csv(const iw_store_reader *rd, int done_only, FILE *out, iw_error *err);

/* iwreport stop: early stopping read from the validation metrics (data.val_per_class). For every
 * counted run, the epoch in 1..E that early stopping would pick: the lowest val_loss (the run's
 * weighted validation loss; by = IW_STOP_BY_LOSS) or the highest val_balanced_acc (by =
 * IW_STOP_BY_BALANCED_ACC), the earliest on ties, over the epochs with a finite value; and the last
 * epoch with a finite test_acc. The test metrics test_balanced_acc, test_acc and test_frac_positive
 * at both. Text: per setting (group x weight) mean ± std over seeds of the stop epoch and of each
 * metric at the stop and at the last epoch (with resamples > 0: mean [lo, hi], the percentile
 * bootstrap interval of the mean over seeds, iw_bootstrap_mean_interval, stream IW_STREAM_BOOTSTRAP
 * + 256 * cell, cell = (group * n_weights + w) * 6 + column, columns in the order printed:
 * bal.acc@stop, bal.acc@last, acc@stop, acc@last, frac+@stop, frac+@last), then one line per run.
 * csv: one row per run
 * (run,<axes>,status,criterion,stop_epoch,<criterion>_at_stop,last_epoch, then <metric>_stop and
 * <metric>_last for each metric), empty fields where a run has no value. -1 with err when the store
 * has no validation metrics (made without data.val_per_class, or before it existed). */
typedef enum { IW_STOP_BY_LOSS, IW_STOP_BY_BALANCED_ACC } iw_stop_by;
typedef struct iw_stop_options {
    iw_stop_by by;
    int csv;                  /* 1: one row per run (no intervals: they are over seeds) */
    int resamples;            /* text: 0 = mean ± std; B > 0 = mean [lo, hi] from B bootstrap resamples */
    uint64_t seed;            /* bootstrap seed */
    double level;             /* interval's coverage, e.g. 0.95 */
} iw_stop_options;
int iw_report_stop(const iw_store_reader *rd, const iw_stop_options *options, FILE *out, iw_error *err);

/* iwreport effect: how far each importance weight w shifts the positive-class log-odds of the test
 * predictions away from weight 1, per epoch and setting (group), with a bootstrap interval over
 * seeds. For a run, p = test_frac_positive; with k = round(p N) of N test examples predicted
 * positive, the log-odds are the empirical logit log((k + 1/2) / (N - k + 1/2)) (Haldane's and
 * Anscombe's correction: finite at p = 0 and 1, within 1/(2N) of the logit elsewhere). The shift of
 * a seed is logit(run at w) - logit(run at weight 1) of the same seed and the same other axes; a
 * cell (group, w, epoch) reports the mean over its seeds with both values finite (n), and the
 * percentile bootstrap interval of that mean (iw_bootstrap_mean_interval; stream
 * IW_STREAM_BOOTSTRAP + 256 * cell, cell = (group * n_weights + w) * (E + 1) + epoch column).
 * Fading, per (group, w), over the epochs with n > 0: the first epoch from which |mean| stays below
 * the threshold, and the first from which the whole interval stays inside (-threshold, threshold)
 * (-1: it does not stay below by the last evaluated epoch). Epochs with no value (not evaluated,
 * runs pending) have n = 0 and are skipped. -1 with err when no run has weight 1 or the store has
 * no test_frac_positive. */
typedef struct iw_effect_options {
    int64_t n_test;           /* N: test examples of the two classes (> 0) */
    double threshold;         /* on |shift|, log-odds units; default 0.1 */
    int resamples;            /* bootstrap resamples B >= 1; default 1000 */
    uint64_t seed;            /* bootstrap seed; default 0 */
    double level;             /* interval's coverage, default 0.95 */
    int csv;                  /* 1: one row per (group, weight, epoch): <group axes>,importance_weight,
                                 epoch,seeds,shift,lo,hi,resamples,seed,threshold,fades_mean,fades_interval */
    iw_table_options epochs;  /* text: the epochs printed (n_epochs 0: the table's defaults); csv: all */
} iw_effect_options;
int iw_report_effect(const iw_store_reader *rd, const iw_effect_options *options, FILE *out, iw_error *err);

/* The percentile bootstrap interval of the mean of x[0..n): `resamples` resamples of n indices
 * drawn with replacement from (seed, stream), their means sorted into means[resamples] (scratch the
 * caller provides), and the (1 - level)/2, (1 + level)/2 quantiles (numpy.percentile's linear
 * method) into lo, hi. NaN when n < 1. */
void iw_bootstrap_mean_interval(const double *x, int n, int resamples, uint64_t seed, uint64_t stream, double level,
                                double *means, double *lo, double *hi);

/* iwreport adjust: post-hoc logit adjustment (Menon, Jayasumana, Rawat, Jain, Veit & Kumar, "Long-tail
 * learning via logit adjustment", ICLR 2021, Eq. 11 with tau): from the stored test logits, predict
 * argmax_k z_k - tau log pi_k, pi the class priors of the run's training set (/runs/train_class_count),
 * and compare with the raw prediction argmax_k z_k (ties: negative). Per run and logit epoch: test
 * accuracy, balanced accuracy and fraction predicted positive, raw and adjusted. Text: per setting
 * mean ± std over seeds; csv: one row per run x logit epoch
 * (run,<axes>,status,epoch,tau,acc,balanced_acc,frac_positive,adjusted_acc,adjusted_balanced_acc,
 * adjusted_frac_positive). -1 with err when the store has no logits or class counts. */
int iw_report_adjust(const iw_store_reader *rd, double tau, int csv, FILE *out, iw_error *err);

/* Training points drawn under decision boundaries, in raw data coordinates (synthetic2d). */
typedef struct iw_plot_points {
    const double *xy;         /* [n][2] */
    const int32_t *label;     /* [n] 0 negative, 1 positive */
    int64_t n;
} iw_plot_points;

/* iwreport plot: PNGs, the gnuplot scripts and their data files into dir (created if missing).
 * points may be NULL (boundaries drawn without data). Paths of the PNGs written go to `log` (may be
 * NULL). Needs gnuplot with the pngcairo terminal. */
int iw_report_plot(const iw_store_reader *rd, const char *dir, const iw_plot_points *points, FILE *log,
                   iw_error *err);

/* Segments of the level set f = level of a G x G grid f[iy * G + ix] at coordinates x[ix], y[iy]
 * (marching squares). Writes at most max_segments segments as (x0, y0, x1, y1) into seg and returns
 * how many there were (which may exceed max_segments). NaN cells are skipped. */
int iw_report_contour(const float *f, int G, const double *x, const double *y, double level,
                      double *seg, int max_segments);

#endif
