/* checkpoint.h — the mid-run checkpoint file of one run (private to src/run).
 *
 * File layout (native byte order; a checkpoint is read back by the same build on the same cluster):
 *
 *   header   magic "IWSWCKPT", u32 version (2), u32 zero, spec sha256 (64 hex chars),
 *            i64 run, u64 params P, u64 buffers N, i64 training examples n, i32 epochs E,
 *            i32 boundary slices S, i32 grid G, i32 epoch done, i64 position,
 *            i64 logit slices L, i64 test examples T, u64[4] batch-order RNG, u64[4] dropout RNG
 *   arrays   i32 order[n] | f32 params[P] | f32 velocity[P] | f32 buffers[N] |
 *            f32 metrics[IW_METRIC_COUNT * (E+1)] | f32 boundary[S * G * G] | f32 logits[L * T * 2]
 * (A checkpoint of another version is not resumed from: the run starts afresh. The weights of an
 * epoch and the run's examples are recomputed from the seed and the epoch, so they are not kept.)
 *   trailer  u64 FNV-1a 64 of every byte above
 *
 * Written to "<path>.tmp", fsync'ed, renamed over <path>, and the folder fsync'ed: a kill at any
 * moment leaves either the old checkpoint or the new one, never a torn file.
 */
#ifndef IW_RUN_CHECKPOINT_H
#define IW_RUN_CHECKPOINT_H

#include "iw/engine.h"
#include "iw/run.h"

/* Everything a run's state consists of; the pointers are the run's own buffers. */
typedef struct iw_checkpoint_state {
    const char *spec_sha256;
    int64_t run;
    iw_net *net;
    int64_t n_train;
    int32_t *order;        /* n_train: this epoch's batch order (valid when position >= 0) */
    iw_trajectory *traj;
    int epoch;             /* epochs completed, 0..E */
    int64_t position;      /* next minibatch start in order; -1: epoch boundary, not shuffled yet */
    iw_rng batch_rng, dropout_rng;
} iw_checkpoint_state;

/* Writes the state atomically. 0, or -1 with err (file named). */
int iw_checkpoint_save(const char *path, const iw_checkpoint_state *state, iw_error *err);

/* Reads `path` into state (order, net params/velocity/buffers, traj metrics/boundary, epoch,
 * position, RNGs). 1: resumed; 0: no usable checkpoint (absent, other sweep/run/sizes, torn or
 * corrupt, or no folder where it would be) — then state's buffers may have been partly overwritten
 * and the caller must initialise them afresh; -1: a read error other than absence (err set). */
int iw_checkpoint_load(const char *path, iw_checkpoint_state *state, iw_error *err);

#endif
