/* report_plot.c — `iwreport plot`: the paper's figures as PNGs through gnuplot (pngcairo).
 *
 * For each metric with data, <metric>.png: the metric against epoch on a log axis, one line per
 * importance weight (blue = small weights, red = large) with a band over seeds, one panel per
 * group (setting of the other axes). Lines join the evaluated epochs only (/evaluated: a sparse
 * record.eval_epochs leaves the others NaN, and they are left out of the data files). Epoch 0
 * (before training) cannot sit on a log axis, so the x axis is epoch + 1. Bands are mean ± std, except for losses (log y axis) where they are the
 * min..max over seeds, since mean - std can be negative there.
 * For stores with /boundary (synthetic2d), boundary.png (boundary_<group>.png when there are several
 * groups): one panel per recorded epoch, the p = 0.5 contour of each weight's first-seed run,
 * drawn over the training points when the caller provides them.
 *
 * Every PNG comes with its gnuplot script (.gp) and data (.dat) in the same folder, so a figure can
 * be restyled without rerunning anything.
 */
#include "iw/report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#define PLOT_MAX_FIGURES 256

typedef struct plot_ctx {
    const iw_store_reader *rd;
    const iw_report_grouping *g;
    const char *dir;
    FILE *log;
    FILE *all;                 /* DIR/plots.gp: loads every figure's script, so gnuplot starts once */
    char (*png)[1200];         /* [PLOT_MAX_FIGURES] figures it will write */
    int n_png;
} plot_ctx;

/* Blue (smallest weight) to red (largest), through grey. */
static void weight_color(int w, int n, char out[8])
{
    static const int lo[3] = {0x21, 0x66, 0xac}, mid[3] = {0x80, 0x80, 0x80}, hi[3] = {0xb2, 0x18, 0x2b};
    double t = n > 1 ? (double)w / (n - 1) : 0.5;
    int c[3];
    for (int k = 0; k < 3; k++)
        c[k] = t < 0.5 ? (int)(lo[k] + (mid[k] - lo[k]) * 2 * t) : (int)(mid[k] + (hi[k] - mid[k]) * (2 * t - 1));
    snprintf(out, 8, "#%02x%02x%02x", c[0], c[1], c[2]);
}

/* gnuplot single-quoted string: only ' needs doubling. */
static void put_quoted(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'') fputc('\'', f);
        fputc(*s, f);
    }
    fputc('\'', f);
}

static int make_dir(const char *dir, iw_error *err)
{
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", dir);
    for (char *p = buf + 1; ; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, 0777) != 0 && errno != EEXIST)
                return iw_error_set(err, "cannot create folder %s: %s", buf, strerror(errno));
            *p = c;
            if (c == '\0') break;
        }
    }
    return 0;
}

/* Queues a figure: its script is loaded by DIR/plots.gp, its PNG checked after gnuplot ran. */
static int add_figure(plot_ctx *c, const char *gp, const char *png, iw_error *err)
{
    if (c->n_png == PLOT_MAX_FIGURES) return iw_error_set(err, "more than %d figures", PLOT_MAX_FIGURES);
    fprintf(c->all, "load ");
    put_quoted(c->all, gp);
    fprintf(c->all, "\n");
    snprintf(c->png[c->n_png++], sizeof c->png[0], "%s", png);
    return 0;
}

/* Runs gnuplot once on DIR/plots.gp, its messages into DIR/gnuplot.log; checks every PNG. */
static int run_gnuplot(plot_ctx *c, const char *all_path, iw_error *err)
{
    char logpath[1100];
    snprintf(logpath, sizeof logpath, "%s/gnuplot.log", c->dir);
    /* the paths are passed through the environment, which needs no shell quoting */
    setenv("IW_GNUPLOT_SCRIPT", all_path, 1);
    setenv("IW_GNUPLOT_LOG", logpath, 1);
    int rc = system("gnuplot \"$IW_GNUPLOT_SCRIPT\" >\"$IW_GNUPLOT_LOG\" 2>&1");
    unsetenv("IW_GNUPLOT_SCRIPT");
    unsetenv("IW_GNUPLOT_LOG");
    if (rc == -1 || !WIFEXITED(rc)) return iw_error_set(err, "cannot run gnuplot");
    if (WEXITSTATUS(rc) == 127) return iw_error_set(err, "gnuplot not found: install gnuplot-nox (Debian) or gnuplot");
    if (WEXITSTATUS(rc) != 0) return iw_error_set(err, "gnuplot failed on %s (messages in %s)", all_path, logpath);
    for (int i = 0; i < c->n_png; i++) {
        struct stat st;
        if (stat(c->png[i], &st) != 0 || st.st_size == 0)
            return iw_error_set(err, "gnuplot wrote no %s (messages in %s)", c->png[i], logpath);
        if (c->log) fprintf(c->log, "%s\n", c->png[i]);
    }
    return 0;
}

static void panel_layout(int n, int *rows, int *cols)
{
    *cols = 1;
    while (*cols * *cols < n) (*cols)++;
    *rows = (n + *cols - 1) / *cols;
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* min and max over the counted runs of (group, weight) at column e */
static void cell_range(const iw_store_reader *rd, const iw_report_grouping *g, const float *metric, int group,
                       int weight, int e, double *lo, double *hi)
{
    *lo = INFINITY;
    *hi = -INFINITY;
    for (int64_t r = 0; r < rd->runs; r++) {
        if (!iw_report_run_in_cell(rd, g, r, group, weight)) continue;
        float v = metric[r * (rd->epochs + 1) + e];
        if (!isfinite(v)) continue;
        if (v < *lo) *lo = v;
        if (v > *hi) *hi = v;
    }
}

/* On a log axis, epochs past 100 are drawn at 90 points per decade: of the evaluated epochs, the
 * first of each interval of 10 epochs in 100..999, of 100 in 1000..9999, ... (every 10th epoch of
 * a dense sweep), and the last epoch always: the figure looks the same and the data files stay
 * small for long sweeps. A thinning walks one line's epochs in order. */
typedef struct thinning {
    int step, interval;       /* of the last epoch drawn */
} thinning;

static int plotted_epoch(thinning *t, int epoch, int last)
{
    int step = 1;
    for (int v = epoch; v >= 100; v /= 10) step *= 10;
    int draw = epoch <= 100 || epoch == last || step != t->step || epoch / step != t->interval;
    if (draw) t->step = step, t->interval = epoch / step;
    return draw;
}

static int plot_metric(plot_ctx *c, const char *name, const float *metric, iw_error *err)
{
    const iw_store_reader *rd = c->rd;
    const iw_report_grouping *g = c->g;
    int W = g->n_weights, is_loss = has_suffix(name, "_loss");
    int unit_range = has_suffix(name, "_frac_positive") || has_suffix(name, "_acc");
    char dat[1100], gp[1100], png[1100];
    snprintf(dat, sizeof dat, "%s/%s.dat", c->dir, name);
    snprintf(gp, sizeof gp, "%s/%s.gp", c->dir, name);
    snprintf(png, sizeof png, "%s/%s.png", c->dir, name);
    FILE *f = fopen(dat, "w");
    if (!f) return iw_error_set(err, "cannot write %s: %s", dat, strerror(errno));
    int *panel_has_data = calloc((size_t)g->n_groups, sizeof *panel_has_data);
    if (!panel_has_data) { fclose(f); return iw_error_set(err, "out of memory"); }
    fprintf(f, "# %s: blocks (index = group * %d + weight); columns: epoch+1 mean band_lo band_hi n\n", name, W);
    for (int group = 0; group < g->n_groups; group++)
        for (int w = 0; w < W; w++) {
            /* Epochs the sweep did not evaluate (record.eval_epochs) get no row, so that the line
             * joins the evaluated ones; a row of NaN (no finished run has a value where one was
             * evaluated) makes gnuplot break the line there. */
            thinning thin = {0, -1};
            for (int e = 0; e <= rd->epochs; e++) {
                if (!rd->evaluated[e] || !plotted_epoch(&thin, rd->epoch[e], rd->epoch[rd->epochs])) continue;
                iw_report_cell cell = iw_report_cell_at(rd, g, metric, group, w, e);
                double lo = cell.mean - cell.std, hi = cell.mean + cell.std;
                if (is_loss) cell_range(rd, g, metric, group, w, e, &lo, &hi);
                if (cell.n == 0 || (is_loss && cell.mean <= 0)) {
                    fprintf(f, "%d NaN NaN NaN 0\n", rd->epoch[e] + 1);
                    continue;
                }
                if (is_loss && lo <= 0) lo = cell.mean * 1e-3; /* log axis: keep the band drawable */
                panel_has_data[group] = 1;
                fprintf(f, "%d %.7g %.7g %.7g %d\n", rd->epoch[e] + 1, cell.mean, lo, hi, cell.n);
            }
            fprintf(f, "\n\n");
        }
    fclose(f);

    int rows, cols;
    panel_layout(g->n_groups, &rows, &cols);
    int seeds = g->seed_axis >= 0 ? rd->axes[g->seed_axis].n_distinct : 1;
    f = fopen(gp, "w");
    if (!f) { free(panel_has_data); return iw_error_set(err, "cannot write %s: %s", gp, strerror(errno)); }
    fprintf(f, "# %s — drawn by iwreport plot from %s\n", name, rd->path);
    fprintf(f, "reset\nset terminal pngcairo noenhanced size %d,%d font 'sans,9'\nset output ", cols > 1 ? 460 * cols : 640, 340 * rows + 40);
    put_quoted(f, png);
    fprintf(f, "\ndata = ");
    put_quoted(f, dat);
    fprintf(f, "\nset logscale x\nset xrange [1:%d]\nset xtics (", rd->epoch[rd->epochs] + 1);
    /* tics at 1, 2, 5, 10, 20, 50, ...: a decade alone leaves short sweeps with one tic */
    long top = rd->epoch[rd->epochs] + 1;
    for (long t = 1, k = 0; t <= top; k++, t = (k % 3 == 1 ? t * 2 : k % 3 == 2 ? t * 5 / 2 : t * 2))
        if (k % 3 == 0 || t < 100 || top <= 2000) fprintf(f, "%s%ld", k ? ", " : "", t); /* long runs: decades only */
    fprintf(f, ")\n");
    fprintf(f, "set xlabel 'epoch + 1  (1 = before training)'\nset ylabel '%s'\n", name);
    if (unit_range) fprintf(f, "set yrange [-0.02:1.02]\n");
    if (is_loss) fprintf(f, "set logscale y\nset format y '%%g'\n");
    fprintf(f, "set style fill transparent solid 0.10 noborder\nset key top right font ',8' samplen 2 opaque\n");
    if (seeds == 1) /* one value per point: no band to speak of */
        fprintf(f, "set multiplot layout %d,%d title '%s: %s, one seed (n=1, no band)'\n", rows, cols, rd->name, name);
    else
        fprintf(f, "set multiplot layout %d,%d title '%s: %s, mean over %d seeds, band %s'\n", rows, cols, rd->name,
                name, seeds, is_loss ? "min..max over seeds" : "± std over seeds");
    for (int group = 0; group < g->n_groups; group++) {
        char label[512];
        iw_report_group_label(rd, g, group, label, sizeof label);
        fprintf(f, "set title ");
        put_quoted(f, label);
        fprintf(f, "\n");
        if (!panel_has_data[group]) {
            fprintf(f, "set label 1 'no finished runs yet' at graph 0.5,0.5 center\nplot NaN notitle\nunset label 1\n");
            continue;
        }
        if (group > 0) fprintf(f, "unset key\n");
        fprintf(f, "plot ");
        for (int w = 0; w < W; w++) {
            char color[8];
            weight_color(w, W, color);
            fprintf(f, "%sdata index %d using 1:3:4 with filledcurves lc rgb '%s' notitle, \\\n", w ? "     " : "",
                    group * W + w, color);
            fprintf(f, "     data index %d using 1:2 with lines lw 2 lc rgb '%s' title 'w = %s'%s\n", group * W + w,
                    color, rd->axes[g->weight_axis].labels[w], w + 1 < W ? ", \\" : "");
        }
    }
    fprintf(f, "unset multiplot\n");
    fclose(f);
    free(panel_has_data);
    return add_figure(c, gp, png, err);
}

int iw_report_contour(const float *f, int G, const double *x, const double *y, double level, double *seg,
                      int max_segments)
{
    int count = 0;
    for (int iy = 0; iy + 1 < G; iy++)
        for (int ix = 0; ix + 1 < G; ix++) {
            /* corners a (ix,iy), b (ix+1,iy), c (ix+1,iy+1), d (ix,iy+1); edges bottom, right, top, left */
            double v[4] = {f[iy * G + ix], f[iy * G + ix + 1], f[(iy + 1) * G + ix + 1], f[(iy + 1) * G + ix]};
            double px[4] = {x[ix], x[ix + 1], x[ix + 1], x[ix]}, py[4] = {y[iy], y[iy], y[iy + 1], y[iy + 1]};
            if (!isfinite(v[0]) || !isfinite(v[1]) || !isfinite(v[2]) || !isfinite(v[3])) continue;
            double cx[4], cy[4];
            int crossed[4], n = 0;
            for (int k = 0; k < 4; k++) {
                int k2 = (k + 1) % 4;
                crossed[k] = (v[k] >= level) != (v[k2] >= level);
                if (!crossed[k]) continue;
                double t = (level - v[k]) / (v[k2] - v[k]);
                cx[k] = px[k] + t * (px[k2] - px[k]);
                cy[k] = py[k] + t * (py[k2] - py[k]);
                n++;
            }
            int pairs[2][2], np = 0;
            if (n == 2) {
                int first = -1;
                for (int k = 0; k < 4; k++)
                    if (crossed[k]) {
                        if (first < 0) first = k;
                        else { pairs[0][0] = first; pairs[0][1] = k; np = 1; }
                    }
            } else if (n == 4) { /* saddle: the centre value decides which corners connect */
                double centre = (v[0] + v[1] + v[2] + v[3]) / 4;
                if ((centre >= level) == (v[0] >= level)) {
                    pairs[0][0] = 0; pairs[0][1] = 1; pairs[1][0] = 2; pairs[1][1] = 3;
                } else {
                    pairs[0][0] = 0; pairs[0][1] = 3; pairs[1][0] = 1; pairs[1][1] = 2;
                }
                np = 2;
            }
            for (int p = 0; p < np; p++, count++)
                if (count < max_segments) {
                    double *s = seg + 4 * count;
                    s[0] = cx[pairs[p][0]]; s[1] = cy[pairs[p][0]];
                    s[2] = cx[pairs[p][1]]; s[3] = cy[pairs[p][1]];
                }
        }
    return count;
}

/* First run (lowest seed in grid order) of (group, weight) that finished, or -1. */
static int64_t first_run(const iw_store_reader *rd, const iw_report_grouping *g, int group, int w)
{
    for (int64_t r = 0; r < rd->runs; r++)
        if (iw_report_run_in_cell(rd, g, r, group, w)) return r;
    return -1;
}

static int plot_boundary(plot_ctx *c, int group, const iw_plot_points *points, iw_error *err)
{
    const iw_store_reader *rd = c->rd;
    const iw_report_grouping *g = c->g;
    int S = rd->boundary_count, G = rd->boundary_grid, W = g->n_weights;
    char base[1100], dat[1200], gp[1200], png[1200];
    if (g->n_groups == 1) snprintf(base, sizeof base, "%s/boundary", c->dir);
    else snprintf(base, sizeof base, "%s/boundary_%d", c->dir, group);
    snprintf(dat, sizeof dat, "%s.dat", base);
    snprintf(gp, sizeof gp, "%s.gp", base);
    snprintf(png, sizeof png, "%s.png", base);
    int max_seg = 4 * G * G;
    float *field = malloc((size_t)S * G * G * sizeof *field);
    double *seg = malloc((size_t)max_seg * 4 * sizeof *seg);
    FILE *f = fopen(dat, "w");
    if (!field || !seg || !f) {
        free(field); free(seg);
        if (f) fclose(f);
        return iw_error_set(err, "cannot write %s", dat);
    }
    /* blocks: 0 negative points, 1 positive points, then 2 + w * S + s contour segments */
    fprintf(f, "# boundary p = 0.5: index 0/1 training points (class 0/1), index 2 + w*%d + s segments\n", S);
    for (int cls = 0; cls < 2; cls++) {
        fprintf(f, "NaN NaN\n");
        for (int64_t i = 0; points && i < points->n; i++)
            if (points->label[i] == cls) fprintf(f, "%.6g %.6g\n", points->xy[2 * i], points->xy[2 * i + 1]);
        fprintf(f, "\n\n");
    }
    int rc = 0;
    for (int w = 0; w < W && rc == 0; w++) {
        int64_t run = first_run(rd, g, group, w);
        if (run >= 0) rc = iw_store_reader_boundary(rd, run, field, err);
        else for (size_t i = 0; i < (size_t)S * G * G; i++) field[i] = NAN;
        if (rc) break;
        for (int s = 0; s < S; s++) {
            int n = iw_report_contour(field + (size_t)s * G * G, G, rd->boundary_x, rd->boundary_y, 0.5, seg, max_seg);
            if (n > max_seg) n = max_seg;
            fprintf(f, "# weight %s, epoch %d, run %lld\nNaN NaN\n", rd->axes[g->weight_axis].labels[w],
                    rd->boundary_epoch[s], (long long)run);
            for (int k = 0; k < n; k++)
                fprintf(f, "%.6g %.6g\n%.6g %.6g\n\n", seg[4 * k], seg[4 * k + 1], seg[4 * k + 2], seg[4 * k + 3]);
            fprintf(f, "\n\n");
        }
    }
    fclose(f);
    free(field);
    free(seg);
    if (rc) return -1;

    int rows, cols;
    panel_layout(S, &rows, &cols);
    char label[512];
    iw_report_group_label(rd, g, group, label, sizeof label);
    f = fopen(gp, "w");
    if (!f) return iw_error_set(err, "cannot write %s: %s", gp, strerror(errno));
    fprintf(f, "# decision boundaries — drawn by iwreport plot from %s\n", rd->path);
    fprintf(f, "reset\nset terminal pngcairo noenhanced size %d,%d font 'sans,9'\nset output ", 420 * cols, 400 * rows + 40);
    put_quoted(f, png);
    fprintf(f, "\ndata = ");
    put_quoted(f, dat);
    fprintf(f, "\nset size ratio -1\nset xrange [%g:%g]\nset yrange [%g:%g]\n", rd->boundary_x[0],
            rd->boundary_x[G - 1], rd->boundary_y[0], rd->boundary_y[G - 1]);
    fprintf(f, "set key bottom right font ',8' samplen 2 opaque\n");
    fprintf(f, "set multiplot layout %d,%d title '%s: p(positive) = 0.5 by importance weight (first seed); %s'\n", rows,
            cols, rd->name, label);
    /* data blocks are in (w, s) order: index 2 + w * S + s */
    for (int s = 0; s < S; s++) {
        fprintf(f, "set title 'epoch %d'\n%s", rd->boundary_epoch[s], s ? "unset key\n" : "");
        fprintf(f, "plot data index 0 using 1:2 with points pt 7 ps 0.3 lc rgb '#9ecae1' title 'class 0', \\\n"
                   "     data index 1 using 1:2 with points pt 7 ps 0.3 lc rgb '#fcbba1' title 'class 1 (weighted)'");
        for (int w = 0; w < W; w++) {
            char color[8];
            weight_color(w, W, color);
            fprintf(f, ", \\\n     data index %d using 1:2 with lines lw 2 lc rgb '%s' title 'w = %s'", 2 + w * S + s,
                    color, rd->axes[g->weight_axis].labels[w]);
        }
        fprintf(f, "\n");
    }
    fprintf(f, "unset multiplot\n");
    fclose(f);
    return add_figure(c, gp, png, err);
}

int iw_report_plot(const iw_store_reader *rd, const char *dir, const iw_plot_points *points, FILE *log, iw_error *err)
{
    if (make_dir(dir, err) < 0) return -1;
    iw_report_grouping g;
    if (iw_report_grouping_make(rd, &g, err) < 0) return -1;
    char all_path[1100];
    snprintf(all_path, sizeof all_path, "%s/plots.gp", dir);
    plot_ctx c = {rd, &g, dir, log, fopen(all_path, "w"), malloc(PLOT_MAX_FIGURES * sizeof(char[1200])), 0};
    if (!c.all || !c.png) {
        if (c.all) fclose(c.all);
        free(c.png);
        iw_report_grouping_free(&g);
        return iw_error_set(err, "cannot write %s", all_path);
    }
    fprintf(c.all, "# every figure of %s — drawn by iwreport plot; rerun with: gnuplot plots.gp\n", rd->path);
    size_t row = (size_t)rd->epochs + 1;
    float *metric = malloc((size_t)rd->runs * row * sizeof *metric);
    int rc = metric ? 0 : iw_error_set(err, "out of memory");
    int drawn = 0;
    for (int m = 0; m < rd->n_metrics && rc == 0; m++) {
        rc = iw_store_reader_metric(rd, rd->metric_names[m], 0, rd->runs, metric, err);
        if (rc) break;
        int any = 0;   /* a metric nobody has a value for (e.g. a probe the sweep did not ask for) is skipped */
        for (int64_t r = 0; r < rd->runs && !any; r++)
            if (iw_report_counts(rd->status[r]))
                for (size_t e = 0; e < row && !any; e++) any = isfinite(metric[(size_t)r * row + e]);
        if (any) { rc = plot_metric(&c, rd->metric_names[m], metric, err); drawn++; }
    }
    for (int group = 0; group < g.n_groups && rc == 0 && rd->boundary_count > 0; group++)
        rc = plot_boundary(&c, group, points, err);
    if (rc == 0 && drawn == 0) rc = iw_error_set(err, "%s: no finished run has metrics yet: nothing to plot", rd->path);
    fclose(c.all);
    if (rc == 0) rc = run_gnuplot(&c, all_path, err);
    free(c.png);
    free(metric);
    iw_report_grouping_free(&g);
    return rc;
}
