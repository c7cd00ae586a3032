/* report_adjust.c — `iwreport adjust`: post-hoc logit adjustment of the stored test logits
 * (Menon, Jayasumana, Rawat, Jain, Veit & Kumar, "Long-tail learning via logit adjustment", ICLR
 * 2021, Eq. 11 with tau): the prediction argmax_k z_k - tau log pi_k, pi_k the share of class k in
 * the run's training set (/runs/train_class_count), against the raw argmax_k z_k, from the logits
 * kept at record.logit_epochs: no retraining. (include/iw/report.h gives the output.)
 *
 * Shapes: logits of one run [L * N_test * 2] ((s * N_test + i) * 2 + k); results per run and logit
 * epoch [R * L] for each of the six numbers.
 */
#include "iw/report.h"

#include "csv_out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { ACC, BALANCED, FRAC, ADJ_ACC, ADJ_BALANCED, ADJ_FRAC, N_RESULTS };
static const char *const result_names[N_RESULTS] = {"acc", "balanced_acc", "frac_positive",
                                                     "adjusted_acc", "adjusted_balanced_acc", "adjusted_frac_positive"};


/* Accuracy, balanced accuracy and fraction positive of the predictions of one logit epoch, with
 * `shift` = z_1 - z_0 offset (0: raw; the adjustment subtracts tau (log pi_1 - log pi_0)). NaN when
 * a logit is not finite (not written, or a diverged run). */
static void score(const float *z, const int8_t *y, int64_t N, double shift, double *acc, double *balanced, double *frac)
{
    int64_t n[2] = {0, 0}, right[2] = {0, 0}, positive = 0;
    for (int64_t i = 0; i < N; i++) {
        double z0 = z[2 * i], z1 = z[2 * i + 1];
        if (!isfinite(z0) || !isfinite(z1) || y[i] < 0) {
            *acc = *balanced = *frac = NAN;
            return;
        }
        int pred = z1 - z0 + shift > 0;
        positive += pred;
        n[y[i]]++;
        right[y[i]] += pred == y[i];
    }
    *acc = N > 0 ? (double)(right[0] + right[1]) / (double)N : NAN;
    *balanced = n[0] > 0 && n[1] > 0 ? ((double)right[0] / (double)n[0] + (double)right[1] / (double)n[1]) / 2.0 : NAN;
    *frac = N > 0 ? (double)positive / (double)N : NAN;
}

static void print_csv(const iw_store_reader *rd, double tau, const double *res, FILE *out)
{
    int L = rd->logit_count;
    fputs("run", out);
    for (int a = 0; a < rd->n_axes; a++) fprintf(out, ",%s", rd->axes[a].name);
    fputs(",status,epoch,tau", out);
    for (int k = 0; k < N_RESULTS; k++) fprintf(out, ",%s", result_names[k]);
    fputc('\n', out);
    for (int64_t r = 0; r < rd->runs; r++)
        for (int s = 0; s < L; s++) {
            fprintf(out, "%lld", (long long)r);
            for (int a = 0; a < rd->n_axes; a++) {
                const iw_read_axis *ax = &rd->axes[a];
                fputc(',', out);
                iw_csv_axis_value(out, ax, r);
            }
            fprintf(out, ",%s,%d,%.17g", iw_status_name(rd->status[r]), rd->logit_epoch[s], tau);
            for (int k = 0; k < N_RESULTS; k++) {
                double v = res[((size_t)k * rd->runs + r) * L + s];
                fputc(',', out);
                iw_csv_number(out, v, 9);
            }
            fputc('\n', out);
        }
}

static int print_text(const iw_store_reader *rd, double tau, const double *res, FILE *out, iw_error *err)
{
    iw_report_grouping g;
    if (iw_report_grouping_make(rd, &g, err) < 0) return -1;
    double *value = malloc((size_t)rd->runs * sizeof *value);
    if (!value) { iw_report_grouping_free(&g); return iw_error_set(err, "out of memory"); }
    int L = rd->logit_count;
    fprintf(out, "store %s: post-hoc logit adjustment (Menon et al., ICLR 2021) with tau = %g: predict\n", rd->path, tau);
    fprintf(out, "argmax_k z_k - tau log pi_k, pi the class shares of each run's training set; raw -> adjusted,\n");
    fprintf(out, "mean over seeds (n runs) of the test balanced accuracy, accuracy and fraction predicted positive\n");
    const iw_read_axis *wax = &rd->axes[g.weight_axis];
    for (int group = 0; group < g.n_groups; group++) {
        char label[512];
        iw_report_group_label(rd, &g, group, label, sizeof label);
        fprintf(out, "\n== %s ==\n", label);
        for (int s = 0; s < L; s++) {
            fprintf(out, "epoch %d:\n", rd->logit_epoch[s]);
            for (int w = 0; w < g.n_weights; w++) {
                fprintf(out, "  weight %-10s", wax->labels[w]);
                int n = 0;
                for (int k = 0; k < 3; k++) {
                    double mean[2];
                    for (int adj = 0; adj < 2; adj++) {
                        for (int64_t r = 0; r < rd->runs; r++) value[r] = res[((size_t)(k + 3 * adj) * rd->runs + r) * L + s];
                        iw_report_cell c = iw_report_cell_of(rd, &g, value, group, w);
                        mean[adj] = c.mean;
                        n = c.n;
                    }
                    fprintf(out, "  %s %.4f -> %.4f", k == 0 ? "balanced" : k == 1 ? "acc" : "frac+", mean[0], mean[1]);
                }
                fprintf(out, "  (n %d)\n", n);
            }
        }
    }
    free(value);
    iw_report_grouping_free(&g);
    return 0;
}

int iw_report_adjust(const iw_store_reader *rd, double tau, int csv, FILE *out, iw_error *err)
{
    if (!isfinite(tau)) return iw_error_set(err, "adjust: --tau must be a finite number");
    if (rd->logit_count == 0)
        return iw_error_set(err, "%s: the store has no test logits: post-hoc adjustment needs record.logit_epochs in the sweep file",
                            rd->path);
    if (!rd->train_class_count)
        return iw_error_set(err, "%s: the store has no /runs/train_class_count (the class priors)", rd->path);
    int L = rd->logit_count;
    int64_t N = rd->n_test;
    float *z = malloc((size_t)L * (size_t)N * 2 * sizeof *z);
    double *res = malloc((size_t)N_RESULTS * (size_t)rd->runs * L * sizeof *res);
    int rc = z && res ? 0 : iw_error_set(err, "out of memory");
    for (int64_t r = 0; r < rd->runs && rc == 0; r++) {
        const int64_t *count = rd->train_class_count + 2 * r;
        int usable = iw_report_counts(rd->status[r]) && count[0] > 0 && count[1] > 0;
        if (usable) rc = iw_store_reader_logits(rd, r, z, err);
        /* subtracting tau log pi_k from z_k moves z_1 - z_0 by -tau log(pi_1 / pi_0) = -tau log(n_1 / n_0) */
        double shift = usable ? -tau * log((double)count[1] / (double)count[0]) : 0;
        for (int s = 0; s < L && rc == 0; s++) {
            double *out3[N_RESULTS];
            for (int k = 0; k < N_RESULTS; k++) out3[k] = &res[((size_t)k * rd->runs + r) * L + s];
            if (!usable) {
                for (int k = 0; k < N_RESULTS; k++) *out3[k] = NAN;
                continue;
            }
            const float *zs = z + (size_t)s * N * 2;
            score(zs, rd->test_labels, N, 0.0, out3[ACC], out3[BALANCED], out3[FRAC]);
            score(zs, rd->test_labels, N, shift, out3[ADJ_ACC], out3[ADJ_BALANCED], out3[ADJ_FRAC]);
        }
    }
    if (rc == 0) {
        if (csv) print_csv(rd, tau, res, out);
        else rc = print_text(rd, tau, res, out, err);
        if (rc == 0 && ferror(out)) rc = iw_error_set(err, "write error on the output");
    }
    free(z);
    free(res);
    return rc;
}
