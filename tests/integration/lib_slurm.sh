# lib_slurm.sh — helpers shared by the tests that drive the local Slurm (sourced after lib.sh).

# job_field JOB FIELD: one field of `scontrol show job` (e.g. JobState, Restarts)
job_field() { scontrol show job -o "$1" 2>/dev/null | tr ' ' '\n' | sed -n "s/^$2=//p" | head -1; }

# wait_done STORE N SECONDS JOB: wait until the store has at least N runs done; prints "n of R";
# gives up early when the job has ended
wait_done() {
  "$PY" - "$@" <<'EOF'
import sys, time, subprocess, h5py, numpy as np
path, need, limit, job = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
end, n, r, polls = time.time() + limit, -1, "?", 0
def job_over():
    out = subprocess.run(["scontrol", "show", "job", "-o", job], capture_output=True, text=True).stdout
    return not any(("JobState=" + s) in out for s in ("PENDING", "RUNNING", "CONFIGURING", "REQUEUED"))
while time.time() < end:
    polls += 1
    if polls % 10 == 0 and job_over():
        break
    try:
        with h5py.File(path, "r") as f:
            s = f["runs/status"][...]
        n, r = int(np.isin(s, (1, 2)).sum()), len(s)
        if n >= need:
            print("%d of %d" % (n, r)); sys.exit(0)
    except Exception:   # a file being written may not open at every instant
        pass
    time.sleep(0.1)
print("%d of %s" % (n, r)); sys.exit(1)
EOF
}
