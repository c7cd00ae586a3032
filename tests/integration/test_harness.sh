#!/usr/bin/env bash
# sanitizer: no
# test_harness.sh — the test harness itself can fail: tests/run_tests.sh on a fake build folder of
# tiny programs (one passes, one skips, one fails, one prints nothing, one crashes after a pass)
# must count "4 passed, 3 failed, 1 skipped" and exit non-zero; a build with no test program, and a
# sanitizer pass with none, are failures; a skip alone is never a pass. And test_engine_torch fails
# on a fixture whose loss trace is one step short or one step long (IW_TORCH_FIXTURE).
source "$(dirname "$0")/lib.sh"
iw_tmpdir
cd "$IW_TMP" || exit 1

# fake_build DIR NAME...: DIR/tests/test_NAME for each NAME, from the bodies below
fake_build() {
  local dir=$1; shift
  mkdir -p "$dir/tests"
  for n in "$@"; do
    case "$n" in
      ok)     body='echo "ok - one"; echo "ok - two"' ;;
      skip)   body='echo "ok - three # SKIP no such hardware here"' ;;
      fail)   body='echo "ok - four"; echo "# expected 1, got 2"; echo "not ok - five"; exit 1' ;;
      silent) body='exit 0' ;;
      crash)  body='echo "ok - six"; kill -SEGV $$' ;;
    esac
    printf '#!/bin/sh\n%s\n' "$body" >"$dir/tests/test_$n"
    chmod +x "$dir/tests/test_$n"
  done
}
# harness ARGS...: run_tests.sh with no integration script (the filter matches none); sets out, rc
harness() {
  out=$(TMPDIR=$IW_TMP IW_TEST_FILTER=no-such-integration-script bash "$ROOT/tests/run_tests.sh" "$@" 2>&1); rc=$?
}
summary() { echo "$out" | tail -1; }

fake_build all ok skip fail silent crash
harness "$IW_TMP/all"
if [ "$(summary)" = "4 passed, 3 failed, 1 skipped" ] && [ $rc != 0 ]; then
  ok "run_tests.sh counts pass, skip, fail, silent, crash as 4 passed, 3 failed, 1 skipped and fails"
else not_ok "run_tests.sh counts pass, skip, fail, silent, crash as 4 passed, 3 failed, 1 skipped and fails" "rc=$rc: $(summary)"; fi
for why in "test_silent reported no test case" "test_crash exited with status"; do
  if echo "$out" | grep -q "$why"; then ok "run_tests.sh says: $why"; else not_ok "run_tests.sh says: $why" "$(echo "$out" | tail -20)"; fi
done

fake_build good ok skip
harness "$IW_TMP/good"
if [ "$(summary)" = "2 passed, 0 failed, 1 skipped" ] && [ $rc = 0 ]; then ok "a pass and a skip: 2 passed, 0 failed, 1 skipped, exit 0"
else not_ok "a pass and a skip: 2 passed, 0 failed, 1 skipped, exit 0" "rc=$rc: $(summary)"; fi

fake_build onlyskip skip
harness "$IW_TMP/onlyskip"
if [ "$(summary)" = "0 passed, 0 failed, 1 skipped" ]; then ok "a skipped case is never counted as passed"
else not_ok "a skipped case is never counted as passed" "$(summary)"; fi

mkdir -p empty/tests
harness "$IW_TMP/empty"
if [ $rc != 0 ] && [ "$(summary)" = "0 passed, 1 failed, 0 skipped" ] && echo "$out" | grep -q "found no unit test program"; then
  ok "a build folder without test programs fails"
else not_ok "a build folder without test programs fails" "rc=$rc: $(summary)"; fi

harness "$IW_TMP/good" "$IW_TMP/empty"
if [ $rc != 0 ] && [ "$(summary)" = "2 passed, 1 failed, 1 skipped" ] && echo "$out" | grep -q "sanitizer pass found no test program"; then
  ok "a sanitizer pass that finds no test program fails"
else not_ok "a sanitizer pass that finds no test program fails" "rc=$rc: $(summary)"; fi

# --- the loss-trace check of test_engine_torch fails on a trace of the wrong length
fixture=$ROOT/tests/fixtures/mlp_torch.bin
if [ ! -x "$BUILD/tests/test_engine_torch" ]; then
  not_ok "test_engine_torch built" "$BUILD/tests/test_engine_torch missing"; finish
fi
for delta in -1 1; do
  $PY - "$fixture" "trace$delta.bin" "$delta" <<'PY'
import struct, sys
src, dst, delta = sys.argv[1], sys.argv[2], int(sys.argv[3])
data = open(src, "rb").read()
assert data[:4] == b"IWFX"
version, n = struct.unpack_from("<II", data, 4)
pos, out = 12, [data[:12]]
for _ in range(n):
    (ln,) = struct.unpack_from("<I", data, pos); name = data[pos + 4:pos + 4 + ln]; pos += 4 + ln
    (count,) = struct.unpack_from("<I", data, pos); values = data[pos + 4:pos + 4 + 4 * count]; pos += 4 + 4 * count
    if name == b"W.trace":   # one step short, or one step more (a copy of the last loss)
        values = values[:-4] if delta < 0 else values + values[-4:]
        count += delta
    out.append(struct.pack("<I", ln) + name + struct.pack("<I", count) + values)
open(dst, "wb").write(b"".join(out))
PY
  want=$((10 + delta))
  o=$(IW_TORCH_FIXTURE=$IW_TMP/trace$delta.bin "$BUILD/tests/test_engine_torch" 2>&1); r=$?
  if [ $r != 0 ] && echo "$o" | grep -q '^not ok - test_torch_mlp_normalize_weights' &&
     echo "$o" | grep -q "W.trace missing or of length $want, expected 10"; then
    ok "test_engine_torch fails on a loss trace of $want steps"
  else not_ok "test_engine_torch fails on a loss trace of $want steps" "rc=$r: $(echo "$o" | head -5 | tr '\n' ' ')"; fi
done
o=$(IW_TORCH_FIXTURE=$fixture "$BUILD/tests/test_engine_torch" 2>&1); r=$?
if [ $r = 0 ]; then ok "test_engine_torch passes on the committed fixture named by IW_TORCH_FIXTURE"
else not_ok "test_engine_torch passes on the committed fixture named by IW_TORCH_FIXTURE" "rc=$r"; fi
finish
