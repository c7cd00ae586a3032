#!/usr/bin/env bash
# compare-stores.sh — do two builds of iwsweep write the same store? For a refactor that must not
# change behaviour: each sweep file is run by both builds (same rank count, fresh stores) and the
# stores are compared with h5diff, every dataset and attribute, except what legitimately differs
# between two executions of the same sweep:
#   /runs/wall_seconds, /runs/cpu_seconds   timings;
#   /runs/worker_rank                       which rank ran a run (only with more than one rank);
#   the root attribute `created`            the creation time.
#
#   scripts/compare-stores.sh OLD_BUILD NEW_BUILD [-n RANKS] SWEEP_FILE...
#
# OLD_BUILD / NEW_BUILD are folders holding an iwsweep binary (e.g. a build of main made with
# `git archive <commit> | tar -x -C DIR && make -C DIR build`, and build/). Prints one line per
# sweep, "same: ..." or "DIFFERENT: ..." with h5diff's report, and exits non-zero when any store
# differs or a sweep failed. Scratch stores go to a mktemp folder, removed at exit.
set -u
if [ $# -lt 3 ]; then
  sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
old=$1 new=$2; shift 2
ranks=1
if [ "$1" = -n ]; then ranks=$2; shift 2; fi
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1
tmp=$(mktemp -d /tmp/compare-stores.XXXXXX)
export OMPI_MCA_orte_tmpdir_base=$tmp
trap 'rm -rf "$tmp"' EXIT

run() { # BUILD STORE SWEEP: one sweep, exit status of iwsweep
  if [ "$ranks" = 1 ]; then "$1/iwsweep" -o "$2" "$3"
  else mpirun --oversubscribe -np "$ranks" "$1/iwsweep" -o "$2" "$3"; fi
}

excluded="/runs/wall_seconds /runs/cpu_seconds"
[ "$ranks" != 1 ] && excluded="$excluded /runs/worker_rank"
status=0
for sweep in "$@"; do
  name=$(basename "$sweep" .yaml)
  a=$tmp/$name-old.h5 b=$tmp/$name-new.h5
  if ! run "$old" "$a" "$sweep" >"$tmp/$name-old.log" 2>&1; then
    echo "FAILED: $name with $old: $(tail -2 "$tmp/$name-old.log" | tr '\n' ' ')"; status=1; continue
  fi
  if ! run "$new" "$b" "$sweep" >"$tmp/$name-new.log" 2>&1; then
    echo "FAILED: $name with $new: $(tail -2 "$tmp/$name-new.log" | tr '\n' ' ')"; status=1; continue
  fi
  # h5diff's --exclude-path does not stop it from following the dimension scales' object
  # references (/run's REFERENCE_LIST points at every /runs dataset), so the excluded values and
  # `created` are copied from the old store into the new one, then everything is compared.
  if ! /usr/bin/python3 - "$a" "$b" $excluded <<'EOF'
import sys, h5py
with h5py.File(sys.argv[1], "r") as old, h5py.File(sys.argv[2], "r+") as new:
    new.attrs["created"] = old.attrs["created"]
    for path in sys.argv[3:]:
        assert new[path].shape == old[path].shape and new[path].dtype == old[path].dtype, path
        new[path][...] = old[path][...]
EOF
  then echo "FAILED: $name: cannot align the excluded values"; status=1; continue; fi
  if h5diff -r -c "$a" "$b" >"$tmp/$name.diff" 2>&1; then
    echo "same: $name ($ranks rank(s), $(h5dump -H "$a" | grep -c 'DATASET "') datasets; excluded: $excluded, attribute /created)"
  else
    echo "DIFFERENT: $name"
    grep -v -E '^(attribute|dataset|group): |^0 differences found$' "$tmp/$name.diff" | head -30 | sed 's/^/    /'
    status=1
  fi
done
exit $status
