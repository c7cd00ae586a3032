/* node_data.h — one read-only copy of the sweep's data per node, shared through MPI-3 memory.
 *
 * Every rank of a sweep trains on the same data. Instead of each rank loading its own copy
 * (R copies on a node of R ranks), the ranks of one node share one:
 *
 *   comm ──MPI_Comm_split_type(SHARED)──► node comm (ranks of one node)
 *   node rank 0:  iw_data_load ──► MPI_Win_allocate_shared(packed size) ──► iw_data_pack, free local copy
 *   other ranks:  MPI_Win_allocate_shared(0) ──► MPI_Win_shared_query(rank 0) ──► iw_data_view
 *
 * The files are read once per node; each rank's iw_data is a view into the window (owns_block = 0)
 * and must be treated as read-only. Errors are agreed over the whole of comm: when a node's loader
 * fails (missing file, bad counts, ...), every rank of comm returns -2 with that loader's message
 * ("rank r: ..." when the loader is not rank 0 of comm; iw_mpi_agree), so no rank is left waiting.
 *
 * Room: the window lives in a file in Open MPI's shared-memory backing folder (osc_sm_backing_directory,
 * /dev/shm by default; read through MPI_T, so mpirun --mca and parameter files count). Node rank 0
 * checks that the folder has room before anyone enters MPI_Win_allocate_shared (a failure there
 * would leave the node's other ranks waiting inside it for ever). Without room — a container's
 * 64 MB /dev/shm, a full tmpfs — every rank of that node loads a private copy instead, and
 * iw_node_data_notice says so: the folder, its free space, the size asked for and the memory it
 * costs. Only a folder filled by another program between the check and the allocation can still
 * fail inside the allocation.
 * No wait spins (mpi_util.h): Open MPI's blocking calls would busy-poll a core each.
 * Test hook: IW_TEST_FAIL_STEP=node_data:<rank> (fault.h) fails that rank's part after the load.
 */
#ifndef IW_NODE_DATA_H
#define IW_NODE_DATA_H

#include <mpi.h>
#include "iw/common.h"
#include "iw/data.h"

typedef struct iw_node_data iw_node_data;

/* Collective over comm. On success *data is a view of the node's shared copy (or this rank's
 * private copy, see Room above) and *handle what holds it (release both with iw_node_data_free).
 * On failure returns the same on every rank of comm, with the same message, *data zeroed and
 * *handle NULL: -2 when the loader failed (the data files or the sweep's data section: bad input),
 * -1 for anything else (memory, MPI, an injected fault). */
int iw_node_data_load(MPI_Comm comm, const iw_data_spec *spec, iw_data *data, iw_node_data **handle,
                      iw_error *err);

/* Collective over the comm given to iw_node_data_load: frees the window and zeroes *data.
 * A NULL handle is a no-op. */
void iw_node_data_free(iw_node_data *handle, iw_data *data);

/* Number of ranks sharing this rank's copy (the node's ranks, or 1 for a private copy), and the
 * copy's size in bytes. */
int iw_node_data_ranks(const iw_node_data *handle);
size_t iw_node_data_bytes(const iw_node_data *handle);
/* The same on every rank: "" when every node shares one copy; else why a node keeps private
 * copies and what that costs (the lowest such rank's node), for the caller to print once. */
const char *iw_node_data_notice(const iw_node_data *handle);

#endif
