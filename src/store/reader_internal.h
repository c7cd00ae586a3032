/* reader_internal.h — what the files of the store reader share (reader.c, reader_axes.c).
 * Not a public header: only src/store includes hdf5.h. HDF5 helpers shared with the writer:
 * h5_util.h.
 */
#ifndef IW_READER_INTERNAL_H
#define IW_READER_INTERNAL_H

#include "h5_util.h"
#include "schema.h"
#include "iw/store_read.h"

/* Length of a 1-D dataset, -1 when it is missing or not 1-D. */
int64_t reader_dataset_length(hid_t file, const char *path);
/* Fills rd->axes from /runs (rd->runs must be set). */
int reader_read_axes(iw_store_reader *rd, hid_t file, iw_error *err);

#endif
