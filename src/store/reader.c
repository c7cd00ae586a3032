/* reader.c — serial read-only access to an iwsweep/1 store (see include/iw/store_read.h).
 *
 * Tolerant of how the writer chose types: numeric datasets are read through HDF5's conversion into
 * native double / int32 / int64 / float; enum and string axes become labels; strings may be fixed
 * or variable length. HDF5's own error printing is silenced while we work (library code never
 * prints) and restored before returning. File locking is off: a parallel writer takes none, and a
 * reader holding a lock could only get in the way of a later writer.
 */
#include "iw/store_read.h"

#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct reader_impl {
    hid_t file;
} reader_impl;

/* ---- error-stack silencing (HDF5 prints by default) ---- */
typedef struct quiet {
    H5E_auto2_t func;
    void *data;
} quiet;
static void quiet_begin(quiet *q) { H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data); H5Eset_auto2(H5E_DEFAULT, NULL, NULL); }
static void quiet_end(const quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->func, q->data); }

/* ---- small helpers ---- */
static int link_exists(hid_t loc, const char *path)
{
    /* H5Lexists on "a/b" fails when "a" is missing, so check each component. */
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + (buf[0] == '/'); ; ) {
        char *slash = strchr(p, '/');
        if (slash) *slash = '\0';
        if (H5Lexists(loc, buf, H5P_DEFAULT) <= 0) return 0;
        if (!slash) return 1;
        *slash = '/';
        p = slash + 1;
    }
}

/* Reads a string from an attribute (is_attr) or a dataset, fixed or variable length, scalar or a
 * one-element array. Returns a malloc'd NUL-terminated string or NULL. */
static char *read_string_obj(hid_t obj, int is_attr)
{
    hid_t ftype = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
    if (ftype < 0) return NULL;
    char *out = NULL;
    if (H5Tget_class(ftype) == H5T_STRING) {
        hid_t mtype = H5Tcopy(H5T_C_S1);
        if (H5Tis_variable_str(ftype) > 0) {
            H5Tset_size(mtype, H5T_VARIABLE);
            H5Tset_cset(mtype, H5Tget_cset(ftype));
            char *vs = NULL;
            hid_t space = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
            hssize_t n = H5Sget_simple_extent_npoints(space);
            if (n == 1) {
                herr_t rc = is_attr ? H5Aread(obj, mtype, &vs) : H5Dread(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, &vs);
                if (rc >= 0) {
                    out = strdup(vs ? vs : "");
                    H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, &vs);
                }
            }
            H5Sclose(space);
        } else {
            size_t size = H5Tget_size(ftype);
            H5Tset_size(mtype, size + 1);
            H5Tset_strpad(mtype, H5T_STR_NULLTERM);
            out = calloc(size + 2, 1);
            herr_t rc = out ? (is_attr ? H5Aread(obj, mtype, out) : H5Dread(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out)) : -1;
            if (rc < 0) { free(out); out = NULL; }
        }
        H5Tclose(mtype);
    }
    H5Tclose(ftype);
    return out;
}

static void read_root_attr(hid_t file, const char *name, char *dst, size_t size)
{
    dst[0] = '\0';
    if (H5Aexists(file, name) <= 0) return;
    hid_t a = H5Aopen(file, name, H5P_DEFAULT);
    if (a < 0) return;
    char *s = read_string_obj(a, 1);
    if (s) { snprintf(dst, size, "%s", s); free(s); }
    H5Aclose(a);
}

/* Length of a 1-D dataset, -1 when it is missing or not 1-D. */
static int64_t dataset_length(hid_t file, const char *path)
{
    if (!link_exists(file, path)) return -1;
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t s = H5Dget_space(d);
    hsize_t dims[8];
    int rank = H5Sget_simple_extent_ndims(s);
    int64_t n = -1;
    if (rank == 1 && H5Sget_simple_extent_dims(s, dims, NULL) == 1) n = (int64_t)dims[0];
    H5Sclose(s);
    H5Dclose(d);
    return n;
}

/* Reads a whole numeric dataset of n elements through conversion to `mtype`. 0 or -1. */
static int read_numeric(hid_t file, const char *path, hid_t mtype, int64_t n, void *out)
{
    if (dataset_length(file, path) != n) return -1;
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t ft = H5Dget_type(d);
    H5T_class_t cls = H5Tget_class(ft);
    H5Tclose(ft);
    herr_t rc = (cls == H5T_INTEGER || cls == H5T_FLOAT)
                    ? H5Dread(d, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) : -1;
    H5Dclose(d);
    return rc < 0 ? -1 : 0;
}

/* ---- axes ---- */
static const char *const canonical_axes[] = {"importance_weight", "l2", "dropout", "batchnorm",
                                             "seed", "sampling"};
/* /runs datasets that describe a run's execution rather than its grid point. */
static const char *const provenance_names[] = {
    "status", "wall_seconds", "cpu_seconds", "worker_rank", "attempt", "slurm_job_id",
    "slurm_restart_count", "diverged_epoch", "hostname", "host", "started", "finished", "run"};

static int is_provenance(const char *name)
{
    for (size_t i = 0; i < sizeof provenance_names / sizeof *provenance_names; i++)
        if (strcmp(name, provenance_names[i]) == 0) return 1;
    return 0;
}

static int canonical_rank(const char *name)
{
    for (size_t i = 0; i < sizeof canonical_axes / sizeof *canonical_axes; i++)
        if (strcmp(name, canonical_axes[i]) == 0) return (int)i;
    return 100;
}

static void format_number(const char *axis, double v, char *out, size_t size)
{
    double inv = v > 0 ? 1.0 / v : 0;
    if (strcmp(axis, "importance_weight") == 0 && v > 0 && v < 1 && fabs(inv - round(inv)) < 1e-9 * inv)
        snprintf(out, size, "1/%.0f", inv);
    else
        snprintf(out, size, "%.6g", v);
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
    char *meanings = a >= 0 ? read_string_obj(a, 1) : NULL;
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
        if (strcmp(axis->name, "batchnorm") == 0) axis->is_bool = 1;
        for (int k = 0; k < n; k++) {
            if (axis->is_bool) snprintf(axis->labels[k], IW_READ_NAME, "%s", axis->distinct[k] != 0 ? "true" : "false");
            else format_number(axis->name, axis->distinct[k], axis->labels[k], IW_READ_NAME);
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
    if (strlen(name) >= IW_READ_NAME || is_provenance(name)) return 0;
    snprintf(path, sizeof path, "/runs/%s", name);
    if (dataset_length(scan->file, path) != scan->R || scan->n == IW_READ_MAX_AXES) return 0;
    snprintf(scan->names[scan->n++], IW_READ_NAME, "%s", name);
    return 0;
}

static int cmp_axis_name(const void *a, const void *b)
{
    int ra = canonical_rank(a), rb = canonical_rank(b);
    return ra != rb ? (ra > rb) - (ra < rb) : strcmp(a, b);
}

static int read_axes(iw_store_reader *rd, hid_t file, iw_error *err)
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

/* ---- metrics and boundary listing ---- */
typedef struct metric_scan {
    iw_store_reader *rd;
    hid_t file;
} metric_scan;

static herr_t scan_metrics(hid_t group, const char *name, const H5L_info_t *info, void *ctx)
{
    metric_scan *scan = ctx;
    (void)group; (void)info;
    iw_store_reader *rd = scan->rd;
    if (strlen(name) >= IW_READ_NAME || rd->n_metrics == IW_READ_MAX_METRICS) return 0;
    snprintf(rd->metric_names[rd->n_metrics++], IW_READ_NAME, "%s", name);
    return 0;
}

/* Metrics in the order of enum iw_metric, then any others by name. */
static int metric_rank(const char *name)
{
    for (int m = 0; m < IW_METRIC_COUNT; m++)
        if (strcmp(name, iw_metric_names[m]) == 0) return m;
    return IW_METRIC_COUNT;
}

static int cmp_metric_name(const void *a, const void *b)
{
    int ra = metric_rank(a), rb = metric_rank(b);
    return ra != rb ? (ra > rb) - (ra < rb) : strcmp(a, b);
}

static int read_boundary_info(iw_store_reader *rd, hid_t file, iw_error *err)
{
    if (!link_exists(file, "/boundary")) return 0;
    hid_t d = H5Dopen2(file, "/boundary", H5P_DEFAULT);
    hid_t s = d >= 0 ? H5Dget_space(d) : -1;
    hsize_t dims[4] = {0, 0, 0, 0};
    int rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
    if (rank == 4) H5Sget_simple_extent_dims(s, dims, NULL);
    if (s >= 0) H5Sclose(s);
    if (d >= 0) H5Dclose(d);
    if (rank != 4 || (int64_t)dims[0] != rd->runs || dims[2] != dims[3])
        return iw_error_set(err, "%s: /boundary must be float32[R=%lld, S, G, G]", rd->path, (long long)rd->runs);
    rd->boundary_count = (int)dims[1];
    rd->boundary_grid = (int)dims[2];
    int S = rd->boundary_count, G = rd->boundary_grid;
    rd->boundary_epoch = malloc((size_t)(S > 0 ? S : 1) * sizeof *rd->boundary_epoch);
    rd->boundary_x = malloc((size_t)G * sizeof *rd->boundary_x);
    rd->boundary_y = malloc((size_t)G * sizeof *rd->boundary_y);
    if (!rd->boundary_epoch || !rd->boundary_x || !rd->boundary_y) return iw_error_set(err, "out of memory");
    /* scale names: the writer's choice, the first that exists wins */
    static const char *const epoch_paths[] = {"/boundary_epoch", "/boundary_epochs", "/boundary/epoch"};
    static const char *const x_paths[] = {"/boundary_x", "/x"};
    static const char *const y_paths[] = {"/boundary_y", "/y"};
    int got = 0;
    for (int i = 0; i < 3 && !got; i++)
        got = read_numeric(file, epoch_paths[i], H5T_NATIVE_INT32, S, rd->boundary_epoch) == 0;
    if (!got) return iw_error_set(err, "%s: /boundary has no boundary_epoch scale", rd->path);
    got = 0;
    for (int i = 0; i < 2 && !got; i++) got = read_numeric(file, x_paths[i], H5T_NATIVE_DOUBLE, G, rd->boundary_x) == 0;
    for (int i = 0; i < 2 && got == 1; i++) got = 1 + (read_numeric(file, y_paths[i], H5T_NATIVE_DOUBLE, G, rd->boundary_y) == 0);
    if (got != 2) return iw_error_set(err, "%s: /boundary has no x and y scales", rd->path);
    return 0;
}

/* ---- open / close ---- */
static int reader_load(iw_store_reader *rd, iw_error *err)
{
    reader_impl *impl = rd->impl;
    hid_t file = impl->file;
    read_root_attr(file, "schema", rd->schema, sizeof rd->schema);
    if (strcmp(rd->schema, "iwsweep/1") != 0) {
        if (rd->schema[0] == '\0')
            return iw_error_set(err, "%s: not an iwsweep store (no 'schema' attribute on /)", rd->path);
        return iw_error_set(err, "%s: schema is '%s', this iwreport reads 'iwsweep/1'", rd->path, rd->schema);
    }
    read_root_attr(file, "name", rd->name, sizeof rd->name);
    read_root_attr(file, "spec_sha256", rd->spec_sha256, sizeof rd->spec_sha256);
    read_root_attr(file, "created", rd->created, sizeof rd->created);
    read_root_attr(file, "version", rd->version, sizeof rd->version);
    read_root_attr(file, "openblas_core", rd->openblas_core, sizeof rd->openblas_core);
    read_root_attr(file, "mpi_library", rd->mpi_library, sizeof rd->mpi_library);
    if (link_exists(file, "/spec")) {
        hid_t d = H5Dopen2(file, "/spec", H5P_DEFAULT);
        if (d >= 0) { rd->spec_text = read_string_obj(d, 0); H5Dclose(d); }
    }
    if (!rd->spec_text) rd->spec_text = strdup("");
    rd->runs = dataset_length(file, "/runs/status");
    if (rd->runs < 1) return iw_error_set(err, "%s: /runs/status is missing or not 1-D", rd->path);
    int64_t R = rd->runs;
    rd->status = malloc((size_t)R);
    rd->wall_seconds = malloc((size_t)R * sizeof *rd->wall_seconds);
    rd->cpu_seconds = malloc((size_t)R * sizeof *rd->cpu_seconds);
    rd->worker_rank = malloc((size_t)R * sizeof *rd->worker_rank);
    rd->attempt = malloc((size_t)R * sizeof *rd->attempt);
    rd->slurm_job_id = malloc((size_t)R * sizeof *rd->slurm_job_id);
    if (!rd->status || !rd->wall_seconds || !rd->cpu_seconds || !rd->worker_rank || !rd->attempt || !rd->slurm_job_id)
        return iw_error_set(err, "out of memory for %lld runs", (long long)R);
    if (read_numeric(file, "/runs/status", H5T_NATIVE_INT8, R, rd->status) < 0)
        return iw_error_set(err, "%s: cannot read /runs/status (expected int8[%lld])", rd->path, (long long)R);
    if (read_numeric(file, "/runs/wall_seconds", H5T_NATIVE_DOUBLE, R, rd->wall_seconds) < 0)
        for (int64_t r = 0; r < R; r++) rd->wall_seconds[r] = NAN;
    if (read_numeric(file, "/runs/cpu_seconds", H5T_NATIVE_DOUBLE, R, rd->cpu_seconds) < 0)
        for (int64_t r = 0; r < R; r++) rd->cpu_seconds[r] = NAN;
    if (read_numeric(file, "/runs/worker_rank", H5T_NATIVE_INT32, R, rd->worker_rank) < 0)
        for (int64_t r = 0; r < R; r++) rd->worker_rank[r] = -1;
    if (read_numeric(file, "/runs/attempt", H5T_NATIVE_INT32, R, rd->attempt) < 0)
        memset(rd->attempt, 0, (size_t)R * sizeof *rd->attempt);
    if (read_numeric(file, "/runs/slurm_job_id", H5T_NATIVE_INT64, R, rd->slurm_job_id) < 0)
        memset(rd->slurm_job_id, 0, (size_t)R * sizeof *rd->slurm_job_id);
    if (read_axes(rd, file, err) < 0) return -1;

    if (!link_exists(file, "/metrics")) return iw_error_set(err, "%s: group /metrics is missing", rd->path);
    metric_scan ms = {rd, file};
    hid_t g = H5Gopen2(file, "/metrics", H5P_DEFAULT);
    if (g < 0) return iw_error_set(err, "%s: cannot open /metrics", rd->path);
    H5Literate(g, H5_INDEX_NAME, H5_ITER_NATIVE, NULL, scan_metrics, &ms);
    H5Gclose(g);
    if (rd->n_metrics == 0) return iw_error_set(err, "%s: /metrics holds no dataset", rd->path);
    qsort(rd->metric_names, (size_t)rd->n_metrics, sizeof rd->metric_names[0], cmp_metric_name);
    /* E from the first metric's shape; every metric must agree */
    rd->epochs = -1;
    for (int m = 0; m < rd->n_metrics; m++) {
        char path[IW_READ_NAME + 16];
        snprintf(path, sizeof path, "/metrics/%s", rd->metric_names[m]);
        hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
        hid_t s = d >= 0 ? H5Dget_space(d) : -1;
        hsize_t dims[2] = {0, 0};
        int rank = s >= 0 ? H5Sget_simple_extent_ndims(s) : -1;
        if (rank == 2) H5Sget_simple_extent_dims(s, dims, NULL);
        if (s >= 0) H5Sclose(s);
        if (d >= 0) H5Dclose(d);
        if (rank != 2 || (int64_t)dims[0] != R || dims[1] < 1 || (rd->epochs >= 0 && (int)dims[1] != rd->epochs + 1))
            return iw_error_set(err, "%s: %s must be float32[R=%lld, E+1]", rd->path, path, (long long)R);
        rd->epochs = (int)dims[1] - 1;
    }
    rd->epoch = malloc((size_t)(rd->epochs + 1) * sizeof *rd->epoch);
    if (!rd->epoch) return iw_error_set(err, "out of memory");
    if (read_numeric(file, "/epoch", H5T_NATIVE_INT32, rd->epochs + 1, rd->epoch) < 0)
        for (int e = 0; e <= rd->epochs; e++) rd->epoch[e] = e;
    return read_boundary_info(rd, file, err);
}

int iw_store_reader_open(const char *path, iw_store_reader **reader, iw_error *err)
{
    *reader = NULL;
    struct stat st;
    if (stat(path, &st) != 0) return iw_error_set(err, "%s: no such file", path);
    if (!S_ISREG(st.st_mode)) return iw_error_set(err, "%s: not a regular file", path);
    iw_store_reader *rd = calloc(1, sizeof *rd);
    reader_impl *impl = calloc(1, sizeof *impl);
    if (!rd || !impl) { free(rd); free(impl); return iw_error_set(err, "out of memory"); }
    snprintf(rd->path, sizeof rd->path, "%s", path);
    rd->impl = impl;
    impl->file = -1;
    quiet q;
    quiet_begin(&q);
    int rc = -1;
    if (H5Fis_hdf5(path) <= 0) {
        iw_error_set(err, "%s: not an HDF5 file (an iwsweep store is written by iwsweep)", path);
    } else {
        hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
        H5Pset_fclose_degree(fapl, H5F_CLOSE_STRONG);
        H5Pset_file_locking(fapl, 0, 1);
        impl->file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
        H5Pclose(fapl);
        if (impl->file < 0) iw_error_set(err, "%s: HDF5 cannot open it (damaged, or still being created?)", path);
        else rc = reader_load(rd, err);
    }
    quiet_end(&q);
    if (rc < 0) { iw_store_reader_close(rd); return -1; }
    *reader = rd;
    return 0;
}

void iw_store_reader_close(iw_store_reader *rd)
{
    if (!rd) return;
    reader_impl *impl = rd->impl;
    if (impl && impl->file >= 0) {
        quiet q;
        quiet_begin(&q);
        H5Fclose(impl->file);
        quiet_end(&q);
    }
    free(impl);
    for (int a = 0; a < rd->n_axes; a++) {
        free(rd->axes[a].values);
        free(rd->axes[a].distinct);
        free(rd->axes[a].labels);
        free(rd->axes[a].index);
    }
    free(rd->spec_text);
    free(rd->epoch);
    free(rd->status);
    free(rd->wall_seconds);
    free(rd->cpu_seconds);
    free(rd->worker_rank);
    free(rd->attempt);
    free(rd->slurm_job_id);
    free(rd->boundary_epoch);
    free(rd->boundary_x);
    free(rd->boundary_y);
    free(rd);
}

/* ---- on-demand reads ---- */
int iw_store_reader_metric_index(const iw_store_reader *rd, const char *name)
{
    for (int m = 0; m < rd->n_metrics; m++)
        if (strcmp(rd->metric_names[m], name) == 0) return m;
    return -1;
}

int iw_store_reader_axis_index(const iw_store_reader *rd, const char *name)
{
    for (int a = 0; a < rd->n_axes; a++)
        if (strcmp(rd->axes[a].name, name) == 0) return a;
    return -1;
}

/* Reads a hyperslab starting at start[] with count[] of a dataset of `rank` dims as float. */
static int read_float_slab(const iw_store_reader *rd, const char *path, int rank, const hsize_t *start,
                           const hsize_t *count, float *out, iw_error *err)
{
    reader_impl *impl = rd->impl;
    quiet q;
    quiet_begin(&q);
    int rc = -1;
    hid_t d = H5Dopen2(impl->file, path, H5P_DEFAULT);
    if (d >= 0) {
        hid_t fs = H5Dget_space(d);
        hsize_t n = 1;
        for (int i = 0; i < rank; i++) n *= count[i];
        hid_t ms = H5Screate_simple(1, &n, NULL);
        if (H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL) >= 0 &&
            H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, out) >= 0)
            rc = 0;
        H5Sclose(ms);
        H5Sclose(fs);
        H5Dclose(d);
    }
    quiet_end(&q);
    if (rc < 0) return iw_error_set(err, "%s: cannot read %s", rd->path, path);
    return 0;
}

int iw_store_reader_metric(const iw_store_reader *rd, const char *name, int64_t run0, int64_t n,
                           float *out, iw_error *err)
{
    if (iw_store_reader_metric_index(rd, name) < 0) {
        char list[1024] = "";
        for (int m = 0; m < rd->n_metrics; m++) {
            size_t len = strlen(list);
            snprintf(list + len, sizeof list - len, "%s%s", m ? ", " : "", rd->metric_names[m]);
        }
        return iw_error_set(err, "%s: unknown metric '%s' (the store has: %s)", rd->path, name, list);
    }
    if (run0 < 0 || n < 0 || run0 + n > rd->runs)
        return iw_error_set(err, "%s: runs %lld..%lld out of range 0..%lld", rd->path, (long long)run0,
                            (long long)(run0 + n - 1), (long long)(rd->runs - 1));
    if (n == 0) return 0;
    char path[IW_READ_NAME + 16];
    snprintf(path, sizeof path, "/metrics/%s", name);
    hsize_t start[2] = {(hsize_t)run0, 0}, count[2] = {(hsize_t)n, (hsize_t)rd->epochs + 1};
    return read_float_slab(rd, path, 2, start, count, out, err);
}

int iw_store_reader_boundary(const iw_store_reader *rd, int64_t run, float *out, iw_error *err)
{
    if (rd->boundary_count == 0) return iw_error_set(err, "%s: the store has no /boundary (synthetic2d sweeps only)", rd->path);
    if (run < 0 || run >= rd->runs) return iw_error_set(err, "%s: run %lld out of range", rd->path, (long long)run);
    hsize_t start[4] = {(hsize_t)run, 0, 0, 0};
    hsize_t count[4] = {1, (hsize_t)rd->boundary_count, (hsize_t)rd->boundary_grid, (hsize_t)rd->boundary_grid};
    return read_float_slab(rd, "/boundary", 4, start, count, out, err);
}

const char *iw_store_status_name(int status)
{
    switch (status) {
    case IW_STATUS_PENDING: return "pending";
    case IW_STATUS_DONE: return "done";
    case IW_STATUS_DIVERGED: return "diverged";
    case IW_STATUS_FAILED: return "failed";
    default: return "unknown";
    }
}
