/* store_create.c — makes a complete iwsweep/1 store (schema in docs/DESIGN.md): every group,
 * dataset and attribute, the grid's axis values and the dimension scales, written by one process
 * (rank 0) with HDF5's serial driver, then closed and fsynced.
 *
 * Why serially: parallel HDF5 1.10 cannot write variable-length strings (/spec) and writes the
 * fill values of contiguous datasets from one rank anyway; a file closed by one process before
 * any rank opens it in parallel is at least as safe as creating it collectively and flushing once,
 * which docs/MACHINE-NOTES.md found enough against a kill (all metadata is on disk before the
 * first raw write). Every dataset is contiguous, unfiltered
 * and allocated at creation with its fill value (NaN for real numbers, 0 for integers), so the
 * parallel writers only ever write raw data into place.
 *
 * Dimension scales follow the HDF5 Dimension Scale specification (attributes CLASS, NAME,
 * DIMENSION_LIST, REFERENCE_LIST, written exactly as libhdf5_hl's H5DS does) so that h5py,
 * netCDF-4 and h5netcdf (and so xarray) see named dimensions; they are written here directly
 * to avoid a dependency on the high-level library.
 */
#include "store_internal.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_ATTACHED 128
#define BLOCK 65536 /* runs per write of the /run and /runs/<axis> columns */

/* One dataset with a scale on each dimension (scale paths, e.g. "/run"). */
typedef struct attached {
    char path[160];
    int rank;
    const char *scale[4];
} attached;

#define MAX_SCALES 12 /* run, epoch, host_strlen, boundary_epoch, y, x, class, logit_epoch, test_example */

/* A dimension scale: its path and its NAME attribute ("": the last part of the path). */
typedef struct scale_def {
    char path[160];
    char name[96];
} scale_def;

typedef struct creation {
    hid_t file;
    attached list[MAX_ATTACHED];
    int n;
    scale_def scales[MAX_SCALES]; /* every dimension scale made, in creation order */
    int n_scales;
    int overflow; /* a list above was full: write_dimension_scales fails (a bug here, not bad input) */
} creation;

/* Contiguous, allocated and filled at creation, no timestamps (so that stores of the same sweep
 * differ only in their data and root attributes). fill may be NULL (HDF5's default, zero). */
static hid_t dataset_create(creation *c, const char *path, hid_t ftype, int rank, const hsize_t *dims,
                            hid_t fill_type, const void *fill, const char *description)
{
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    hid_t space = H5Screate_simple(rank, dims, NULL);
    hid_t dset = H5I_INVALID_HID;
    if (dcpl >= 0 && space >= 0 && H5Pset_layout(dcpl, H5D_CONTIGUOUS) >= 0 &&
        H5Pset_alloc_time(dcpl, H5D_ALLOC_TIME_EARLY) >= 0 &&
        H5Pset_fill_time(dcpl, H5D_FILL_TIME_ALLOC) >= 0 && H5Pset_obj_track_times(dcpl, 0) >= 0 &&
        (!fill || H5Pset_fill_value(dcpl, fill_type, fill) >= 0))
        dset = H5Dcreate2(c->file, path, ftype, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    if (dset >= 0 && h5_write_string_attr(dset, "description", description) < 0) {
        H5Dclose(dset);
        dset = H5I_INVALID_HID;
    }
    if (space >= 0) H5Sclose(space);
    if (dcpl >= 0) H5Pclose(dcpl);
    return dset;
}

/* Records that the dataset at `path` is a dimension scale named `name` ("" or NULL: the last part of
 * the path); its attributes are written at the end. */
static void scale_later(creation *c, const char *path, const char *name)
{
    if (c->n_scales == MAX_SCALES) {
        c->overflow = 1;
        return;
    }
    scale_def *s = &c->scales[c->n_scales++];
    snprintf(s->path, sizeof s->path, "%s", path);
    snprintf(s->name, sizeof s->name, "%s", name ? name : "");
}

/* Records that dataset `path` has `rank` dimensions with these scales (attached at the end). */
static void attach_later(creation *c, const char *path, int rank, const char *s0, const char *s1,
                         const char *s2, const char *s3)
{
    if (c->n == MAX_ATTACHED) {
        c->overflow = 1;
        return;
    }
    attached *a = &c->list[c->n++];
    snprintf(a->path, sizeof a->path, "%s", path);
    a->rank = rank;
    a->scale[0] = s0, a->scale[1] = s1, a->scale[2] = s2, a->scale[3] = s3;
}

/* CF-convention flag attributes (xarray shows them; h5py users read the description): values
 * 0..n-1 named names[0..n-1]. */
static int write_flags(hid_t dset, const char *const *names, int n)
{
    int8_t values[128];
    char meanings[1024] = "";
    for (int k = 0; k < n && k < 128; k++) {
        values[k] = (int8_t)k;
        snprintf(meanings + strlen(meanings), sizeof meanings - strlen(meanings), "%s%s", k ? " " : "", names[k]);
    }
    hsize_t dim = (hsize_t)n;
    hid_t space = H5Screate_simple(1, &dim, NULL);
    hid_t attr = H5Acreate2(dset, "flag_values", H5T_STD_I8LE, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = attr >= 0 && H5Awrite(attr, H5T_NATIVE_INT8, values) >= 0 ? 0 : -1;
    if (attr >= 0) H5Aclose(attr);
    H5Sclose(space);
    if (rc == 0) rc = h5_write_string_attr(dset, "flag_meanings", meanings);
    return rc;
}

/* Fixed-length NUL-terminated ASCII string attribute, as H5DS writes CLASS and NAME. */
static int write_fixed_string_attr(hid_t obj, const char *name, const char *value)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, strlen(value) + 1);
    H5Tset_strpad(type, H5T_STR_NULLTERM);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = attr >= 0 && H5Awrite(attr, type, value) >= 0 ? 0 : -1;
    if (attr >= 0) H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    return rc;
}

/* The dimension-scale attributes of every recorded dataset and of each scale. */
static int write_dimension_scales(creation *c)
{
    if (c->overflow) return -1; /* MAX_ATTACHED or MAX_SCALES is too small for this layout */
    const scale_def *scales = c->scales;
    int n_scales = c->n_scales;
    hid_t vlen = H5Tvlen_create(H5T_STD_REF_OBJ);
    typedef struct { hobj_ref_t ref; int dimension; } ref_entry; /* H5DS's ds_list_t */
    hid_t entry = H5Tcreate(H5T_COMPOUND, sizeof(ref_entry));
    H5Tinsert(entry, "dataset", HOFFSET(ref_entry, ref), H5T_STD_REF_OBJ);
    H5Tinsert(entry, "dimension", HOFFSET(ref_entry, dimension), H5T_NATIVE_INT);
    int rc = 0;
    for (int i = 0; i < c->n && rc == 0; i++) {
        attached *a = &c->list[i];
        hobj_ref_t refs[4];
        hvl_t list[4];
        for (int d = 0; d < a->rank && rc == 0; d++) {
            rc = H5Rcreate(&refs[d], c->file, a->scale[d], H5R_OBJECT, -1) < 0 ? -1 : 0;
            list[d].len = 1;
            list[d].p = &refs[d];
        }
        hid_t dset = rc == 0 ? H5Dopen2(c->file, a->path, H5P_DEFAULT) : -1;
        hsize_t dim = (hsize_t)a->rank;
        hid_t space = H5Screate_simple(1, &dim, NULL);
        hid_t attr = dset >= 0 ? H5Acreate2(dset, "DIMENSION_LIST", vlen, space, H5P_DEFAULT, H5P_DEFAULT) : -1;
        if (attr < 0 || H5Awrite(attr, vlen, list) < 0) rc = -1;
        if (attr >= 0) H5Aclose(attr);
        H5Sclose(space);
        if (dset >= 0) H5Dclose(dset);
    }
    for (int s = 0; s < n_scales && rc == 0; s++) {
        ref_entry entries[MAX_ATTACHED * 4];
        int n = 0;
        for (int i = 0; i < c->n && rc == 0; i++)
            for (int d = 0; d < c->list[i].rank; d++)
                if (strcmp(c->list[i].scale[d], scales[s].path) == 0) {
                    if (H5Rcreate(&entries[n].ref, c->file, c->list[i].path, H5R_OBJECT, -1) < 0) rc = -1;
                    entries[n++].dimension = d;
                }
        hid_t dset = rc == 0 ? H5Dopen2(c->file, scales[s].path, H5P_DEFAULT) : -1;
        const char *name = scales[s].name[0] ? scales[s].name : strrchr(scales[s].path, '/') + 1;
        if (dset < 0 || write_fixed_string_attr(dset, "CLASS", "DIMENSION_SCALE") < 0 ||
            write_fixed_string_attr(dset, "NAME", name) < 0)
            rc = -1;
        if (rc == 0 && n > 0) {
            hsize_t dim = (hsize_t)n;
            hid_t space = H5Screate_simple(1, &dim, NULL);
            hid_t attr = H5Acreate2(dset, "REFERENCE_LIST", entry, space, H5P_DEFAULT, H5P_DEFAULT);
            if (attr < 0 || H5Awrite(attr, entry, entries) < 0) rc = -1;
            if (attr >= 0) H5Aclose(attr);
            H5Sclose(space);
        }
        if (dset >= 0) H5Dclose(dset);
    }
    H5Tclose(entry);
    H5Tclose(vlen);
    return rc;
}

/* /run (0..R-1) and /runs/<axis> (the axis value of each run, last axis fastest), typed by the
 * axis table: REAL float64 (fill NaN), INT int64, FLAG and ENUM int8 with flag attributes. */
static int write_run_columns(creation *c, const iw_spec *spec, int64_t runs)
{
    hsize_t dim = (hsize_t)runs;
    int64_t *block = malloc(BLOCK * sizeof *block);
    if (!block) return -1;
    int rc = 0;
    /* column -1 is /run; column a >= 0 is spec->axes[a] */
    for (int a = -1; a < spec->n_axes && rc == 0; a++) {
        const iw_axis *axis = a >= 0 ? &spec->axes[a] : NULL;
        const iw_axis_def *def = axis ? axis->def : NULL;
        int is_real = def && def->type == IW_AXIS_REAL;
        int is_flag = def && (def->type == IW_AXIS_FLAG || def->type == IW_AXIS_ENUM);
        hid_t ftype = is_real ? H5T_IEEE_F64LE : is_flag ? H5T_STD_I8LE : H5T_STD_I64LE;
        hid_t mtype = is_real ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64;
        char path[160];
        int64_t stride = 1;
        if (axis) {
            snprintf(path, sizeof path, "/runs/%s", def->name);
            for (int b = a + 1; b < spec->n_axes; b++) stride *= spec->axes[b].count;
        } else {
            snprintf(path, sizeof path, "/run");
        }
        const double nan = NAN;
        hid_t dset = dataset_create(c, path, ftype, 1, &dim, H5T_NATIVE_DOUBLE, is_real ? &nan : NULL,
                                    axis ? def->description
                                         : "run index 0..R-1 in grid order (last grid axis fastest): the row of every /runs and /metrics dataset");
        if (dset < 0) { rc = -1; break; }
        if (is_flag) rc = write_flags(dset, def->names, def->n_names);
        if (axis) attach_later(c, path, 1, "/run", NULL, NULL, NULL);
        hid_t fspace = H5Dget_space(dset);
        for (int64_t first = 0; first < runs && rc == 0; first += BLOCK) {
            hsize_t start = (hsize_t)first, count = (hsize_t)(runs - first < BLOCK ? runs - first : BLOCK);
            for (hsize_t i = 0; i < count; i++) {
                int64_t run = first + (int64_t)i;
                if (!axis) { block[i] = run; continue; }
                double v = axis->values[(run / stride) % axis->count];
                if (is_real) memcpy(&block[i], &v, sizeof v);
                else block[i] = (int64_t)v;
            }
            hid_t mspace = H5Screate_simple(1, &count, NULL);
            if (H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
                H5Dwrite(dset, mtype, mspace, fspace, H5P_DEFAULT, block) < 0)
                rc = -1;
            H5Sclose(mspace);
        }
        H5Sclose(fspace);
        H5Dclose(dset);
    }
    free(block);
    return rc;
}

/* A small 1-D dataset written whole (scales: /epoch, /boundary_epoch, /x, /y). */
static int write_small(creation *c, const char *path, hid_t ftype, hid_t mtype, hsize_t n,
                       const void *data, const char *description)
{
    hid_t dset = dataset_create(c, path, ftype, 1, &n, mtype, NULL, description);
    if (dset < 0) return -1;
    int rc = H5Dwrite(dset, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, data) < 0 ? -1 : 0;
    H5Dclose(dset);
    return rc;
}

/* /evaluated int8[E+1]: 1 at the epochs the sweep evaluates (record.eval_epochs, with epoch 0, the
 * last epoch, the boundary and the logit epochs), 0 where every run's metrics stay NaN. */
static int write_evaluated(creation *c, const iw_spec *spec, const store_shape *shape)
{
    hsize_t n = (hsize_t)shape->epochs + 1;
    int8_t *evaluated = malloc(n);
    if (!evaluated) return -1;
    for (hsize_t e = 0; e < n; e++) evaluated[e] = (int8_t)iw_spec_epoch_evaluated(spec, (int)e);
    int rc = write_small(c, "/evaluated", H5T_STD_I8LE, H5T_NATIVE_INT8, n, evaluated,
                         "1 at the epochs whose metrics the sweep evaluates (record.eval_epochs, always with epoch 0, the "
                         "last epoch, the boundary and the logit epochs), 0 where they stay NaN (a diverged run also has its "
                         "divergence epoch); [epoch]");
    free(evaluated);
    if (rc == 0) attach_later(c, "/evaluated", 1, "/epoch", NULL, NULL, NULL);
    return rc;
}

/* /class (the class dimension: 0 negative, 1 positive), /runs/train_class_count, and with
 * record.logit_epochs /logit_epoch, /test_example, /test_labels and /logits (store_logits.c says
 * who writes them). */
static int write_class_counts_and_logits(creation *c, const iw_spec *spec, const store_shape *shape)
{
    static const char *const class_names[2] = {"negative", "positive"};
    const int8_t classes[2] = {0, 1};
    char description[512];
    snprintf(description, sizeof description,
             "class index of the last dimension of /runs/train_class_count and /logits: 0 = negative (data.classes[0] = %d), "
             "1 = positive (data.classes[1] = %d)",
             spec->data.classes[0], spec->data.classes[1]);
    hid_t dset = dataset_create(c, "/class", H5T_STD_I8LE, 1, (const hsize_t[]){2}, H5T_NATIVE_INT8, NULL, description);
    if (dset < 0) return -1;
    int rc = H5Dwrite(dset, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, classes) < 0 ? -1 : 0;
    if (rc == 0) rc = write_flags(dset, class_names, 2);
    scale_later(c, "/class", NULL);
    H5Dclose(dset);
    if (rc < 0) return -1;
    hsize_t counts[2] = {(hsize_t)shape->runs, 2};
    dset = dataset_create(c, "/runs/train_class_count", H5T_STD_I64LE, 2, counts, H5T_NATIVE_INT64, NULL,
                          "examples of each class in the run's training set, after the validation split (data.val_per_class) "
                          "and sub-sampling: the counts of the loss's class priors and margins; [run, class], 0 until written");
    if (dset < 0) return -1;
    H5Dclose(dset);
    attach_later(c, "/runs/train_class_count", 2, "/run", "/class", NULL, NULL);
    if (shape->n_logit == 0) return 0;

    int L = shape->n_logit;
    int64_t N = shape->n_test;
    int32_t epochs[IW_MAX_RECORD_EPOCHS];
    for (int k = 0; k < L; k++) epochs[k] = spec->record.logit_epochs[k];
    rc = write_small(c, "/logit_epoch", H5T_STD_I32LE, H5T_NATIVE_INT32, (hsize_t)L, epochs,
                     "epochs at which /logits was recorded (record.logit_epochs)");
    if (rc == 0) scale_later(c, "/logit_epoch", NULL);
    int32_t *index = rc == 0 ? malloc((size_t)N * sizeof *index) : NULL;
    if (!index) return -1;
    for (int64_t i = 0; i < N; i++) index[i] = (int32_t)i;
    rc = write_small(c, "/test_example", H5T_STD_I32LE, H5T_NATIVE_INT32, (hsize_t)N, index,
                     "index of a test example of the two classes, in the order the data set gives them (the test file's order)");
    if (rc == 0) scale_later(c, "/test_example", NULL);
    free(index);
    if (rc < 0) return -1;
    const int8_t unknown = -1;
    dset = dataset_create(c, "/test_labels", H5T_STD_I8LE, 1, (const hsize_t[]){(hsize_t)N}, H5T_NATIVE_INT8, &unknown,
                          "label of each test example: 0 = negative, 1 = positive; -1 until the first run with logits is stored");
    if (dset < 0) return -1;
    H5Dclose(dset);
    attach_later(c, "/test_labels", 1, "/test_example", NULL, NULL, NULL);
    const float nan = NAN;
    hsize_t dims[4] = {(hsize_t)shape->runs, (hsize_t)L, (hsize_t)N, 2};
    dset = dataset_create(c, "/logits", H5T_IEEE_F32LE, 4, dims, H5T_NATIVE_FLOAT, &nan,
                          "logits of every test example at the epochs of /logit_epoch (evaluation mode; the prediction is the "
                          "class with the larger logit); [run, logit_epoch, test_example, class], NaN where not (yet) written");
    if (dset < 0) return -1;
    H5Dclose(dset);
    attach_later(c, "/logits", 4, "/run", "/logit_epoch", "/test_example", "/class");
    return 0;
}

static int create_group(hid_t file, const char *path, const char *description)
{
    hid_t gcpl = H5Pcreate(H5P_GROUP_CREATE);
    H5Pset_obj_track_times(gcpl, 0);
    hid_t group = H5Gcreate2(file, path, H5P_DEFAULT, gcpl, H5P_DEFAULT);
    H5Pclose(gcpl);
    if (group < 0) return -1;
    int rc = h5_write_string_attr(group, "description", description);
    H5Gclose(group);
    return rc;
}

static int write_root(creation *c, const iw_spec *spec, const iw_store_info *info)
{
    char created[32];
    time_t now = time(NULL);
    struct tm utc;
    gmtime_r(&now, &utc);
    strftime(created, sizeof created, "%Y-%m-%dT%H:%M:%SZ", &utc);
    hid_t root = H5Gopen2(c->file, "/", H5P_DEFAULT);
    if (root < 0) return -1;
    int rc = 0;
    rc |= h5_write_string_attr(root, "schema", IW_STORE_SCHEMA);
    rc |= h5_write_string_attr(root, "name", spec->name);
    rc |= h5_write_string_attr(root, "spec_sha256", spec->sha256);
    rc |= h5_write_string_attr(root, "created", created);
    rc |= h5_write_string_attr(root, "version", info && info->version ? info->version : IW_VERSION);
    rc |= h5_write_string_attr(root, "openblas_core", info && info->openblas_core ? info->openblas_core : "unknown");
    rc |= h5_write_string_attr(root, "mpi_library", info && info->mpi_library ? info->mpi_library : "unknown");
    rc |= h5_write_string_attr(root, "description",
                                  "iwsweep store: per-epoch trajectories of every run of one sweep (schema iwsweep/1; the sweep file is /spec)");
    H5Gclose(root);
    if (rc) return -1;
    /* /spec: the sweep file verbatim, a scalar variable-length UTF-8 string */
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_obj_track_times(dcpl, 0);
    hid_t dset = H5Dcreate2(c->file, "/spec", type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    const char *text = spec->text ? spec->text : "";
    if (dset < 0 || H5Dwrite(dset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &text) < 0 ||
        h5_write_string_attr(dset, "description", "the sweep file this store was made from, verbatim") < 0)
        rc = -1;
    if (dset >= 0) H5Dclose(dset);
    H5Pclose(dcpl);
    H5Sclose(space);
    H5Tclose(type);
    return rc;
}

/* "run status: 0 pending, 1 done, 2 diverged (non-finite loss; ...), 3 failed; written after the
 * run's metrics", from the status table. */
static void status_description(char *buf, size_t size)
{
    size_t n = (size_t)snprintf(buf, size, "run status: ");
    for (int k = 0; k < IW_STATUS_COUNT && n < size; k++) {
        const iw_status_def *st = &iw_status_defs[k];
        n += (size_t)snprintf(buf + n, size - n, "%s%d %s%s%s%s", k ? ", " : "", k, st->name, st->meaning ? " (" : "",
                              st->meaning ? st->meaning : "", st->meaning ? ")" : "");
    }
    if (n < size) snprintf(buf + n, size - n, "; written after the run's metrics");
}

/* A STORE_TEXT provenance field (layout: schema.h): /runs/<name>_strlen, the length dimension
 * (int32 0..L-1, named as netCDF names a dimension without a variable), and /runs/<name>, a char
 * array [R, L] of NULs (= "" for every run) with _Encoding = "ascii". */
static int write_text_field(creation *c, const store_prov_def *def, int64_t runs)
{
    char path[160], dim_path[160], dim_name[96], description[256];
    snprintf(path, sizeof path, "/runs/%.100s", def->name);
    snprintf(dim_path, sizeof dim_path, "/runs/%.100s%s", def->name, STORE_TEXT_DIM_SUFFIX);
    snprintf(dim_name, sizeof dim_name, "%s%10d", STORE_DIM_WITHOUT_VARIABLE, STORE_TEXT_LEN);
    snprintf(description, sizeof description,
             "character position within /runs/%.100s: the length dimension of that char array (a netCDF dimension without a variable)",
             def->name);
    int32_t position[STORE_TEXT_LEN];
    for (int i = 0; i < STORE_TEXT_LEN; i++) position[i] = i;
    if (write_small(c, dim_path, H5T_STD_I32LE, H5T_NATIVE_INT32, STORE_TEXT_LEN, position, description) < 0) return -1;
    scale_later(c, dim_path, dim_name);
    hsize_t dims[2] = {(hsize_t)runs, STORE_TEXT_LEN};
    hid_t ftype = store_file_type(STORE_TEXT);
    hid_t dset = ftype < 0 ? H5I_INVALID_HID
                           : dataset_create(c, path, ftype, 2, dims, H5T_NATIVE_DOUBLE, NULL, def->description);
    if (ftype >= 0) H5Tclose(ftype);
    if (dset < 0) return -1;
    int rc = h5_write_string_attr(dset, "_Encoding", "ascii"); /* xarray's and netCDF4-python's convention */
    H5Dclose(dset);
    attach_later(c, path, 2, "/run", c->scales[c->n_scales - 1].path, NULL, NULL);
    return rc;
}

static int write_runs_group(creation *c, const iw_spec *spec, const store_shape *shape)
{
    const char *status_names[IW_STATUS_COUNT];
    for (int k = 0; k < IW_STATUS_COUNT; k++) status_names[k] = iw_status_defs[k].name;
    char description[512];
    status_description(description, sizeof description);
    hsize_t dim = (hsize_t)shape->runs;
    const double nan = NAN;
    if (write_run_columns(c, spec, shape->runs) < 0) return -1;
    hid_t dset = dataset_create(c, "/runs/status", H5T_STD_I8LE, 1, &dim, H5T_NATIVE_INT8, NULL, description);
    if (dset < 0) return -1;
    int rc = write_flags(dset, status_names, IW_STATUS_COUNT);
    H5Dclose(dset);
    attach_later(c, "/runs/status", 1, "/run", NULL, NULL, NULL);
    for (int p = 0; p < STORE_PROV_COUNT && rc == 0; p++) {
        const store_prov_def *def = &store_prov_defs[p];
        char path[160];
        snprintf(path, sizeof path, "/runs/%s", def->name);
        if (def->type == STORE_TEXT) {
            rc = write_text_field(c, def, shape->runs);
            continue;
        }
        hid_t ftype = store_file_type(def->type);
        dset = ftype < 0 ? H5I_INVALID_HID
                         : dataset_create(c, path, ftype, 1, &dim, H5T_NATIVE_DOUBLE,
                                          def->type == STORE_F64 ? &nan : NULL, def->description);
        if (ftype >= 0) H5Tclose(ftype);
        if (dset < 0) return -1;
        H5Dclose(dset);
        attach_later(c, path, 1, "/run", NULL, NULL, NULL);
    }
    return rc;
}

static int write_metrics_and_boundary(creation *c, const iw_spec *spec, const store_shape *shape)
{
    const float nan = NAN;
    hsize_t dims[4] = {(hsize_t)shape->runs, (hsize_t)shape->epochs + 1, 0, 0};
    for (int m = 0; m < IW_METRIC_COUNT; m++) {
        char path[160], description[512];
        snprintf(path, sizeof path, "/metrics/%s", iw_metric_names[m]);
        snprintf(description, sizeof description, "%s; [run, epoch], NaN where not (yet) written",
                 iw_metric_descriptions[m]);
        hid_t dset = dataset_create(c, path, H5T_IEEE_F32LE, 2, dims, H5T_NATIVE_FLOAT, &nan, description);
        if (dset < 0) return -1;
        H5Dclose(dset);
        attach_later(c, path, 2, "/run", "/epoch", NULL, NULL);
    }
    if (shape->n_boundary == 0) return 0;
    int S = shape->n_boundary, G = shape->grid;
    int32_t epochs[IW_MAX_RECORD_EPOCHS];
    double *xy = malloc(2 * (size_t)G * sizeof *xy);
    if (!xy) return -1;
    for (int s = 0; s < S; s++) epochs[s] = spec->record.boundary_epochs[s];
    const double *range = spec->record.boundary_range;
    for (int i = 0; i < G; i++) {
        xy[i] = range[0] + (range[1] - range[0]) * i / (G - 1);
        xy[G + i] = range[2] + (range[3] - range[2]) * i / (G - 1);
    }
    int rc = write_small(c, "/boundary_epoch", H5T_STD_I32LE, H5T_NATIVE_INT32, (hsize_t)S, epochs,
                         "epochs at which /boundary was recorded (record.boundary_epochs)");
    if (rc == 0)
        rc = write_small(c, "/x", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)G, xy,
                         "first input coordinate of the /boundary grid, raw data units: G points from xmin to xmax inclusive (record.boundary_range)");
    if (rc == 0)
        rc = write_small(c, "/y", H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, (hsize_t)G, xy + G,
                         "second input coordinate of the /boundary grid, raw data units: G points from ymin to ymax inclusive (record.boundary_range)");
    free(xy);
    if (rc < 0) return -1;
    hsize_t bdims[4] = {(hsize_t)shape->runs, (hsize_t)S, (hsize_t)G, (hsize_t)G};
    hid_t dset = dataset_create(c, "/boundary", H5T_IEEE_F32LE, 4, bdims, H5T_NATIVE_FLOAT, &nan,
                                "decision function p(positive | x, y) of each run at the epochs of /boundary_epoch; [run, boundary_epoch, y, x], NaN where not (yet) written");
    if (dset < 0) return -1;
    H5Dclose(dset);
    attach_later(c, "/boundary", 4, "/run", "/boundary_epoch", "/y", "/x");
    scale_later(c, "/boundary_epoch", NULL);
    scale_later(c, "/y", NULL);
    scale_later(c, "/x", NULL);
    return 0;
}

int store_create_file(const char *path, const iw_spec *spec, const iw_store_info *info,
                      const store_shape *shape, iw_error *err)
{
    creation c = {.n = 0};
    hid_t fcpl = H5Pcreate(H5P_FILE_CREATE);
    H5Pset_obj_track_times(fcpl, 0);
    hid_t fapl = store_serial_fapl();
    c.file = H5Fcreate(path, H5F_ACC_TRUNC, fcpl, fapl);
    H5Pclose(fapl);
    H5Pclose(fcpl);
    if (c.file < 0) return h5_fail(err, "cannot create %s", path);
    hsize_t n_epochs = (hsize_t)shape->epochs + 1;
    int32_t *epochs = malloc(n_epochs * sizeof *epochs);
    int rc = epochs ? 0 : -1;
    for (hsize_t e = 0; rc == 0 && e < n_epochs; e++) epochs[e] = (int32_t)e;
    if (rc == 0) rc = write_root(&c, spec, info);
    if (rc == 0) rc = create_group(c.file, "/runs", "one row per run: the grid point (one dataset per grid axis), status and provenance");
    if (rc == 0) rc = create_group(c.file, "/metrics", "per-epoch metrics of every run: float32 [run, epoch]");
    if (rc == 0)
        rc = write_small(&c, "/epoch", H5T_STD_I32LE, H5T_NATIVE_INT32, n_epochs, epochs,
                         "epoch of each trajectory point: 0 = the network before training, e = after e epochs");
    free(epochs);
    if (rc == 0) rc = write_evaluated(&c, spec, shape);
    scale_later(&c, "/run", NULL);
    scale_later(&c, "/epoch", NULL);
    if (rc == 0) rc = write_runs_group(&c, spec, shape);
    if (rc == 0) rc = write_metrics_and_boundary(&c, spec, shape);
    if (rc == 0) rc = write_class_counts_and_logits(&c, spec, shape);
    if (rc == 0) rc = write_dimension_scales(&c);
    if (rc < 0) {
        h5_fail(err, "cannot write the store %s", path);
        H5Fclose(c.file);
        return -1;
    }
    if (H5Fclose(c.file) < 0) return h5_fail(err, "cannot close %s after creating it", path);
    int fd = open(path, O_RDONLY);
    if (fd < 0 || fsync(fd) != 0) {
        if (fd >= 0) close(fd);
        return iw_error_set(err, "cannot fsync %s after creating it", path);
    }
    close(fd);
    return 0;
}
