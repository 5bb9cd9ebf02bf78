#!/usr/bin/env bash
# test.sh: the README's second command. Installs what is needed, then builds with ASan+UBSan
# and -Werror and runs every unit and integration test and every fuzz seed corpus (ctest),
# then builds the libFuzzer targets with clang and runs each briefly
# (ESTAFETA_FUZZ_SECONDS, default 20; 0 skips).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh --test

jobs=$(nproc)
cmake --preset asan >/dev/null
cmake --build build/asan -j "$jobs"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir build/asan -j "$jobs" --output-on-failure --timeout 900

seconds=${ESTAFETA_FUZZ_SECONDS:-20}
if [ "$seconds" -gt 0 ]; then
  cmake --preset fuzz >/dev/null
  targets=$(cd fuzz && ls fuzz_*.cpp 2>/dev/null | sed 's/\.cpp$//')
  if [ -n "$targets" ]; then
    cmake --build build/fuzz -j "$jobs" --target $targets
    # One target per core at a time (each is single-threaded): the whole set in about
    # targets x seconds / cores.
    fuzz_one() {
      local t=$1 corpus=build/fuzz/corpus/$1 seeds=() dict=()
      mkdir -p "$corpus"
      [ -d fuzz/seeds/$t ] && seeds=(fuzz/seeds/$t)
      [ -f fuzz/$t.dict ] && dict=(-dict=fuzz/$t.dict)
      echo "fuzz: $t for ${seconds}s"
      build/fuzz/fuzz/$t "${dict[@]}" -max_total_time="$seconds" -rss_limit_mb=2048 \
        -print_final_stats=0 "$corpus" "${seeds[@]}" >build/fuzz/$t.log 2>&1 \
        || { tail -50 build/fuzz/$t.log; echo "fuzz: $t FAILED"; return 1; }
    }
    failed=0 running=0
    for t in $targets; do
      fuzz_one "$t" &
      running=$((running + 1))
      if [ "$running" -ge "$jobs" ]; then
        wait -n || failed=1
        running=$((running - 1))
      fi
    done
    while [ "$running" -gt 0 ]; do
      wait -n || failed=1
      running=$((running - 1))
    done
    [ "$failed" -eq 0 ] || exit 1
  fi
fi
echo "all tests passed"
