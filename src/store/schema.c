/* schema.c — the provenance table and the names the store's reader does not take for grid axes
 * (schema.h). */
#include "schema.h"

#include <string.h>

#include "iw/store.h"
#include "iw/store_read.h"

_Static_assert(STORE_TEXT_LEN == IW_STORE_HOST_LEN, "/runs/host holds IW_STORE_HOST_LEN bytes per run");
_Static_assert(IW_READ_HOST > IW_STORE_HOST_LEN, "the reader keeps a whole /runs/host entry and its NUL");

const store_prov_def store_prov_defs[STORE_PROV_COUNT] = {
    [STORE_PROV_WALL] = {"wall_seconds", STORE_F64, offsetof(iw_run_provenance, wall_seconds), 0,
                         "wall-clock seconds of the run's last attempt (NaN until written)"},
    [STORE_PROV_CPU] = {"cpu_seconds", STORE_F64, offsetof(iw_run_provenance, cpu_seconds), 0,
                        "CPU seconds used by the process during the run's last attempt (NaN until written)"},
    [STORE_PROV_WORKER_RANK] = {"worker_rank", STORE_I32, offsetof(iw_run_provenance, worker_rank), 0,
                                "MPI rank that ran the last attempt (0 until written: see status)"},
    [STORE_PROV_ATTEMPT] = {"attempt", STORE_I32, offsetof(iw_run_provenance, attempt), 0,
                            "attempt that wrote the row: 1 for the first, +1 for each rerun; 0 = never written"},
    [STORE_PROV_SLURM_JOB_ID] = {"slurm_job_id", STORE_I64, offsetof(iw_run_provenance, slurm_job_id), 0,
                                 "SLURM_JOB_ID of the job that ran the last attempt (0 outside Slurm)"},
    [STORE_PROV_SLURM_RESTART_COUNT] = {"slurm_restart_count", STORE_I32,
                                        offsetof(iw_run_provenance, slurm_restart_count), 0,
                                        "SLURM_RESTART_COUNT of that job (0 outside Slurm or on the job's first start)"},
    [STORE_PROV_HOST] = {"host", STORE_TEXT, offsetof(iw_run_provenance, host), 1,
                         "host name of the node that ran the last attempt (gethostname of its rank), empty until written; "
                         "a netCDF char array [run, host_strlen] of ASCII, NUL-padded: xarray reads strings, "
                         "h5py an S1 array (f['runs/host'][:].view('S64')[:, 0] gives one bytes string per run)"},
};

/* netCDF's NC_CHAR: a one-byte NUL-terminated ASCII string type (H5T_C_S1 is exactly that) */
static hid_t text_type(void)
{
    return H5Tcopy(H5T_C_S1);
}

hid_t store_file_type(store_field_type type)
{
    switch (type) {
    case STORE_F64: return H5Tcopy(H5T_IEEE_F64LE);
    case STORE_I32: return H5Tcopy(H5T_STD_I32LE);
    case STORE_I64: return H5Tcopy(H5T_STD_I64LE);
    case STORE_TEXT: return text_type();
    }
    return H5I_INVALID_HID;
}

hid_t store_memory_type(store_field_type type)
{
    switch (type) {
    case STORE_F64: return H5Tcopy(H5T_NATIVE_DOUBLE);
    case STORE_I32: return H5Tcopy(H5T_NATIVE_INT32);
    case STORE_I64: return H5Tcopy(H5T_NATIVE_INT64);
    case STORE_TEXT: return text_type();
    }
    return H5I_INVALID_HID;
}

int store_is_run_record(const char *name)
{
    static const char *const others[] = {"status", "run", "diverged_epoch", "hostname", "host", "started", "finished"};
    for (int p = 0; p < STORE_PROV_COUNT; p++) {
        const char *field = store_prov_defs[p].name;
        size_t n = strlen(field);
        if (strcmp(name, field) == 0) return 1;
        if (store_prov_defs[p].type == STORE_TEXT && strncmp(name, field, n) == 0 &&
            strcmp(name + n, STORE_TEXT_DIM_SUFFIX) == 0)
            return 1;
    }
    for (size_t i = 0; i < sizeof others / sizeof *others; i++)
        if (strcmp(name, others[i]) == 0) return 1;
    return 0;
}
