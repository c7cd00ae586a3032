/* h5_util.h — the small HDF5 helpers that the store writer (store*.c) and the reader (reader*.c)
 * share: error messages from HDF5's error stack, silencing HDF5's own error printing around calls
 * that are expected to fail, string attributes and datasets (fixed or variable length), link and
 * shape probes. Private to src/store, the only code that includes hdf5.h.
 */
#ifndef IW_STORE_H5_UTIL_H
#define IW_STORE_H5_UTIL_H

#include <hdf5.h>
#include "iw/common.h"

/* HDF5 prints its error stack to stderr whenever a call fails. Around calls whose failure is an
 * expected answer (probing a file that may not be a store, an attribute that may be missing), the
 * printing is switched off and then restored to whatever the caller had:
 *     h5_quiet q; h5_quiet_begin(&q); ... h5_quiet_end(&q);                                   */
typedef struct h5_quiet {
    H5E_auto2_t func;
    void *data;
} h5_quiet;
void h5_quiet_begin(h5_quiet *q);
void h5_quiet_end(const h5_quiet *q);

/* Sets err to the printf-style message, followed by " (HDF5: <innermost description>)" when HDF5's
 * error stack holds one; clears the stack. Returns -1. err may be NULL (the stack is cleared). */
int h5_fail(iw_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 when every component of `path` ("/a/b/c") exists under loc (H5Lexists alone fails when a
 * parent is missing). */
int h5_link_exists(hid_t loc, const char *path);

/* Dimensions of the dataset at `path` under loc into dims (at most max_rank of them); returns its
 * rank, or -1 when it is missing, not a dataset or of a higher rank. */
int h5_dataset_dims(hid_t loc, const char *path, hsize_t *dims, int max_rank);

/* The one string of an attribute (is_attr) or dataset: fixed or variable length, scalar or a
 * one-element array, ASCII or UTF-8. malloc'd and NUL-terminated, or NULL when it is not one
 * string (or on no memory). */
char *h5_read_string(hid_t obj, int is_attr);

/* The string attribute `name` of obj into buf (cut to size - 1 bytes). 0, or -1 with buf = ""
 * when it is missing or not one string. */
int h5_read_string_attr(hid_t obj, const char *name, char *buf, size_t size);

/* Creates the scalar variable-length UTF-8 string attribute `name` on obj. 0 or -1. */
int h5_write_string_attr(hid_t obj, const char *name, const char *value);

#endif
