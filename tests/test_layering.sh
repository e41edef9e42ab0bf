#!/bin/bash
# scripts/check-layers fails on an include that points upward, sideways, or at nlohmann outside
# the JSON codec files, and names the file and line (the `layering` test runs it on src/).
source "$(dirname "$0")/lib.sh"
layers="$(dirname "$KILN")/layers.txt"
[ -f "$layers" ] || fail "no layer graph at $layers (CMake writes it)"
cp -r "$KILN_SRC/src" "$WORK/src"
python3 "$KILN_SRC/scripts/check-layers" "$layers" "$WORK/src" >"$WORK/out" || fail "clean tree refused: $(cat "$WORK/out")"

# Upward: the store including the builder.
cp "$WORK/src/kiln/store/store.cpp" "$WORK/store.cpp.orig"
sed -i '1a #include "kiln/builder/build.hpp"' "$WORK/src/kiln/store/store.cpp"
if python3 "$KILN_SRC/scripts/check-layers" "$layers" "$WORK/src" >"$WORK/out"; then fail "upward include passed"; fi
grep -q '^src/kiln/store/store.cpp:2: store includes kiln/builder/build.hpp (builder), which it does not link' "$WORK/out" \
  || fail "no file:line for the upward include: $(cat "$WORK/out")"
cp "$WORK/store.cpp.orig" "$WORK/src/kiln/store/store.cpp"

# Sideways: the registry client including the server.
sed -i '1a #include "kiln/registry/server/service.hpp"' "$WORK/src/kiln/registry/client/client.cpp"
if python3 "$KILN_SRC/scripts/check-layers" "$layers" "$WORK/src" >"$WORK/out"; then fail "sideways include passed"; fi
grep -q 'registry/client includes kiln/registry/server/service.hpp (registry/server)' "$WORK/out" || fail "$(cat "$WORK/out")"
sed -i '2d' "$WORK/src/kiln/registry/client/client.cpp"

# Third-party JSON outside the codec files.
sed -i '1a #include <nlohmann/json.hpp>' "$WORK/src/kiln/image/copy.cpp"
if python3 "$KILN_SRC/scripts/check-layers" "$layers" "$WORK/src" >"$WORK/out"; then fail "nlohmann include passed"; fi
grep -q '^src/kiln/image/copy.cpp:2: includes nlohmann/json.hpp outside the JSON codec files' "$WORK/out" || fail "$(cat "$WORK/out")"
sed -i '2d' "$WORK/src/kiln/image/copy.cpp"
# ... the CLI included: its JSON goes through cli/json_output.
sed -i '1a #include <nlohmann/json.hpp>' "$WORK/src/kiln/cli/cmd_images.cpp"
if python3 "$KILN_SRC/scripts/check-layers" "$layers" "$WORK/src" >"$WORK/out"; then fail "nlohmann include in the CLI passed"; fi
grep -q '^src/kiln/cli/cmd_images.cpp:2: includes nlohmann/json.hpp outside the JSON codec files' "$WORK/out" || fail "$(cat "$WORK/out")"
sed -i '2d' "$WORK/src/kiln/cli/cmd_images.cpp"
python3 "$KILN_SRC/scripts/check-layers" "$layers" "$WORK/src" >"$WORK/out" || fail "restored tree refused: $(cat "$WORK/out")"
pass "layering check"
