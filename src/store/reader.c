/* reader.c — serial read-only access to an iwsweep/1 store (see include/iw/store_read.h).
 *
 * Tolerant of how the writer chose types: numeric datasets are read through HDF5's conversion into
 * native double / int32 / int64 / float; enum and string axes become labels; strings may be fixed
 * or variable length. Every call may fail on a file written by another tool, and the failure is an
 * answer (the object is absent or of another type): HDF5's own error printing is off inside each
 * public function and restored before it returns. File locking is off: a parallel writer takes none, and a
 * reader holding a lock could only get in the way of a later writer.
 */
#include "iw/store_read.h"
#include "reader_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

typedef struct reader_impl {
    hid_t file;
} reader_impl;

int64_t reader_dataset_length(hid_t file, const char *path)
{
    hsize_t n;
    return h5_dataset_dims(file, path, &n, 1) == 1 ? (int64_t)n : -1;
}

/* Reads a whole numeric dataset of n elements through conversion to `mtype`. 0 or -1. */
static int read_numeric(hid_t file, const char *path, hid_t mtype, int64_t n, void *out)
{
    if (reader_dataset_length(file, path) != n) return -1;
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
    if (!h5_link_exists(file, "/boundary")) return 0;
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

/* /runs/train_class_count and /logits with its scales: optional (older stores lack them). */
static int read_run_extras(iw_store_reader *rd, hid_t file, iw_error *err)
{
    hsize_t dims[4];
    if (h5_dataset_dims(file, "/runs/train_class_count", dims, 2) == 2 && (int64_t)dims[0] == rd->runs && dims[1] == 2) {
        rd->train_class_count = malloc((size_t)rd->runs * 2 * sizeof *rd->train_class_count);
        if (!rd->train_class_count) return iw_error_set(err, "out of memory");
        hid_t d = H5Dopen2(file, "/runs/train_class_count", H5P_DEFAULT);
        herr_t rc = d >= 0 ? H5Dread(d, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, rd->train_class_count) : -1;
        if (d >= 0) H5Dclose(d);
        if (rc < 0) return iw_error_set(err, "%s: cannot read /runs/train_class_count (expected int64[R, 2])", rd->path);
    }
    if (!h5_link_exists(file, "/logits")) return 0;
    if (h5_dataset_dims(file, "/logits", dims, 4) != 4 || (int64_t)dims[0] != rd->runs || dims[3] != 2)
        return iw_error_set(err, "%s: /logits must be float32[R=%lld, L, N_test, 2]", rd->path, (long long)rd->runs);
    rd->logit_count = (int)dims[1];
    rd->n_test = (int64_t)dims[2];
    rd->logit_epoch = malloc((size_t)(rd->logit_count > 0 ? rd->logit_count : 1) * sizeof *rd->logit_epoch);
    rd->test_labels = malloc((size_t)(rd->n_test > 0 ? rd->n_test : 1));
    if (!rd->logit_epoch || !rd->test_labels) return iw_error_set(err, "out of memory");
    if (read_numeric(file, "/logit_epoch", H5T_NATIVE_INT32, rd->logit_count, rd->logit_epoch) < 0)
        return iw_error_set(err, "%s: /logits has no logit_epoch scale of length %d", rd->path, rd->logit_count);
    if (read_numeric(file, "/test_labels", H5T_NATIVE_INT8, rd->n_test, rd->test_labels) < 0)
        return iw_error_set(err, "%s: /logits has no /test_labels of length %lld", rd->path, (long long)rd->n_test);
    return 0;
}

/* /runs/host into out[n]: iwsweep's netCDF char array [n, L] (schema.h), or a 1-D array of n
 * fixed- or variable-length strings as other writers may store it; each entry NUL-terminated, cut
 * to IW_READ_HOST - 1 bytes. -1 when absent or of another shape or type. */
static int read_hosts(hid_t file, const char *path, int64_t n, char (*out)[IW_READ_HOST])
{
    hsize_t dims[2] = {0, 0};
    int rank = h5_dataset_dims(file, path, dims, 2);
    if (rank < 1 || (int64_t)dims[0] != n) return -1;
    hid_t d = H5Dopen2(file, path, H5P_DEFAULT);
    if (d < 0) return -1;
    hid_t ft = H5Dget_type(d);
    int rc = -1;
    if (H5Tget_class(ft) == H5T_STRING && rank == 2 && H5Tis_variable_str(ft) == 0 && H5Tget_size(ft) == 1) {
        size_t L = (size_t)dims[1], keep = L < IW_READ_HOST - 1 ? L : IW_READ_HOST - 1;
        char *chars = malloc((size_t)n * L + 1); /* read as the file's own type: the bytes as they are */
        if (chars && H5Dread(d, ft, H5S_ALL, H5S_ALL, H5P_DEFAULT, chars) >= 0) {
            for (int64_t r = 0; r < n; r++) {
                memcpy(out[r], chars + (size_t)r * L, keep);
                out[r][keep] = '\0';
            }
            rc = 0;
        }
        free(chars);
    } else if (H5Tget_class(ft) == H5T_STRING && rank == 1) {
        hid_t mt = H5Tcopy(H5T_C_S1);
        H5Tset_size(mt, H5Tis_variable_str(ft) > 0 ? H5T_VARIABLE : IW_READ_HOST);
        H5Tset_cset(mt, H5Tget_cset(ft));
        if (H5Tis_variable_str(ft) > 0) {
            char **vs = calloc((size_t)n, sizeof *vs);
            if (vs && H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, vs) >= 0) {
                for (int64_t r = 0; r < n; r++) snprintf(out[r], IW_READ_HOST, "%s", vs[r] ? vs[r] : "");
                hid_t space = H5Dget_space(d);
                H5Dvlen_reclaim(mt, space, H5P_DEFAULT, vs);
                H5Sclose(space);
                rc = 0;
            }
            free(vs);
        } else { /* converted to NUL-terminated strings of IW_READ_HOST bytes */
            rc = H5Dread(d, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, out) < 0 ? -1 : 0;
        }
        H5Tclose(mt);
    }
    H5Tclose(ft);
    H5Dclose(d);
    return rc;
}

/* ---- open / close ---- */
static int reader_load(iw_store_reader *rd, iw_error *err)
{
    reader_impl *impl = rd->impl;
    hid_t file = impl->file;
    h5_read_string_attr(file, "schema", rd->schema, sizeof rd->schema);
    if (strcmp(rd->schema, IW_STORE_SCHEMA) != 0) {
        if (rd->schema[0] == '\0')
            return iw_error_set(err, "%s: not an iwsweep store (no 'schema' attribute on /)", rd->path);
        return iw_error_set(err, "%s: schema is '%s', this iwreport reads '%s'", rd->path, rd->schema, IW_STORE_SCHEMA);
    }
    h5_read_string_attr(file, "name", rd->name, sizeof rd->name);
    h5_read_string_attr(file, "spec_sha256", rd->spec_sha256, sizeof rd->spec_sha256);
    h5_read_string_attr(file, "created", rd->created, sizeof rd->created);
    h5_read_string_attr(file, "version", rd->version, sizeof rd->version);
    h5_read_string_attr(file, "openblas_core", rd->openblas_core, sizeof rd->openblas_core);
    h5_read_string_attr(file, "mpi_library", rd->mpi_library, sizeof rd->mpi_library);
    if (h5_link_exists(file, "/spec")) {
        hid_t d = H5Dopen2(file, "/spec", H5P_DEFAULT);
        if (d >= 0) { rd->spec_text = h5_read_string(d, 0); H5Dclose(d); }
    }
    if (!rd->spec_text) rd->spec_text = strdup("");
    rd->runs = reader_dataset_length(file, "/runs/status");
    if (rd->runs < 1) return iw_error_set(err, "%s: /runs/status is missing or not 1-D", rd->path);
    int64_t R = rd->runs;
    rd->status = malloc((size_t)R);
    rd->wall_seconds = malloc((size_t)R * sizeof *rd->wall_seconds);
    rd->cpu_seconds = malloc((size_t)R * sizeof *rd->cpu_seconds);
    rd->worker_rank = malloc((size_t)R * sizeof *rd->worker_rank);
    rd->attempt = malloc((size_t)R * sizeof *rd->attempt);
    rd->slurm_job_id = malloc((size_t)R * sizeof *rd->slurm_job_id);
    rd->host = malloc((size_t)R * sizeof *rd->host);
    if (!rd->status || !rd->wall_seconds || !rd->cpu_seconds || !rd->worker_rank || !rd->attempt || !rd->slurm_job_id ||
        !rd->host)
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
    if (read_hosts(file, "/runs/host", R, rd->host) < 0) /* stores made before /runs/host */
        memset(rd->host, 0, (size_t)R * sizeof *rd->host);
    if (reader_read_axes(rd, file, err) < 0) return -1;

    if (!h5_link_exists(file, "/metrics")) return iw_error_set(err, "%s: group /metrics is missing", rd->path);
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
    rd->evaluated = malloc((size_t)rd->epochs + 1);
    if (!rd->evaluated) return iw_error_set(err, "out of memory");
    if (h5_link_exists(file, "/evaluated")) {
        if (read_numeric(file, "/evaluated", H5T_NATIVE_INT8, rd->epochs + 1, rd->evaluated) < 0)
            return iw_error_set(err, "%s: /evaluated must be int8[E+1=%d]", rd->path, rd->epochs + 1);
    } else {
        memset(rd->evaluated, 1, (size_t)rd->epochs + 1); /* stores made before record.eval_epochs */
    }
    rd->n_evaluated = 0;
    for (int e = 0; e <= rd->epochs; e++) {
        rd->evaluated[e] = rd->evaluated[e] != 0;
        rd->n_evaluated += rd->evaluated[e];
    }
    if (read_boundary_info(rd, file, err) < 0) return -1;
    return read_run_extras(rd, file, err);
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
    h5_quiet q;
    h5_quiet_begin(&q);
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
    h5_quiet_end(&q);
    if (rc < 0) { iw_store_reader_close(rd); return -1; }
    *reader = rd;
    return 0;
}

void iw_store_reader_close(iw_store_reader *rd)
{
    if (!rd) return;
    reader_impl *impl = rd->impl;
    if (impl && impl->file >= 0) {
        h5_quiet q;
        h5_quiet_begin(&q);
        H5Fclose(impl->file);
        h5_quiet_end(&q);
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
    free(rd->evaluated);
    free(rd->status);
    free(rd->wall_seconds);
    free(rd->cpu_seconds);
    free(rd->worker_rank);
    free(rd->attempt);
    free(rd->slurm_job_id);
    free(rd->host);
    free(rd->boundary_epoch);
    free(rd->boundary_x);
    free(rd->boundary_y);
    free(rd->train_class_count);
    free(rd->logit_epoch);
    free(rd->test_labels);
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
    h5_quiet q;
    h5_quiet_begin(&q);
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
    h5_quiet_end(&q);
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

int iw_store_reader_logits(const iw_store_reader *rd, int64_t run, float *out, iw_error *err)
{
    if (rd->logit_count == 0)
        return iw_error_set(err, "%s: the store has no /logits (record.logit_epochs in the sweep file keeps them)", rd->path);
    if (run < 0 || run >= rd->runs) return iw_error_set(err, "%s: run %lld out of range", rd->path, (long long)run);
    hsize_t start[4] = {(hsize_t)run, 0, 0, 0};
    hsize_t count[4] = {1, (hsize_t)rd->logit_count, (hsize_t)rd->n_test, 2};
    return read_float_slab(rd, "/logits", 4, start, count, out, err);
}
