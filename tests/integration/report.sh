#!/usr/bin/env bash
# report.sh — iwreport (summary, table, csv, plot) and the store readers we show (README, docs/examples), on
# stores made by real small sweeps (build/iwsweep on tests/sweeps/report_*.yaml under mpirun), on
# the same store with runs turned back to pending, on a store read while its sweep is writing it,
# and on h5py-made stores that use other legal types (enum axes, diverged and failed runs).
# Numbers are checked against numpy computations from h5py (check_report.py).
. "$(dirname "$0")/lib.sh"
iw_tmpdir
HERE=$ROOT/tests/integration
IWREPORT=$BUILD/iwreport
IWSWEEP=$BUILD/iwsweep
T=$IW_TMP

check_store() { # store tag [flags]: every case of check_report.py
  $PY "$HERE/check_report.py" "$IWREPORT" "$@" || true   # its ok/not ok lines are the result
}
# expect_fail NAME PATTERN COMMAND...: non-zero exit and a message on stderr matching PATTERN
expect_fail() { expect_exit nonzero "$@"; }
# check_report.py prints "not ok" lines itself; count them into IW_FAILED
run_checks() { local out; out=$(check_store "$@"); echo "$out"; echo "$out" | grep -q '^not ok' && IW_FAILED=1; true; }

# ---- a real sweep ----
if iw_mpirun 3 "$IWSWEEP" -o "$T/real.h5" "$ROOT/tests/sweeps/report_small.yaml" >"$T/sweep.log" 2>&1; then
  ok "real sweep tests/sweeps/report_small.yaml finished"
else
  not_ok "real sweep tests/sweeps/report_small.yaml finished" "$(tail -5 "$T/sweep.log")"
fi
run_checks "$T/real.h5" real --expect-boundary

# ---- the same store with runs turned back to pending (as during a sweep or after a kill) ----
cp "$T/real.h5" "$T/pending.h5"
$PY "$HERE/make_pending_store.py" "$T/pending.h5" 1 4 11
run_checks "$T/pending.h5" pending --expect-pending --expect-boundary
out=$("$IWREPORT" table "$T/pending.h5" --epochs 0,last)
if echo "$out" | grep -q ' \[1\]'; then ok "pending: table marks cells with fewer seeds"; else not_ok "pending: table marks cells with fewer seeds" "$out"; fi

# ---- reading while a sweep writes the store ----
# report_live.yaml runs long enough (a few seconds) to be read mid-sweep. Assertions: once a
# summary has succeeded, every later one succeeds, and the done count never goes down. No timing
# is asserted; if the sweep finished before the first read, the case says so and still checks.
iw_mpirun 3 "$IWSWEEP" -o "$T/live.h5" "$ROOT/tests/sweeps/report_live.yaml" >"$T/live.log" 2>&1 &
sweep_pid=$!
reads=0; bad=""; last_done=-1; seen_ok=0
while kill -0 $sweep_pid 2>/dev/null; do
  if [ -f "$T/live.h5" ]; then
    if s=$("$IWREPORT" summary "$T/live.h5" 2>&1); then
      seen_ok=1; reads=$((reads + 1))
      done_now=$(echo "$s" | sed -n 's/^runs: *\([0-9]*\) done.*/\1/p')
      [ "${done_now:-0}" -lt "$last_done" ] && bad="$bad done count went down ($last_done -> $done_now);"
      last_done=${done_now:-0}
      "$IWREPORT" table "$T/live.h5" >/dev/null 2>"$T/live.err" || bad="$bad table failed mid-sweep: $(cat "$T/live.err");"
    elif [ $seen_ok = 1 ]; then
      bad="$bad summary failed after succeeding: $s;"
    fi
  fi
  sleep 0.05
done
wait $sweep_pid; sweep_rc=$?
if [ $sweep_rc = 0 ] && [ -z "$bad" ]; then
  ok "store read during its sweep: $reads reads mid-sweep, all consistent"
else
  not_ok "store read during its sweep" "sweep rc=$sweep_rc;$bad $(tail -3 "$T/live.log")"
fi
run_checks "$T/live.h5" live --no-plot

# ---- stores written by h5py with other legal types (enum axis, diverged and failed runs) ----
$PY "$HERE/make_fake_store.py" "$T/fake.h5" --boundary
$PY "$HERE/make_fake_store.py" "$T/fake_sampling.h5" --sampling
run_checks "$T/fake.h5" fake --expect-pending --expect-boundary
run_checks "$T/fake_sampling.h5" fake-sampling --expect-pending --no-plot
# weights that are not exact fractions (1e-300, 0.3333333333) beside ones that are (1/3, 1/4),
# with one seed (every cell one value: no std) and with two
weights=1e-300,0.3333333333,0.3333333333333333,0.25,1,3
$PY "$HERE/make_fake_store.py" "$T/fake_one_seed.h5" --weights $weights --seeds 1
$PY "$HERE/make_fake_store.py" "$T/fake_odd_weights.h5" --weights $weights --seeds 2
run_checks "$T/fake_one_seed.h5" one-seed --expect-pending --no-plot
run_checks "$T/fake_odd_weights.h5" odd-weights --expect-pending --no-plot

# ---- the store readers we ship or show (README blocks, docs/examples) ----
# check_readers.py: each prints iwreport table's cells, one per setting (here l2) and weight, with
# its means, also with pending runs; readme_examples.sh runs it on a store with more axes.
for store in real pending; do
  out=$($PY "$HERE/check_readers.py" "$IWREPORT" "$T/$store.h5" "$ROOT/README.md" "$ROOT/docs/examples" "readers-$store" 2>&1)
  echo "$out"; echo "$out" | grep -q '^not ok' && IW_FAILED=1
  echo "$out" | grep -q '^ok' || not_ok "readers-$store: check_readers.py ran" "$out"
done

# ---- clear errors ----
expect_fail "missing store is named" "no such file" "$IWREPORT" summary "$T/nope.h5"
echo "not hdf5" >"$T/text.h5"
expect_fail "a non-HDF5 file is refused" "not an HDF5 file" "$IWREPORT" table "$T/text.h5"
$PY -c "import h5py, sys; h5py.File(sys.argv[1], 'w').attrs['x'] = 1" "$T/other.h5"
expect_fail "an HDF5 file that is not a store is refused" "not an iwsweep store" "$IWREPORT" csv "$T/other.h5"
$PY -c "import h5py, sys; h5py.File(sys.argv[1], 'w').attrs['schema'] = 'iwsweep/9'" "$T/future.h5"
expect_fail "another schema version is refused" "iwsweep/9" "$IWREPORT" summary "$T/future.h5"
expect_fail "unknown metric lists the known ones" "unknown metric 'bogus'.*test_frac_positive" "$IWREPORT" table "$T/real.h5" --metric bogus
expect_fail "epoch beyond the store is refused" "epoch 999 is not in the store" "$IWREPORT" table "$T/real.h5" --epochs 0,999
expect_fail "bad epoch list is refused" "'x' is not an epoch" "$IWREPORT" table "$T/real.h5" --epochs 0,x
expect_fail "unknown command" "unknown command 'plott'" "$IWREPORT" plott "$T/real.h5"
expect_fail "missing STORE" "missing STORE" "$IWREPORT" summary
expect_fail "option of another command" "belongs to 'table' and 'effect'" "$IWREPORT" csv "$T/real.h5" --epochs 1
check "--help exits 0" "$IWREPORT" --help
finish
