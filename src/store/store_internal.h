/* store_internal.h — what the files of the store writer share (store.c, store_create.c,
 * store_util.c): the store handle and the shape of a store. HDF5 helpers: h5_util.h; the schema
 * shared with the reader (provenance table): schema.h.
 * Not a public header: only src/store includes hdf5.h.
 */
#ifndef IW_STORE_INTERNAL_H
#define IW_STORE_INTERNAL_H

#include <mpi.h>
#include "h5_util.h"
#include "iw/store.h"
#include "schema.h"

#define IW_STORE_PATH_MAX 4096

/* Sizes fixed by the sweep file: R runs, E epochs (E + 1 points per trajectory, epoch 0 first),
 * S boundary epochs of G x G points (S = 0 without a boundary dataset), L logit epochs of N_test
 * test examples (L = 0 without /logits). */
typedef struct store_shape {
    int64_t runs;
    int epochs;
    int n_boundary;
    int grid;
    int n_logit;
    int64_t n_test;
} store_shape;

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
    hid_t train_class_count;        /* /runs/train_class_count */
    hid_t logits, test_labels;      /* /logits, /test_labels, or H5I_INVALID_HID */
};

/* store_logits.c: the per-run datasets beside the metrics that say what the run trained on and
 * what it predicted: /runs/train_class_count, /logits, /test_labels (written with the run, before
 * its status). Open sets the handles (every rank), write and read move one run's rows, close
 * releases the handles (safe on handles never opened). */
int store_extras_open(iw_store *s, iw_error *err);
int store_extras_write(iw_store *s, int64_t run, const iw_trajectory *traj, iw_error *err);
int store_extras_read(iw_store *s, int64_t run, iw_trajectory *traj, iw_error *err);
void store_extras_close(iw_store *s);
/* Rows [run, ...] of a dataset whose first dimension is the run: the inner dims (rank - 1 of
 * them) to or from buf, in memory type mtype. 0 or -1 (store.c). */
int store_access_rows(hid_t dset, hid_t mtype, int64_t run, int rank, const hsize_t *inner, void *buf, int write);

/* Shape the sweep file asks for. -1 (err) when it cannot be stored. */
int store_shape_from_spec(const iw_spec *spec, store_shape *shape, iw_error *err);

/* Serial creation of a complete store at `path` by one process (rank 0), closed and fsynced on
 * return. Returns 0, or -1 with err set (the caller removes the partial file). */
int store_create_file(const char *path, const iw_spec *spec, const iw_store_info *info,
                      const store_shape *shape, iw_error *err);

/* Rank 0, serial (store_check.c): what to do with `path` — STORE_ACTION_OPEN when it is a store
 * of this sweep (counts and notice in *check), STORE_ACTION_CREATE when there is none, -1 with the
 * refusal otherwise. A leftover PATH.creating is removed (dry: only said). */
enum { STORE_ACTION_OPEN = 1, STORE_ACTION_CREATE = 2 };
int store_probe(const char *path, const iw_spec *spec, const store_shape *shape, int dry, iw_store_state *check,
                iw_error *err);

/* File access list of the serial opens (rank 0's checks and creation): HDF5's own file locking
 * off, since the store's lock file already gives exclusive use and some parallel file systems
 * refuse flock. Caller closes it. */
hid_t store_serial_fapl(void);

#endif
