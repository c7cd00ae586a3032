/* report_effect.c — `iwreport effect`: the size of the weighting effect with a confidence interval
 * (include/iw/report.h gives the definitions). Byrd & Lipton's first finding is that the effect of
 * an importance weight fades as training goes on; this measures it as the shift of the positive-
 * class log-odds of the test predictions against weight 1, paired by seed (runs of one seed start
 * from the same network and see the same batches, so the pair differs by the weight alone), with a
 * percentile bootstrap over seeds, and says from which epoch on it stays below a threshold.
 *
 * Shapes: frac[R * (E + 1)] (test_frac_positive); results per cell (group g, weight index w,
 * epoch column e) at [(g * W + w) * (E + 1) + e].
 */
#include "iw/report.h"

#include "csv_out.h"

#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "iw/rng.h"

typedef struct effect {
    const iw_store_reader *rd;
    const iw_report_grouping *g;
    const iw_effect_options *o;
    int W, E1;               /* weights, epochs + 1 */
    int n_seeds;
    int weight_one;          /* index of weight 1 among the distinct weights */
    int64_t *at_one;         /* [groups * n_seeds]: the run at weight 1 of (group, seed), or -1 */
    float *frac;             /* [R * E1] */
    double *mean, *lo, *hi;  /* [cells] */
    int *n;                  /* [cells] seeds counted */
} effect;


/* The empirical logit of a fraction p of N: k = round(p N) positives. */
static double empirical_logit(double p, int64_t N)
{
    double k = round(p * (double)N);
    if (k < 0) k = 0;
    if (k > (double)N) k = (double)N;
    return log((k + 0.5) / ((double)N - k + 0.5));
}

static int seed_of(const effect *x, int64_t r)
{
    return x->g->seed_axis >= 0 ? x->rd->axes[x->g->seed_axis].index[r] : 0;
}

/* One cell (group, weight): the paired shifts of each epoch, their mean and interval. */
static void measure_cell(effect *x, int group, int w, int64_t *runs, double *d, double *scratch)
{
    const iw_store_reader *rd = x->rd;
    const int *windex = rd->axes[x->g->weight_axis].index;
    int m = 0;
    for (int64_t r = 0; r < rd->runs; r++) {
        if (x->g->group_of_run[r] != group || windex[r] != w || !iw_report_counts(rd->status[r])) continue;
        int64_t one = x->at_one[(int64_t)group * x->n_seeds + seed_of(x, r)];
        if (one < 0) continue;
        runs[2 * m] = r, runs[2 * m + 1] = one, m++;
    }
    for (int e = 0; e < x->E1; e++) {
        int n = 0;
        for (int k = 0; k < m; k++) {
            double pw = x->frac[runs[2 * k] * x->E1 + e], p1 = x->frac[runs[2 * k + 1] * x->E1 + e];
            if (isfinite(pw) && isfinite(p1)) d[n++] = empirical_logit(pw, x->o->n_test) - empirical_logit(p1, x->o->n_test);
        }
        size_t cell = ((size_t)group * x->W + w) * x->E1 + e;
        x->n[cell] = n;
        x->mean[cell] = x->lo[cell] = x->hi[cell] = NAN;
        if (n == 0) continue;
        double sum = 0;
        for (int k = 0; k < n; k++) sum += d[k];
        x->mean[cell] = sum / n;
        iw_bootstrap_mean_interval(d, n, x->o->resamples, x->o->seed, IW_STREAM_BOOTSTRAP + 256 * (uint64_t)cell,
                                   x->o->level, scratch, &x->lo[cell], &x->hi[cell]);
    }
}

/* Fading of (group, w) over the evaluated epochs (n > 0), by |mean| or by the interval: the first
 * epoch from which every later evaluated epoch is below the threshold; -1: the last one is not;
 * -2: no evaluated epoch. */
static int fade_epoch(const effect *x, int group, int w, int by_interval)
{
    int answer = -1, seen = 0;
    double T = x->o->threshold;
    for (int e = 0; e < x->E1; e++) {
        size_t cell = ((size_t)group * x->W + w) * x->E1 + e;
        if (x->n[cell] == 0) continue;
        seen = 1;
        int below = by_interval ? x->lo[cell] > -T && x->hi[cell] < T : fabs(x->mean[cell]) < T;
        if (!below) answer = -1;
        else if (answer < 0) answer = x->rd->epoch[e];
    }
    return seen ? answer : -2;
}

static void format_fade(int epoch, char *buf, size_t size)
{
    if (epoch == -2) snprintf(buf, size, "-");
    else if (epoch < 0) snprintf(buf, size, "never");
    else snprintf(buf, size, "%d", epoch);
}

static void print_text(const effect *x, FILE *out)
{
    const iw_store_reader *rd = x->rd;
    const iw_read_axis *wax = &rd->axes[x->g->weight_axis];
    const iw_effect_options *o = x->o;
    fprintf(out, "store %s: shift of the positive-class log-odds of the test predictions, each weight against weight 1\n",
            rd->path);
    fprintf(out, "shift = logodds(weight w) - logodds(weight 1), paired by seed (same seed, same other axes), mean over seeds;\n");
    fprintf(out, "logodds = log((k + 1/2) / (N - k + 1/2)), k = test_frac_positive x N predicted positive of N = %lld test examples\n",
            (long long)o->n_test);
    fprintf(out, "interval: %g%% percentile bootstrap of the mean over seeds, %d resamples, seed %llu\n", 100 * o->level,
            o->resamples, (unsigned long long)o->seed);
    fprintf(out, "fades from: the first epoch from which |shift| stays below %g (mean), or the whole interval stays inside (-%g, %g) "
                 "(interval); 'never': not by the last evaluated epoch\n",
            o->threshold, o->threshold, o->threshold);
    iw_table_options defaults;
    const iw_table_options *ep = &o->epochs;
    if (ep->n_epochs == 0) {
        iw_report_default_epochs(rd, &defaults);
        ep = &defaults;
    }
    for (int group = 0; group < x->g->n_groups; group++) {
        char label[512];
        iw_report_group_label(rd, x->g, group, label, sizeof label);
        fprintf(out, "\n== %s ==\n%-12s", label, "");
        for (int w = 0; w < x->W; w++)
            if (w != x->weight_one) {
                char head[IW_READ_NAME + 8];
                snprintf(head, sizeof head, "weight %s", wax->labels[w]);
                fprintf(out, "  %-30s", head);
            }
        fprintf(out, "\n");
        for (int i = 0; i < ep->n_epochs; i++) {
            int e = iw_report_epoch_column(rd, ep->epochs[i]);
            char head[32];
            snprintf(head, sizeof head, "epoch %d", ep->epochs[i]);
            fprintf(out, "%-12s", head);
            for (int w = 0; w < x->W; w++) {
                if (w == x->weight_one) continue;
                size_t cell = ((size_t)group * x->W + w) * x->E1 + e;
                char buf[96];
                if (e < 0 || x->n[cell] == 0) snprintf(buf, sizeof buf, "-");
                else snprintf(buf, sizeof buf, "%+.3f [%+.3f, %+.3f] n=%d", x->mean[cell], x->lo[cell], x->hi[cell], x->n[cell]);
                fprintf(out, "  %-30s", buf);
            }
            fprintf(out, "\n");
        }
        for (int by = 0; by < 2; by++) {
            fprintf(out, "%-12s", by ? "fades (int.)" : "fades (mean)");
            for (int w = 0; w < x->W; w++) {
                if (w == x->weight_one) continue;
                char buf[32], text[48];
                format_fade(fade_epoch(x, group, w, by), buf, sizeof buf);
                snprintf(text, sizeof text, "%s%s", isdigit((unsigned char)buf[0]) ? "epoch " : "", buf);
                fprintf(out, "  %-30s", text);
            }
            fprintf(out, "\n");
        }
    }
}

static void print_csv(const effect *x, FILE *out)
{
    const iw_store_reader *rd = x->rd;
    const iw_report_grouping *g = x->g;
    for (int a = 0; a < rd->n_axes; a++)
        if (a != g->weight_axis && a != g->seed_axis) fprintf(out, "%s,", rd->axes[a].name);
    fprintf(out, "importance_weight,epoch,seeds,shift,lo,hi,resamples,seed,threshold,fades_mean,fades_interval\n");
    /* a group's axis labels: from any run of the group */
    int64_t *first = malloc((size_t)g->n_groups * sizeof *first);
    if (!first) return;
    for (int k = 0; k < g->n_groups; k++) first[k] = -1;
    for (int64_t r = rd->runs - 1; r >= 0; r--) first[g->group_of_run[r]] = r;
    for (int group = 0; group < g->n_groups; group++) {
        if (first[group] < 0) continue;
        for (int w = 0; w < x->W; w++) {
            if (w == x->weight_one) continue;
            int fm = fade_epoch(x, group, w, 0), fi = fade_epoch(x, group, w, 1);
            for (int e = 0; e < x->E1; e++) {
                size_t cell = ((size_t)group * x->W + w) * x->E1 + e;
                for (int a = 0; a < rd->n_axes; a++)
                    if (a != g->weight_axis && a != g->seed_axis) {
                        const iw_read_axis *ax = &rd->axes[a];
                        iw_csv_label(out, ax->labels[ax->index[first[group]]]);
                        fputc(',', out);
                    }
                fprintf(out, "%.17g,%d,%d,", rd->axes[g->weight_axis].distinct[w], rd->epoch[e], x->n[cell]);
                iw_csv_number(out, x->mean[cell], 17);
                fputc(',', out);
                iw_csv_number(out, x->lo[cell], 17);
                fputc(',', out);
                iw_csv_number(out, x->hi[cell], 17);
                fprintf(out, ",%d,%llu,%.17g,", x->o->resamples, (unsigned long long)x->o->seed, x->o->threshold);
                if (fm >= 0) fprintf(out, "%d", fm);
                else if (fm == -1) fputs("never", out);
                fputc(',', out);
                if (fi >= 0) fprintf(out, "%d", fi);
                else if (fi == -1) fputs("never", out);
                fputc('\n', out);
            }
        }
    }
    free(first);
}

int iw_report_effect(const iw_store_reader *rd, const iw_effect_options *o, FILE *out, iw_error *err)
{
    if (o->n_test < 1) return iw_error_set(err, "effect: the number of test examples must be known (got %lld)", (long long)o->n_test);
    if (o->resamples < 1) return iw_error_set(err, "effect: --resamples must be >= 1, got %d", o->resamples);
    if (!(o->level > 0 && o->level < 1)) return iw_error_set(err, "effect: the interval's level must be in (0, 1)");
    if (iw_store_reader_metric_index(rd, "test_frac_positive") < 0)
        return iw_error_set(err, "%s: no metric test_frac_positive", rd->path);
    iw_report_grouping g;
    if (iw_report_grouping_make(rd, &g, err) < 0) return -1;
    effect x = {.rd = rd, .g = &g, .o = o, .W = g.n_weights, .E1 = rd->epochs + 1, .weight_one = -1};
    const iw_read_axis *wax = &rd->axes[g.weight_axis];
    for (int w = 0; w < x.W; w++)
        if (wax->distinct[w] == 1.0) x.weight_one = w;
    if (x.weight_one < 0) {
        char list[512] = "";
        for (int w = 0; w < x.W; w++)
            snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", w ? ", " : "", wax->labels[w]);
        iw_report_grouping_free(&g);
        return iw_error_set(err, "%s: no run has importance_weight 1 (the store has %s): the effect of a weight is measured "
                                 "against weight 1 of the same seed; add 1 to grid.importance_weight",
                            rd->path, list);
    }
    if (x.W < 2) {
        iw_report_grouping_free(&g);
        return iw_error_set(err, "%s: every run has importance_weight 1: there is no other weight whose effect to measure", rd->path);
    }
    x.n_seeds = g.seed_axis >= 0 ? rd->axes[g.seed_axis].n_distinct : 1;
    size_t cells = (size_t)g.n_groups * x.W * x.E1;
    x.at_one = malloc((size_t)g.n_groups * x.n_seeds * sizeof *x.at_one);
    x.frac = malloc((size_t)rd->runs * x.E1 * sizeof *x.frac);
    x.mean = malloc(cells * sizeof *x.mean);
    x.lo = malloc(cells * sizeof *x.lo);
    x.hi = malloc(cells * sizeof *x.hi);
    x.n = calloc(cells, sizeof *x.n);
    int64_t *runs = malloc(2 * (size_t)rd->runs * sizeof *runs);
    double *d = malloc((size_t)rd->runs * sizeof *d);
    double *scratch = malloc((size_t)o->resamples * sizeof *scratch);
    int rc = 0;
    if (!x.at_one || !x.frac || !x.mean || !x.lo || !x.hi || !x.n || !runs || !d || !scratch)
        rc = iw_error_set(err, "out of memory");
    if (rc == 0) rc = iw_store_reader_metric(rd, "test_frac_positive", 0, rd->runs, x.frac, err);
    if (rc == 0) {
        for (size_t k = 0; k < (size_t)g.n_groups * x.n_seeds; k++) x.at_one[k] = -1;
        for (int64_t r = 0; r < rd->runs; r++)
            if (wax->index[r] == x.weight_one && iw_report_counts(rd->status[r])) {
                int64_t *slot = &x.at_one[(int64_t)g.group_of_run[r] * x.n_seeds + seed_of(&x, r)];
                if (*slot < 0) *slot = r;
            }
        for (int group = 0; group < g.n_groups; group++)
            for (int w = 0; w < x.W; w++)
                if (w != x.weight_one) measure_cell(&x, group, w, runs, d, scratch);
        if (o->csv) print_csv(&x, out);
        else print_text(&x, out);
        if (ferror(out)) rc = iw_error_set(err, "write error on the output");
    }
    free(x.at_one); free(x.frac); free(x.mean); free(x.lo); free(x.hi); free(x.n);
    free(runs); free(d); free(scratch);
    iw_report_grouping_free(&g);
    return rc;
}
