/* store_internal.h — what the files of the store writer share (store.c, store_create.c,
 * store_util.c): the store handle, the shape of a store, and small HDF5 and MPI helpers.
 * Not a public header: only src/store includes hdf5.h.
 */
#ifndef IW_STORE_INTERNAL_H
#define IW_STORE_INTERNAL_H

#include <hdf5.h>
#include <mpi.h>
#include "iw/store.h"

#define IW_STORE_SCHEMA "iwsweep/1"
#define IW_STORE_PATH_MAX 4096

/* Sizes fixed by the sweep file: R runs, E epochs (E + 1 points per trajectory, epoch 0 first),
 * S boundary epochs of G x G points (S = 0 without a boundary dataset). */
typedef struct store_shape {
    int64_t runs;
    int epochs;
    int n_boundary;
    int grid;
} store_shape;

/* Provenance datasets under /runs, in this order (indices into iw_store.prov). */
enum store_prov {
    STORE_PROV_WALL = 0,
    STORE_PROV_CPU,
    STORE_PROV_WORKER_RANK,
    STORE_PROV_ATTEMPT,
    STORE_PROV_SLURM_JOB_ID,
    STORE_PROV_SLURM_RESTART_COUNT,
    STORE_PROV_HOST,                /* fixed-length string; absent from stores made before it */
    STORE_PROV_COUNT
};
extern const char *const store_prov_names[STORE_PROV_COUNT];

struct iw_store {
    MPI_Comm comm;
    char path[IW_STORE_PATH_MAX];
    char notice[1024];              /* what opening did besides the obvious, or "" */
    store_shape shape;
    hid_t file;
    hid_t status;                   /* /runs/status */
    hid_t prov[STORE_PROV_COUNT];   /* /runs/<provenance> */
    hid_t metrics[IW_METRIC_COUNT]; /* /metrics/<name> */
    hid_t boundary;                 /* /boundary, or H5I_INVALID_HID */
};

/* Shape the sweep file asks for. -1 (err) when it cannot be stored. */
int store_shape_from_spec(const iw_spec *spec, store_shape *shape, iw_error *err);

/* Serial creation of a complete store at `path` by one process (rank 0), closed and fsynced on
 * return. Returns 0, or -1 with err set (the caller removes the partial file). */
int store_create_file(const char *path, const iw_spec *spec, const iw_store_info *info,
                      const store_shape *shape, iw_error *err);

/* Checks with a serial, read-only open that `path` is an iwsweep/1 store of this sweep file and
 * shape. `shown` is the path named in messages. */
int store_validate_file(const char *path, const char *shown, const iw_spec *spec,
                        const store_shape *shape, iw_error *err);

/* File access list of the serial opens (rank 0's checks and creation): HDF5's own file locking
 * off, since the store's lock file already gives exclusive use and some parallel file systems
 * refuse flock. Caller closes it. */
hid_t store_serial_fapl(void);

/* Appends HDF5's innermost error description (if any) to err's message, clears the HDF5 error
 * stack, and returns -1. */
int store_h5_fail(iw_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Reads a scalar string attribute (fixed or variable length) into buf. 0, or -1 when it is
 * missing or not a string. */
int store_read_string_attr(hid_t obj, const char *name, char *buf, size_t size);
/* Writes a scalar variable-length UTF-8 string attribute. 0 or -1. */
int store_write_string_attr(hid_t obj, const char *name, const char *value);

/* The file type of /runs/host: IW_STORE_HOST_LEN-byte ASCII, NUL-padded. Caller closes it. */
hid_t store_host_type(void);

/* Dimensions of dataset `name` under loc into dims (at most max_rank); returns the rank or -1. */
int store_dataset_dims(hid_t loc, const char *name, hsize_t *dims, int max_rank);

/* Collective helpers that never spin (MPI test + 1 ms sleep between tests). */
int store_mpi_wait(MPI_Request *req);
/* Broadcast of n bytes from rank 0. */
int store_mpi_bcast(MPI_Comm comm, void *buf, int n);
/* Every rank passes its rc (0 / -1) and err; returns 0 when all succeeded, else -1 on every rank
 * with the message of the lowest failing rank in err. */
int store_mpi_agree(MPI_Comm comm, int rc, iw_error *err);

#endif
