# lib.sh — shared helpers of the integration tests (sourced). Each test script prints one line per
# case, "ok - name" or "not ok - name" (with "# why" lines above), like the C unit tests, and exits
# non-zero when a case failed. BUILD (the build folder) and ROOT (the repo) come from run_tests.sh.
set -u
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
BUILD=${BUILD:-$ROOT/build}
case "$BUILD" in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
IW_FAILED=0
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none   # CMA needs ptrace rights containers lack
export OMPI_MCA_rmaps_base_oversubscribe=1
PY=/usr/bin/python3     # Debian's python, the one that sees python3-h5py / numpy / torch

# A scratch folder removed at exit.
iw_tmpdir() {
  IW_TMP=$(mktemp -d /tmp/iwtest.XXXXXX)
  export OMPI_MCA_orte_tmpdir_base=$IW_TMP
  trap 'rm -rf "$IW_TMP"' EXIT
}

ok()     { echo "ok - $1"; }
# skip NAME WHY: a case that cannot run here (counted as skipped by run_tests.sh, never as passed)
skip()   { echo "ok - $1 # SKIP $2"; }
not_ok() { echo "# $2"; echo "not ok - $1"; IW_FAILED=1; }
# check NAME COMMAND...: runs the command, ok when it exits 0
check()  { local n=$1; shift; if "$@" >/tmp/iwcheck.$$ 2>&1; then ok "$n"; else not_ok "$n" "command failed: $* ($(tail -3 /tmp/iwcheck.$$ | tr '\n' ' '))"; fi; rm -f /tmp/iwcheck.$$; }
finish() { exit $IW_FAILED; }

# iw_mpirun N ARGS...: mpirun with N ranks, as root if need be, more ranks than cores allowed
iw_mpirun() { local n=$1; shift; mpirun --oversubscribe -np "$n" "$@"; }

# kill_job PID: SIGKILL every process of the session PID leads (a job started with setsid: mpirun
# and all its ranks), then reap it.
kill_job() { local p; p=$(ps -o pid= -s "$1" 2>/dev/null); [ -n "$p" ] && kill -KILL $p 2>/dev/null; wait "$1" 2>/dev/null; }
# wait_for SECONDS COMMAND...: polls COMMAND every 0.1 s until it succeeds (0) or time runs out (1).
wait_for() { local n=$(( $1 * 10 )); shift; while [ $n -gt 0 ]; do "$@" && return 0; sleep 0.1; n=$((n - 1)); done; return 1; }
# expect_exit WANT NAME PATTERN COMMAND...: COMMAND exits with WANT ("nonzero": anything but 0) and
# its stderr matches PATTERN (grep); one ok / not ok line named NAME.
expect_exit() {
  local want=$1 n=$2 pat=$3; shift 3
  local out rc good
  out=$("$@" 2>&1 >/dev/null); rc=$?
  if [ "$want" = nonzero ]; then [ $rc -ne 0 ]; else [ $rc -eq "$want" ]; fi; good=$?
  if [ $good = 0 ] && echo "$out" | grep -q -- "$pat"; then ok "$n"; else not_ok "$n" "rc=$rc, stderr: $out (wanted /$pat/)"; fi
}
