/* reader_axes.c — the grid axes of a store (/runs/<axis>), read whatever type the writer chose:
 * numbers (float or integer, through conversion to double), integers with CF flag attributes
 * (flag_values / flag_meanings, as the writer stores batchnorm and sampling), HDF5 enums (h5py's
 * bool and enum types) and strings. Every axis gets its per-run values, its sorted distinct values
 * and a printable label for each ("1/256", "0.001", "true", "subsample"). The axis table (axis.h)
 * gives the canonical order and how a known axis prints; an axis it does not know is read the
 * same way and comes after the known ones, by name.
 * Which /runs datasets are axes: every 1-D dataset of length R that is not a run record (status,
 * provenance: schema.h).
 */
#include "iw/store_read.h"
#include "reader_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "iw/axis.h"

/* Position of an axis in the canonical order: the axis table's, then any other name. */
static int canonical_rank(const char *name)
{
    const iw_axis_def *def = iw_axis_find(name);
    return def ? (int)(def - iw_axis_defs) : IW_AXIS_COUNT;
}

/* k when v is exactly 1/k (as doubles) for k a small whole number (2..1000) or a power of two up
 * to 2^20, else 0: only those values are labelled "1/k". */
static long long exact_reciprocal(double v)
{
    if (!(v > 0 && v < 1)) return 0;
    double k = round(1.0 / v);
    if (k < 2 || k > 1048576 || 1.0 / k != v) return 0;
    long long n = (long long)k;
    return n <= 1000 || (n & (n - 1)) == 0 ? n : 0;
}

/* A number as reports print it: "1/k" when the axis's table row asks for it (the importance
 * weights 1/256 ... 1/4) and v is an exact reciprocal (1/256, 1/3); every other number as
 * iw_format_number prints it ("10", "0.001", "0.3333333333", "1e-300"): the fewest digits that
 * read back as the same double, so two distinct values never share a label and no label is longer
 * than it needs. */
static void format_number(const iw_axis_def *def, double v, char *out, size_t size)
{
    long long k = def && def->reciprocal_labels ? exact_reciprocal(v) : 0;
    if (k) {
        snprintf(out, size, "1/%lld", k);
        return;
    }
    iw_format_number(v, out, size);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Reads the labels of a string or enum axis: labels_out[R] (malloc'd strings). */
static int read_label_axis(hid_t d, hid_t ftype, int64_t R, char ***labels_out)
{
    char **labels = calloc((size_t)R, sizeof *labels);
    if (!labels) return -1;
    int ok = 0;
    if (H5Tget_class(ftype) == H5T_STRING) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        if (H5Tis_variable_str(ftype) > 0) {
            H5Tset_size(mt, H5T_VARIABLE);
            char **vs = calloc((size_t)R, sizeof *vs);
            if (vs && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, vs) >= 0) {
                ok = 1;
                for (int64_t i = 0; i < R; i++) { labels[i] = strdup(vs[i] ? vs[i] : ""); if (!labels[i]) ok = 0; }
                hid_t space = H5Dget_space(d);
                H5Dvlen_reclaim(mt, space, H5P_DEFAULT, vs);
                H5Sclose(space);
            }
            free(vs);
        } else {
            size_t size = H5Tget_size(ftype);
            H5Tset_size(mt, size + 1);
            H5Tset_strpad(mt, H5T_STR_NULLTERM);
            char *buf = calloc((size_t)R, size + 1);
            if (buf && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) {
                ok = 1;
                for (int64_t i = 0; i < R; i++) { labels[i] = strdup(buf + (size_t)i * (size + 1)); if (!labels[i]) ok = 0; }
            }
            free(buf);
        }
        H5Tclose(mt);
    } else { /* enum: read in its native form, then name each value */
        hid_t mt = H5Tget_native_type(ftype, H5T_DIR_ASCEND);
        size_t size = H5Tget_size(mt);
        unsigned char *buf = calloc((size_t)R, size);
        if (buf && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) >= 0) {
            ok = 1;
            for (int64_t i = 0; i < R; i++) {
                char name[IW_READ_NAME];
                if (H5Tenum_nameof(mt, buf + (size_t)i * size, name, sizeof name) < 0) snprintf(name, sizeof name, "?");
                labels[i] = strdup(name);
                if (!labels[i]) ok = 0;
            }
        }
        free(buf);
        H5Tclose(mt);
    }
    if (!ok) {
        for (int64_t i = 0; i < R; i++) free(labels[i]);
        free(labels);
        return -1;
    }
    *labels_out = labels;
    return 0;
}

/* Integer axes with CF flag attributes (flag_values int[n], flag_meanings "false true" or
 * "weight subsample"): per-run labels from the meanings. */
static int flag_labels(hid_t d, const double *values, int64_t R, char ***labels_out)
{
    hid_t a = H5Aopen(d, "flag_meanings", H5P_DEFAULT);
    char *meanings = a >= 0 ? h5_read_string(a, 1) : NULL;
    if (a >= 0) H5Aclose(a);
    if (!meanings) return -1;
    char *words[64];
    int n = 0;
    for (char *tok = strtok(meanings, " "); tok && n < 64; tok = strtok(NULL, " ")) words[n++] = tok;
    int flag[64];
    for (int k = 0; k < n; k++) flag[k] = k;
    if (H5Aexists(d, "flag_values") > 0) {
        a = H5Aopen(d, "flag_values", H5P_DEFAULT);
        hid_t space = a >= 0 ? H5Aget_space(a) : -1;
        if (space >= 0 && H5Sget_simple_extent_npoints(space) == n) H5Aread(a, H5T_NATIVE_INT, flag);
        if (space >= 0) H5Sclose(space);
        if (a >= 0) H5Aclose(a);
    }
    char **labels = calloc((size_t)R, sizeof *labels);
    int ok = labels != NULL;
    for (int64_t r = 0; ok && r < R; r++) {
        const char *label = NULL;
        char num[32];
        for (int k = 0; k < n && !label; k++)
            if (values[r] == flag[k]) label = words[k];
        if (!label) { snprintf(num, sizeof num, "%g", values[r]); label = num; }
        labels[r] = strdup(label);
        if (!labels[r]) ok = 0;
    }
    free(meanings);
    if (!ok) {
        for (int64_t r = 0; labels && r < R; r++) free(labels[r]);
        free(labels);
        return -1;
    }
    *labels_out = labels;
    return 0;
}

static void lowercase(char *s) { for (; *s; s++) if (*s >= 'A' && *s <= 'Z') *s = (char)(*s - 'A' + 'a'); }

/* Fills axis->distinct/labels/index from axis->values (numeric) or from per-run labels. */
static int axis_finish(iw_read_axis *axis, int64_t R, char **run_labels)
{
    axis->index = malloc((size_t)R * sizeof *axis->index);
    axis->distinct = malloc((size_t)R * sizeof *axis->distinct);
    axis->labels = malloc((size_t)R * sizeof *axis->labels);
    if (!axis->index || !axis->distinct || !axis->labels) return -1;
    int n = 0;
    if (run_labels) {                       /* distinct labels in order of first appearance */
        for (int64_t r = 0; r < R; r++) {
            int k = 0;
            while (k < n && strcmp(axis->labels[k], run_labels[r]) != 0) k++;
            if (k == n) { snprintf(axis->labels[n], IW_READ_NAME, "%s", run_labels[r]); axis->distinct[n] = n; n++; }
            axis->index[r] = k;
            axis->values[r] = k;
        }
        /* h5py stores bool as an enum {FALSE, TRUE}: turn it back into a 0/1 axis */
        int all_bool = 1;
        for (int k = 0; k < n; k++) {
            lowercase(axis->labels[k]);
            if (strcmp(axis->labels[k], "false") != 0 && strcmp(axis->labels[k], "true") != 0) all_bool = 0;
        }
        if (all_bool) {
            axis->is_label = 0;
            axis->is_bool = 1;
            for (int64_t r = 0; r < R; r++) axis->values[r] = strcmp(axis->labels[axis->index[r]], "true") == 0;
        }
    }
    if (!axis->is_label) {                  /* numeric: distinct values sorted increasing */
        memcpy(axis->distinct, axis->values, (size_t)R * sizeof *axis->distinct);
        qsort(axis->distinct, (size_t)R, sizeof *axis->distinct, cmp_double);
        n = 0;
        for (int64_t r = 0; r < R; r++)
            if (n == 0 || axis->distinct[r] != axis->distinct[n - 1]) axis->distinct[n++] = axis->distinct[r];
        for (int64_t r = 0; r < R; r++) {
            int lo = 0, hi = n - 1;
            while (lo < hi) { int mid = (lo + hi) / 2; if (axis->distinct[mid] < axis->values[r]) lo = mid + 1; else hi = mid; }
            axis->index[r] = lo;
        }
        const iw_axis_def *def = iw_axis_find(axis->name);
        if (def && def->type == IW_AXIS_FLAG) axis->is_bool = 1; /* stored as plain 0/1 numbers */
        for (int k = 0; k < n; k++) {
            if (axis->is_bool) snprintf(axis->labels[k], IW_READ_NAME, "%s", axis->distinct[k] != 0 ? "true" : "false");
            else format_number(def, axis->distinct[k], axis->labels[k], IW_READ_NAME);
        }
    }
    axis->n_distinct = n;
    return 0;
}

typedef struct axis_scan {
    char names[IW_READ_MAX_AXES][IW_READ_NAME];
    int n;
    int64_t R;
    hid_t file;
} axis_scan;

static herr_t scan_runs(hid_t group, const char *name, const H5L_info_t *info, void *ctx)
{
    axis_scan *scan = ctx;
    (void)group; (void)info;
    char path[IW_READ_NAME + 8];
    if (strlen(name) >= IW_READ_NAME || store_is_run_record(name)) return 0;
    snprintf(path, sizeof path, "/runs/%s", name);
    if (reader_dataset_length(scan->file, path) != scan->R || scan->n == IW_READ_MAX_AXES) return 0;
    snprintf(scan->names[scan->n++], IW_READ_NAME, "%s", name);
    return 0;
}

static int cmp_axis_name(const void *a, const void *b)
{
    int ra = canonical_rank(a), rb = canonical_rank(b);
    return ra != rb ? (ra > rb) - (ra < rb) : strcmp(a, b);
}

int reader_read_axes(iw_store_reader *rd, hid_t file, iw_error *err)
{
    axis_scan scan = {.n = 0, .R = rd->runs, .file = file};
    hid_t g = H5Gopen2(file, "/runs", H5P_DEFAULT);
    if (g < 0) return iw_error_set(err, "%s: cannot open group /runs", rd->path);
    H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, scan_runs, &scan);
    H5Gclose(g);
    qsort(scan.names, (size_t)scan.n, sizeof scan.names[0], cmp_axis_name);
    if (scan.n == 0 || strcmp(scan.names[0], "importance_weight") != 0)
        return iw_error_set(err, "%s: /runs/importance_weight is missing (not a complete iwsweep/1 store)", rd->path);
    for (int a = 0; a < scan.n; a++) {
        iw_read_axis *axis = &rd->axes[rd->n_axes++];
        snprintf(axis->name, sizeof axis->name, "%s", scan.names[a]);
        axis->values = malloc((size_t)rd->runs * sizeof *axis->values);
        if (!axis->values) return iw_error_set(err, "out of memory reading axes");
        char path[IW_READ_NAME + 8];
        snprintf(path, sizeof path, "/runs/%s", axis->name);
        hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
        hid_t ft = d >= 0 ? H5Dget_type(d) : -1;
        H5T_class_t cls = ft >= 0 ? H5Tget_class(ft) : H5T_NO_CLASS;
        int rc = -1;
        char **labels = NULL;
        if (cls == H5T_INTEGER || cls == H5T_FLOAT) {
            rc = H5Dread(d, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, axis->values) < 0 ? -1 : 0;
            if (rc == 0 && cls == H5T_INTEGER && H5Aexists(d, "flag_meanings") > 0) {
                axis->is_label = 1;
                rc = flag_labels(d, axis->values, rd->runs, &labels);
            }
        } else if (cls == H5T_STRING || cls == H5T_ENUM) {
            axis->is_label = 1;
            rc = read_label_axis(d, ft, rd->runs, &labels);
        }
        if (ft >= 0) H5Tclose(ft);
        if (d >= 0) H5Dclose(d);
        if (rc == 0) rc = axis_finish(axis, rd->runs, labels);
        if (labels) {
            for (int64_t r = 0; r < rd->runs; r++) free(labels[r]);
            free(labels);
        }
        if (rc < 0) return iw_error_set(err, "%s: cannot read /runs/%s (expected numbers, strings or an enum of length %lld)",
                                        rd->path, axis->name, (long long)rd->runs);
    }
    return 0;
}
