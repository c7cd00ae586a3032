/* store.h — the HDF5 store (schema iwsweep/1, see docs/DESIGN.md): the only module that includes
 * hdf5.h. Writing is parallel (MPI-IO); reading (iwreport, tests) is serial.
 *
 * Life of a sweep's store:
 *   iw_store_open (collective)  create: every group/dataset/attribute, then one collective flush;
 *                               or open an existing one: check schema and that its /spec is the
 *                               same parsed sweep as the sweep file (iw_spec_compare: formatting
 *                               does not matter; a store of another sweep is refused with the keys
 *                               that differ) and that it has every dataset this version writes (a
 *                               store of an older iwsweep is refused naming what it lacks), remove
 *                               a leftover of a kill during creation.
 *   iw_store_write_run (any rank, independent, raw data only): metrics rows, boundary, class
 *                               counts, logits and test labels, provenance, then status — so a
 *                               run marked done is always complete.
 *   iw_store_close (collective)
 * One sweep at a time per store: rank 0 holds the lock of store_lock.h for the whole sweep.
 *
 * Creation is crash-safe: rank 0 writes the complete store (every object, the axis values, the
 * dimension scales, fill values) as "<store>.creating" with HDF5's serial driver, closes and fsyncs
 * it, and renames it to <store>; only then do the ranks open it in parallel. (Parallel HDF5 cannot
 * write variable-length strings, and fills contiguous datasets from one rank anyway.) A file named
 * <store> is thus always complete; a leftover "<store>.creating" held no results and is removed on
 * the next open (iw_store_notice says so). A <store> that is not an iwsweep/1 store of this sweep
 * file is refused, never overwritten.
 *
 * Types chosen within the schema (so that h5py, xarray's netcdf4 and h5netcdf engines read
 * the file with named dimensions and no extra code):
 *   /run int64[R] 0..R-1 and /epoch int32[E+1] are dimension scales; every /runs/<x> dataset has
 *     the scale run, every /metrics/<m> the scales (run, epoch), /boundary (run, boundary_epoch,
 *     y, x). So xr.open_dataset(store, group="metrics") and group="runs" index by run.
 *   /runs/<axis> typed by the axis table (axis.h): REAL float64, INT int64 (seed), FLAG int8 0/1
 *     (batchnorm), ENUM int8 index (sampling), FLAG and ENUM with CF attributes flag_values /
 *     flag_meanings; /runs/status int8 likewise (iw_status_defs); provenance as in
 *     src/store/schema.c.
 *   strings (root attributes, description, /spec) are variable-length UTF-8; /runs/host, written
 *     by every rank in parallel (which parallel HDF5 1.10 cannot do for variable-length strings),
 *     is a netCDF char array [R, 64] with the hidden dimension host_strlen: xarray
 *     decodes it into strings with both engines, h5py reads S1 [R, 64].
 *   fill values: NaN for metrics, boundary, logits, wall_seconds, cpu_seconds; 0 for integers
 *     (status 0 = pending, attempt 0 = never written, train_class_count); -1 for /test_labels.
 *   /x, /y: G points from min to max inclusive (linspace) of record.boundary_range.
 *   /evaluated int8[E+1] (scale epoch): 1 at the epochs iw_spec_epoch_evaluated names, 0 where
 *     the metrics stay NaN (record.eval_epochs); written at creation, never after.
 *   /class int8[2] {0, 1} (flag_meanings negative positive): the last dimension of
 *     /runs/train_class_count int64[R, 2] and /logits float32[R, L, N_test, 2]; with
 *     record.logit_epochs also /logit_epoch int32[L], /test_example int32[N_test] (scales) and
 *     /test_labels int8[N_test], which every run with logits writes (the same values: the test set
 *     does not depend on the run), so creation needs no data.
 */
#ifndef IW_STORE_H
#define IW_STORE_H

#include <mpi.h>
#include "iw/common.h"
#include "iw/run.h"
#include "iw/spec.h"
#include "iw/store_lock.h"

typedef struct iw_store iw_store;

typedef struct iw_store_info {     /* root attributes written at creation */
    const char *version;           /* IW_VERSION */
    const char *openblas_core;     /* openblas_get_corename() */
    const char *mpi_library;       /* MPI_Get_library_version, first line */
} iw_store_info;

/* How one run went, written beside its status (/runs/<member>; the table of these datasets, with
 * their types and descriptions, is src/store/schema.c). */
typedef struct iw_run_provenance {
    double wall_seconds, cpu_seconds;  /* of the last attempt */
    int32_t worker_rank;
    int32_t attempt;               /* 1 for the first attempt, +1 for each rerun */
    int64_t slurm_job_id;          /* 0 outside Slurm */
    int32_t slurm_restart_count;   /* SLURM_RESTART_COUNT, 0 outside Slurm or first start */
    const char *host;              /* host name of the rank's node (gethostname); stored in
                                      /runs/host, cut to IW_STORE_HOST_LEN bytes; NULL = "" */
} iw_run_provenance;

/* Rank 0, before the lock: can a store be made at `path`? Not a folder; its folder exists (made,
 * with its parents, when `create`; else the nearest existing ancestor is checked, as a dry run
 * makes no folder) and a file can be created in it (tried for real); an existing file is readable
 * and writable. 0, or -1 with "cannot write the store PATH: <why>; ...". */
int iw_store_check_path(const char *path, int create, iw_error *err);

/* What is at a store's path, as iw_store_check finds it. */
typedef struct iw_store_state {
    int exists;                       /* a store of this sweep is there (else none: one would be made) */
    int64_t runs;                     /* its runs, and how many have each status */
    int64_t count[IW_STATUS_COUNT];
    int same_text;                    /* its /spec is the sweep file byte for byte (else the same parsed
                                         sweep written differently: line endings, comments, order) */
    char notice[1024];                /* what a real run would do besides (remove a leftover
                                         PATH.creating), or "" */
} iw_store_state;

/* Rank 0, serial: the check iw_store_open makes before it opens or creates. 0 with *check filled
 * when a real run would open the store at `path` or create one; -1 with the same refusal as
 * iw_store_open otherwise: not an HDF5 file, not an iwsweep/1 store, made from another sweep
 * ("PATH was made from a different sweep: 2 keys differ (stored vs sweep.yaml):" then one
 * "  key: stored X, file Y" line per key and the advice: another -o path; "may also be removed"
 * only for a store without finished runs), made by an older iwsweep (the datasets it lacks), or of
 * another shape. dry = 1 (--dry-run) changes nothing; dry = 0 (a real run, holding the store's
 * lock) also removes a leftover PATH.creating of a kill during creation, and check->notice says so
 * at once, so that the caller can announce the removal the moment it happens (a kill later in the
 * start-up cannot leave it unannounced). */
int iw_store_check(const char *path, const iw_spec *spec, int dry, iw_store_state *check, iw_error *err);
/* Bytes of each /runs/host entry (HOST_NAME_MAX on Linux, so a Linux host name is never cut):
 * ASCII, NUL-padded, in a netCDF char array [R, IW_STORE_HOST_LEN] (layout: src/store/schema.h).
 * A store made before /runs/host existed is still opened and resumed; it records no hosts. */
#define IW_STORE_HOST_LEN 64

/* Collective over comm. *created is set to 1 when a new store was made. */
int iw_store_open(MPI_Comm comm, const char *path, const iw_spec *spec, const iw_store_info *info,
                  iw_store **store, int *created, iw_error *err);
/* Reads /runs/status and /runs/attempt (arrays of R), any rank, independent. */
int iw_store_read_status(iw_store *store, int8_t *status, int32_t *attempt, iw_error *err);
/* Independent write of one run. traj->status is the status written last. */
int iw_store_write_run(iw_store *store, int64_t run, const iw_trajectory *traj,
                       const iw_run_provenance *prov, iw_error *err);
/* Independent write of a status alone (e.g. IW_STATUS_FAILED) plus provenance. */
int iw_store_write_status(iw_store *store, int64_t run, int status, const iw_run_provenance *prov,
                          iw_error *err);
/* Collective close (flushes). */
int iw_store_close(iw_store *store, iw_error *err);

/* What opening did that the user should hear about (e.g. a leftover "<store>.creating" removed),
 * or "" — the same on every rank; the tool prints it on rank 0. */
const char *iw_store_notice(const iw_store *store);
/* Reads back one run (independent): metrics, the boundary when traj->boundary is non-NULL and
 * shaped like the store's, and traj->status. For tests and checks. */
int iw_store_read_run(iw_store *store, int64_t run, iw_trajectory *traj, iw_error *err);


#endif
