#!/usr/bin/env bash
# store_mpi.sh — the store with 4 MPI ranks writing runs independently (test_store_mpi), checked
# with h5py; then the durability contract: 4 ranks writing runs in a loop are killed with SIGKILL
# (the whole mpirun session), every run marked done must be complete, and rerunning resumes the
# store to the end; and a kill during the creation of a store leaves only "<store>.creating",
# which the next start removes (saying so) before creating the store anew.
. "$(dirname "$0")/lib.sh"
iw_tmpdir
PROG=$BUILD/tests/test_store_mpi

# Every process of the session led by $1, killed with SIGKILL (a process-group kill only reaches
# mpirun; the ranks are in the same session).
kill_session() {
  local sid=$1 p
  for p in $(ps -e -o pid=,sid= | awk -v s="$sid" '$2 == s { print $1 }'); do kill -KILL "$p" 2>/dev/null; done
}
# wait_until_or_exit CONDITION-COMMAND PID: polls every 10 ms while PID lives; 0 when the condition held.
wait_until_or_exit() {
  local pid=$2
  while kill -0 "$pid" 2>/dev/null; do
    eval "$1" && return 0
    sleep 0.01
  done
  eval "$1"
}

# 1. four ranks, independent writes, read back by every rank, then checked with h5py
IW_STORE_PATH=$IW_TMP/mpi4.h5 iw_mpirun 4 "$PROG" >"$IW_TMP/mpi4.log" 2>&1
grep -E '^(ok|not ok) - ' "$IW_TMP/mpi4.log" || not_ok "test_store_mpi with 4 ranks" "$(tail -5 "$IW_TMP/mpi4.log" | tr '\n' ' ')"
grep -q '^not ok' "$IW_TMP/mpi4.log" && IW_FAILED=1
$PY "$ROOT/tests/integration/check_store.py" pattern "$IW_TMP/mpi4.h5" 4 || IW_FAILED=1

# 2. SIGKILL while 4 ranks write, then resume
KILL=$IW_TMP/kill.h5
IW_STORE_MODE=loop IW_STORE_PATH=$KILL IW_STORE_SLEEP_MS=5 setsid mpirun --oversubscribe -np 4 "$PROG" \
  >"$IW_TMP/loop.log" 2>&1 </dev/null &
sid=$!
if wait_until_or_exit 'grep -q "^written 50" "$IW_TMP/loop.log"' $sid; then
  kill_session $sid
  wait $sid 2>/dev/null
  ok "4 writing ranks killed with SIGKILL mid-sweep"
  $PY "$ROOT/tests/integration/check_store.py" killed "$KILL" || IW_FAILED=1
  if IW_STORE_MODE=loop IW_STORE_PATH=$KILL iw_mpirun 4 "$PROG" >"$IW_TMP/resume.log" 2>&1 &&
     grep -q '^finished' "$IW_TMP/resume.log"; then
    ok "the killed store reopens and the sweep resumes"
  else
    not_ok "the killed store reopens and the sweep resumes" "$(tail -3 "$IW_TMP/resume.log" | tr '\n' ' ')"
  fi
  $PY "$ROOT/tests/integration/check_store.py" complete "$KILL" || IW_FAILED=1
else
  wait $sid 2>/dev/null
  not_ok "4 writing ranks killed with SIGKILL mid-sweep" "the writers never reported 50 runs: $(tail -3 "$IW_TMP/loop.log" | tr '\n' ' ')"
fi

# 3. SIGKILL during the creation of a (94 MB) store
BIG=$IW_TMP/big.h5
IW_STORE_MODE=create-big IW_STORE_PATH=$BIG setsid mpirun --oversubscribe -np 2 "$PROG" \
  >"$IW_TMP/big.log" 2>&1 </dev/null &
sid=$!
if wait_until_or_exit '[ -e "$BIG.creating" ]' $sid && [ ! -e "$BIG" ]; then
  kill_session $sid
  wait $sid 2>/dev/null
  if [ -e "$BIG" ] || [ ! -e "$BIG.creating" ]; then
    not_ok "a kill during creation leaves only STORE.creating" "$(ls "$IW_TMP")"
  else
    ok "a kill during creation leaves only STORE.creating, never a half store under the store's name"
    if IW_STORE_MODE=loop IW_STORE_PATH=$BIG "$PROG" >"$IW_TMP/after.log" 2>&1 &&
       grep -q "^notice: removed .*big.h5.creating.*no results" "$IW_TMP/after.log" && [ ! -e "$BIG.creating" ]; then
      ok "the next start removes STORE.creating, says so, and creates the store"
      $PY "$ROOT/tests/integration/check_store.py" complete "$BIG" || IW_FAILED=1
    else
      not_ok "the next start removes STORE.creating, says so, and creates the store" "$(tr '\n' ' ' <"$IW_TMP/after.log")"
    fi
  fi
else
  wait $sid 2>/dev/null
  skip "kill during creation" "the creation finished before the kill could land"
fi
rm -f "$BIG"
finish
