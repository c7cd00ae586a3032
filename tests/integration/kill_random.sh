#!/usr/bin/env bash
# kill_random.sh — SIGKILL to a whole mpirun job (started with setsid; every process of the session
# is killed, by pid) at random moments of tests/sweeps/resume2d.yaml, resuming each time with the
# same command:
#   creation  as soon as STORE.creating appears (the store is being made), else right after
#   startup   0.05-0.8 s after launch (MPI start-up, sweep file, data, store open)
#   mid-run   0-1.5 s after two more runs are done
#   last      as the last runs are written (all but one done, plus 0-0.3 s)
# After each kill the store is absent or readable with every run marked done complete (no NaN in
# its metrics); a leftover STORE.creating is removed by the next start, which says so. The final
# store's /metrics and /boundary equal an uninterrupted sweep's (h5diff), and runs done before a
# kill were not run again. Then stores a kill could leave unusable (truncated, garbage) are
# refused with a message naming the file, and left byte for byte as they were.
# IW_KILL_SEED=N replays the same random moments (the seed is printed).
. "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$ROOT" || exit 1
SWEEP=tests/sweeps/resume2d.yaml
STORE=$IW_TMP/kill.h5
REF=$IW_TMP/ref.h5
export HDF5_USE_FILE_LOCKING=FALSE
seed=${IW_KILL_SEED:-$(( $(date +%s%N) % 100000 ))}
RANDOM=$seed
echo "# random seed $seed (IW_KILL_SEED=$seed replays these moments)"
sid=
trap '[ -n "$sid" ] && kill_session "$sid"; rm -rf "$IW_TMP"' EXIT

# rand_ms LO HI: a random number of milliseconds in [LO, HI], printed as seconds for sleep
rand_s() { local ms=$(( $1 + RANDOM % ($2 - $1 + 1) )); printf '%d.%03d' $((ms / 1000)) $((ms % 1000)); }

# kill_session SID: SIGKILL every process of the session (mpirun and its ranks), wait until gone
kill_session() {
  local s=$1 pids
  for _ in $(seq 100); do
    pids=$(ps -e -o pid=,sid= | awk -v s="$s" '$2 == s { print $1 }')
    [ -z "$pids" ] && break
    kill -KILL $pids 2>/dev/null
    sleep 0.05
  done
  sid=
  return 0
}

# launch N: start the sweep in a new session; output in $IW_TMP/out.N
launch() {
  creating_before=0; [ -e "$STORE.creating" ] && creating_before=1
  # in a subshell, so that this shell does not report the job as killed
  sid=$( (setsid mpirun --oversubscribe -np 3 "$BUILD/iwsweep" -o "$STORE" "$SWEEP" \
          >"$IW_TMP/out.$1" 2>&1 </dev/null & echo $!) )
}

# announced N: a STORE.creating present before launch N and gone after it must have been
# announced by that start
announced() {
  [ "$creating_before" = 1 ] && [ ! -e "$STORE.creating" ] || return 0
  if grep -q "removed .*\.creating" "$IW_TMP/out.$1"; then ok "the start that removed the leftover STORE.creating said so"
  else not_ok "the start that removed the leftover STORE.creating said so" "$(head -3 "$IW_TMP/out.$1" | tr '\n' ' ')"; fi
}

# store_check: "absent", or "N done" when the store is readable and every run it marks done has
# exactly the reference's metrics and boundary (complete and intact); exit 1 otherwise
store_check() {
  "$PY" - "$STORE" "$REF" <<'EOF'
import os, sys, h5py, numpy as np
path, ref = sys.argv[1], sys.argv[2]
if not os.path.exists(path):
    print("absent"); sys.exit(0)
try:
    with h5py.File(path, "r") as f, h5py.File(ref, "r") as g:
        status = f["runs/status"][...]
        done = status == 1
        names = ["metrics/" + n for n in g["metrics"]] + (["boundary"] if "boundary" in g else [])
        for name in names:
            a, b = f[name][...][done], g[name][...][done]
            if not np.array_equal(a, b, equal_nan=True):
                print("a run marked done differs from the reference in /%s" % name); sys.exit(1)
except Exception as e:
    print("unreadable: %s" % e); sys.exit(1)
print("%d done" % int(np.isin(status, (1, 2)).sum()))
EOF
}

# kill_at_creation SECONDS: SIGKILL the session the moment STORE.creating appears (polled every
# 0.5 ms, killed from the same process); prints yes, after (the store already existed) or gone
kill_at_creation() {
  "$PY" - "$STORE" "$sid" "$1" <<'EOF'
import os, sys, time, signal
path, sid, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
creating, end, seen = path + ".creating", time.time() + limit, "gone"
def kill_session():
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                if os.getsid(int(p)) == sid:
                    os.kill(int(p), signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
while time.time() < end:
    if os.path.exists(creating):
        kill_session(); seen = "yes"; break
    if os.path.exists(path):
        seen = "after"; break
    time.sleep(0.0005)
print(seen)
EOF
}

# wait_done N SECONDS: until the store has N runs done (or the sweep has ended)
wait_done() {
  "$PY" - "$STORE" "$1" "$2" "$sid" <<'EOF'
import os, sys, time, h5py, numpy as np
path, need, limit, sid = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
end = time.time() + limit
while time.time() < end:
    try:
        with h5py.File(path, "r") as f:
            if int(np.isin(f["runs/status"][...], (1, 2)).sum()) >= need:
                sys.exit(0)
    except Exception:   # a file being written may not open at every instant
        pass
    try:
        os.kill(sid, 0)
    except ProcessLookupError:
        sys.exit(1)
    time.sleep(0.05)
sys.exit(1)
EOF
}

snapshot() { # snapshot FILE: done runs' wall time and metrics, to check later that they were not rerun
  "$PY" - "$STORE" "$1" <<'EOF'
import os, sys, h5py, numpy as np
if os.path.exists(sys.argv[1]):
    with h5py.File(sys.argv[1], "r") as f:
        np.savez(sys.argv[2], status=f["runs/status"][...], wall=f["runs/wall_seconds"][...],
                 test_acc=f["metrics/test_acc"][...])
EOF
}

# The uninterrupted reference.
if ! iw_mpirun 3 "$BUILD/iwsweep" -o "$REF" "$SWEEP" >"$IW_TMP/ref.out" 2>&1; then
  not_ok "uninterrupted reference sweep" "$(tail -3 "$IW_TMP/ref.out" | tr '\n' ' ')"; finish
fi
R=$("$PY" -c 'import sys, h5py; print(len(h5py.File(sys.argv[1], "r")["runs/status"]))' "$REF")

k=0
for moment in creation startup mid-run last; do
  k=$((k + 1))
  before=$(store_check | sed -n 's/^\([0-9]*\) done$/\1/p'); before=${before:-0}
  launch $k
  case "$moment" in
    creation)
      caught=$(kill_at_creation 30)
      kill_session "$sid"
      what="creation (STORE.creating seen: $caught)" ;;
    startup)
      sleep "$(rand_s 50 800)"; kill_session "$sid"; what="startup" ;;
    mid-run)
      wait_done $((before + 2)) 60; sleep "$(rand_s 0 1500)"; kill_session "$sid"; what="mid-run" ;;
    last)
      wait_done $((R - 1)) 90; sleep "$(rand_s 0 300)"; kill_session "$sid"; what="last writes" ;;
  esac
  announced $k
  state=$(store_check); rc=$?
  if [ $rc = 0 ]; then
    ok "kill -9 at $what: store $state, every run marked done is complete"
  else
    not_ok "kill -9 at $what: store usable" "$state"
    # iwsweep must say so and leave the file alone; move it away to go on
    if echo "$state" | grep -q '^unreadable'; then
      if timeout 60 "$BUILD/iwsweep" -o "$STORE" "$SWEEP" >"$IW_TMP/unusable.out" 2>&1; then
        not_ok "the unusable store left by the kill at $what is refused" "iwsweep exited 0"
      elif grep -qF -- "$STORE" "$IW_TMP/unusable.out"; then
        ok "the unusable store left by the kill at $what is refused: $(grep -F -- "$STORE" "$IW_TMP/unusable.out" | head -1)"
      else
        not_ok "the unusable store left by the kill at $what is refused with a message naming it" "$(head -2 "$IW_TMP/unusable.out" | tr '\n' ' ')"
      fi
    fi
    mv "$STORE" "$IW_TMP/unusable.h5"
  fi
  snapshot "$IW_TMP/snap.$k.npz"
  [ -e "$STORE.creating" ] && echo "# the kill at $what left $(basename "$STORE").creating"
done

# Resume to the end with the same command.
k=$((k + 1))
creating_before=0; [ -e "$STORE.creating" ] && creating_before=1
iw_mpirun 3 "$BUILD/iwsweep" -o "$STORE" "$SWEEP" >"$IW_TMP/out.$k" 2>&1; rc=$?
announced $k
if [ $rc = 0 ]; then ok "resuming with the same command completes the sweep"
else not_ok "resuming with the same command completes the sweep" "exit $rc: $(tail -3 "$IW_TMP/out.$k" | tr '\n' ' ')"; fi
if [ -e "$STORE.creating" ]; then not_ok "no STORE.creating is left behind" "$STORE.creating still exists"
else ok "no STORE.creating is left behind"; fi

if d=$(h5diff "$REF" "$STORE" /metrics /metrics 2>&1) && d2=$(h5diff "$REF" "$STORE" /boundary /boundary 2>&1); then
  ok "metrics and boundaries equal an uninterrupted sweep's (h5diff) after 4 kills"
else
  not_ok "metrics and boundaries equal an uninterrupted sweep's (h5diff) after 4 kills" "$(echo "$d ${d2:-}" | head -5 | tr '\n' ' ')"
fi

if why=$("$PY" - "$STORE" "$IW_TMP"/snap.*.npz <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    status, wall, acc = f["runs/status"][...], f["runs/wall_seconds"][...], f["metrics/test_acc"][...]
bad = [] if np.all(status == 1) else ["status not all done: %s" % status.tolist()]
for name in sys.argv[2:]:
    b = np.load(name)
    d = np.isin(b["status"], (1, 2))
    if np.any(wall[d] != b["wall"][d]) or not np.array_equal(acc[d], b["test_acc"][d]):
        bad.append("runs done before the kill of %s were written again" % name)
print("; ".join(bad) if bad else "%d runs" % len(status))
sys.exit(1 if bad else 0)
EOF
); then ok "every run done, none run twice across the kills ($why)"
else not_ok "every run done, none run twice across the kills" "$why"; fi

# Stores a kill could leave unusable: refused, named, untouched.
head -c $(( $(stat -c %s "$STORE") / 2 )) "$STORE" >"$IW_TMP/truncated.h5"
head -c 65536 /dev/urandom >"$IW_TMP/garbage.h5"
for bad in truncated garbage; do
  f=$IW_TMP/$bad.h5
  sum=$(sha256sum <"$f")
  timeout 60 "$BUILD/iwsweep" -o "$f" "$SWEEP" >"$IW_TMP/$bad.out" 2>&1; rc=$?
  if [ $rc != 0 ] && grep -q -- "$f" "$IW_TMP/$bad.out" && [ "$(sha256sum <"$f")" = "$sum" ]; then
    ok "a $bad store is refused with a message naming it, and left untouched (exit $rc)"
  else
    not_ok "a $bad store is refused with a message naming it, and left untouched" \
      "exit $rc; said: $(grep -v '^\[' "$IW_TMP/$bad.out" | head -3 | tr '\n' ' ')"
  fi
done
# A leftover STORE.creating next to a complete store: removed, and said so.
cp "$IW_TMP/truncated.h5" "$STORE.creating"
timeout 60 "$BUILD/iwsweep" -o "$STORE" "$SWEEP" >"$IW_TMP/creating.out" 2>&1; rc=$?
if [ $rc = 0 ] && [ ! -e "$STORE.creating" ] && grep -q "removed .*creating" "$IW_TMP/creating.out"; then
  ok "a leftover STORE.creating is removed with a message, the complete store kept"
else
  not_ok "a leftover STORE.creating is removed with a message, the complete store kept" \
    "exit $rc; said: $(head -3 "$IW_TMP/creating.out" | tr '\n' ' ')"
fi
finish
