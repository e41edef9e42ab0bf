#!/usr/bin/env bash
# Builds the libFuzzer targets with clang (ASan + UBSan) into build-fuzz/ and, with "run",
# runs each for FUZZ_SECONDS (default 60) on its corpus in fuzz/corpus/<target>/.
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-fuzz
mkdir -p "$out"
flags="-std=c++2b -D__cpp_concepts=202002L -Wno-builtin-macro-redefined -O1 -g -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -Isrc"
srcs="src/kiln/base/error.cpp src/kiln/base/strings.cpp $(ls src/kiln/dockerfile/*.cpp | grep -v _test)"
for t in dockerfile lexer dockerignore; do
  ${CXX:-clang++-16} $flags fuzz/${t}_fuzz.cpp $srcs -lfmt -o "$out/${t}_fuzz"
done
if [[ ${1:-} == run ]]; then
  for t in dockerfile lexer dockerignore; do
    mkdir -p "fuzz/corpus/$t" "$out/new-$t"
    "$out/${t}_fuzz" -max_total_time="${FUZZ_SECONDS:-60}" -max_len=4096 -timeout=5 \
      -artifact_prefix="$out/crash-$t-" "$out/new-$t" "fuzz/corpus/$t"
  done
fi
