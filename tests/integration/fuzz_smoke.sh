#!/usr/bin/env bash
# sanitizer: no
# fuzz_smoke.sh — the sweep-file fuzzer still builds, replays its seeds (tests/fuzz/corpus and every
# tests/bad_sweeps file) without a crash, leak or sanitizer report, then fuzzes for a short while
# (FUZZ_SMOKE_SECONDS, default 20). The long run (600 s) is `make fuzz`.
source "$(dirname "$0")/lib.sh"
iw_tmpdir
export FUZZ_BUILD=$IW_TMP/fuzz
if FUZZ_SECONDS=0 "$ROOT/tests/fuzz/run_fuzz.sh" >"$IW_TMP/replay.log" 2>&1; then
  ok "fuzz harness builds and replays its seeds: $(tail -1 "$IW_TMP/replay.log")"
else
  not_ok "fuzz harness builds and replays its seeds" "$(tail -5 "$IW_TMP/replay.log" | tr '\n' ' ')"
fi
if FUZZ_SECONDS=${FUZZ_SMOKE_SECONDS:-20} "$ROOT/tests/fuzz/run_fuzz.sh" >"$IW_TMP/fuzz.log" 2>&1; then
  ok "short fuzz run: $(tail -1 "$IW_TMP/fuzz.log")"
else
  not_ok "short fuzz run" "$(tail -5 "$IW_TMP/fuzz.log" | tr '\n' ' ')"
fi
finish
