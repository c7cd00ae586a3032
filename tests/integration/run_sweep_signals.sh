#!/usr/bin/env bash
# sanitizer: no
# run_sweep_signals.sh — run_sweep.sh as a job system or a user drives it:
#   - SIGTERM to the script alone (kill, timeout, a batch system signalling the top process): the
#     sweep stops cleanly (no rank left behind), exit 3, no table, the resume command printed is
#     the script's own, and it completes the sweep;
#   - Ctrl-C (SIGINT to the whole foreground group): the same;
#   - a store made from another sweep: exit 2 with iwsweep's message before anything is launched
#     (no launcher banner, no table), the store unchanged;
#   - a failed run: exit 1, "rerun it with: ./run_sweep.sh --retry-failed ..." and that command
#     completes it; --dry-run runs nothing and launches nothing.
# run_sweep.sh works in the repository (it builds build/); stores live in a mktemp folder.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
cat >slow.yaml <<'YAML'
name: rs-signals
data: {source: synthetic2d, train_per_class: 1500, test_per_class: 200}
model: {kind: mlp, hidden: [32, 32]}
train: {epochs: 1500, batch_size: 16, lr: 0.05}
grid: {importance_weight: [0.25, 1, 4, 16]}
YAML
sed 's/lr: 0.05/lr: 0.04/' slow.yaml >changed.yaml
cat >tiny.yaml <<'YAML'
name: rs-tiny
data: {source: synthetic2d, train_per_class: 20, test_per_class: 20}
model: {kind: linear}
train: {epochs: 2, batch_size: 8}
grid: {importance_weight: [1, 4], seed: [0, 1]}
YAML
RS="$ROOT/run_sweep.sh"
left_in_session() { ps -o pid=,stat=,args= -s "$1" 2>/dev/null | awk '$2 !~ /^Z/' ; }   # zombies are gone already

# interrupt SIGNAL TARGET(script|group) STORE NAME
interrupt() {
  local sig=$1 target=$2 store=$3 name=$4 job rc left
  (cd "$ROOT" && exec setsid "$RS" -n 3 -o "$IW_TMP/$store" "$IW_TMP/slow.yaml") >"$name.out" 2>&1 &
  job=$!
  if ! wait_for 120 grep -q '^\[1/4\]' "$name.out"; then
    not_ok "$name: the sweep started" "$(tail -5 "$name.out")"; kill_job $job; return 1
  fi
  if [ "$target" = script ]; then kill -"$sig" $job; else kill -"$sig" -- -$job; fi
  wait_for 60 sh -c "! kill -0 $job 2>/dev/null"
  wait $job; rc=$?
  sleep 1
  left=$(left_in_session $job)
  kill_job $job
  local resume
  resume=$(grep -o 'resume with: .*' "$name.out" | tail -1 | sed 's/^resume with: //')
  if [ $rc = 3 ] && [ -z "$left" ] && ! grep -q '^spread across weights' "$name.out" &&
     case "$resume" in ./run_sweep.sh\ -n\ 3\ -o\ *slow.yaml) true ;; *) false ;; esac; then
    ok "$name: exit 3, no process left, no table, resume with the script's own command"
  else
    not_ok "$name: exit 3, no process left, no table, resume with the script's own command" \
      "rc=$rc left='$left' resume='$resume': $(grep -v '^\[' "$name.out" | tail -6)"
  fi
  (cd "$ROOT" && eval "$resume") >"$name.resume" 2>&1; rc=$?
  if [ $rc = 0 ] && grep -q '^spread across weights' "$name.resume" &&
     $PY -c "import h5py,sys; s=h5py.File(sys.argv[1],'r')['runs/status'][:]; sys.exit(0 if (s==1).all() else 1)" "$IW_TMP/$store"; then
    ok "$name: the printed command completes the sweep and prints the table"
  else not_ok "$name: the printed command completes the sweep and prints the table" "rc=$rc: $(tail -4 "$name.resume")"; fi
}
interrupt TERM script term.h5 "SIGTERM to run_sweep.sh alone"
interrupt INT group int.h5 "Ctrl-C (SIGINT to the group)"

# a store made from another sweep
if [ -f term.h5 ]; then
  before=$(md5sum <term.h5)
  out=$(cd "$ROOT" && "$RS" -n 3 -o "$IW_TMP/term.h5" "$IW_TMP/changed.yaml" 2>&1); rc=$?
  if [ $rc = 2 ] && echo "$out" | grep -q 'made from a different sweep' && ! echo "$out" | grep -q -e 'Primary job' -e '^spread across weights' -e 'run_sweep.sh: mpirun' &&
     [ "$(md5sum <term.h5)" = "$before" ]; then
    ok "another sweep's store: exit 2, iwsweep's message, nothing launched, no table, store unchanged"
  else not_ok "another sweep's store: exit 2, iwsweep's message, nothing launched, no table, store unchanged" "rc=$rc: $out"; fi
fi

# a failed run, then the printed command with --retry-failed
out=$(cd "$ROOT" && IW_TEST_FAIL_RUN=1 "$RS" -n 3 -o "$IW_TMP/f.h5" "$IW_TMP/tiny.yaml" 2>&1); rc=$?
retry=$(echo "$out" | grep -o 'rerun it with: .*' | sed 's/^rerun it with: //')
if [ $rc = 1 ] && case "$retry" in "./run_sweep.sh --retry-failed -n 3 -o "*tiny.yaml) true ;; *) false ;; esac; then
  ok "a failed run: exit 1, rerun with ./run_sweep.sh --retry-failed ..."
else not_ok "a failed run: exit 1, rerun with ./run_sweep.sh --retry-failed ..." "rc=$rc retry='$retry': $(echo "$out" | tail -5)"; fi
out=$(cd "$ROOT" && eval "$retry" 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q '^spread across weights'; then ok "the printed --retry-failed command completes the sweep"
else not_ok "the printed --retry-failed command completes the sweep" "rc=$rc ($retry): $(echo "$out" | tail -4)"; fi

out=$(cd "$ROOT" && "$RS" --dry-run -o "$IW_TMP/dry.h5" "$IW_TMP/tiny.yaml" 2>&1); rc=$?
if [ $rc = 0 ] && echo "$out" | grep -q 'store: .*dry.h5' && [ ! -e dry.h5 ] && ! echo "$out" | grep -q 'mpirun'; then
  ok "--dry-run: the plan, no store, nothing launched"
else not_ok "--dry-run: the plan, no store, nothing launched" "rc=$rc: $(echo "$out" | tail -4)"; fi
finish
