/* store_logits.c — the per-run datasets of the writer besides the metrics and the boundary, which
 * record what a run trained on and what it predicted (created with the store, store_create.c):
 *
 *   /runs/train_class_count  int64[R, 2]              examples of each class in the run's training set
 *   /logits                  float32[R, L, N_test, 2] test logits at record.logit_epochs (L > 0 only)
 *   /test_labels             int8[N_test]             labels of the test examples, -1 until written
 *
 * /test_labels is the same for every run (the test set does not depend on the run); each run that
 * writes logits writes it too, raw data into the pre-allocated dataset like everything else after
 * creation, so the store needs no step that knows the data before the first run.
 */
#include "store_internal.h"

#include <stdio.h>

int store_extras_open(iw_store *s, iw_error *err)
{
    if ((s->train_class_count = H5Dopen2(s->file, "/runs/train_class_count", H5P_DEFAULT)) < 0)
        return h5_fail(err, "%s: cannot open /runs/train_class_count", s->path);
    if (s->shape.n_logit == 0) return 0;
    if ((s->logits = H5Dopen2(s->file, "/logits", H5P_DEFAULT)) < 0)
        return h5_fail(err, "%s: cannot open /logits", s->path);
    if ((s->test_labels = H5Dopen2(s->file, "/test_labels", H5P_DEFAULT)) < 0)
        return h5_fail(err, "%s: cannot open /test_labels", s->path);
    return 0;
}

void store_extras_close(iw_store *s)
{
    if (s->train_class_count >= 0) H5Dclose(s->train_class_count);
    if (s->logits >= 0) H5Dclose(s->logits);
    if (s->test_labels >= 0) H5Dclose(s->test_labels);
    s->train_class_count = s->logits = s->test_labels = H5I_INVALID_HID;
}

/* 1 when traj carries logits shaped like the store's. */
static int has_logits(const iw_store *s, const iw_trajectory *traj)
{
    return s->shape.n_logit > 0 && traj->logits && traj->n_logit == s->shape.n_logit && traj->n_test == s->shape.n_test;
}

int store_extras_write(iw_store *s, int64_t run, const iw_trajectory *traj, iw_error *err)
{
    hsize_t two = 2;
    if (store_access_rows(s->train_class_count, H5T_NATIVE_INT64, run, 2, &two, (void *)traj->train_class_count, 1) < 0)
        return h5_fail(err, "%s: cannot write /runs/train_class_count of run %lld", s->path, (long long)run);
    if (s->shape.n_logit > 0 && traj->logits && !has_logits(s, traj))
        return iw_error_set(err, "%s: run %lld has logits of %d epochs x %lld test examples, the store %d x %lld", s->path,
                            (long long)run, traj->n_logit, (long long)traj->n_test, s->shape.n_logit,
                            (long long)s->shape.n_test);
    if (!has_logits(s, traj)) return 0;
    hsize_t inner[3] = {(hsize_t)s->shape.n_logit, (hsize_t)s->shape.n_test, 2};
    if (store_access_rows(s->logits, H5T_NATIVE_FLOAT, run, 4, inner, traj->logits, 1) < 0)
        return h5_fail(err, "%s: cannot write /logits of run %lld", s->path, (long long)run);
    if (traj->test_labels && traj->test_labels[0] >= 0 &&
        H5Dwrite(s->test_labels, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, traj->test_labels) < 0)
        return h5_fail(err, "%s: cannot write /test_labels (with run %lld)", s->path, (long long)run);
    return 0;
}

int store_extras_read(iw_store *s, int64_t run, iw_trajectory *traj, iw_error *err)
{
    hsize_t two = 2;
    if (store_access_rows(s->train_class_count, H5T_NATIVE_INT64, run, 2, &two, traj->train_class_count, 0) < 0)
        return h5_fail(err, "%s: cannot read /runs/train_class_count of run %lld", s->path, (long long)run);
    if (!has_logits(s, traj)) return 0;
    hsize_t inner[3] = {(hsize_t)s->shape.n_logit, (hsize_t)s->shape.n_test, 2};
    if (store_access_rows(s->logits, H5T_NATIVE_FLOAT, run, 4, inner, traj->logits, 0) < 0)
        return h5_fail(err, "%s: cannot read /logits of run %lld", s->path, (long long)run);
    if (traj->test_labels &&
        H5Dread(s->test_labels, H5T_NATIVE_INT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, traj->test_labels) < 0)
        return h5_fail(err, "%s: cannot read /test_labels", s->path);
    return 0;
}
