#!/usr/bin/env bash
# sanitizer: yes — iwreport under ASan+UBSan: every command on a store made by a one-rank sweep and
# on h5py-made stores with pending, diverged and failed runs and an enum axis (check_report.py
# checks the numbers against numpy). The full MPI cases are in report.sh.
. "$(dirname "$0")/lib.sh"
iw_tmpdir
HERE=$ROOT/tests/integration
T=$IW_TMP
run_checks() { local out; out=$($PY "$HERE/check_report.py" "$BUILD/iwreport" "$@"); echo "$out"; echo "$out" | grep -q '^not ok' && IW_FAILED=1; true; }

# The sweep only makes the store here (its own sanitizer cases live with it); LeakSanitizer checks
# it too (run_tests.sh sets fast_unwind_on_malloc=0 so Open MPI's own blocks match tests/lsan.supp).
if "$BUILD/iwsweep" -o "$T/real.h5" "$ROOT/tests/sweeps/report_small.yaml" >"$T/sweep.log" 2>&1; then
  ok "one-rank sweep tests/sweeps/report_small.yaml finished"
else
  not_ok "one-rank sweep tests/sweeps/report_small.yaml finished" "$(tail -5 "$T/sweep.log")"
fi
$PY "$HERE/make_pending_store.py" "$T/real.h5" 0 7
run_checks "$T/real.h5" san-real --expect-pending --expect-boundary
$PY "$HERE/make_fake_store.py" "$T/fake.h5" --boundary --sampling
run_checks "$T/fake.h5" san-fake --expect-pending --expect-boundary
finish
