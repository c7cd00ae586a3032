#!/usr/bin/env bash
# store_host.sh — /runs/host on one machine: a 3-rank sweep records the host name of every run
# (h5py reads a netCDF char array S1 [R, 64] whose rows are `hostname`; xarray's netcdf4 and
# h5netcdf engines both decode it into those strings without options; the dataset has its
# description), `iwreport summary` counts runs per host, a store made before /runs/host existed
# (the dataset removed with h5py, some runs made pending again) is still resumed to completion with
# metrics equal to the first sweep's, and iwreport reads hosts another tool stored as 1-D strings.
# The multi-node version (three hosts) is tests/integration/cluster_mpirun.sh.
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
    if h.dtype != np.dtype("S1") or h.shape != (4, 64): bad.append("dtype %s shape %s, expected S1 (4, 64)" % (h.dtype, h.shape))
    if "host name" not in h.attrs.get("description", ""): bad.append("no description")
    names = h[:].view("S64")[:, 0]          # the way the description tells h5py users
    if not np.all(names == sys.argv[2].encode()): bad.append("hosts %s, expected %s" % (set(names), sys.argv[2]))
print("; ".join(bad) or "%d runs on %s" % (len(names), sys.argv[2]))
sys.exit(1 if bad else 0)
EOF
); then ok "/runs/host records the host of every run ($why)"; else not_ok "/runs/host records the host of every run" "$why"; fi

for engine in netcdf4 h5netcdf; do  # each in its own process: netCDF-C aborts on layouts it cannot read
  if got=$("$PY" -c 'import sys, xarray as xr
runs = xr.open_dataset(sys.argv[1], engine=sys.argv[2], group="runs")
print(" ".join(runs["host"].values.astype(str)), runs["host"].dims)' a.h5 "$engine" 2>&1) &&
     [ "$got" = "$host $host $host $host ('run',)" ]; then
    ok "xarray ($engine, no options) reads /runs/host as strings: $got"
  else
    not_ok "xarray ($engine, no options) reads /runs/host as strings" "$(echo "$got" | tail -3 | tr '\n' ' ')"
  fi
done

if "$BUILD/iwreport" summary a.h5 >sum.txt 2>&1 && grep -q "^hosts: *$host: 4 runs;" sum.txt; then ok "iwreport summary counts runs per host"
else not_ok "iwreport summary counts runs per host" "$(grep -i host sum.txt || tail -3 sum.txt)"; fi

# a store without /runs/host and its length dimension (as made before they existed), two runs
# pending again: it resumes
cp a.h5 old.h5
"$PY" - old.h5 <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    del f["runs/host"], f["runs/host_strlen"]
EOF
"$PY" "$ROOT/tests/integration/make_pending_store.py" old.h5 1 2
if iw_mpirun 3 "$IWS" -o old.h5 "$SW/tiny2d.yaml" >old.out 2>old.err && grep -q '4 done, 0 diverged, 0 failed, 0 pending' old.out &&
   h5diff -q a.h5 old.h5 /metrics /metrics; then
  ok "a store made before /runs/host resumes to the same metrics"
else
  not_ok "a store made before /runs/host resumes to the same metrics" "$(tail -3 old.err old.out)"
fi
# hosts as another tool may store them: a 1-D array of fixed-length strings
"$PY" - a.h5 other.h5 <<'EOF'
import shutil, sys, h5py, numpy as np
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r+") as f:
    del f["runs/host"]
    f["runs/host"] = np.array([b"nodeA", b"nodeB", b"nodeA", b"nodeA"], dtype="S8")
EOF
if "$BUILD/iwreport" summary other.h5 >other.txt 2>&1 && grep -q "^hosts: *nodeA: 3 runs; nodeB: 1 runs;" other.txt; then
  ok "iwreport reads hosts stored as 1-D fixed-length strings"
else not_ok "iwreport reads hosts stored as 1-D fixed-length strings" "$(grep -i host other.txt || tail -3 other.txt)"; fi
finish
