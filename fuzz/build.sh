#!/usr/bin/env bash
# Builds the libFuzzer targets with clang 16 (ASan + UBSan) into build-fuzz/ and, with "run",
# runs each for FUZZ_SECONDS (default 60) on its corpus in fuzz/corpus/<target>/.
# (clang 16, not Debian's default 14: libstdc++ 12's std::expected needs P0848, which clang 16
# implements; it still reports an older __cpp_concepts, hence the define.)
set -euo pipefail
cd "$(dirname "$0")/.."
out=build-fuzz
cxx=${CXX:-clang++-16}
mkdir -p "$out/obj"
flags="-std=c++2b -D__cpp_concepts=202002L -Wno-builtin-macro-redefined -O1 -g -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined -Isrc"
objs=()
for src in src/kiln/base/error.cpp src/kiln/base/strings.cpp $(ls src/kiln/dockerfile/*.cpp | grep -v _test); do
  obj="$out/obj/$(basename "$src" .cpp).o"
  [[ $obj -nt $src ]] || $cxx $flags -c "$src" -o "$obj" &
  objs+=("$obj")
  (($(jobs -r | wc -l) >= $(nproc))) && wait -n
done
wait
for t in dockerfile lexer dockerignore; do
  $cxx ${flags/fuzzer-no-link/fuzzer} "fuzz/${t}_fuzz.cpp" "${objs[@]}" -lfmt -o "$out/${t}_fuzz"
done
if [[ ${1:-} == run ]]; then
  for t in dockerfile lexer dockerignore; do
    mkdir -p "fuzz/corpus/$t" "$out/new-$t"
    "$out/${t}_fuzz" -max_total_time="${FUZZ_SECONDS:-60}" -max_len=4096 -timeout=5 \
      -artifact_prefix="$out/crash-$t-" "$out/new-$t" "fuzz/corpus/$t"
  done
fi
