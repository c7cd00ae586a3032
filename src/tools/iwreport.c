/* iwreport.c — main() of `iwreport`: what a sweep's store says, as text, CSV or figures.
 *
 *   iwreport summary STORE
 *   iwreport table   STORE [--epochs LIST] [--metric NAME[,NAME...]] [--probes]
 *   iwreport csv     STORE [--done-only]
 *   iwreport plot    STORE [-o DIR]
 *   iwreport stop    STORE [--by loss|balanced-acc] [--csv | --interval [--resamples N] [--seed S]]
 *   iwreport effect  STORE [--threshold T] [--resamples N] [--seed S] [--epochs LIST] [--csv]
 *   iwreport adjust  STORE [--tau T] [--csv]
 *
 * Reads the store through store_read.h (works while a sweep is still writing it); the reports
 * themselves live in src/report/report_*.c. main() reads the command line, then dispatches to
 * the command's row of the `commands` table. For synthetic2d stores, `plot` regenerates the training
 * points from the sweep file kept in /spec (the data are a deterministic function of it) to draw
 * the decision boundaries over them.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iw/data.h"
#include "iw/report.h"
#include "iw/spec.h"
#include "iw/store_read.h"

static const char usage[] =
    "usage: iwreport COMMAND STORE [options]\n"
    "\n"
    "commands:\n"
    "  summary STORE            the sweep, its grid, the evaluated epochs (record.eval_epochs),\n"
    "                           runs done/diverged/failed/pending, time spent\n"
    "  table STORE              positive-class fraction per importance weight at chosen epochs,\n"
    "                           mean ± std over seeds (sample std; 0 with one seed), one block per\n"
    "                           setting of the other axes, and the spread across weights (max - min\n"
    "                           of the means: the size of the weighting effect)\n"
    "      --epochs LIST        e.g. 0,1,10,last (default: 0, 1, 10, 100, ... and the last epoch,\n"
    "                           each the first evaluated epoch from there); an epoch the sweep did\n"
    "                           not evaluate is refused with the list of those it did\n"
    "      --metric NAMES       comma-separated metrics (default test_frac_positive)\n"
    "      --probes             add other_frac_positive and noise_frac_positive\n"
    "  csv STORE                every metric in long form on stdout: run,<axes>,status,epoch,<metrics>,\n"
    "                           one row per run x epoch; pending runs and epochs not evaluated are\n"
    "                           included with empty metric fields (NaN in pandas)\n"
    "      --done-only          leave out pending and failed runs\n"
    "  plot STORE               PNG figures through gnuplot (pngcairo), with their .gp scripts and\n"
    "                           .dat data: each metric against epoch + 1 (log axis), one line per\n"
    "                           weight through the evaluated epochs, band over seeds, one panel per\n"
    "                           setting of the other axes; decision boundaries for synthetic2d stores\n"
    "      -o DIR               output folder (default: STORE without .h5, plus -plots)\n"
    "  stop STORE               early stopping on the validation split (data.val_per_class): per run\n"
    "                           and per setting, the epoch it picks and the test balanced accuracy,\n"
    "                           accuracy and fraction positive there and at the last epoch\n"
    "      --by CRITERION       loss: lowest weighted validation loss (default); balanced-acc:\n"
    "                           highest balanced validation accuracy\n"
    "      --csv                one row per run instead of the text tables\n"
    "      --interval           the metrics as mean [95% percentile bootstrap interval] over seeds\n"
    "                           (--resamples, default 1000; --seed, default 0) instead of ± std\n"
    "  effect STORE             per epoch and setting, the shift of the positive-class log-odds of the\n"
    "                           test predictions of each weight against weight 1, paired by seed, with\n"
    "                           a percentile bootstrap interval over seeds, and the first epoch from\n"
    "                           which the effect stays below a threshold\n"
    "      --threshold T        on |shift| in log-odds units (default 0.1)\n"
    "      --resamples N        bootstrap resamples (default 1000)\n"
    "      --seed S             bootstrap seed (default 0)\n"
    "      --epochs LIST        epochs printed (text; default as table); --csv has every epoch\n"
    "      --csv                one row per setting x weight x epoch\n"
    "  adjust STORE             post-hoc logit adjustment (Menon et al. 2021) from the stored test\n"
    "                           logits (record.logit_epochs): raw vs adjusted test metrics\n"
    "      --tau T              strength of the adjustment (default 1)\n"
    "      --csv                one row per run x logit epoch\n"
    "\n"
    "A store can be read while a sweep is writing it: runs not yet done are counted as pending and\n"
    "left out of tables and plots.\n";

static int fail(const char *msg)
{
    fprintf(stderr, "iwreport: %s\n", msg);
    return 1;
}

/* Training points of a synthetic2d sweep, in raw coordinates; 0 when there are none to draw. */
static int load_points(const iw_store_reader *rd, double **xy, int32_t **label, int64_t *n)
{
    *xy = NULL;
    *label = NULL;
    *n = 0;
    iw_spec spec;
    iw_error err;
    memset(&spec, 0, sizeof spec);
    if (iw_spec_parse(rd->spec_text, strlen(rd->spec_text), "/spec", &spec, &err) < 0) {
        fprintf(stderr, "iwreport: warning: cannot parse the sweep file in %s (%s); boundaries drawn without points\n",
                rd->path, err.message);
        return 0;
    }
    iw_data data;
    int rc = 0;
    if (spec.data.source == IW_SOURCE_SYNTHETIC2D && iw_data_load(&spec.data, &data, &err) == 0) {
        if (data.shape.c == 2 && data.train.n > 0) {
            *xy = malloc((size_t)data.train.n * 2 * sizeof **xy);
            *label = malloc((size_t)data.train.n * sizeof **label);
            if (!*xy || !*label) rc = -1;
            for (int64_t i = 0; rc == 0 && i < data.train.n; i++) {
                for (int k = 0; k < 2; k++) /* undo the per-channel normalisation */
                    (*xy)[2 * i + k] = data.train.x[2 * i + k] * data.std[k] + data.mean[k];
                (*label)[i] = data.train.y[i];
            }
            if (rc == 0) *n = data.train.n;
        }
        iw_data_free(&data);
    } else if (spec.data.source == IW_SOURCE_SYNTHETIC2D) {
        fprintf(stderr, "iwreport: warning: cannot regenerate the data (%s); boundaries drawn without points\n",
                err.message);
    }
    iw_spec_free(&spec);
    return rc;
}

static int split_metrics(char *list, iw_table_options *o)
{
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        if (o->n_metrics == IW_REPORT_MAX_METRICS) return -1;
        o->metrics[o->n_metrics++] = tok;
    }
    return o->n_metrics ? 0 : -1;
}

/* The command line, once read. */
typedef struct args {
    const char *command, *store, *epochs, *outdir, *by, *threshold, *resamples, *seed, *tau;
    char *metrics;
    int probes, done_only, csv, interval;
} args;

/* A number option: the whole text must be a finite number (integer when whole is set) in lo..hi. */
static int number_option(const char *name, const char *text, int whole, double lo, double hi, double *out, iw_error *err)
{
    char *end;
    errno = 0;
    double v = whole ? (double)strtoull(text, &end, 10) : strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v) || v < lo || v > hi || (whole && text[0] == '-'))
        return iw_error_set(err, "%s: expected %s in %g..%g, got '%s'", name, whole ? "a whole number" : "a number", lo, hi, text);
    *out = v;
    return 0;
}

/* N, the test examples of the two classes: from /logits, else from the sweep file in /spec. */
static int64_t test_count(const iw_store_reader *rd)
{
    if (rd->n_test > 0) return rd->n_test;
    iw_spec spec;
    iw_error err;
    memset(&spec, 0, sizeof spec);
    if (iw_spec_parse(rd->spec_text, strlen(rd->spec_text), "/spec", &spec, &err) < 0) return 0;
    int64_t n = (int64_t)spec.data.test_per_class[0] + spec.data.test_per_class[1];
    iw_spec_free(&spec);
    return n;
}

static int run_summary(const iw_store_reader *rd, const args *a, iw_error *err)
{
    (void)a;
    return iw_report_summary(rd, stdout, err);
}

static int run_table(const iw_store_reader *rd, const args *a, iw_error *err)
{
    iw_table_options o;
    memset(&o, 0, sizeof o);
    if (a->metrics && split_metrics(a->metrics, &o) < 0) return iw_error_set(err, "--metric: expected NAME[,NAME...]");
    if (!a->metrics) o.metrics[o.n_metrics++] = "test_frac_positive";
    if (a->probes) {
        o.metrics[o.n_metrics++] = "other_frac_positive";
        o.metrics[o.n_metrics++] = "noise_frac_positive";
    }
    if (a->epochs) {
        if (iw_report_parse_epochs(rd, a->epochs, &o, err) < 0) return -1;
    } else {
        iw_report_default_epochs(rd, &o);
    }
    return iw_report_table(rd, &o, stdout, err);
}

static int run_csv(const iw_store_reader *rd, const args *a, iw_error *err)
{
    return iw_report_csv(rd, a->done_only, stdout, err);
}

static int run_plot(const iw_store_reader *rd, const args *a, iw_error *err)
{
    char dir[1100];
    if (a->outdir) {
        snprintf(dir, sizeof dir, "%s", a->outdir);
    } else {
        size_t n = strlen(a->store);
        if (n > 3 && !strcmp(a->store + n - 3, ".h5")) n -= 3;
        snprintf(dir, sizeof dir, "%.*s-plots", (int)n, a->store);
    }
    double *xy = NULL;
    int32_t *label = NULL;
    int64_t n = 0;
    int rc = 0;
    if (rd->boundary_count > 0 && load_points(rd, &xy, &label, &n) < 0) rc = iw_error_set(err, "out of memory");
    iw_plot_points points = {xy, label, n};
    if (rc == 0) rc = iw_report_plot(rd, dir, n > 0 ? &points : NULL, stdout, err);
    free(xy);
    free(label);
    return rc;
}

/* --resamples and --seed into *resamples, *seed (left as they are when not given). */
static int bootstrap_options(const args *a, int *resamples, uint64_t *seed, iw_error *err)
{
    double v;
    if (a->resamples) {
        if (number_option("--resamples", a->resamples, 1, 1, 10000000, &v, err) < 0) return -1;
        *resamples = (int)v;
    }
    if (a->seed) {
        if (number_option("--seed", a->seed, 1, 0, 9007199254740992.0, &v, err) < 0) return -1;
        *seed = (uint64_t)v;
    }
    return 0;
}

static int run_stop(const iw_store_reader *rd, const args *a, iw_error *err)
{
    iw_stop_options o = {.by = IW_STOP_BY_LOSS, .csv = a->csv, .resamples = 0, .seed = 0, .level = 0.95};
    if (a->by && !strcmp(a->by, "balanced-acc")) o.by = IW_STOP_BY_BALANCED_ACC;
    else if (a->by && strcmp(a->by, "loss") != 0)
        return iw_error_set(err, "--by: expected loss or balanced-acc, got '%s'", a->by);
    if (a->interval) {
        if (a->csv) return iw_error_set(err, "--interval is for the text tables (--csv has one row per run)");
        o.resamples = 1000;
        if (bootstrap_options(a, &o.resamples, &o.seed, err) < 0) return -1;
    } else if (a->resamples || a->seed) {
        return iw_error_set(err, "--resamples and --seed go with --interval in 'stop'");
    }
    return iw_report_stop(rd, &o, stdout, err);
}

static int run_effect(const iw_store_reader *rd, const args *a, iw_error *err)
{
    iw_effect_options o;
    memset(&o, 0, sizeof o);
    o.threshold = 0.1, o.resamples = 1000, o.seed = 0, o.level = 0.95, o.csv = a->csv;
    double v;
    if (a->threshold) {
        if (number_option("--threshold", a->threshold, 0, 0, INFINITY, &v, err) < 0) return -1;
        o.threshold = v;
    }
    if (bootstrap_options(a, &o.resamples, &o.seed, err) < 0) return -1;
    if (a->epochs && iw_report_parse_epochs(rd, a->epochs, &o.epochs, err) < 0) return -1;
    o.n_test = test_count(rd);
    if (o.n_test < 1)
        return iw_error_set(err, "%s: cannot tell how many test examples there are (no /logits, and /spec does not parse)", rd->path);
    return iw_report_effect(rd, &o, stdout, err);
}

static int run_adjust(const iw_store_reader *rd, const args *a, iw_error *err)
{
    double tau = 1.0;
    if (a->tau && number_option("--tau", a->tau, 0, -INFINITY, INFINITY, &tau, err) < 0) return -1;
    return iw_report_adjust(rd, tau, a->csv, stdout, err);
}

/* The commands, and which options belong to which (an option given to another command is an
 * error, in this order of checking). */
static const struct command {
    const char *name;
    int (*run)(const iw_store_reader *rd, const args *a, iw_error *err);
} commands[] = {
    {"summary", run_summary},
    {"table", run_table},
    {"csv", run_csv},
    {"plot", run_plot},
    {"stop", run_stop},
    {"effect", run_effect},
    {"adjust", run_adjust},
};

static const char *option_misplaced(const args *a, const char *command)
{
    int is_effect = !strcmp(command, "effect");
    if ((a->metrics || a->probes) && strcmp(command, "table") != 0) return "--metric and --probes belong to 'table'";
    if (a->epochs && strcmp(command, "table") != 0 && !is_effect) return "--epochs belongs to 'table' and 'effect'";
    if (a->done_only && strcmp(command, "csv") != 0) return "--done-only belongs to 'csv'";
    if (a->outdir && strcmp(command, "plot") != 0) return "-o belongs to 'plot'";
    if (a->by && strcmp(command, "stop") != 0) return "--by belongs to 'stop'";
    if (a->threshold && !is_effect) return "--threshold belongs to 'effect'";
    if ((a->resamples || a->seed) && !is_effect && strcmp(command, "stop") != 0)
        return "--resamples and --seed belong to 'effect' and 'stop --interval'";
    if (a->interval && strcmp(command, "stop") != 0) return "--interval belongs to 'stop'";
    if (a->tau && strcmp(command, "adjust") != 0) return "--tau belongs to 'adjust'";
    if (a->csv && strcmp(command, "stop") != 0 && !is_effect && strcmp(command, "adjust") != 0)
        return "--csv belongs to 'stop', 'effect' and 'adjust' (the csv command writes the metrics)";
    return NULL;
}

/* Reads argv into a. 0, 1 when --help was asked (usage printed), 2 on a bad command line (message
 * printed). */
static int read_args(int argc, char **argv, args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (!strcmp(arg, "-h") || !strcmp(arg, "--help") || !strcmp(arg, "help")) {
            fputs(usage, stdout);
            return 1;
        } else if (!strcmp(arg, "--epochs") || !strcmp(arg, "--metric") || !strcmp(arg, "-o") || !strcmp(arg, "--by") ||
                   !strcmp(arg, "--threshold") || !strcmp(arg, "--resamples") || !strcmp(arg, "--seed") ||
                   !strcmp(arg, "--tau")) {
            if (i + 1 >= argc) {
                fprintf(stderr, "iwreport: %s needs a value\n", arg);
                return 2;
            }
            const char *value = argv[++i];
            if (!strcmp(arg, "--epochs")) a->epochs = value;
            else if (!strcmp(arg, "--metric")) a->metrics = argv[i];
            else if (!strcmp(arg, "-o")) a->outdir = value;
            else if (!strcmp(arg, "--by")) a->by = value;
            else if (!strcmp(arg, "--threshold")) a->threshold = value;
            else if (!strcmp(arg, "--resamples")) a->resamples = value;
            else if (!strcmp(arg, "--seed")) a->seed = value;
            else a->tau = value;
        } else if (!strcmp(arg, "--csv")) {
            a->csv = 1;
        } else if (!strcmp(arg, "--interval")) {
            a->interval = 1;
        } else if (!strcmp(arg, "--probes")) {
            a->probes = 1;
        } else if (!strcmp(arg, "--done-only")) {
            a->done_only = 1;
        } else if (arg[0] == '-') {
            fprintf(stderr, "iwreport: unknown option '%s' (see iwreport --help)\n", arg);
            return 2;
        } else if (!a->command) {
            a->command = arg;
        } else if (!a->store) {
            a->store = arg;
        } else {
            fprintf(stderr, "iwreport: unexpected argument '%s' (see iwreport --help)\n", arg);
            return 2;
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    args a;
    int rc = read_args(argc, argv, &a);
    if (rc) return rc == 1 ? 0 : 2;
    if (!a.command) {
        fputs(usage, stderr);
        return 2;
    }
    const struct command *cmd = NULL;
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (!strcmp(a.command, commands[i].name)) cmd = &commands[i];
    if (!cmd) {
        fprintf(stderr, "iwreport: unknown command '%s' (expected summary, table, csv, plot, stop, effect or adjust)\n", a.command);
        return 2;
    }
    if (!a.store) {
        fprintf(stderr, "iwreport %s: missing STORE (the .h5 file a sweep wrote)\n", a.command);
        return 2;
    }
    const char *misplaced = option_misplaced(&a, cmd->name);
    if (misplaced) return fail(misplaced);

    iw_error err;
    iw_store_reader *rd;
    if (iw_store_reader_open(a.store, &rd, &err) < 0) return fail(err.message);
    rc = cmd->run(rd, &a, &err);
    iw_store_reader_close(rd);
    if (fflush(stdout) != 0 && rc == 0) rc = iw_error_set(&err, "cannot write to stdout");
    if (rc < 0) return fail(err.message);
    return 0;
}
