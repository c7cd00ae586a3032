/* node_data.c — one copy of the data per node in an MPI-3 shared window (see iw/node_data.h).
 *
 * Sequence, collective over comm:
 *   1. node rank 0 loads; every rank learns, over all of comm, whether some node failed, and if so
 *      the lowest failing rank's message (iw_mpi_agree) — then all return -1 together;
 *   2. the window is allocated (node rank 0 gives the packed size, the others 0), rank 0 packs into
 *      it and frees its private copy; a second agreement doubles as the barrier after which the
 *      others may read; 3. every rank (rank 0 included) views the window.
 * No wait spins (mpi_util.h): Open MPI's blocking calls busy-poll a core.
 */
#include "iw/node_data.h"

#include <stdlib.h>
#include <string.h>

#include "iw/mpi_util.h"

struct iw_node_data {
    MPI_Comm node;
    MPI_Win win;
    int ranks;
    size_t bytes;
};

int iw_node_data_load(MPI_Comm comm, const iw_data_spec *spec, iw_data *data, iw_node_data **handle,
                      iw_error *err)
{
    iw_node_data h = {.node = MPI_COMM_NULL, .win = MPI_WIN_NULL};
    iw_data local;
    memset(&local, 0, sizeof local);
    memset(data, 0, sizeof *data);
    *handle = NULL;
    int failed = 0;
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &h.node);
    int node_rank;
    MPI_Comm_rank(h.node, &node_rank);
    MPI_Comm_size(h.node, &h.ranks);

    /* 1. load on node rank 0 */
    if (node_rank == 0) failed = iw_data_load(spec, &local, err) != 0;
    if (iw_mpi_agree(comm, failed ? -1 : 0, err)) goto fail;

    /* 2. shared window, filled by node rank 0 */
    MPI_Aint size = node_rank == 0 ? (MPI_Aint)iw_data_packed_size(&local) : 0;
    void *base = NULL;
    MPI_Comm_set_errhandler(h.node, MPI_ERRORS_RETURN);
    int rc = MPI_Win_allocate_shared(size, 1, MPI_INFO_NULL, h.node, &base, &h.win);
    if (rc != MPI_SUCCESS) {
        char text[MPI_MAX_ERROR_STRING];
        int len = 0;
        MPI_Error_string(rc, text, &len);
        iw_error_set(err, "node data: cannot allocate %.1f MiB of shared memory (%s); /dev/shm may be too small",
                     (double)size / 1048576.0, text);
        h.win = MPI_WIN_NULL;
        failed = 1;
    }
    if (!failed) {
        MPI_Win_lock_all(MPI_MODE_NOCHECK, h.win);
        if (node_rank == 0) failed = iw_data_pack(&local, base, (size_t)size, err) != 0;
        MPI_Win_sync(h.win);
    }
    iw_data_free(&local);
    if (iw_mpi_agree(comm, failed ? -1 : 0, err)) {
        if (h.win != MPI_WIN_NULL) MPI_Win_unlock_all(h.win);
        goto fail;
    }
    MPI_Win_sync(h.win);
    MPI_Win_unlock_all(h.win);

    /* 3. everyone views rank 0's segment */
    MPI_Aint shared_size = 0;
    int disp_unit;
    void *shared = NULL;
    MPI_Win_shared_query(h.win, 0, &shared_size, &disp_unit, &shared);
    h.bytes = (size_t)shared_size;
    iw_node_data *out = malloc(sizeof *out);
    if (!out) failed = iw_error_set(err, "node data: out of memory");
    else failed = iw_data_view(shared, (size_t)shared_size, data, err) != 0;
    if (iw_mpi_agree(comm, failed ? -1 : 0, err)) {
        free(out);
        goto fail;
    }
    *out = h;
    *handle = out;
    return 0;

fail:
    memset(data, 0, sizeof *data);
    if (h.win != MPI_WIN_NULL) {
        iw_mpi_barrier(h.node, NULL);
        MPI_Win_free(&h.win);
    }
    MPI_Comm_free(&h.node);
    return -1;
}

void iw_node_data_free(iw_node_data *handle, iw_data *data)
{
    if (data) memset(data, 0, sizeof *data);
    if (!handle) return;
    iw_mpi_barrier(handle->node, NULL); /* nobody reads the window any more; MPI_Win_free then syncs at once */
    MPI_Win_free(&handle->win);
    MPI_Comm_free(&handle->node);
    free(handle);
}

int iw_node_data_ranks(const iw_node_data *handle) { return handle ? handle->ranks : 0; }

size_t iw_node_data_bytes(const iw_node_data *handle) { return handle ? handle->bytes : 0; }
