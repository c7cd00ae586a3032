#!/usr/bin/env bash
# run_bench.sh — runs every benchmark and prints its figures (no timed assertions).
#
#   bench/run_bench.sh [BUILD]        (make bench calls it with the build folder, default build)
#
# Runs every BUILD/bench/bench_* binary (iwsweep) and every bench/peer_*.py (PyTorch or other peers,
# run with /usr/bin/python3 and no arguments), one at a time, all under the same environment, so the
# OpenBLAS kernel chosen by OPENBLAS_CORETYPE is the same for both. Any line of the form
#   "<label>: <number> ms/example ..."
# printed by a bench binary and by a peer script with the same <label> (e.g. "MLP b16") gives a line
#   "<label>: iwsweep X ms/ex, PyTorch Y ms/ex, speed-up Z"
# at the end (plus the CPU-time ratio when both print "cpu <number> ms/example" on that line).
# Figures taken on a busy machine are noisy; rerun on an idle one to quote them. A benchmark that
# fails is reported and makes the exit status non-zero; the others still run.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${1:-build}
OUT=$(mktemp -d /tmp/iwbench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset: OpenBLAS picks its kernel itself>}"
echo "host: $(uname -n), $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
status=0
for b in "$BUILD"/bench/bench_*; do
  [ -x "$b" ] || continue
  echo "== $b"
  if ! "$b" | tee "$OUT/ours.$(basename "$b")"; then echo "!! $b failed"; status=1; fi
done
for p in bench/peer_*.py; do
  [ -f "$p" ] || continue
  echo "== $p"
  if ! /usr/bin/python3 "$p" | tee "$OUT/peer.$(basename "$p" .py)"; then echo "!! $p failed"; status=1; fi
done

# label -> wall ms/example (and "cpu X ms/example" when printed), from each side; then one
# speed-up line per label found on both. CPU time is less inflated by other processes than wall
# time on a busy machine, so both ratios are shown.
extract() {
  cat "$@" 2>/dev/null | sed -n -E 's/^([^:]+): ([0-9.eE+-]+) ms\/example(.*cpu ([0-9.eE+-]+) ms\/example)?.*/\1\t\2\t\4/p'
}
extract "$OUT"/ours.* >"$OUT/ours.tsv"
extract "$OUT"/peer.* >"$OUT/peer.tsv"
echo "== speed-up (per training example, same machine and OpenBLAS kernel)"
awk -F'\t' 'NR == FNR { peer[$1] = $2; peer_cpu[$1] = $3; next }
            ($1 in peer) { printf "%s: iwsweep %.4f ms/ex, PyTorch %.4f ms/ex, speed-up %.2f", $1, $2,
                           peer[$1], peer[$1] / $2
                           if ($3 != "" && peer_cpu[$1] != "")
                               printf "  (cpu time: %.4f vs %.4f ms/ex, speed-up %.2f)", $3, peer_cpu[$1], peer_cpu[$1] / $3
                           printf "\n"; found = 1 }
            END { if (!found) print "(no label measured on both sides)" }' "$OUT/peer.tsv" "$OUT/ours.tsv"
exit $status
