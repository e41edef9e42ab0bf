#!/usr/bin/env bash
# The CVSS v4.0 golden file the unit test Cvss4.AgreesWithAnIndependentCalculator checks kiln
# against is what the independent calculator (npm package ae-cvss-calculator, installed by
# scripts/install-test-tools) computes: regenerated here and compared byte for byte.
source "$(dirname "$0")/lib.sh"
[[ -d "$KILN_SRC/tests/tools/node_modules/ae-cvss-calculator" ]] ||
  fail "ae-cvss-calculator is missing (run scripts/install-test-tools)"
node "$KILN_SRC/tests/tools/cvss4_golden.cjs" >"$WORK/golden.txt" || fail "cvss4_golden.cjs failed"
cmp "$WORK/golden.txt" "$KILN_SRC/tests/data/cvss4/golden.txt" ||
  fail "tests/data/cvss4/golden.txt is not the calculator's output: $(diff "$WORK/golden.txt" "$KILN_SRC/tests/data/cvss4/golden.txt" | head -5)"
pass "the CVSS v4.0 golden file is the independent calculator's output ($(wc -l <"$WORK/golden.txt") vectors)"
