#!/usr/bin/env bash
# sweep_checkpoint.sh — mid-run checkpoints (train.checkpoint_every: 3) with momentum, batch norm
# and dropout, so that the velocity, running statistics and both RNG streams must survive, and a
# sparse record.eval_epochs (checkpoints on evaluated epochs and between them):
#   - SIGKILL once a checkpoint exists, re-run: the run resumes from its checkpoint (said on stderr)
#     and the stored metrics, boundary, logits and class counts equal an uninterrupted sweep's bit
#     for bit (h5diff);
#   - SIGTERM mid-epoch: the checkpoint is written at the stop (position inside the epoch), the
#     resumed run again equals the uninterrupted one;
#   - a torn checkpoint and another run's checkpoint are ignored (fresh start, same result);
#   - finished runs leave no checkpoint behind, and a stale one of a done run is removed.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SW=$ROOT/tests/sweeps
have_ckpt() { ls "$1".ckpt/run-*.ckpt >/dev/null 2>&1; }
same_as_ref() {
  h5diff -q "$1" ref.h5 /metrics /metrics && h5diff -q "$1" ref.h5 /boundary /boundary && h5diff -q "$1" ref.h5 /logits /logits &&
    h5diff -q "$1" ref.h5 /runs/train_class_count /runs/train_class_count && h5diff -q "$1" ref.h5 /runs/status /runs/status
}

"$IWS" -o ref.h5 "$SW/ckpt2d.yaml" >ref.out 2>ref.err; rc=$?
if [ $rc = 0 ] && [ ! -e ref.h5.ckpt ]; then ok "uninterrupted sweep leaves no checkpoint folder"
else not_ok "uninterrupted sweep leaves no checkpoint folder" "rc=$rc: $(ls ref.h5.ckpt 2>&1; tail -3 ref.err)"; fi
# the schedule is in force: epochs 11-13 (between evaluations) NaN, 10 and 14 not
sparse=$($PY -c 'import h5py, numpy as np, sys
m = h5py.File(sys.argv[1], "r")["metrics/test_acc"][:]
print(int(np.isnan(m[:, 11:14]).all() and np.isfinite(m[:, [10, 14, 30, 60]]).all()))' ref.h5 2>&1)
if [ "$sparse" = 1 ]; then ok "reference store: NaN between evaluated epochs (eval_epochs every_until 10, then_every 7)"
else not_ok "reference store: NaN between evaluated epochs" "$sparse"; fi

# --- SIGKILL after the first checkpoint
setsid "$IWS" -o k.h5 "$SW/ckpt2d.yaml" >k1.log 2>&1 &
JOB=$!
wait_for 60 have_ckpt k.h5; sleep 0.3
kill_job $JOB
if have_ckpt k.h5; then ok "checkpoint on disk after SIGKILL ($(ls k.h5.ckpt))"; else not_ok "checkpoint on disk after SIGKILL" "none: $(tail -3 k1.log)"; fi
mkdir -p saved && cp k.h5.ckpt/run-*.ckpt saved/
"$IWS" -o k.h5 "$SW/ckpt2d.yaml" >k2.out 2>k2.err; rc=$?
if [ $rc = 0 ] && grep -Eq 'resumed from its checkpoint at epoch ([1-9][0-9]*)' k2.err; then ok "re-run resumes: $(grep -o 'run [0-9]* resumed.*' k2.err | head -1)"
else not_ok "re-run resumes from the checkpoint" "rc=$rc: $(tail -3 k2.err)"; fi
if same_as_ref k.h5; then ok "resumed after SIGKILL: bit for bit equal to the uninterrupted sweep"
else not_ok "resumed after SIGKILL: bit for bit equal to the uninterrupted sweep" "h5diff differs"; fi
if [ ! -e k.h5.ckpt ]; then ok "checkpoints removed once the runs are stored"; else not_ok "checkpoints removed once the runs are stored" "$(ls k.h5.ckpt)"; fi
mkdir -p k.h5.ckpt && cp saved/run-*.ckpt k.h5.ckpt/   # as if killed between storing and removing
"$IWS" -o k.h5 "$SW/ckpt2d.yaml" >k3.out 2>k3.err; rc=$?
if [ $rc = 0 ] && [ ! -e k.h5.ckpt ] && same_as_ref k.h5; then ok "stale checkpoint of a done run removed, store unchanged"
else not_ok "stale checkpoint of a done run removed, store unchanged" "rc=$rc: $(ls k.h5.ckpt 2>&1)"; fi

# --- SIGTERM mid-run: checkpoint written at the stop, inside an epoch
setsid "$IWS" -o t.h5 "$SW/ckpt2d.yaml" >t1.log 2>&1 &
JOB=$!
wait_for 60 have_ckpt t.h5; sleep 0.5
kill -TERM $JOB; wait $JOB; rc=$?
kill_job $JOB
if [ $rc = 3 ] && have_ckpt t.h5 && grep -q 'interrupted: ' t1.log; then ok "SIGTERM keeps the run's checkpoint (exit 3)"
else not_ok "SIGTERM keeps the run's checkpoint (exit 3)" "rc=$rc: $(tail -3 t1.log)"; fi
"$IWS" -o t.h5 "$SW/ckpt2d.yaml" >t2.out 2>t2.err; rc=$?
if [ $rc = 0 ] && grep -q 'resumed from its checkpoint' t2.err && same_as_ref t.h5; then ok "resumed after SIGTERM: bit for bit equal"
else not_ok "resumed after SIGTERM: bit for bit equal" "rc=$rc: $(tail -3 t2.err)"; fi

# --- unusable checkpoints are ignored: a torn one, and another run's
mkdir -p c.h5.ckpt
f=$(ls saved/run-*.ckpt | head -1); r=$(basename "$f" .ckpt); r=${r#run-}
other=$((1 - r))
head -c 3000 "$f" >c.h5.ckpt/run-$r.ckpt            # torn: checksum and length fail
cp "$f" c.h5.ckpt/run-$other.ckpt                    # run $r's state under run $other's name
"$IWS" -o c.h5 "$SW/ckpt2d.yaml" >c.out 2>c.err; rc=$?
if [ $rc = 0 ] && ! grep -q 'resumed' c.err && same_as_ref c.h5; then ok "torn and foreign checkpoints ignored: fresh start, same result"
else not_ok "torn and foreign checkpoints ignored: fresh start, same result" "rc=$rc: $(tail -3 c.err)"; fi
finish
