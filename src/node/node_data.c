/* node_data.c — one copy of the data per node in an MPI-3 shared window (see iw/node_data.h).
 *
 * Sequence, collective over comm (every rank makes the same calls in the same order, so a failure
 * on one rank is agreed before anyone enters the next collective call):
 *   1. node rank 0 loads; agreement over comm (a loader error stops every rank: -2);
 *   2. node rank 0 checks that the folder holding Open MPI's backing file has room for the window
 *      (shm_room below) and tells its node; agreement over comm. This check is what keeps a
 *      small /dev/shm from hanging the job: Open MPI's osc/sm creates the backing file on node
 *      rank 0 only and, when that fails ("not enough space"), returns an error there while the
 *      other ranks of the node wait inside MPI_Win_allocate_shared for a broadcast that never
 *      comes (ompi/mca/osc/sm/osc_sm_component.c, Open MPI 4.1);
 *   3a. room: the window is allocated, node rank 0 packs into it and frees its private copy; an
 *      agreement doubles as the barrier after which the others may read; every rank views it;
 *   3b. no room: every rank of that node keeps a private copy (the others load their own), and
 *      the notice says why and what it costs;
 *   4. the first notice of any node reaches every rank (iw_node_data_notice).
 * No wait spins (mpi_util.h): Open MPI's blocking calls busy-poll a core.
 */
#include "iw/node_data.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "iw/fault.h"
#include "iw/mpi_util.h"

struct iw_node_data {
    MPI_Comm node;
    MPI_Win win;           /* MPI_WIN_NULL when this rank holds a private copy */
    int ranks;             /* ranks sharing one copy: the node's, or 1 */
    size_t bytes;
    char notice[2048];
};

/* The values of Open MPI's MCA variables names[0..n) as text into values[i] (strings as they are,
 * integers in decimal), "" for a variable this MPI does not have. MPI_T control variables see every source of a value:
 * the environment, mpirun --mca, parameter files. One MPI_T session (each leaves a few bytes of
 * Open MPI's behind: tests/valgrind.supp). */
static void mca_strings(const char *const *names, char (*values)[4096], int n)
{
    for (int i = 0; i < n; i++) values[i][0] = '\0';
    int provided;
    if (MPI_T_init_thread(MPI_THREAD_SINGLE, &provided) != MPI_SUCCESS) return;
    for (int i = 0; i < n; i++) {
        int index, count;
        MPI_T_cvar_handle handle;
        if (MPI_T_cvar_get_index(names[i], &index) != MPI_SUCCESS ||
            MPI_T_cvar_handle_alloc(index, NULL, &handle, &count) != MPI_SUCCESS)
            continue;
        char name[256], description[16], value[4096] = "";
        int name_len = (int)sizeof name, description_len = (int)sizeof description, verbosity, bind, scope;
        MPI_Datatype type = MPI_DATATYPE_NULL;
        MPI_T_enum enumtype;
        MPI_T_cvar_get_info(index, name, &name_len, &verbosity, &type, &enumtype, description, &description_len,
                            &bind, &scope);
        if (type == MPI_CHAR && count > 0 && count <= (int)sizeof value && MPI_T_cvar_read(handle, value) == MPI_SUCCESS) {
            value[sizeof value - 1] = '\0';
            memcpy(values[i], value, sizeof value);
        } else if (type == MPI_INT && count == 1) {
            int v = 0;
            if (MPI_T_cvar_read(handle, &v) == MPI_SUCCESS) snprintf(values[i], sizeof values[i], "%d", v);
        }
        MPI_T_cvar_handle_free(&handle);
    }
    MPI_T_finalize();
}

/* The folder where MPI_Win_allocate_shared puts its backing file, and the variable naming it: Open
 * MPI's osc_sm_backing_directory (default /dev/shm on Linux), unless its shmem/mmap component
 * relocates backing files (shmem_mmap_relocate_backing_file) to shmem_mmap_backing_file_base_dir. */
static void shm_folder(char *dir, size_t size, const char **variable)
{
    static const char *const names[3] = {"shmem_mmap_relocate_backing_file", "shmem_mmap_backing_file_base_dir",
                                         "osc_sm_backing_directory"};
    char values[3][4096];
    mca_strings(names, values, 3);
    struct stat st;
    if (values[0][0] && atoi(values[0]) != 0 && values[1][0] && stat(values[1], &st) == 0) {
        snprintf(dir, size, "%s", values[1]);
        *variable = "OMPI_MCA_shmem_mmap_backing_file_base_dir";
        return;
    }
    snprintf(dir, size, "%s", values[2][0] ? values[2] : "/dev/shm");
    *variable = "OMPI_MCA_osc_sm_backing_directory";
}

static void format_bytes(double b, char *out, size_t size)
{
    if (b >= 1073741824.0) snprintf(out, size, "%.1f GiB", b / 1073741824.0);
    else if (b >= 1048576.0) snprintf(out, size, "%.1f MiB", b / 1048576.0);
    else snprintf(out, size, "%.1f KiB", b / 1024.0);
}

/* Node rank 0: 1 when the backing folder has room for a window of `bytes`; else 0 with the notice
 * (when the node has more than one rank: one rank keeps one copy either way). Open MPI refuses
 * when the free space is below 1.05 x the file; the file adds a page, a header and a few bytes of
 * state per rank to the data, here counted as 64 KiB. */
static int shm_room(size_t bytes, int ranks, char *notice, size_t size)
{
    char dir[4096], host[256], need_text[32], data_text[32], have_text[32], all_text[32];
    const char *variable;
    shm_folder(dir, sizeof dir, &variable);
    double need = ((double)bytes + 65536.0) * 1.05;
    struct statvfs fs;
    int usable = statvfs(dir, &fs) == 0, why_not = errno;
    double have = usable ? (double)fs.f_bavail * (double)fs.f_frsize : 0;
    if (usable && have >= need) return 1;
    if (ranks < 2) return 0;
    if (gethostname(host, sizeof host) != 0) snprintf(host, sizeof host, "this node");
    host[sizeof host - 1] = '\0';
    format_bytes(need, need_text, sizeof need_text);
    format_bytes((double)bytes, data_text, sizeof data_text);
    format_bytes(have, have_text, sizeof have_text);
    format_bytes((double)bytes * ranks, all_text, sizeof all_text);
    char why[160];
    if (usable) snprintf(why, sizeof why, "has %s free", have_text);
    else snprintf(why, sizeof why, "cannot be used (%s)", strerror(why_not));
    snprintf(notice, size,
             "shared memory on %.64s: the folder %.500s (Open MPI's shared-memory backing folder) %s, but one shared copy "
             "of the data asks for %s (%s of data and Open MPI's margin): each of the %d ranks on %.64s keeps a private "
             "copy instead, %d x %s = %s of memory instead of %s, and the data are loaded %d times. To share one "
             "copy, give that folder more room (docker run --shm-size, a larger tmpfs) or point Open MPI at a local "
             "folder with room: export %s=DIR",
             host, dir, why, need_text, data_text, ranks, host, ranks, data_text, all_text, data_text, ranks, variable);
    return 0;
}

static void release(iw_node_data *h)
{
    if (h->win != MPI_WIN_NULL) {
        iw_mpi_barrier(h->node, NULL); /* nobody reads the window any more; MPI_Win_free then syncs at once */
        MPI_Win_free(&h->win);
    }
    if (h->node != MPI_COMM_NULL) MPI_Comm_free(&h->node);
}

int iw_node_data_load(MPI_Comm comm, const iw_data_spec *spec, iw_data *data, iw_node_data **handle,
                      iw_error *err)
{
    iw_node_data h = {.node = MPI_COMM_NULL, .win = MPI_WIN_NULL};
    iw_data local;
    memset(&local, 0, sizeof local);
    memset(data, 0, sizeof *data);
    *handle = NULL;
    int failed = 0, rank, node_rank;
    MPI_Comm_rank(comm, &rank);
    MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &h.node);
    MPI_Comm_rank(h.node, &node_rank);
    MPI_Comm_size(h.node, &h.ranks);

    /* 1. load on node rank 0 */
    if (node_rank == 0) failed = iw_data_load(spec, &local, err) != 0;
    if (iw_mpi_agree(comm, failed ? -1 : 0, err)) {
        release(&h);
        return -2;
    }

    /* 2. room for the window? decided by node rank 0 for its node, agreed before anyone allocates */
    MPI_Aint size = node_rank == 0 ? (MPI_Aint)iw_data_packed_size(&local) : 0;
    int shared = node_rank == 0 ? shm_room((size_t)size, h.ranks, h.notice, sizeof h.notice) : 0;
    if (iw_mpi_bcast(h.node, &shared, (int)sizeof shared, 0, err) != 0) failed = 1;
    if (!failed) failed = iw_fault_at("node_data", rank, err);
    if (iw_mpi_agree(comm, failed ? -1 : 0, err)) goto fail;

    void *base = NULL;
    if (shared) {
        /* 3a. shared window, filled by node rank 0 */
        MPI_Comm_set_errhandler(h.node, MPI_ERRORS_RETURN);
        int rc = MPI_Win_allocate_shared(size, 1, MPI_INFO_NULL, h.node, &base, &h.win);
        if (rc != MPI_SUCCESS) {
            char text[MPI_MAX_ERROR_STRING];
            int len = 0;
            MPI_Error_string(rc, text, &len);
            iw_error_set(err, "node data: cannot allocate %.1f MiB of shared memory (%s)", (double)size / 1048576.0, text);
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
        /* everyone views rank 0's segment */
        MPI_Aint shared_size = 0;
        int disp_unit;
        void *segment = NULL;
        MPI_Win_shared_query(h.win, 0, &shared_size, &disp_unit, &segment);
        h.bytes = (size_t)shared_size;
        failed = iw_data_view(segment, (size_t)shared_size, data, err) != 0;
    } else {
        /* 3b. a private copy on every rank of this node */
        if (node_rank != 0) failed = iw_data_load(spec, &local, err) != 0;
        *data = local;
        memset(&local, 0, sizeof local);
        h.bytes = iw_data_packed_size(data);
        h.ranks = 1;
    }
    iw_node_data *out = failed ? NULL : malloc(sizeof *out);
    if (!failed && !out) failed = iw_error_set(err, "node data: out of memory") != 0;
    if (iw_mpi_agree(comm, failed ? -1 : 0, err)) {
        free(out);
        goto fail;
    }

    /* 4. the first node's notice, on every rank (an agreement carries the lowest rank's message) */
    iw_error note;
    snprintf(note.message, sizeof note.message, "%s", h.notice);
    if (iw_mpi_agree(comm, h.notice[0] ? -1 : 0, &note) != 0) snprintf(h.notice, sizeof h.notice, "%s", note.message);
    *out = h;
    *handle = out;
    return 0;

fail:
    iw_data_free(data); /* a private copy; a view owns nothing */
    iw_data_free(&local);
    memset(data, 0, sizeof *data);
    release(&h);
    return -1;
}

void iw_node_data_free(iw_node_data *handle, iw_data *data)
{
    if (!handle) {
        if (data) memset(data, 0, sizeof *data);
        return;
    }
    if (data) {
        iw_data_free(data); /* a private copy's block; nothing for a view */
        memset(data, 0, sizeof *data);
    }
    release(handle);
    free(handle);
}

int iw_node_data_ranks(const iw_node_data *handle) { return handle ? handle->ranks : 0; }

size_t iw_node_data_bytes(const iw_node_data *handle) { return handle ? handle->bytes : 0; }

const char *iw_node_data_notice(const iw_node_data *handle) { return handle ? handle->notice : ""; }
