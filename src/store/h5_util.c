/* h5_util.c — HDF5 helpers shared by the store writer and reader (h5_util.h). */
#include "h5_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void h5_quiet_begin(h5_quiet *q)
{
    H5Eget_auto2(H5E_DEFAULT, &q->func, &q->data);
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

void h5_quiet_end(const h5_quiet *q) { H5Eset_auto2(H5E_DEFAULT, q->func, q->data); }

typedef struct { char desc[512]; } h5_innermost;

static herr_t innermost(unsigned n, const H5E_error2_t *e, void *data)
{
    h5_innermost *in = data;
    if (n == 0 && e->desc) snprintf(in->desc, sizeof in->desc, "%s", e->desc);
    return 0;
}

int h5_fail(iw_error *err, const char *fmt, ...)
{
    h5_innermost in = {{0}};
    H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost, &in);
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

int h5_link_exists(hid_t loc, const char *path)
{
    char buf[512];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return 0;
    for (char *p = buf + (buf[0] == '/');;) {
        char *slash = strchr(p, '/');
        if (slash) *slash = '\0';
        if (H5Lexists(loc, buf, H5P_DEFAULT) <= 0) return 0;
        if (!slash) return 1;
        *slash = '/';
        p = slash + 1;
    }
}

int h5_dataset_dims(hid_t loc, const char *path, hsize_t *dims, int max_rank)
{
    if (!h5_link_exists(loc, path)) return -1;
    hid_t dset = H5Dopen2(loc, path, H5P_DEFAULT);
    if (dset < 0) return -1;
    hid_t space = H5Dget_space(dset);
    int rank = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
    if (rank > max_rank || (rank > 0 && H5Sget_simple_extent_dims(space, dims, NULL) < 0)) rank = -1;
    if (space >= 0) H5Sclose(space);
    H5Dclose(dset);
    return rank;
}

char *h5_read_string(hid_t obj, int is_attr)
{
    hid_t ftype = is_attr ? H5Aget_type(obj) : H5Dget_type(obj);
    hid_t space = is_attr ? H5Aget_space(obj) : H5Dget_space(obj);
    char *out = NULL;
    if (ftype >= 0 && space >= 0 && H5Tget_class(ftype) == H5T_STRING && H5Sget_simple_extent_npoints(space) == 1) {
        hid_t mtype = H5Tcopy(H5T_C_S1);
        H5Tset_cset(mtype, H5Tget_cset(ftype)); /* HDF5 does not convert between ASCII and UTF-8 */
        if (H5Tis_variable_str(ftype) > 0) {
            char *value = NULL;
            H5Tset_size(mtype, H5T_VARIABLE);
            herr_t rc = is_attr ? H5Aread(obj, mtype, &value) : H5Dread(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value);
            if (rc >= 0) {
                out = strdup(value ? value : "");
                H5Dvlen_reclaim(mtype, space, H5P_DEFAULT, &value);
            }
        } else {
            size_t size = H5Tget_size(ftype);
            H5Tset_size(mtype, size + 1);
            H5Tset_strpad(mtype, H5T_STR_NULLTERM);
            out = calloc(size + 2, 1);
            herr_t rc = !out ? -1 : is_attr ? H5Aread(obj, mtype, out) : H5Dread(obj, mtype, H5S_ALL, H5S_ALL, H5P_DEFAULT, out);
            if (rc < 0) {
                free(out);
                out = NULL;
            }
        }
        H5Tclose(mtype);
    }
    if (space >= 0) H5Sclose(space);
    if (ftype >= 0) H5Tclose(ftype);
    return out;
}

int h5_read_string_attr(hid_t obj, const char *name, char *buf, size_t size)
{
    buf[0] = '\0';
    if (H5Aexists(obj, name) <= 0) return -1;
    hid_t attr = H5Aopen(obj, name, H5P_DEFAULT);
    if (attr < 0) return -1;
    char *value = h5_read_string(attr, 1);
    H5Aclose(attr);
    if (!value) return -1;
    snprintf(buf, size, "%s", value);
    free(value);
    return 0;
}

int h5_write_string_attr(hid_t obj, const char *name, const char *value)
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
