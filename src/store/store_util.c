/* store_util.c — small helpers of the store writer: HDF5 error messages, string attributes,
 * dataset shapes, the shape a sweep file asks for, and MPI collectives that do not spin
 * (Open MPI's blocking collectives busy-poll a whole core; these test and sleep 1 ms instead).
 */
#include "store_internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const store_prov_names[STORE_PROV_COUNT] = {
    "wall_seconds", "cpu_seconds", "worker_rank", "attempt", "slurm_job_id", "slurm_restart_count", "host",
};

hid_t store_host_type(void)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    if (type >= 0 && (H5Tset_size(type, IW_STORE_HOST_LEN) < 0 || H5Tset_strpad(type, H5T_STR_NULLPAD) < 0)) {
        H5Tclose(type);
        return H5I_INVALID_HID;
    }
    return type;
}

int store_shape_from_spec(const iw_spec *spec, store_shape *shape, iw_error *err)
{
    int64_t runs = 1;
    if (spec->n_axes < 1) return iw_error_set(err, "%s: the sweep has no grid axes", spec->file);
    for (int a = 0; a < spec->n_axes; a++) {
        if (spec->axes[a].count < 1)
            return iw_error_set(err, "%s: grid axis '%s' has no values", spec->file, spec->axes[a].name);
        runs *= spec->axes[a].count;
        if (runs > IW_MAX_RUNS)
            return iw_error_set(err, "%s: the grid has more than %lld runs", spec->file,
                                (long long)IW_MAX_RUNS);
    }
    if (spec->train.epochs < 1)
        return iw_error_set(err, "%s: train.epochs must be >= 1 to make a store", spec->file);
    shape->runs = runs;
    shape->epochs = spec->train.epochs;
    shape->n_boundary = 0;
    shape->grid = 0;
    if (spec->data.source == IW_SOURCE_SYNTHETIC2D && spec->record.n_boundary_epochs > 0) {
        if (spec->record.boundary_grid < 2)
            return iw_error_set(err, "%s: record.boundary_grid must be >= 2", spec->file);
        shape->n_boundary = spec->record.n_boundary_epochs;
        shape->grid = spec->record.boundary_grid;
    }
    return 0;
}

hid_t store_serial_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0) H5Pset_file_locking(fapl, 0, 1);
    return fapl;
}

/* ---- HDF5 errors ---- */

typedef struct { char desc[512]; } h5_innermost;

static herr_t h5_error_walk(unsigned n, const H5E_error2_t *e, void *data)
{
    h5_innermost *in = data;
    if (n == 0 && e->desc) snprintf(in->desc, sizeof in->desc, "%s", e->desc);
    return 0;
}

int store_h5_fail(iw_error *err, const char *fmt, ...)
{
    h5_innermost in = {{0}};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, h5_error_walk, &in);
    H5Eclear2(H5E_DEFAULT);
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->message, sizeof err->message, fmt, ap);
        va_end(ap);
        if (in.desc[0]) {
            size_t n = strlen(err->message);
            snprintf(err->message + n, sizeof err->message - n, " (HDF5: %s)", in.desc);
        }
    }
    return -1;
}

/* ---- attributes and shapes ---- */

int store_read_string_attr(hid_t obj, const char *name, char *buf, size_t size)
{
    int rc = -1;
    buf[0] = '\0';
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0) return -1;
    hid_t ftype = H5Aget_type(attr);
    hid_t space = H5Aget_space(attr);
    if (ftype >= 0 && space >= 0 && H5Tget_class(ftype) == H5T_STRING &&
        H5Sget_simple_extent_npoints(space) == 1) {
        hid_t mtype = H5Tcopy(H5T_C_S1);
        H5Tset_cset(mtype, H5Tget_cset(ftype)); /* HDF5 does not convert ASCII <-> UTF-8 */
        if (H5Tis_variable_str(ftype) > 0) {
            char *value = NULL;
            H5Tset_size(mtype, H5T_VARIABLE);
            if (H5Aread(attr, mtype, &value) >= 0 && value) {
                snprintf(buf, size, "%s", value);
                H5free_memory(value);
                rc = 0;
            }
        } else {
            size_t n = H5Tget_size(ftype);
            char *value = calloc(n + 1, 1);
            H5Tset_size(mtype, n + 1);
            if (value && H5Aread(attr, mtype, value) >= 0) {
                snprintf(buf, size, "%s", value);
                rc = 0;
            }
            free(value);
        }
        H5Tclose(mtype);
    }
    if (space >= 0) H5Sclose(space);
    if (ftype >= 0) H5Tclose(ftype);
    H5Aclose(attr);
    return rc;
}

int store_write_string_attr(hid_t obj, const char *name, const char *value)
{
    hid_t type = H5Tcopy(H5T_C_S1);
    H5Tset_size(type, H5T_VARIABLE);
    H5Tset_cset(type, H5T_CSET_UTF8);
    hid_t space = H5Screate(H5S_SCALAR);
    hid_t attr = H5Acreate2(obj, name, type, space, H5P_DEFAULT, H5P_DEFAULT);
    int rc = (attr >= 0 && H5Awrite(attr, type, &value) >= 0) ? 0 : -1;
    if (attr >= 0) H5Aclose(attr);
    H5Sclose(space);
    H5Tclose(type);
    return rc;
}

int store_dataset_dims(hid_t loc, const char *name, hsize_t *dims, int max_rank)
{
    if (H5Lexists(loc, name, H5P_DEFAULT) <= 0) return -1;
    hid_t dset = H5Dopen2(loc, name, H5P_DEFAULT);
    if (dset < 0) return -1;
    hid_t space = H5Dget_space(dset);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank > max_rank || (rank >= 0 && H5Sget_simple_extent_dims(space, dims, NULL) < 0)) rank = -1;
    if (space >= 0) H5Sclose(space);
    H5Dclose(dset);
    return rank;
}

/* ---- MPI without spinning ---- */

int store_mpi_wait(MPI_Request *req)
{
    const struct timespec pause = {0, 1000000}; /* 1 ms */
    for (;;) {
        int done = 0;
        if (MPI_Test(req, &done, MPI_STATUS_IGNORE) != MPI_SUCCESS) return -1;
        if (done) return 0;
        nanosleep(&pause, NULL);
    }
}

int store_mpi_bcast(MPI_Comm comm, void *buf, int n)
{
    MPI_Request req;
    if (MPI_Ibcast(buf, n, MPI_BYTE, 0, comm, &req) != MPI_SUCCESS) return -1;
    return store_mpi_wait(&req);
}

int store_mpi_agree(MPI_Comm comm, int rc, iw_error *err)
{
    int rank, size;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_size(comm, &size);
    int mine = rc == 0 ? size : rank, first = size;
    MPI_Request req;
    if (MPI_Iallreduce(&mine, &first, 1, MPI_INT, MPI_MIN, comm, &req) != MPI_SUCCESS ||
        store_mpi_wait(&req) != 0)
        return iw_error_set(err, "store: MPI_Iallreduce failed");
    if (first == size) return 0;
    /* The lowest failing rank's message, on every rank. */
    char message[sizeof err->message];
    if (rank == first) snprintf(message, sizeof message, "%s", err ? err->message : "store error");
    if (MPI_Ibcast(message, (int)sizeof message, MPI_CHAR, first, comm, &req) != MPI_SUCCESS ||
        store_mpi_wait(&req) != 0)
        return iw_error_set(err, "store: MPI_Ibcast failed");
    message[sizeof message - 1] = '\0';
    if (err && rank != first) {
        if (first != 0)
            snprintf(err->message, sizeof err->message, "rank %d: %.2000s", first, message);
        else
            snprintf(err->message, sizeof err->message, "%s", message);
    }
    return -1;
}
