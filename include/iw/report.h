/* report.h — what iwreport prints and draws from a store (src/report/report_*.c). These files use
 * store_read.h only; reader.c alone talks to HDF5.
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
/* Mean ± std over the runs of (group, weight index) at epoch column e of metric[R * (E+1)]. */
iw_report_cell iw_report_cell_at(const iw_store_reader *rd, const iw_report_grouping *grouping,
                                 const float *metric, int group, int weight, int e);

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
