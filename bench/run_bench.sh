#!/usr/bin/env bash
# run_bench.sh — runs every benchmark on every kernel path of the engine the CPU has, and PyTorch
# beside them, then prints a table of engine / PyTorch per workload (no timed assertions).
#
#   bench/run_bench.sh [BUILD]        (make bench calls it with the build folder, default build)
#   IW_BENCH_PATHS="avx2 portable"    limit the engine paths (default: all the CPU runs, best first)
#   IW_BENCH_SECONDS=2                seconds per configuration (bench_cnn, bench_mlp, PyTorch peers)
#   IW_BENCH_BEFORE=DIR               also run the engine benchmarks of another build folder (e.g. the
#                                     build/ of a checkout of main, `make build/bench/bench_cnn ...`
#                                     there) on the same paths, interleaved with these, and print a
#                                     before/after table beside the PyTorch one
#   IW_BENCH_SCALE=0                  skip the cluster-scale figures (bench_scale, bench_paper_cost:
#                                     several minutes; they run once, on the CPU's best path,
#                                     before the tables)
#
# Engine paths (IW_ENGINE_ISA): avx512 where /proc/cpuinfo lists avx512f, avx2 where it lists avx2
# and fma, portable always. Each engine benchmark (BUILD/bench/bench_*, except bench_data_share,
# which measures memory and runs once) runs once per path. On a CPU with AVX-512 the avx2 path
# stands for an AVX2-only node: the engine runs with OPENBLAS_CORETYPE=Haswell (unless the
# environment sets it) and PyTorch runs a second time with ONEDNN_MAX_CPU_ISA=AVX2 and the same
# OpenBLAS kernel, and the avx2 rows compare with that run. Every line of the form
#   "<label>: <number> ms/<unit>  (cpu <number> ms/<unit>; ..."
# printed by an engine benchmark and by a peer (bench/peer_*.py, run with /usr/bin/python3) with the
# same <label> gives a row of the final table, by process CPU time (which other work on a shared
# machine inflates less than wall time; the wall figures are in the lines above). A benchmark that
# fails is reported and makes the exit status non-zero; the others still run.
set -uo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT" || exit 1
BUILD=${1:-build}
SECONDS_PER=${IW_BENCH_SECONDS:-2}
BEFORE=${IW_BENCH_BEFORE:-}
if [ -n "$BEFORE" ] && [ ! -d "$BEFORE/bench" ]; then echo "run_bench.sh: IW_BENCH_BEFORE=$BEFORE has no bench/ folder" >&2; exit 2; fi
OUT=$(mktemp -d /tmp/iwbench.XXXXXX)
trap 'rm -rf "$OUT"' EXIT

flags=$(grep -m1 '^flags' /proc/cpuinfo 2>/dev/null)
has() { case " $flags " in *" $1 "*) return 0 ;; esac; return 1; }
cpu_paths=""
has avx512f && cpu_paths="avx512"
has avx2 && has fma && cpu_paths="$cpu_paths avx2"
cpu_paths="$cpu_paths portable"
paths=${IW_BENCH_PATHS:-$cpu_paths}
avx512_cpu=0; has avx512f && avx512_cpu=1

echo "CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'), $(nproc) cores, load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-<unset: OpenBLAS picks its kernel itself>}; engine paths: $paths"
status=0

# peer group of a path: "default", or "avx2" (PyTorch limited to AVX2) for the avx2 path of a CPU
# with AVX-512
group_of() { if [ "$1" = avx2 ] && [ "$avx512_cpu" = 1 ]; then echo avx2; else echo default; fi; }
env_of_group() { # the environment a group's runs get
  if [ "$1" = avx2 ]; then echo "OPENBLAS_CORETYPE=${OPENBLAS_CORETYPE:-Haswell} ONEDNN_MAX_CPU_ISA=AVX2"; fi
}

for path in $paths; do
  group=$(group_of "$path")
  for b in "$BUILD"/bench/bench_*; do
    [ -x "$b" ] || continue
    name=$(basename "$b")
    case $name in bench_data_share | bench_scale | bench_paper_cost) continue ;; esac
    arg=$([ "$name" = bench_run ] && echo 1 || echo "$SECONDS_PER")
    if [ -n "$BEFORE" ] && [ -x "$BEFORE/bench/$name" ]; then
      echo "== $name (before: $BEFORE), engine path $path $(env_of_group "$group")"
      # shellcheck disable=SC2046
      if ! env $(env_of_group "$group") IW_ENGINE_ISA="$path" "$BEFORE/bench/$name" "$arg" | tee "$OUT/before.$path.$name"; then
        echo "!! $name ($path, before) failed"; status=1
      fi
    fi
    echo "== $name, engine path $path $(env_of_group "$group")"
    # shellcheck disable=SC2046
    if ! env $(env_of_group "$group") IW_ENGINE_ISA="$path" "$b" "$arg" | tee "$OUT/ours.$path.$name"; then
      echo "!! $name ($path) failed"; status=1
    fi
  done
done
if [ -x "$BUILD/bench/bench_data_share" ]; then
  echo "== bench_data_share"
  "$BUILD/bench/bench_data_share" || { echo "!! bench_data_share failed"; status=1; }
fi

groups=$(for path in $paths; do group_of "$path"; done | sort -u)
for group in $groups; do
  for p in bench/peer_*.py; do
    [ -f "$p" ] || continue
    name=$(basename "$p" .py)
    echo "== $name ($group) $(env_of_group "$group")"
    # shellcheck disable=SC2046
    if ! env $(env_of_group "$group") /usr/bin/python3 "$p" "$([ "$name" = peer_torch_run ] && echo 1 || echo "$SECONDS_PER")" |
        tee "$OUT/peer.$group.$name"; then
      echo "!! $name ($group) failed"; status=1
    fi
  done
done

if [ "${IW_BENCH_SCALE:-1}" != 0 ]; then
  for name in bench_paper_cost bench_scale; do
    [ -x "$BUILD/bench/$name" ] || continue
    echo "== $name (once, the CPU's best engine path)"
    # bench_paper_cost takes seconds per configuration; bench_scale a folder (default: one in /tmp)
    if [ "$name" = bench_paper_cost ]; then "$BUILD/bench/$name" "$SECONDS_PER"; else "$BUILD/bench/$name"; fi ||
      { echo "!! $name failed"; status=1; }
  done
fi

# label <tab> wall <tab> cpu <tab> unit, from "<label>: X ms/<unit>  (cpu Y ms/<unit>; ..."
extract() {
  cat "$@" 2>/dev/null |
    sed -n -E 's/^([^:]+): ([0-9.eE+-]+) ms\/([a-z]+) +\(cpu ([0-9.eE+-]+) ms\/[a-z]+.*/\1\t\2\t\4\t\3/p'
}
echo "== engine / PyTorch, by process CPU time (< 1: the engine is faster; same machine, same run)"
printf '%-24s %-9s %16s %16s %7s   %s\n' workload path engine PyTorch ratio "PyTorch ran with"
for path in $paths; do
  group=$(group_of "$path")
  extract "$OUT"/ours."$path".* >"$OUT/ours.tsv"
  extract "$OUT"/peer."$group".* >"$OUT/peer.tsv"
  peer_env=$(env_of_group "$group"); peer_env=${peer_env:-"its own choice of kernels"}
  awk -F'\t' -v path="$path" -v penv="$peer_env" '
      NR == FNR { peer[$1] = $3; next }
      ($1 in peer) && peer[$1] > 0 {
          fmt = $4 == "example" ? "%-24s %-9s %9.4f ms/ex  %9.4f ms/ex  %7.2f   %s\n" \
                                : "%-24s %-9s %9.0f ms/run %9.0f ms/run %7.2f   %s\n"
          printf fmt, $1, path, $3, peer[$1], $3 / peer[$1], penv
          found = 1 }
      END { if (!found) print "(no workload measured on both sides for path " path ")" }' "$OUT/peer.tsv" "$OUT/ours.tsv"
done
if [ -n "$BEFORE" ]; then
  echo "== before ($BEFORE) / after ($BUILD), by process CPU time (> 1: faster after; same machine, same run)"
  printf '%-24s %-9s %16s %16s %8s %9s %9s\n' workload path before after speed-up before/PT after/PT
  for path in $paths; do
    group=$(group_of "$path")
    extract "$OUT"/before."$path".* >"$OUT/before.tsv"
    extract "$OUT"/ours."$path".* >"$OUT/ours.tsv"
    extract "$OUT"/peer."$group".* >"$OUT/peer.tsv"
    awk -F'\t' -v path="$path" '
        FILENAME == ARGV[1] { peer[$1] = $3; next }
        FILENAME == ARGV[2] { before[$1] = $3; next }
        ($1 in before) && $3 > 0 {
            unit = $4 == "example" ? "ms/ex " : "ms/run"
            fmt = $4 == "example" ? "%-24s %-9s %9.4f %s %9.4f %s %8.2f" : "%-24s %-9s %9.0f %s %9.0f %s %8.2f"
            printf fmt, $1, path, before[$1], unit, $3, unit, before[$1] / $3
            if (($1 in peer) && peer[$1] > 0) printf " %9.2f %9.2f", before[$1] / peer[$1], $3 / peer[$1]
            printf "\n"; found = 1 }
        END { if (!found) print "(no workload measured before and after for path " path ")" }' \
        "$OUT/peer.tsv" "$OUT/before.tsv" "$OUT/ours.tsv"
  done
fi
exit $status
