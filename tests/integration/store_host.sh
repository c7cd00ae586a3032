#!/usr/bin/env bash
# store_host.sh — /runs/host on one machine: a 3-rank sweep records the host name of every run
# (h5py reads fixed-length 64-byte strings equal to `hostname`; the dataset has its description),
# `iwreport summary` counts runs per host, and a store made before /runs/host existed (the dataset
# removed with h5py, some runs made pending again) is still resumed to completion, with metrics
# equal to the first sweep's. The multi-node version (three hosts) is tests/integration/cluster_mpirun.sh.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1
IWS=$BUILD/iwsweep
SW=$ROOT/tests/sweeps
host=$(hostname)

if iw_mpirun 3 "$IWS" -o a.h5 "$SW/tiny2d.yaml" >a.out 2>a.err; then ok "3-rank sweep completes"
else not_ok "3-rank sweep completes" "$(tail -3 a.err)"; finish; fi

if why=$("$PY" - a.h5 "$host" <<'EOF'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "r") as f:
    h = f["runs/host"]
    bad = []
    if h.dtype != np.dtype("S64"): bad.append("dtype %s, expected S64" % h.dtype)
    if "host name" not in h.attrs.get("description", ""): bad.append("no description")
    if not np.all(h[:] == sys.argv[2].encode()): bad.append("hosts %s, expected %s" % (set(h[:]), sys.argv[2]))
print("; ".join(bad) or "%d runs on %s" % (len(h), sys.argv[2]))
sys.exit(1 if bad else 0)
EOF
); then ok "/runs/host records the host of every run ($why)"; else not_ok "/runs/host records the host of every run" "$why"; fi

if "$BUILD/iwreport" summary a.h5 >sum.txt 2>&1 && grep -q "^hosts: *$host: 4 runs;" sum.txt; then ok "iwreport summary counts runs per host"
else not_ok "iwreport summary counts runs per host" "$(grep -i host sum.txt || tail -3 sum.txt)"; fi

# a store without /runs/host (as made before it existed), two runs pending again: it resumes
cp a.h5 old.h5
"$PY" - old.h5 <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    del f["runs/host"]
EOF
"$PY" "$ROOT/tests/integration/make_pending_store.py" old.h5 1 2
if iw_mpirun 3 "$IWS" -o old.h5 "$SW/tiny2d.yaml" >old.out 2>old.err && grep -q '4 done, 0 diverged, 0 failed, 0 pending' old.out &&
   h5diff -q a.h5 old.h5 /metrics /metrics; then
  ok "a store made before /runs/host resumes to the same metrics"
else
  not_ok "a store made before /runs/host resumes to the same metrics" "$(tail -3 old.err old.out)"
fi
finish
