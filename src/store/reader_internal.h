/* reader_internal.h — what the files of the store reader share (reader.c, reader_axes.c).
 * Not a public header: only src/store includes hdf5.h.
 */
#ifndef IW_READER_INTERNAL_H
#define IW_READER_INTERNAL_H

#include <hdf5.h>
#include "iw/store_read.h"

/* 1 when every component of `path` exists under loc. */
int reader_link_exists(hid_t loc, const char *path);
/* A string attribute (is_attr) or dataset, fixed or variable length: malloc'd, or NULL. */
char *reader_read_string(hid_t obj, int is_attr);
/* Length of a 1-D dataset, -1 when it is missing or not 1-D. */
int64_t reader_dataset_length(hid_t file, const char *path);
/* Fills rd->axes from /runs (rd->runs must be set). */
int reader_read_axes(iw_store_reader *rd, hid_t file, iw_error *err);

#endif
