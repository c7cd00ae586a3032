/* schema.h — what the store's writer and reader agree on besides the public headers: the schema
 * name, and the table of per-run provenance datasets (/runs/<name> beside the grid axes and the
 * status). The grid axes are the axis table (include/iw/axis.h), the statuses and metrics the
 * tables of include/iw/common.h. Private to src/store.
 *
 * Adding a provenance field is a member of iw_run_provenance (store.h), an entry of store_prov
 * and a row of store_prov_defs (schema.c): creation, the shape check of an existing store, the
 * parallel open and the per-run write all loop over the table. A field added after stores were
 * made is `optional`: a store without it is still checked, opened and resumed, and records nothing
 * there.
 */
#ifndef IW_STORE_SCHEMA_H
#define IW_STORE_SCHEMA_H

#include <hdf5.h>
#include <stddef.h>

#define IW_STORE_SCHEMA "iwsweep/1"

/* Provenance datasets under /runs, in this order (indices into iw_store.prov). */
enum store_prov {
    STORE_PROV_WALL = 0,
    STORE_PROV_CPU,
    STORE_PROV_WORKER_RANK,
    STORE_PROV_ATTEMPT,
    STORE_PROV_SLURM_JOB_ID,
    STORE_PROV_SLURM_RESTART_COUNT,
    STORE_PROV_HOST,
    STORE_PROV_COUNT
};

/* What a provenance dataset holds. Numbers: one element per run, /runs/<name> of shape [R], the
 * member of the same C type.
 * STORE_TEXT: the member is a `const char *` (NULL = ""), stored as netCDF stores fixed-length
 * text: a char array (NC_CHAR: an HDF5 string of size 1, NUL-terminated, ASCII) of shape
 * [R, STORE_TEXT_LEN], the text NUL-padded (cut to STORE_TEXT_LEN bytes; bytes outside printable
 * ASCII written as '?'), its second dimension the scale /runs/<name>_strlen, which is named as
 * netCDF names a dimension without a variable, and the attribute _Encoding = "ascii". xarray
 * decodes such an array into strings with both engines (netcdf4, h5netcdf); h5py reads an S1
 * array of [R, STORE_TEXT_LEN] (`.view("S64")[:, 0]` gives one bytes string per run). Why not an
 * HDF5 fixed-length string of 64 bytes: netCDF-C 4.9.0 (Debian 12, behind xarray's netcdf4
 * engine) aborts the process on one; why not a variable-length string: parallel HDF5 1.10 cannot
 * write one. */
typedef enum { STORE_F64, STORE_I32, STORE_I64, STORE_TEXT } store_field_type;

/* Bytes per run of a STORE_TEXT field: IW_STORE_HOST_LEN (store.h), HOST_NAME_MAX on Linux. */
#define STORE_TEXT_LEN 64
/* Suffix of the dimension scale of a STORE_TEXT field's length: /runs/host_strlen. */
#define STORE_TEXT_DIM_SUFFIX "_strlen"
/* The NAME attribute netCDF-C gives a dimension that has no variable ("%s%10d" with its length):
 * netCDF-C and h5netcdf then show the dimension and hide the dataset that carries it. */
#define STORE_DIM_WITHOUT_VARIABLE "This is a netCDF dimension but not a netCDF variable."

typedef struct store_prov_def {
    const char *name;          /* /runs/<name> */
    store_field_type type;     /* of the dataset and of the iw_run_provenance member */
    size_t offset;             /* offsetof(iw_run_provenance, member) */
    int optional;              /* 1: absent from stores made before it existed (still resumed) */
    const char *description;   /* the dataset's description attribute */
} store_prov_def;

extern const store_prov_def store_prov_defs[STORE_PROV_COUNT];

/* HDF5 types of a field's elements: in the file (little-endian, fixed size) and in memory (for
 * STORE_TEXT both are the char type, so bytes are copied as they are). Each is a copy the caller
 * closes; H5I_INVALID_HID on failure. */
hid_t store_file_type(store_field_type type);
hid_t store_memory_type(store_field_type type);

/* 1 when /runs/<name> records how a run went rather than where it sits in the grid: the status, a
 * provenance field or the length dimension of a text field (host_strlen), or a name another
 * writer may use for one (hostname, started, ...). The reader takes every other 1-D dataset of
 * length R under /runs for a grid axis. */
int store_is_run_record(const char *name);

#endif
