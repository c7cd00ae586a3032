/* run.h — one grid point: build the network from the spec, train it on the data, and produce its
 * per-epoch trajectory; the relative cost of a run; checkpoints. Joins spec, data and engine; knows
 * nothing of MPI or HDF5.
 *
 * Trajectory layout: metrics[m * (E + 1) + e] for metric m (enum iw_metric) at epoch e (0 = before
 * training), NaN where not reached (after divergence), at the epochs a sparse record.eval_epochs
 * does not evaluate (iw_spec_epoch_evaluated) and where not measured (validation metrics without
 * data.val_per_class, a probe not asked for). boundary[s * G * G + iy * G + ix]: the decision
 * function p(positive | x, y) at the s-th record.boundary_epochs epoch (synthetic2d only), on the
 * grid of record.boundary_range, x fastest. logits[(s * N_test + i) * 2 + k]: logit k (0 negative,
 * 1 positive) of test example i (data->test order) at the s-th record.logit_epochs epoch.
 *
 * A run's examples (src/run/run.c): the validation split is held out of the loaded training
 * examples first (data.val_per_class, drawn by the seed from IW_STREAM_VALIDATION), the training
 * set is chosen from the rest (sub-sampling), and the loss's class counts are the training set's.
 * Weights of training epoch e (1-based): the sampling's weight w on positives (1 on negatives)
 * raised to the point's weight_exponent rho when e >= reweight_from, every weight 1 before;
 * normalize=dataset divides by the mean of those weights over the training set, recomputed when
 * they change. The validation split is weighted the same way. Evaluation at epoch e uses the
 * weights of epoch max(e, 1).
 */
#ifndef IW_RUN_H
#define IW_RUN_H

#include <signal.h>
#include "iw/common.h"
#include "iw/data.h"
#include "iw/engine.h"
#include "iw/spec.h"

typedef struct iw_trajectory {
    int epochs;           /* E */
    float *metrics;       /* IW_METRIC_COUNT * (E + 1) */
    int n_boundary;       /* S (0 unless synthetic2d with boundary_epochs) */
    int grid;             /* G */
    float *boundary;      /* S * G * G, or NULL */
    int n_logit;          /* S_l: record.logit_epochs (0: no logits kept) */
    int64_t n_test;       /* N_test = the sum of data.test_per_class */
    float *logits;        /* S_l * N_test * 2, or NULL */
    int8_t *test_labels;  /* N_test labels 0/1 of the test examples (-1 until a run sets them), or NULL */
    int64_t train_class_count[2]; /* examples of each class in the run's training set */
    int status;           /* IW_STATUS_DONE or IW_STATUS_DIVERGED */
    int diverged_epoch;   /* first epoch with a non-finite loss, -1 if none */
    int resumed_epoch;    /* epoch the run resumed at from a checkpoint, -1 when it started fresh */
    double wall_seconds, cpu_seconds; /* of this execution (not counting earlier attempts) */
} iw_trajectory;

int iw_trajectory_alloc(iw_trajectory *t, const iw_spec *spec, iw_error *err); /* reset as below */
/* NaN in metrics, boundary and logits, -1 test labels, 0 class counts, status pending. */
void iw_trajectory_reset(iw_trajectory *t);
void iw_trajectory_free(iw_trajectory *t);

/* The training loss of grid point `point`, as the engine takes it: kind from the point's loss
 * (cross-entropy when the grid has no loss axis), poly_alpha from the point (the poly_alpha axis or
 * train.poly_alpha), ldam_max_margin, ldam_scale and la_tau from train:, normalisation from the
 * point's normalize (the axis or train.normalize), per-class constants from class_counts (the
 * run's training set: negative, positive). weight_mean stays 1: the run sets it each epoch for
 * normalize=dataset. 0, or -1 with err (a class without examples under ldam / logit-adjusted). */
int iw_run_loss(const iw_spec *spec, const iw_point *point, const int64_t class_counts[2], iw_loss *loss,
                iw_error *err);

/* The engine's configuration of grid point `point`'s network: the sweep's model (kind, widths,
 * init), the point's batch norm and dropout, two classes, examples of shape `input`, batches of
 * up to max_batch examples. */
void iw_run_net_config(const iw_spec *spec, const iw_point *point, iw_shape input, int max_batch,
                       iw_net_config *cfg);

/* Relative costs of runs[0..n) into cost[0..n), for heaviest-first scheduling and the ETA (cost.c):
 * (epochs x 3 x training examples + evaluated epochs x evaluated examples [+ boundary points]) x
 * the multiply-adds of one forward pass (counted by the engine on the sweep's network) x (1 + the cost_when_set of each
 * axis whose value is not 0: batch norm 0.25, dropout 0.05). Within one sweep only those axes and
 * sampling = subsample (fewer training examples) tell runs apart. Builds the network once (no data is read). Every cost is
 * > 0. 0, or -1 with err when the network cannot be built. */
int iw_run_costs(const iw_spec *spec, const int64_t *runs, int64_t n, double *cost, iw_error *err);

/* Return values of iw_run_execute besides 0 (finished: done or diverged) and -1 (failed). */
#define IW_RUN_INTERRUPTED 1

typedef struct iw_run_hooks {
    volatile sig_atomic_t *stop;  /* checked every minibatch; set -> return IW_RUN_INTERRUPTED */
    const char *checkpoint_path;  /* NULL: no checkpoints; else this run's checkpoint file, used
                                     when train.checkpoint_every or checkpoint_minutes is set */
    void (*on_epoch)(void *ctx, int64_t run, int epoch, int epochs); /* progress, may be NULL */
    void *ctx;
    /* A problem the run survives (a checkpoint that cannot be written or read), at most once per
     * execution, the message naming the file and the reason. May be NULL. */
    void (*on_warning)(void *ctx, int64_t run, const char *message);
} iw_run_hooks;

/* Trains grid point `point`. 0: trajectory complete (status done or diverged); IW_RUN_INTERRUPTED:
 * stopped by hooks->stop (checkpoint kept if enabled); -1: failed, err says why.
 *
 * traj must come from iw_trajectory_alloc for the same spec; it is reset (NaN) first, so one
 * trajectory can serve many runs. Allocation happens before the first epoch, never inside it.
 *
 * Evaluation: at epoch 0 and after each epoch e with iw_spec_epoch_evaluated(spec, e); the metrics
 * of the other epochs stay NaN. Evaluation draws no random numbers and changes no state, so the
 * values at an evaluated epoch do not depend on the schedule.
 *
 * Divergence: the training-step loss is checked at every step, whatever the schedule. A
 * non-finite one during epoch e stops training before that step is applied; the network as it is
 * then is evaluated as epoch e, evaluated or not by the schedule (metrics that come out non-finite
 * are stored as NaN), every later epoch stays NaN, status = diverged, diverged_epoch = e. A
 * non-finite evaluation loss at an evaluated epoch e ends the run the same way (with a sparse
 * schedule, such a divergence of the evaluation alone is seen at the next evaluated epoch).
 *
 * A run that cannot train fails (-1, "epoch e took no optimiser step ..."): when an epoch ends
 * without a single SGD step (every minibatch skipped: under batch norm a minibatch of one example
 * is), the run is never reported as finished. The parser refuses the sweeps that would do this.
 *
 * Checkpoints (when hooks->checkpoint_path is set and the sweep asks for them): the whole state
 * (parameters, velocity, batch-norm buffers, batch-order and dropout RNG streams, this epoch's
 * batch order and position in it, the trajectory so far) is written atomically every
 * train.checkpoint_every epochs, after train.checkpoint_minutes of training, and when stopped by
 * hooks->stop. A checkpoint that matches (spec sha256, run, sizes, checksum) is resumed from, and
 * the trajectory then equals an uninterrupted run's bit for bit; one that does not match is ignored
 * and overwritten. A checkpoint is insurance, not a result: one that cannot be written (full disk,
 * unusable folder) or read is reported once through hooks->on_warning and the run goes on (from
 * epoch 0 when it could not be read); it never fails the run. On success the checkpoint is left in place: the caller removes it
 * (iw_run_checkpoint_remove) once the trajectory is stored, so a kill in between loses nothing. */
int iw_run_execute(const iw_spec *spec, const iw_data *data, const iw_point *point,
                   const iw_run_hooks *hooks, iw_trajectory *traj, iw_error *err);

/* Checkpoint files of a sweep whose store is STORE: the folder "STORE.ckpt", one file
 * "run-<i>.ckpt" per run in it (docs/DESIGN.md, durability). */

/* 1 when the sweep asks for checkpoints (train.checkpoint_every or train.checkpoint_minutes). */
int iw_run_checkpoints_enabled(const iw_spec *spec);
/* "STORE.ckpt/run-<run>.ckpt" into buf. 0, or -1 with err when it does not fit. */
int iw_run_checkpoint_path(const char *store_path, int64_t run, char *buf, size_t size, iw_error *err);
/* Before any run is handed out (one process): removes the checkpoints of runs whose status[] is
 * done or diverged (a kill between storing a run and removing its checkpoint leaves one behind),
 * then creates the folder when make_folder is set. 0, or -1 with err when the folder cannot be
 * made. status has `runs` entries. */
int iw_run_checkpoints_prepare(const char *store_path, const int8_t *status, int64_t runs, int make_folder,
                               iw_error *err);
/* After the sweep (one process): removes the folder if it is empty (no run left a checkpoint). */
void iw_run_checkpoints_finish(const char *store_path);
/* Removes a run's checkpoint (missing is fine). 0, or -1 with err. */
int iw_run_checkpoint_remove(const char *path, iw_error *err);

#endif
