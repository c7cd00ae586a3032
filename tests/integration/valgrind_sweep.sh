#!/usr/bin/env bash
# sanitizer: no — valgrind memcheck on the normal build (valgrind cannot run ASan binaries).
# valgrind_sweep.sh — issue 5 item 7: a small sweep leaks nothing. One rank (an MPI singleton, no
# mpirun) runs tests/sweeps/valgrind2d.yaml (synthetic2d, tiny MLP, 2 runs, boundary recorded)
# under memcheck, then `iwreport summary` reads the store under memcheck. Definite and indirect
# leaks and every memory error fail the case (--error-exitcode). tests/valgrind.supp hides only
# blocks allocated from inside Open MPI / PMIx / hwloc and the transport libraries they load
# (see its header); --keep-debuginfo=yes lets those patterns see MPI components that are unloaded
# at MPI_Finalize (else their frames are "???" and match nothing). Takes ~20-40 s on 2 busy cores.
. "$(dirname "$0")/lib.sh"
iw_tmpdir
T=$IW_TMP
SWEEP=$ROOT/tests/sweeps/valgrind2d.yaml

if ! command -v valgrind >/dev/null 2>&1; then
  not_ok "valgrind sweep" "valgrind is not installed (scripts/deps.sh check installs it)"; finish
fi
if grep -q __asan_init "$BUILD/iwsweep" 2>/dev/null; then
  skip "valgrind sweep" "$BUILD is a sanitizer build"; finish
fi

VG=(valgrind --leak-check=full --errors-for-leak-kinds=definite,indirect --error-exitcode=99
    --keep-debuginfo=yes --num-callers=40 --show-leak-kinds=definite,indirect --suppressions="$ROOT/tests/valgrind.supp")

# figures NAME LOG: the leak summary lines, as comments (they are the figures of this test)
figures() {
  echo "# $1: $(grep -E 'definitely lost:|indirectly lost:|suppressed:|All heap blocks' "$2" |
    sed -E 's/^==[0-9]+== +//' | tr -s ' ' | paste -sd ';' -)"
}
# why LOG: the first leak/error records (valgrind's own lines), to say what to fix
why() {
  grep -vE '^==[0-9]+== *$' "$1" | sed -n '/lost in loss record\|^==[0-9]*== [A-Z][a-z]* .*\(read\|write\|jump\|uninitialised\|free\)/,+14p' |
    sed -E 's/^==[0-9]+== //; s/^/# /' | head -60
}
# vg_case NAME LOG COMMAND...: one case; ok when the program exits 0 and valgrind found no error
vg_case() {
  local name=$1 log=$2; shift 2
  local t0=$SECONDS rc
  "${VG[@]}" --log-file="$log" "$@" >"$log.out" 2>&1
  rc=$?
  figures "$name ($((SECONDS - t0)) s)" "$log"
  if [ "$rc" = 0 ]; then ok "$name"
  elif [ "$rc" = 99 ]; then why "$log"; not_ok "$name" "valgrind found leaks or memory errors (log above)"
  else not_ok "$name" "exit status $rc: $(tail -3 "$log.out" | tr '\n' ' ')"
  fi
  return $rc
}

vg_case "valgrind: one-rank sweep valgrind2d.yaml, no leak or memory error" "$T/vg-sweep.log" \
  "$BUILD/iwsweep" -o "$T/v.h5" "$SWEEP"
# the sweep really went through the whole path (training, boundary, store writes) for both runs
if grep -q "2 done, 0 diverged, 0 failed, 0 pending" "$T/vg-sweep.log.out"; then
  ok "valgrind: the sweep under valgrind finished both runs"
else
  not_ok "valgrind: the sweep under valgrind finished both runs" "$(tail -3 "$T/vg-sweep.log.out" | tr '\n' ' ')"
fi
if [ -f "$T/v.h5" ]; then
  vg_case "valgrind: iwreport summary on that store, no leak or memory error" "$T/vg-report.log" \
    "$BUILD/iwreport" summary "$T/v.h5"
  grep -q "valgrind2d" "$T/vg-report.log.out" ||
    not_ok "valgrind: iwreport summary names the sweep" "$(head -3 "$T/vg-report.log.out" | tr '\n' ' ')"
else
  not_ok "valgrind: iwreport summary on that store, no leak or memory error" "the sweep left no store"
fi
finish
