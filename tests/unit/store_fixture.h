/* store_fixture.h — sweeps and trajectories made by hand for the store tests (test_store.c,
 * test_store_mpi.c), so that the store is tested without the sweep-file parser or the engine.
 *
 * The spec's text is a sweep file describing the same grid, so that the Python checker
 * (tests/integration/check_store.py) can read /spec and derive the expected /runs columns.
 * Trajectory values follow fixture_value(): exact in float32, so readers compare with ==.
 *   metrics[m][e] of run r = r * 100 + m * 10 + e          (epochs <= 9)
 *   boundary[s][iy][ix]    = r + s / 4 + iy / 100 + ix / 10000   (rounded to float32)
 *   train_class_count      = [r + 7, 2 r]
 * A diverged run (status 2) has NaN from epoch FIXTURE_DIVERGED_EPOCH on.
 * fixture_write_pattern(): run r gets status by r % 4 (0 done, 1 diverged, 2 failed, 3 left
 * pending) and provenance wall = r + 0.5, cpu = r + 0.25, worker_rank = the writing rank,
 * attempt 1, slurm_job_id = 1000 + r, slurm_restart_count = r % 3.
 */
#ifndef IW_STORE_FIXTURE_H
#define IW_STORE_FIXTURE_H

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "iw/run.h"
#include "iw/spec.h"
#include "iw/store.h"

#define FIXTURE_DIVERGED_EPOCH 2

static double fixture_iw[] = {0.25, 1, 4}, fixture_l2[] = {0, 0.001}, fixture_dropout[] = {0},
              fixture_bn[] = {0, 1}, fixture_sampling[] = {0, 1};
#define FIXTURE_MAX_SEEDS 8192
static double fixture_seed[FIXTURE_MAX_SEEDS];
static char fixture_text[FIXTURE_MAX_SEEDS * 8 + 1024];

static inline void fixture_axis(iw_spec *spec, iw_axis_id id, double *values, int count)
{
    iw_axis *a = &spec->axes[spec->n_axes++];
    a->id = id, a->def = &iw_axis_defs[id], a->values = values, a->count = count;
}

/* A sweep of 3 x 2 x 1 x 2 x n_seeds runs (x 2 with synthetic: a sampling axis, and a boundary
 * of 2 x 8 x 8 at epochs 1 and 3), `epochs` epochs. sha_tag changes the sha (another sweep
 * file). The spec's arrays and text are static: nothing to free; one fixture spec at a time. */
static inline void fixture_spec_sized(iw_spec *spec, int synthetic, char sha_tag, int n_seeds, int epochs)
{
    memset(spec, 0, sizeof *spec);
    snprintf(spec->file, sizeof spec->file, "%s", synthetic ? "fixture-2d.yaml" : "fixture.yaml");
    size_t n = (size_t)snprintf(fixture_text, sizeof fixture_text,
                                "name: %s\ndata:\n  source: %s\nmodel:\n  kind: mlp\ntrain:\n  epochs: %d\n"
                                "grid:\n  importance_weight: [0.25, 1, 4]\n  l2: [0, 0.001]\n  dropout: [0]\n"
                                "  batchnorm: [false, true]\n  seed: [",
                                synthetic ? "store-test-2d" : "store-test",
                                synthetic ? "synthetic2d" : "fashion-mnist", epochs);
    for (int i = 0; i < n_seeds; i++) {
        fixture_seed[i] = i;
        n += (size_t)snprintf(fixture_text + n, sizeof fixture_text - n, i ? ", %d" : "%d", i);
    }
    n += (size_t)snprintf(fixture_text + n, sizeof fixture_text - n, "]\n");
    if (synthetic)
        snprintf(fixture_text + n, sizeof fixture_text - n,
                 "  sampling: [weight, subsample]\nrecord:\n  boundary_epochs: [1, 3]\n  boundary_grid: 8\n"
                 "  boundary_range: [-4, 6, -3, 5]\n");
    spec->text = fixture_text;
    spec->text_len = strlen(spec->text);
    memset(spec->sha256, synthetic ? 'b' : 'a', 64);
    spec->sha256[0] = sha_tag;
    snprintf(spec->name, sizeof spec->name, "%s", synthetic ? "store-test-2d" : "store-test");
    spec->data.source = synthetic ? IW_SOURCE_SYNTHETIC2D : IW_SOURCE_FASHION_MNIST;
    spec->train.epochs = epochs;
    fixture_axis(spec, IW_AXIS_IMPORTANCE_WEIGHT, fixture_iw, 3);
    fixture_axis(spec, IW_AXIS_L2, fixture_l2, 2);
    fixture_axis(spec, IW_AXIS_DROPOUT, fixture_dropout, 1);
    fixture_axis(spec, IW_AXIS_BATCHNORM, fixture_bn, 2);
    fixture_axis(spec, IW_AXIS_SEED, fixture_seed, n_seeds);
    if (synthetic) {
        fixture_axis(spec, IW_AXIS_SAMPLING, fixture_sampling, 2);
        spec->record.n_boundary_epochs = 2;
        spec->record.boundary_epochs[0] = 1;
        spec->record.boundary_epochs[1] = 3;
        spec->record.boundary_grid = 8;
        double range[4] = {-4, 6, -3, 5};
        memcpy(spec->record.boundary_range, range, sizeof range);
    }
}

/* 24 runs (48 synthetic), 5 epochs. */
static inline void fixture_spec(iw_spec *spec, int synthetic, char sha_tag)
{
    fixture_spec_sized(spec, synthetic, sha_tag, 2, 5);
}

static inline int64_t fixture_runs(const iw_spec *spec)
{
    int64_t r = 1;
    for (int a = 0; a < spec->n_axes; a++) r *= spec->axes[a].count;
    return r;
}

static inline void fixture_traj_alloc(iw_trajectory *t, const iw_spec *spec)
{
    memset(t, 0, sizeof *t);
    t->epochs = spec->train.epochs;
    t->metrics = malloc(sizeof(float) * IW_METRIC_COUNT * (size_t)(t->epochs + 1));
    if (spec->record.n_boundary_epochs > 0) {
        t->n_boundary = spec->record.n_boundary_epochs;
        t->grid = spec->record.boundary_grid;
        t->boundary = malloc(sizeof(float) * (size_t)(t->n_boundary * t->grid * t->grid));
    }
}

static inline void fixture_traj_free(iw_trajectory *t)
{
    free(t->metrics);
    free(t->boundary);
}

static inline float fixture_metric(int64_t run, int m, int e, int status)
{
    if (status == IW_STATUS_DIVERGED && e >= FIXTURE_DIVERGED_EPOCH) return NAN;
    return (float)(run * 100 + m * 10 + e);
}

static inline float fixture_boundary(int64_t run, int s, int iy, int ix)
{
    return (float)((double)run + s / 4.0 + iy / 100.0 + ix / 10000.0);
}

/* Fills t with run's values for a finished run of `status` (done or diverged). */
static inline void fixture_traj_fill(iw_trajectory *t, int64_t run, int status)
{
    int E = t->epochs;
    for (int m = 0; m < IW_METRIC_COUNT; m++)
        for (int e = 0; e <= E; e++) t->metrics[m * (E + 1) + e] = fixture_metric(run, m, e, status);
    for (int s = 0; s < t->n_boundary; s++)
        for (int iy = 0; iy < t->grid; iy++)
            for (int ix = 0; ix < t->grid; ix++)
                t->boundary[(s * t->grid + iy) * t->grid + ix] = fixture_boundary(run, s, iy, ix);
    t->train_class_count[0] = run + 7;
    t->train_class_count[1] = 2 * run;
    t->status = status;
    t->diverged_epoch = status == IW_STATUS_DIVERGED ? FIXTURE_DIVERGED_EPOCH : -1;
}

static inline int fixture_pattern_status(int64_t run)
{
    static const int by_rest[4] = {IW_STATUS_DONE, IW_STATUS_DIVERGED, IW_STATUS_FAILED, IW_STATUS_PENDING};
    return by_rest[run % 4];
}

/* Writes the pattern for the runs r with r % size == rank. 0 or -1 (err). */
static inline int fixture_write_pattern(iw_store *store, const iw_spec *spec, int rank, int size, iw_error *err)
{
    iw_trajectory t;
    fixture_traj_alloc(&t, spec);
    int rc = 0;
    for (int64_t r = rank; r < fixture_runs(spec) && rc == 0; r += size) {
        int status = fixture_pattern_status(r);
        char host[48];
        snprintf(host, sizeof host, "fixture-host-%lld", (long long)r); /* check_store.py expects it */
        iw_run_provenance prov = {r + 0.5, r + 0.25, rank, 1, 1000 + r, (int)(r % 3), host};
        if (status == IW_STATUS_DONE || status == IW_STATUS_DIVERGED) {
            fixture_traj_fill(&t, r, status);
            rc = iw_store_write_run(store, r, &t, &prov, err);
        } else if (status == IW_STATUS_FAILED) {
            rc = iw_store_write_status(store, r, status, &prov, err);
        }
    }
    fixture_traj_free(&t);
    return rc;
}

#endif
