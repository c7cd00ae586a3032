/* test_axes.c — the axis table (include/iw/axis.h) walked row by row through every part that reads
 * it: parse -> expand -> store -> read back, plus the labels. For each axis, a sweep file whose
 * grid gives that axis the row's own example list:
 *   parse    the axis has the example's values (read here by a naive oracle from the example text:
 *            numbers, true/false, names), the other axes their defaults (optional ones absent);
 *            a value outside the row's range (or type) is refused with a message naming
 *            grid.<name>[0];
 *   expand   run r's point has the example's value r, every other axis its default;
 *   labels   the --dry-run listing names the axis, the progress label says <label>=<value>;
 *   store    a real store is created (one MPI rank) and read back with the store reader: the axis
 *            sits at its canonical position, with each run's value and label ("1/4", "true",
 *            "subsample", ...) as the row says.
 * An axis whose row names used_with (poly_alpha: loss poly) is given with that other axis set to
 * the value it needs. A new row is covered by this test without any change to it.
 */
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iw/spec.h"
#include "iw/store.h"
#include "iw/store_read.h"
#include "test.h"

static char dir[] = "/tmp/iw_test_axes_XXXXXX";

/* The values of a flow list "[a, b, c]" of an axis, by a naive reading of the text. */
static int oracle_values(const iw_axis_def *def, double *out, int max)
{
    char text[256];
    snprintf(text, sizeof text, "%s", def->example);
    int n = 0;
    for (char *tok = strtok(text, "[], "); tok && n < max; tok = strtok(NULL, "[], ")) {
        switch (def->type) {
        case IW_AXIS_REAL: out[n++] = strtod(tok, NULL); break;
        case IW_AXIS_INT: out[n++] = (double)strtoll(tok, NULL, 10); break;
        case IW_AXIS_FLAG: out[n++] = strcmp(tok, "true") == 0; break;
        case IW_AXIS_ENUM:
            for (int k = 0; k < def->n_names; k++)
                if (strcmp(tok, def->names[k]) == 0) out[n++] = k;
            break;
        }
    }
    return n;
}

/* The label the store reader should give value v of axis def. */
static void expected_label(const iw_axis_def *def, double v, char *out, size_t size)
{
    if (def->type == IW_AXIS_FLAG) snprintf(out, size, "%s", v != 0 ? "true" : "false");
    else if (def->type == IW_AXIS_ENUM) snprintf(out, size, "%s", def->names[(int)v]);
    else if (def->reciprocal_labels && v > 0 && v < 1 && fabs(1 / v - round(1 / v)) < 1e-9 / v) snprintf(out, size, "1/%.0f", 1 / v);
    else snprintf(out, size, "%.6g", v);
}

static int parse(const char *text, iw_spec *spec, iw_error *err)
{
    return iw_spec_parse(text, strlen(text), "axes.yaml", spec, err);
}

/* A value of the axis's type that the row's range refuses, as YAML text; "" when there is none. */
static void refused_value(const iw_axis_def *def, char *out, size_t size)
{
    out[0] = '\0';
    if (def->type == IW_AXIS_FLAG) snprintf(out, size, "maybe");
    else if (def->type == IW_AXIS_ENUM) snprintf(out, size, "no-such-%s", def->name);
    else if (isfinite(def->lo)) snprintf(out, size, "%.17g", def->lo_open ? def->lo : def->lo - 1);
    else if (isfinite(def->hi)) snprintf(out, size, "%.17g", def->hi_open ? def->hi : def->hi + 1);
}

/* The axis a row needs beside it (used_with), or NULL. */
static const iw_axis_def *companion(const iw_axis_def *def) { return def->used_with ? iw_axis_find(def->used_with) : NULL; }

static void check_parse_and_expand(const iw_axis_def *def, const iw_spec *s, const double *want, int n)
{
    iw_axis_id id = (iw_axis_id)(def - iw_axis_defs);
    const iw_axis_def *with = companion(def);
    int at = iw_spec_axis_index(s, id);
    EXPECT(at >= 0 && s->axes[at].count == n && s->axes[at].def == def, "%s: index %d", def->name, at);
    if (at < 0) return;
    for (int k = 0; k < n && k < s->axes[at].count; k++)
        EXPECT(s->axes[at].values[k] == want[k], "%s[%d] = %g, expected %g", def->name, k, s->axes[at].values[k], want[k]);
    for (int a = 0; a < IW_AXIS_COUNT; a++) {
        if (a == (int)id) continue;
        int other = iw_spec_axis_index(s, (iw_axis_id)a);
        int given = with == &iw_axis_defs[a];
        EXPECT(iw_axis_defs[a].optional && !given ? other == -1 : other >= 0 && s->axes[other].count == 1,
               "with only %s given, axis %s: index %d", def->name, iw_axis_defs[a].name, other);
    }
    EXPECT(iw_spec_run_count(s) == n, "%s: %lld runs", def->name, (long long)iw_spec_run_count(s));
    for (int r = 0; r < n; r++) {
        iw_point p;
        iw_spec_point(s, r, &p);
        for (int a = 0; a < IW_AXIS_COUNT; a++) {
            double expect = a == (int)id ? want[r] : with == &iw_axis_defs[a] ? def->used_with_value : iw_axis_defs[a].default_value;
            EXPECT(p.value[a] == expect, "%s run %d: %s = %g, expected %g", def->name, r, iw_axis_defs[a].name, p.value[a],
                   expect);
        }
        char label[512], spaced[520], value[64], part[128];
        iw_spec_describe_point(s, &p, label, sizeof label);
        snprintf(spaced, sizeof spaced, " %s ", label); /* whole words: "weight=1" is not "importance_weight=1" */
        if (def->type == IW_AXIS_FLAG) snprintf(value, sizeof value, "%d", want[r] != 0);
        else iw_axis_format(def, want[r], value, sizeof value);
        snprintf(part, sizeof part, " %s=%s ", def->progress_label ? def->progress_label : def->name, value);
        EXPECT(strstr(spaced, part) != NULL, "progress label '%s' lacks '%s'", label, part);
    }
    char *listing = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&listing, &size);
    iw_spec_print_runs(s, out);
    fclose(out);
    EXPECT(listing && strstr(listing, def->name), "the --dry-run listing names %s", def->name);
    free(listing);
}

static void check_store(const iw_axis_def *def, const iw_spec *s, const double *want, int n)
{
    char path[256];
    snprintf(path, sizeof path, "%s/%s.h5", dir, def->name);
    iw_store *store = NULL;
    iw_error err = {{0}};
    iw_store_info info = {"test", "test", "test"};
    int rc = iw_store_open(MPI_COMM_WORLD, path, s, &info, &store, NULL, &err);
    EXPECT(rc == 0, "%s: %s", def->name, err.message);
    if (rc) return;
    EXPECT(iw_store_close(store, &err) == 0, "%s", err.message);
    iw_store_reader *rd = NULL;
    rc = iw_store_reader_open(path, &rd, &err);
    EXPECT(rc == 0, "%s: %s", def->name, err.message);
    if (rc) return;
    /* canonical position: after the axes of the store that come before it in the table */
    int expect_at = 0;
    for (int a = 0; a < (int)(def - iw_axis_defs); a++) expect_at += iw_spec_axis_index(s, (iw_axis_id)a) >= 0;
    int at = iw_store_reader_axis_index(rd, def->name);
    EXPECT(at == expect_at && rd->n_axes == s->n_axes, "%s read back at %d of %d, expected %d of %d", def->name, at, rd->n_axes,
           expect_at, s->n_axes);
    if (at >= 0) {
        const iw_read_axis *ax = &rd->axes[at];
        EXPECT(ax->is_bool == (def->type == IW_AXIS_FLAG) && ax->is_label == (def->type == IW_AXIS_ENUM),
               "%s: is_bool %d is_label %d", def->name, ax->is_bool, ax->is_label);
        for (int r = 0; r < n && r < rd->runs; r++) {
            char label[64];
            expected_label(def, want[r], label, sizeof label);
            EXPECT(strcmp(ax->labels[ax->index[r]], label) == 0, "%s run %d: label '%s', expected '%s'", def->name, r,
                   ax->labels[ax->index[r]], label);
            if (def->type != IW_AXIS_ENUM)
                EXPECT(ax->values[r] == want[r], "%s run %d: %g read back, %g written", def->name, r, ax->values[r], want[r]);
        }
    }
    iw_store_reader_close(rd);
    unlink(path);
}

static void test_every_axis_through_parse_expand_store_read(void)
{
    for (int id = 0; id < IW_AXIS_COUNT; id++) {
        const iw_axis_def *def = &iw_axis_defs[id];
        EXPECT(iw_axis_find(def->name) == def, "%s found by name", def->name);
        double want[16];
        int n = oracle_values(def, want, 16);
        EXPECT(n >= 2, "%s: the example %s should hold two values or more", def->name, def->example);
        char text[512], extra[128] = "";
        const iw_axis_def *with = companion(def);
        EXPECT(!def->used_with || with, "%s: used_with '%s' is not an axis", def->name, def->used_with);
        if (with) {
            char value[64];
            iw_axis_format(with, def->used_with_value, value, sizeof value);
            snprintf(extra, sizeof extra, "  %s: [%s]\n", with->name, value);
        }
        /* enough epochs for every example value of an epoch axis (reweight_from) */
        snprintf(text, sizeof text, "name: axes-%s\ndata: {source: synthetic2d, train_per_class: 10, test_per_class: 10}\n"
                                    "model: {kind: linear}\ntrain: {epochs: 8}\ngrid:\n  %s: %s\n%s",
                 def->name, def->name, def->example, extra);
        iw_spec s;
        iw_error err = {{0}};
        if (parse(text, &s, &err) != 0) {
            EXPECT(0, "%s: %s", def->name, err.message);
            continue;
        }
        check_parse_and_expand(def, &s, want, n);
        check_store(def, &s, want, n);
        iw_spec_free(&s);
        /* validation from the row */
        char bad[64], key[96];
        refused_value(def, bad, sizeof bad);
        if (!bad[0]) continue;
        snprintf(text, sizeof text, "name: bad\ndata: {source: synthetic2d}\ngrid:\n  %s: [%s]\n", def->name, bad);
        snprintf(key, sizeof key, "axes.yaml:4: key 'grid.%s[0]': ", def->name);
        int rc = parse(text, &s, &err);
        EXPECT(rc != 0 && strncmp(err.message, key, strlen(key)) == 0, "%s = %s: %s", def->name, bad,
               rc ? err.message : "accepted");
        if (rc == 0) iw_spec_free(&s);
    }
}

/* The loss and normalize axes name the engine's choices, in the engine's order (the run casts the
 * value to iw_loss_kind / iw_normalize). */
static void test_enum_axes_match_the_engine(void)
{
    const iw_axis_def *loss = iw_axis_find("loss"), *normalize = iw_axis_find("normalize");
    EXPECT(loss && loss->n_names == IW_LOSS_KIND_COUNT, "loss axis with %d names", loss ? loss->n_names : -1);
    for (int k = 0; loss && k < loss->n_names; k++)
        EXPECT(iw_loss_kind_name((iw_loss_kind)k) && !strcmp(loss->names[k], iw_loss_kind_name((iw_loss_kind)k)),
               "loss %d: axis '%s', engine '%s'", k, loss->names[k], iw_loss_kind_name((iw_loss_kind)k));
    EXPECT(normalize && normalize->n_names == 3 && !strcmp(normalize->names[IW_NORMALIZE_WEIGHTS], "weights") &&
               !strcmp(normalize->names[IW_NORMALIZE_BATCH], "batch") && !strcmp(normalize->names[IW_NORMALIZE_DATASET], "dataset"),
           "normalize names");
    const iw_axis_def *alpha = iw_axis_find("poly_alpha");
    EXPECT(alpha && alpha->used_with && !strcmp(alpha->used_with, "loss") && alpha->used_with_value == IW_LOSS_POLY,
           "poly_alpha is used with loss poly");
}

/* Unknown names under grid: are refused with the table's names as the list of keys. */
static void test_grid_keys_come_from_the_table(void)
{
    iw_spec s;
    iw_error err = {{0}};
    int rc = parse("name: k\ngrid:\n  importance_weigth: [1]\n", &s, &err);
    char keys[512] = "keys of grid: ";
    for (int a = 0; a < IW_AXIS_COUNT; a++)
        snprintf(keys + strlen(keys), sizeof keys - strlen(keys), "%s%s", a ? ", " : "", iw_axis_defs[a].name);
    EXPECT(rc != 0 && strstr(err.message, "unknown key 'grid.importance_weigth' (did you mean 'grid.importance_weight'?)") &&
               strstr(err.message, keys),
           "%s", err.message);
    rc = parse("name: k\ngrid:\n  seed: [1]\n  seed: [2]\n", &s, &err);
    EXPECT(rc != 0 && strstr(err.message, "axes.yaml:4: key 'grid.seed': duplicate key (first given on line 3)"), "%s",
           err.message);
    rc = parse("name: k\nl2: [0]\n", &s, &err);
    EXPECT(rc != 0 && strstr(err.message, "unknown key 'l2' (did you mean 'grid.l2'?)"), "%s", err.message);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    if (!mkdtemp(dir)) {
        printf("not ok - cannot create a scratch folder under /tmp\n");
        MPI_Finalize();
        return 1;
    }
    RUN_TEST(test_every_axis_through_parse_expand_store_read);
    RUN_TEST(test_grid_keys_come_from_the_table);
    RUN_TEST(test_enum_axes_match_the_engine);
    rmdir(dir);
    MPI_Finalize();
    return test_exit_code();
}
