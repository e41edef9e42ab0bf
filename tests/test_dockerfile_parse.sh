#!/usr/bin/env bash
# kiln dockerfile parse: JSON and BuildKit dump output, errors with FILE:LINE:COL and a caret.
source "$(dirname "$0")/lib.sh"
cat >"$WORK/Dockerfile" <<'DF'
# syntax=docker/dockerfile:1
ARG BASE=busybox
FROM $BASE AS build
RUN --mount=type=cache,target=/c <<EOF
echo hi
EOF
COPY --from=build ["a b", "/dst/"]
ONBUILD RUN make
DF
out=$($KILN dockerfile parse --format dump "$WORK/Dockerfile")
expect_eq '(arg "BASE=busybox")
(from "$BASE" "AS" "build")
(run ["--mount=type=cache,target=/c"] "<<EOF")
(copy ["--from=build"] "a b" "/dst/")
(onbuild (run "make"))' "$out" "dump"
$KILN dockerfile parse "$WORK/Dockerfile" | python3 -c '
import json, sys
d = json.load(sys.stdin)
assert d["directives"] == [{"name": "syntax", "value": "docker/dockerfile:1", "line": 1}], d["directives"]
run = d["instructions"][2]
assert run["instruction"] == "run" and run["startLine"] == 4 and run["endLine"] == 6, run
assert run["heredocs"][0]["content"] == "echo hi\n" and run["heredocs"][0]["name"] == "EOF", run
assert d["instructions"][3]["json"] is True
assert d["instructions"][4]["trigger"]["instruction"] == "run"
'
$KILN dockerfile parse - <"$WORK/Dockerfile" >/dev/null

printf 'FROM busybox\nRUN true\n  FORM x\n' >"$WORK/bad"
expect_exit 2 $KILN dockerfile parse "$WORK/bad"
expect_eq "kiln: $WORK/bad:3:3: unknown instruction: FORM (did you mean FROM?)
 3 |   FORM x
   |   ^" "$ERR" "error with caret"
expect_exit 3 $KILN dockerfile parse "$WORK/missing"
expect_exit 2 $KILN dockerfile parse --format yaml "$WORK/Dockerfile"
pass "dockerfile parse"
