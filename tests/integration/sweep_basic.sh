#!/usr/bin/env bash
# sanitizer: yes
# sweep_basic.sh — the end-to-end path on a tiny 2-D sweep: --dry-run lists the runs and writes
# nothing; a sweep alone (1 rank) and under mpirun (3 ranks) completes with exit 0, progress lines
# and a summary with rank 0's CPU; the store has the schema's shapes, finite metrics at every epoch,
# paired starts across weights, a decision boundary in [0, 1]; re-running resumes with nothing to do.
# Under the sanitizer build (every MPI start-up is slow there) the command-line cases are left to
# the normal pass, and an injected failure + --retry-failed runs instead, for the error paths.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
# Open MPI is built without frame pointers: LeakSanitizer needs full unwinding to see that its
# allocations come from libmpi (tests/lsan.supp); ignored by the normal build.
export ASAN_OPTIONS="${ASAN_OPTIONS:-}:fast_unwind_on_malloc=0"
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SW=$ROOT/tests/sweeps
SAN=0; ldd "$IWS" 2>/dev/null | grep -q libasan && SAN=1

if [ $SAN = 0 ]; then
# --dry-run: the list and the count, no store, no results/ folder
out=$("$IWS" --dry-run "$SW/tiny2d.yaml" 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^4 runs' && [ ! -e results ]; then ok "dry run lists 4 runs and writes nothing"
else not_ok "dry run lists 4 runs and writes nothing" "rc=$rc, results/ exists: $([ -e results ] && echo yes || echo no); output: $out"; fi

# --help
if "$IWS" --help | grep -q -- '--retry-failed'; then ok "help names the options"; else not_ok "help names the options" "no --retry-failed in --help"; fi

# bad command lines: non-zero exit and a message
"$IWS" --frobnicate "$SW/tiny2d.yaml" >out.txt 2>&1; rc=$?
if [ $rc = 2 ] && grep -q "unknown option '--frobnicate'" out.txt; then ok "unknown option refused"; else not_ok "unknown option refused" "rc=$rc: $(cat out.txt)"; fi
"$IWS" >out.txt 2>&1; rc=$?
if [ $rc = 2 ] && grep -q "no sweep file" out.txt; then ok "missing sweep file refused"; else not_ok "missing sweep file refused" "rc=$rc: $(cat out.txt)"; fi
fi

# one rank, default store path results/<name>.h5 (results/ is created)
"$IWS" "$SW/tiny2d.yaml" >alone.out 2>alone.err; rc=$?
if [ $rc = 0 ] && [ -f results/tiny2d.h5 ]; then ok "single rank sweep into results/tiny2d.h5"
else not_ok "single rank sweep into results/tiny2d.h5" "rc=$rc: $(tail -5 alone.err)"; fi
if grep -q '^\[4/4\] run [0-9]* done in' alone.err && grep -q 'on 1 rank (it schedules and trains); CPU [0-9.]* s' alone.out; then ok "progress lines and summary"
else not_ok "progress lines and summary" "$(cat alone.err alone.out | tail -8)"; fi

# three ranks under mpirun
iw_mpirun 3 "$IWS" -o three.h5 "$SW/tiny2d.yaml" >three.out 2>three.err; rc=$?
if [ $rc = 0 ] && grep -q '4 done, 0 diverged, 0 failed, 0 pending' three.out; then ok "three-rank sweep completes"
else not_ok "three-rank sweep completes" "rc=$rc: $(tail -5 three.err three.out)"; fi
grep 'rank 0 CPU' three.out | sed 's/^/# /'

# the store's contents
$PY - three.h5 <<'EOF' >check.txt 2>&1
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
bad = []
def need(c, what):
    if not c: bad.append(what)
need(f.attrs["schema"] == "iwsweep/1", "schema attribute")
R, E = 4, 4
st = f["runs/status"][:]
need(st.dtype == np.int8 and list(st) == [1] * R, "status all done: %s" % st)
need(list(f["runs/attempt"][:]) == [1] * R, "attempt 1")
ranks = f["runs/worker_rank"][:]
need(all(1 <= r <= 2 for r in ranks), "worker ranks 1..2: %s" % ranks)
need(list(f["epoch"][:]) == list(range(E + 1)), "epoch scale")
for name in ["train_loss", "train_acc", "train_frac_positive", "test_acc", "test_frac_positive",
             "noise_frac_positive", "weight_norm"]:
    m = f["metrics/" + name][:]
    need(m.shape == (R, E + 1) and np.isfinite(m).all(), name + " finite everywhere")
need(np.isnan(f["metrics/other_frac_positive"][:]).all(), "other probe absent -> NaN")
w = f["runs/importance_weight"][:]; s = f["runs/seed"][:]
tfp = f["metrics/test_frac_positive"][:]
tl = f["metrics/train_loss"][:]
for seed in (0, 1):
    a, b = np.where((s == seed) & (w == 0.25))[0][0], np.where((s == seed) & (w == 4))[0][0]
    need(tfp[a, 0] == tfp[b, 0], "same seed, same start across weights")
    need(tfp[a, 1] != tfp[b, 1] or tl[a, 1] != tl[b, 1], "weights change training")
need(tl[:, -1].max() < tl[:, 0].min(), "training lowers the loss")
acc = f["metrics/test_acc"][:]
need(acc[:, -1].min() > 0.8, "separable data is learned: %s" % acc[:, -1])
bd = f["boundary"][:]
need(bd.shape == (R, 3, 16, 16) and np.isfinite(bd).all() and bd.min() >= 0 and bd.max() <= 1, "boundary in [0,1]")
need(list(f["boundary_epoch"][:]) == [0, 2, 4], "boundary epochs")
for k in ["runs/importance_weight", "runs/seed", "metrics/test_acc", "runs/status"]:
    need("description" in f[k].attrs, "description on " + k)
print("BAD: " + "; ".join(bad) if bad else "GOOD")
EOF
if grep -q '^GOOD' check.txt; then ok "store contents (schema, shapes, finite metrics, paired starts, boundary)"
else not_ok "store contents (schema, shapes, finite metrics, paired starts, boundary)" "$(cat check.txt)"; fi

# single rank and three ranks give the same trajectories
if h5diff -q results/tiny2d.h5 three.h5 /metrics /metrics && h5diff -q results/tiny2d.h5 three.h5 /boundary /boundary
then ok "1 rank and 3 ranks: identical metrics and boundary"; else not_ok "1 rank and 3 ranks: identical metrics and boundary" "h5diff differs"; fi

if [ $SAN = 1 ]; then
  IW_TEST_FAIL_RUN=2 "$IWS" -o retry.h5 "$SW/tiny2d.yaml" >r1.out 2>r1.err; rc1=$?
  "$IWS" --retry-failed -o retry.h5 "$SW/tiny2d.yaml" >r2.out 2>r2.err; rc2=$?
  if [ $rc1 = 1 ] && grep -q 'injected failure' r1.err && [ $rc2 = 0 ] && h5diff -q retry.h5 three.h5 /metrics /metrics
  then ok "injected failure, then --retry-failed completes"; else not_ok "injected failure, then --retry-failed completes" "rc $rc1 $rc2: $(tail -3 r1.err r2.err)"; fi
  finish
fi

# re-running the same command resumes: nothing to do, exit 0, store unchanged
before=$(h5dump -d /metrics/test_acc three.h5 | md5sum)
iw_mpirun 3 "$IWS" -o three.h5 "$SW/tiny2d.yaml" >again.out 2>again.err; rc=$?
after=$(h5dump -d /metrics/test_acc three.h5 | md5sum)
if [ $rc = 0 ] && grep -q '0 to do' again.err && [ "$before" = "$after" ]; then ok "re-run resumes with nothing to do"
else not_ok "re-run resumes with nothing to do" "rc=$rc: $(cat again.err again.out | tail -5)"; fi
finish
