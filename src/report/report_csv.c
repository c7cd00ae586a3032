/* report_csv.c — `iwreport csv`: every metric in long form, one row per run x epoch, with the grid
 * columns, for pandas or R (see include/iw/report.h for the choices about pending runs).
 *
 * Numbers are written so that they read back to the same value: float32 metrics with 9 significant
 * digits, axis values with the shortest of %.15g / %.17g that round-trips.
 */
#include "iw/report.h"

#include "csv_out.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define CSV_CHUNK_FLOATS ((size_t)1 << 22) /* values read per HDF5 call (16 MiB): bounded memory */

int iw_report_csv(const iw_store_reader *rd, int done_only, FILE *out, iw_error *err)
{
    size_t row = (size_t)rd->epochs + 1;
    int64_t chunk_runs = (int64_t)(CSV_CHUNK_FLOATS / ((size_t)rd->n_metrics * row)); /* runs per read */
    if (chunk_runs < 1) chunk_runs = 1;
    float *chunk = malloc((size_t)rd->n_metrics * (size_t)chunk_runs * row * sizeof *chunk);
    if (!chunk) return iw_error_set(err, "out of memory");
    fputs("run", out);
    for (int a = 0; a < rd->n_axes; a++) fprintf(out, ",%s", rd->axes[a].name);
    fputs(",status,epoch", out);
    for (int m = 0; m < rd->n_metrics; m++) fprintf(out, ",%s", rd->metric_names[m]);
    fputc('\n', out);
    for (int64_t r0 = 0; r0 < rd->runs; r0 += chunk_runs) {
        int64_t n = rd->runs - r0 < chunk_runs ? rd->runs - r0 : chunk_runs;
        for (int m = 0; m < rd->n_metrics; m++)
            if (iw_store_reader_metric(rd, rd->metric_names[m], r0, n, chunk + (size_t)m * chunk_runs * row, err) < 0) {
                free(chunk);
                return -1;
            }
        for (int64_t i = 0; i < n; i++) {
            int64_t r = r0 + i;
            int st = rd->status[r];
            if (done_only && !iw_report_counts(st)) continue;
            for (int e = 0; e <= rd->epochs; e++) {
                fprintf(out, "%lld", (long long)r);
                for (int a = 0; a < rd->n_axes; a++) {
                    const iw_read_axis *ax = &rd->axes[a];
                    fputc(',', out);
                    iw_csv_axis_value(out, ax, r);
                }
                fprintf(out, ",%s,%d", iw_status_name(st), rd->epoch[e]);
                for (int m = 0; m < rd->n_metrics; m++) {
                    float v = chunk[(size_t)m * chunk_runs * row + (size_t)i * row + (size_t)e];
                    fputc(',', out);
                    iw_csv_number(out, v, 9);
                }
                fputc('\n', out);
            }
        }
    }
    free(chunk);
    if (ferror(out)) return iw_error_set(err, "write error on the output");
    return 0;
}
