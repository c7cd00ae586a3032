/* store_util.c — small helpers of the store writer: the shape a sweep file asks for, the file
 * access list of serial opens.
 */
#include "store_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int store_shape_from_spec(const iw_spec *spec, store_shape *shape, iw_error *err)
{
    int64_t runs = 1;
    if (spec->n_axes < 1) return iw_error_set(err, "%s: the sweep has no grid axes", spec->file);
    for (int a = 0; a < spec->n_axes; a++) {
        if (spec->axes[a].count < 1)
            return iw_error_set(err, "%s: grid axis '%s' has no values", spec->file, spec->axes[a].def->name);
        runs *= spec->axes[a].count;
        if (runs > IW_MAX_RUNS)
            return iw_error_set(err, "%s: the grid has more than %lld runs", spec->file,
                                (long long)IW_MAX_RUNS);
    }
    if (spec->train.epochs < 1)
        return iw_error_set(err, "%s: train.epochs must be >= 1 to make a store", spec->file);
    shape->runs = runs;
    shape->epochs = spec->train.epochs;
    shape->n_boundary = 0;
    shape->grid = 0;
    shape->n_logit = spec->record.n_logit_epochs;
    shape->n_test = (int64_t)spec->data.test_per_class[0] + spec->data.test_per_class[1];
    if (spec->data.source == IW_SOURCE_SYNTHETIC2D && spec->record.n_boundary_epochs > 0) {
        if (spec->record.boundary_grid < 2)
            return iw_error_set(err, "%s: record.boundary_grid must be >= 2", spec->file);
        shape->n_boundary = spec->record.n_boundary_epochs;
        shape->grid = spec->record.boundary_grid;
    }
    return 0;
}

hid_t store_serial_fapl(void)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl >= 0) H5Pset_file_locking(fapl, 0, 1);
    return fapl;
}
