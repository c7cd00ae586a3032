/* store.c — the store writer's life cycle: open (check an existing store, or create one safely),
 * independent per-run writes (metrics, boundary, provenance, status last), status reads, close.
 *
 * Opening, on rank 0 first, then on every rank:
 *   STORE exists          -> checked serially (store_check.c: HDF5 file? schema iwsweep/1? its
 *                            /spec the same parsed sweep? R, E, boundary shape?); anything else is
 *                            refused, never overwritten.
 *   STORE absent          -> a leftover STORE.creating (a sweep killed while creating; it holds no
 *                            results) is removed and said so; the store is made complete as
 *                            STORE.creating, closed, fsynced, then renamed to STORE. A file named
 *                            STORE is therefore always a complete store.
 *   then every rank checks that it sees STORE (a store on a node-local folder is not seen by the
 *   other nodes), agreed before anyone enters the collective open with the MPI-IO driver; from
 *   here on ranks write raw data only, independently, into datasets allocated at creation.
 * Test hooks (fault.h): IW_TEST_FAIL_STEP=open_store:R fails rank R's check before the collective
 * open; close_store:R fails rank R after the collective close; write_run:R fails rank R's next
 * write of a run after its metrics, before its status (the run keeps its old status).
 */
#include "store_internal.h"

#include "iw/fault.h"
#include "iw/mpi_util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Rank 0: makes PATH.creating, then renames it to PATH (and fsyncs the folder). */
static int create_and_rename(const char *path, const iw_spec *spec, const iw_store_info *info,
                             const store_shape *shape, iw_error *err)
{
    char creating[IW_STORE_PATH_MAX + 16];
    snprintf(creating, sizeof creating, "%s.creating", path);
    if (store_create_file(creating, spec, info, shape, err) < 0) {
        unlink(creating);
        return -1;
    }
    if (rename(creating, path) != 0) {
        int e = errno;
        unlink(creating);
        return iw_error_set(err, "cannot rename %s to %s: %s", creating, path, strerror(e));
    }
    char dir[IW_STORE_PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    int fd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        fsync(fd); /* the rename itself survives a crash of the machine; best effort */
        close(fd);
    }
    return 0;
}

static void store_free(iw_store *s)
{
    if (!s) return;
    if (s->status >= 0) H5Dclose(s->status);
    for (int p = 0; p < STORE_PROV_COUNT; p++)
        if (s->prov[p] >= 0) H5Dclose(s->prov[p]);
    for (int m = 0; m < IW_METRIC_COUNT; m++)
        if (s->metrics[m] >= 0) H5Dclose(s->metrics[m]);
    if (s->boundary >= 0) H5Dclose(s->boundary);
    store_extras_close(s);
    if (s->file >= 0) H5Fclose(s->file);
    free(s);
}

/* Every rank but 0 (which made or checked it): the store file is there and has rank 0's size. A
 * rank that cannot see it would fail inside the collective open while the others wait there, so
 * this is agreed first. */
static int sees_store(const char *path, int rank, long long size_at_rank0, iw_error *err)
{
    struct stat st;
    char host[256];
    if (rank == 0) return 0;
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "?");
    host[sizeof host - 1] = '\0';
    if (stat(path, &st) != 0)
        return iw_error_set(err, "cannot see the store %s on host %s (%s): it must be on a file system every rank "
                            "sees, not a node-local folder", path, host, strerror(errno));
    if ((long long)st.st_size != size_at_rank0)
        return iw_error_set(err, "sees another file at %s on host %s (%lld bytes, rank 0 sees %lld): the store must "
                            "be on a file system every rank sees, not a node-local folder", path, host,
                            (long long)st.st_size, size_at_rank0);
    return 0;
}

/* Every rank: opens the finished store with the MPI-IO driver. */
static int open_parallel(iw_store *s, iw_error *err)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    H5Pset_fapl_mpio(fapl, s->comm, MPI_INFO_NULL);
    h5_quiet q; /* fails when the store is not on a file system every rank sees: err says so */
    h5_quiet_begin(&q);
    s->file = H5Fopen(s->path, H5F_ACC_RDWR, fapl);
    h5_quiet_end(&q);
    H5Pclose(fapl);
    if (s->file < 0)
        return h5_fail(err, "cannot open the store %s for writing (it must be on a file system every rank sees)", s->path);
    s->status = H5Dopen2(s->file, "/runs/status", H5P_DEFAULT);
    if (s->status < 0) return h5_fail(err, "%s: cannot open /runs/status", s->path);
    for (int p = 0; p < STORE_PROV_COUNT; p++) {
        char name[128];
        snprintf(name, sizeof name, "/runs/%s", store_prov_defs[p].name);
        if (store_prov_defs[p].optional && !h5_link_exists(s->file, name)) continue; /* made before it: not recorded */
        if ((s->prov[p] = H5Dopen2(s->file, name, H5P_DEFAULT)) < 0)
            return h5_fail(err, "%s: cannot open %s", s->path, name);
    }
    for (int m = 0; m < IW_METRIC_COUNT; m++) {
        char name[128];
        snprintf(name, sizeof name, "/metrics/%s", iw_metric_names[m]);
        if ((s->metrics[m] = H5Dopen2(s->file, name, H5P_DEFAULT)) < 0)
            return h5_fail(err, "%s: cannot open %s", s->path, name);
    }
    if (s->shape.n_boundary > 0 && (s->boundary = H5Dopen2(s->file, "/boundary", H5P_DEFAULT)) < 0)
        return h5_fail(err, "%s: cannot open /boundary", s->path);
    return store_extras_open(s, err);
}

int iw_store_open(MPI_Comm comm, const char *path, const iw_spec *spec, const iw_store_info *info,
                  iw_store **store, int *created, iw_error *err)
{
    *store = NULL;
    if (created) *created = 0;
    int rank;
    MPI_Comm_rank(comm, &rank);
    iw_store *s = calloc(1, sizeof *s);
    int rc = 0;
    if (!s) rc = iw_error_set(err, "out of memory opening %s", path);
    else if (strlen(path) >= IW_STORE_PATH_MAX - 16) rc = iw_error_set(err, "store path too long: %.200s...", path);
    else rc = store_shape_from_spec(spec, &s->shape, err);
    if (s) {
        s->comm = comm;
        s->file = s->status = s->boundary = H5I_INVALID_HID;
        s->train_class_count = s->logits = s->test_labels = H5I_INVALID_HID;
        for (int p = 0; p < STORE_PROV_COUNT; p++) s->prov[p] = H5I_INVALID_HID;
        for (int m = 0; m < IW_METRIC_COUNT; m++) s->metrics[m] = H5I_INVALID_HID;
        snprintf(s->path, sizeof s->path, "%s", path);
    }
    /* Every rank must have read the same sweep file. */
    char sha[65];
    memcpy(sha, spec->sha256, sizeof sha);
    sha[64] = '\0';
    if (iw_mpi_bcast(comm, sha, (int)sizeof sha, 0, err) != 0) rc = -1;
    else if (rc == 0 && strcmp(sha, spec->sha256) != 0)
        rc = iw_error_set(err, "rank %d read a different sweep file than rank 0 (sha %.12s vs %.12s)", rank,
                          spec->sha256, sha);
    if (iw_mpi_agree(comm, rc, err) < 0) goto fail;

    /* Rank 0 decides (and creates); the others wait without spinning. */
    struct { int action; char notice[1024]; } decision = {0, ""};
    if (rank == 0 && rc == 0) {
        iw_store_state check;
        decision.action = store_probe(path, spec, &s->shape, 0, &check, err);
        memcpy(decision.notice, check.notice, sizeof decision.notice);
        rc = decision.action < 0 ? -1 : 0;
        if (decision.action == STORE_ACTION_CREATE) rc = create_and_rename(path, spec, info, &s->shape, err);
    }
    if (iw_mpi_agree(comm, rc, err) < 0) goto fail;
    if (iw_mpi_bcast(comm, &decision, (int)sizeof decision, 0, err) != 0) goto fail;
    decision.notice[sizeof decision.notice - 1] = '\0';
    memcpy(s->notice, decision.notice, sizeof s->notice);
    if (created) *created = decision.action == STORE_ACTION_CREATE;

    /* Every rank's own part, agreed before the collective open (MPI_File_open inside H5Fopen). */
    struct stat st;
    long long size_at_rank0 = rank == 0 && stat(path, &st) == 0 ? (long long)st.st_size : -1;
    if (iw_mpi_bcast(comm, &size_at_rank0, (int)sizeof size_at_rank0, 0, err) != 0) goto fail;
    rc = sees_store(path, rank, size_at_rank0, err);
    if (rc == 0 && iw_fault_at("open_store", rank, err)) rc = -1;
    if (iw_mpi_agree(comm, rc, err) < 0) goto fail;

    rc = open_parallel(s, err);
    if (iw_mpi_agree(comm, rc, err) < 0) goto fail;
    *store = s;
    return 0;
fail:
    store_free(s);
    return -1;
}

const char *iw_store_notice(const iw_store *store) { return store ? store->notice : ""; }

/* Element [run] of a 1-D /runs dataset, or row [run, 0..n) of a 2-D one (n = 0: 1-D). */
static int write_element(hid_t dset, hid_t mtype, int64_t run, hsize_t n, const void *value)
{
    hsize_t start[2] = {(hsize_t)run, 0}, count[2] = {1, n};
    int rank = n ? 2 : 1;
    hid_t fspace = H5Dget_space(dset);
    hid_t mspace = H5Screate_simple(rank, count, NULL);
    int rc = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL) < 0 ||
             H5Dwrite(dset, mtype, mspace, fspace, H5P_DEFAULT, value) < 0 ? -1 : 0;
    H5Sclose(mspace);
    H5Sclose(fspace);
    return rc;
}

int store_access_rows(hid_t dset, hid_t mtype, int64_t run, int rank, const hsize_t *inner, void *buf, int write)
{
    hsize_t start[4] = {(hsize_t)run, 0, 0, 0}, count[4] = {1, 1, 1, 1};
    for (int d = 1; d < rank; d++) count[d] = inner[d - 1];
    hid_t fspace = H5Dget_space(dset);
    hid_t mspace = H5Screate_simple(rank, count, NULL);
    int rc = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, start, NULL, count, NULL);
    if (rc >= 0)
        rc = write ? H5Dwrite(dset, mtype, mspace, fspace, H5P_DEFAULT, buf)
                   : H5Dread(dset, mtype, mspace, fspace, H5P_DEFAULT, buf);
    H5Sclose(mspace);
    H5Sclose(fspace);
    return rc < 0 ? -1 : 0;
}

static int write_provenance(iw_store *s, int64_t run, const iw_run_provenance *prov)
{
    for (int p = 0; p < STORE_PROV_COUNT; p++) {
        const store_prov_def *def = &store_prov_defs[p];
        if (s->prov[p] < 0) continue; /* an optional field the store was made without */
        const void *value = (const char *)prov + def->offset;
        char text[STORE_TEXT_LEN] = {0}; /* STORE_TEXT: a row of the char array, NUL-padded */
        if (def->type == STORE_TEXT) {
            const char *str = *(const char *const *)value;
            for (size_t i = 0; str && str[i] && i < sizeof text; i++)
                text[i] = str[i] >= 0x20 && str[i] < 0x7f ? str[i] : '?'; /* ASCII, as _Encoding says */
            value = text;
        }
        hid_t mtype = store_memory_type(def->type);
        hsize_t row = def->type == STORE_TEXT ? STORE_TEXT_LEN : 0;
        int rc = mtype < 0 ? -1 : write_element(s->prov[p], mtype, run, row, value);
        if (mtype >= 0) H5Tclose(mtype);
        if (rc < 0) return h5_fail(NULL, "provenance");
    }
    return 0;
}

static int check_run(const iw_store *s, int64_t run, iw_error *err)
{
    if (run < 0 || run >= s->shape.runs)
        return iw_error_set(err, "%s: run %lld is outside 0..%lld", s->path, (long long)run,
                            (long long)s->shape.runs - 1);
    return 0;
}

int iw_store_write_run(iw_store *s, int64_t run, const iw_trajectory *traj,
                       const iw_run_provenance *prov, iw_error *err)
{
    if (check_run(s, run, err) < 0) return -1;
    if (traj->epochs != s->shape.epochs)
        return iw_error_set(err, "%s: run %lld has %d epochs, the store %d", s->path, (long long)run,
                            traj->epochs, s->shape.epochs);
    if (s->shape.n_boundary > 0 && traj->boundary &&
        (traj->n_boundary != s->shape.n_boundary || traj->grid != s->shape.grid))
        return iw_error_set(err, "%s: run %lld has a %d x %d x %d boundary, the store %d x %d x %d", s->path,
                            (long long)run, traj->n_boundary, traj->grid, traj->grid, s->shape.n_boundary,
                            s->shape.grid, s->shape.grid);
    if (traj->status < 0 || traj->status >= IW_STATUS_COUNT)
        return iw_error_set(err, "%s: run %lld: status %d is not one of 0..%d", s->path, (long long)run, traj->status,
                            IW_STATUS_COUNT - 1);
    hsize_t row = (hsize_t)s->shape.epochs + 1;
    for (int m = 0; m < IW_METRIC_COUNT; m++)
        if (store_access_rows(s->metrics[m], H5T_NATIVE_FLOAT, run, 2, &row, traj->metrics + (size_t)m * row, 1) < 0)
            return h5_fail(err, "%s: cannot write /metrics/%s of run %lld", s->path, iw_metric_names[m],
                                 (long long)run);
    if (s->shape.n_boundary > 0 && traj->boundary) {
        hsize_t inner[3] = {(hsize_t)s->shape.n_boundary, (hsize_t)s->shape.grid, (hsize_t)s->shape.grid};
        if (store_access_rows(s->boundary, H5T_NATIVE_FLOAT, run, 4, inner, traj->boundary, 1) < 0)
            return h5_fail(err, "%s: cannot write /boundary of run %lld", s->path, (long long)run);
    }
    int rank;
    MPI_Comm_rank(s->comm, &rank);
    if (iw_fault_at("write_run", rank, err)) return -1; /* metrics written, status not: it keeps its old one */
    if (store_extras_write(s, run, traj, err) < 0) return -1;
    return iw_store_write_status(s, run, traj->status, prov, err);
}

int iw_store_write_status(iw_store *s, int64_t run, int status, const iw_run_provenance *prov, iw_error *err)
{
    if (check_run(s, run, err) < 0) return -1;
    if (status < 0 || status >= IW_STATUS_COUNT)
        return iw_error_set(err, "%s: run %lld: status %d is not one of 0..%d", s->path, (long long)run, status,
                            IW_STATUS_COUNT - 1);
    if (prov && write_provenance(s, run, prov) < 0)
        return iw_error_set(err, "%s: cannot write the provenance of run %lld", s->path, (long long)run);
    int8_t value = (int8_t)status;
    if (write_element(s->status, H5T_NATIVE_INT8, run, 0, &value) < 0)
        return h5_fail(err, "%s: cannot write the status of run %lld", s->path, (long long)run);
    return 0;
}

int iw_store_read_status(iw_store *s, int8_t *status, int32_t *attempt, iw_error *err)
{
    if (status && H5Dread(s->status, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, status) < 0)
        return h5_fail(err, "%s: cannot read /runs/status", s->path);
    if (attempt && H5Dread(s->prov[STORE_PROV_ATTEMPT], H5T_NATIVE_INT32, H5S_ALL, H5S_ALL, H5P_DEFAULT, attempt) < 0)
        return h5_fail(err, "%s: cannot read /runs/attempt", s->path);
    return 0;
}

int iw_store_read_run(iw_store *s, int64_t run, iw_trajectory *traj, iw_error *err)
{
    if (check_run(s, run, err) < 0) return -1;
    if (traj->epochs != s->shape.epochs)
        return iw_error_set(err, "%s: trajectory has %d epochs, the store %d", s->path, traj->epochs, s->shape.epochs);
    hsize_t row = (hsize_t)s->shape.epochs + 1;
    for (int m = 0; m < IW_METRIC_COUNT; m++)
        if (store_access_rows(s->metrics[m], H5T_NATIVE_FLOAT, run, 2, &row, traj->metrics + (size_t)m * row, 0) < 0)
            return h5_fail(err, "%s: cannot read /metrics/%s of run %lld", s->path, iw_metric_names[m],
                                 (long long)run);
    if (s->shape.n_boundary > 0 && traj->boundary && traj->n_boundary == s->shape.n_boundary &&
        traj->grid == s->shape.grid) {
        hsize_t inner[3] = {(hsize_t)s->shape.n_boundary, (hsize_t)s->shape.grid, (hsize_t)s->shape.grid};
        if (store_access_rows(s->boundary, H5T_NATIVE_FLOAT, run, 4, inner, traj->boundary, 0) < 0)
            return h5_fail(err, "%s: cannot read /boundary of run %lld", s->path, (long long)run);
    }
    if (store_extras_read(s, run, traj, err) < 0) return -1;
    int8_t status;
    hsize_t start = (hsize_t)run, count = 1;
    hid_t fspace = H5Dget_space(s->status);
    hid_t mspace = H5Screate_simple(1, &count, NULL);
    int rc = H5Sselect_hyperslab(fspace, H5S_SELECT_SET, &start, NULL, &count, NULL) < 0 ||
             H5Dread(s->status, H5T_NATIVE_INT8, mspace, fspace, H5P_DEFAULT, &status) < 0 ? -1 : 0;
    H5Sclose(mspace);
    H5Sclose(fspace);
    if (rc < 0) return h5_fail(err, "%s: cannot read the status of run %lld", s->path, (long long)run);
    traj->status = status;
    return 0;
}

int iw_store_close(iw_store *s, iw_error *err)
{
    if (!s) return 0;
    MPI_Comm comm = s->comm;
    hid_t file = s->file;
    s->file = H5I_INVALID_HID;
    char path[IW_STORE_PATH_MAX];
    memcpy(path, s->path, sizeof path);
    store_free(s); /* closes the datasets */
    int rc = file >= 0 && H5Fclose(file) < 0 ? h5_fail(err, "cannot close the store %s", path) : 0;
    int rank;
    MPI_Comm_rank(comm, &rank);
    if (rc == 0 && iw_fault_at("close_store", rank, err)) rc = -1; /* after the collective close */
    return iw_mpi_agree(comm, rc, err);
}
