#!/usr/bin/env bash
# kiln lint as a user meets it: a realistic Dockerfile (tty, json, SARIF validated against the
# OASIS schema), inline ignores and BuildKit's check directive, the YAML config, base images
# from the local store, stdin, exit codes and errors. The rules themselves are held exactly by
# test_lint_golden.sh.
source "$(dirname "$0")/lib.sh"

app="$WORK/app"
mkdir -p "$app"
cat >"$app/Dockerfile" <<'D'
# syntax=docker/dockerfile:1
FROM node:20 AS build
WORKDIR /app
COPY . .
RUN npm install && npm run build

FROM debian:12
RUN apt-get update && apt-get install -y curl
COPY --from=build /app/dist /srv
CMD node /srv/server.js
D
echo '{}' >"$app/package-lock.json"

# tty: location, caret, fix; warnings fail by default (exit 1).
expect_exit 1 $KILN lint --no-store --no-shellcheck "$app/Dockerfile"
expect_contains "$OUT" "$app/Dockerfile:10:1: warning: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals [JSONArgsRecommended]"
expect_contains "$OUT" ' + CMD ["node", "/srv/server.js"]'
expect_contains "$OUT" "$app/Dockerfile:4:1: warning: COPY of the whole context at line 4 comes before \`npm install\` at line 5"
expect_contains "$OUT" "$app/Dockerfile:5:9: warning: npm install with a package-lock.json in the context"
expect_contains "$OUT" "note: UndefinedVar not checked in stage build: the environment of its base image node:20 is unknown"
[[ $OUT != *$'\033['* ]] || fail "colour codes in piped output"

# json: the same findings, machine-readable; the counts add up.
expect_exit 1 $KILN lint --no-store --no-shellcheck --format json "$app/Dockerfile"
echo "$OUT" >"$WORK/lint.json"
python3 - "$WORK/lint.json" <<'PY' || fail "lint json: $(cat "$WORK/lint.json")"
import json, sys
d = json.load(open(sys.argv[1]))
rules = sorted({f["rule"] for f in d["findings"]})
want = ["AptInstallUnpinned", "AptNoInstallRecommends", "BaseImageNotPinned", "CopyAllBeforeInstall",
        "JSONArgsRecommended", "NpmInstallUnpinned", "PackageCacheNotCleaned", "RootUser"]
assert rules == want, rules
s = d["summary"]
assert s["error"] + s["warning"] + s["info"] == len(d["findings"])
f = next(f for f in d["findings"] if f["rule"] == "JSONArgsRecommended")
assert (f["line"], f["column"], f["severity"]) == (10, 1, "warning"), f
assert f["source"] == "CMD node /srv/server.js" and f["replacement"] == 'CMD ["node", "/srv/server.js"]'
assert f["url"] == "https://docs.docker.com/go/dockerfile/rule/json-args-recommended/"
PY

# SARIF: valid against the OASIS 2.1.0 schema, one result per finding, fixes as replacements.
$KILN lint --no-store --no-shellcheck --format sarif "$app/Dockerfile" >"$WORK/lint.sarif" || true
node "$KILN_SRC/tests/tools/validate-sarif.cjs" "$WORK/lint.sarif" >/dev/null || fail "lint SARIF is not valid SARIF 2.1.0"
python3 - "$WORK/lint.sarif" "$WORK/lint.json" <<'PY' || fail "lint sarif"
import json, sys
s = json.load(open(sys.argv[1])); j = json.load(open(sys.argv[2]))
run = s["runs"][0]
assert len(run["results"]) == len(j["findings"])
rules = run["tool"]["driver"]["rules"]
for r in run["results"]:
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
fix = next(r for r in run["results"] if r["ruleId"] == "JSONArgsRecommended")["fixes"][0]
rep = fix["artifactChanges"][0]["replacements"][0]
assert rep["deletedRegion"]["startLine"] == 10 and rep["insertedContent"]["text"] == 'CMD ["node", "/srv/server.js"]'
PY

# A clean Dockerfile: exit 0.
clean="$WORK/clean"
mkdir -p "$clean"
cat >"$clean/Dockerfile" <<'D'
FROM busybox:1.36@sha256:5eef5ed34e1e1ff0a4ae850395cbf665c4de6b4b83a32a0bc7bcb998e24e7bbb
COPY --chmod=755 app /app
USER 65532:65532
ENTRYPOINT ["/app"]
D
expect_exit 0 $KILN lint --no-store "$clean/Dockerfile"
expect_contains "$OUT" "0 findings"

# Inline ignores (# kiln-ignore=ID[,ID] above the instruction) and BuildKit's check directive.
cat >"$WORK/ign.Dockerfile" <<'D'
# check=skip=BaseImageNotPinned

# kiln-ignore=RootUser,UndefinedVar
FROM busybox:1.36
# kiln-ignore=JSONArgsRecommended
CMD echo hi
D
expect_exit 0 $KILN lint --no-store --context "$WORK/clean" "$WORK/ign.Dockerfile"
expect_contains "$OUT" "0 findings"
sed -i 's/kiln-ignore=JSONArgsRecommended/kiln-ignore=RootUser/' "$WORK/ign.Dockerfile"
expect_exit 1 $KILN lint --no-store --context "$WORK/clean" "$WORK/ign.Dockerfile"
expect_contains "$OUT" "[JSONArgsRecommended]"
# check=error=true: warnings fail even with a higher threshold.
printf '# check=error=true\nFROM busybox:1.36\nUSER 1\nMAINTAINER me\n' >"$WORK/err.Dockerfile"
expect_exit 1 $KILN lint --no-store --failure-threshold error --rule MaintainerDeprecated "$WORK/err.Dockerfile"
printf 'FROM busybox:1.36\nUSER 1\nMAINTAINER me\n' >"$WORK/warn.Dockerfile"
expect_exit 0 $KILN lint --no-store --failure-threshold error --rule MaintainerDeprecated "$WORK/warn.Dockerfile"
expect_exit 0 $KILN lint --no-store --failure-threshold none "$app/Dockerfile"

# The config file: rules off or re-levelled, trusted registries; found in the context.
cat >"$app/.kiln-lint.yaml" <<'Y'
rules:
  JSONArgsRecommended: off
  RootUser: error
trusted-registries: [docker.io/library]
failure-threshold: error
Y
expect_exit 1 $KILN lint --no-store --no-shellcheck --format json "$app/Dockerfile"
python3 -c '
import json, sys
d = json.loads(sys.argv[1]); r = {f["rule"]: f["severity"] for f in d["findings"]}
assert "JSONArgsRecommended" not in r and r["RootUser"] == "error", r' "$OUT" || fail "config not applied: $OUT"
printf 'rules:\n  RootUser: off\nfailure-threshold: error\n' >"$WORK/other.yaml"
expect_exit 0 $KILN lint --no-store --no-shellcheck --config "$WORK/other.yaml" "$app/Dockerfile"
printf 'FROM quay.io/acme/app:1\nUSER 1\n' >"$WORK/quay.Dockerfile"
expect_exit 1 $KILN lint --no-store --config "$app/.kiln-lint.yaml" "$WORK/quay.Dockerfile"
expect_contains "$OUT" "comes from quay.io, which is not in trusted-registries (docker.io/library) [UntrustedRegistry]"
rm "$app/.kiln-lint.yaml"
printf 'rules:\n  NoSuchRule: off\n' >"$WORK/bad.yaml"
expect_exit 2 $KILN lint --config "$WORK/bad.yaml" "$app/Dockerfile"
expect_contains "$ERR" "bad.yaml: unknown rule \"NoSuchRule\""
printf 'rules:\n  RootUser: loud\n' >"$WORK/bad.yaml"
expect_exit 2 $KILN lint --config "$WORK/bad.yaml" "$app/Dockerfile"
expect_contains "$ERR" "rules.RootUser: \"loud\" is not off, on, info, warning or error"
printf 'rules: [\n' >"$WORK/bad.yaml"
expect_exit 2 $KILN lint --config "$WORK/bad.yaml" "$app/Dockerfile"
expect_contains "$ERR" "bad.yaml:"
expect_exit 2 $KILN lint --rule NoSuchRule "$app/Dockerfile"
expect_exit 2 $KILN lint --format xml "$app/Dockerfile"
expect_exit 3 $KILN lint "$WORK/missing.Dockerfile"

# Syntax errors are reported where they are, with a caret.
printf 'FROM busybox\nFORM x\n' >"$WORK/syntax.Dockerfile"
expect_exit 2 $KILN lint "$WORK/syntax.Dockerfile"
expect_contains "$ERR" "syntax.Dockerfile:2:1: unknown instruction: FORM (did you mean FROM?)"

# stdin.
expect_exit 1 $KILN lint --no-store - <"$WORK/ign.Dockerfile"
expect_contains "$OUT" "Dockerfile:6:1: warning: JSON arguments recommended for CMD"

# Base images from the local store: their environment feeds UndefinedVar, their digest the
# pin that BaseImageNotPinned proposes; the network is never used.
busybox_rootfs
$KILN import -q --change 'ENV PATH=/bin' --change 'ENV APP_HOME=/srv' --change 'USER 1000' "$WORK/rootfs" localbase:1 >/dev/null
digest=$($KILN images --format '{{.Digest}}' localbase:1)
cat >"$WORK/store.Dockerfile" <<'D'
FROM localbase:1
WORKDIR $APP_HOME
COPY app $APP_HOEM/
D
expect_exit 1 $KILN lint --context "$WORK/clean" --no-shellcheck "$WORK/store.Dockerfile"
expect_contains "$OUT" "Usage of undefined variable '\$APP_HOEM' (did you mean \$APP_HOME?) [UndefinedVar]"
[[ $OUT != *"RootUser"* ]] || fail "the base image's USER 1000 should satisfy RootUser: $OUT"
[[ $OUT != *"note:"* ]] || fail "no note expected when the base is in the store: $OUT"
expect_contains "$OUT" " + FROM localbase:1@sha256:"
expect_contains "$OUT" " + FROM localbase:1@$digest"

# shellcheck is optional: without it on PATH the rule says so and the rest runs.
mkdir -p "$WORK/bin"
ln -s "$(command -v python3)" "$WORK/bin/python3"
expect_exit 1 env PATH="$WORK/bin" "$KILN" lint --no-store "$app/Dockerfile"
expect_contains "$OUT" "note: ShellCheck: shellcheck is not installed; RUN scripts were not checked with it"

# --list-rules carries BuildKit's check names.
expect_exit 0 $KILN lint --list-rules
for r in StageNameCasing FromAsCasing JSONArgsRecommended UndefinedVar UndefinedArgInFrom \
  WorkdirRelativePath DuplicateStageName SecretsUsedInArgOrEnv CopyIgnoredFile; do
  expect_contains "$OUT" "$r"
done
# kiln build --check: an error-level finding stops the build before any step runs; warnings
# are shown and the build goes on.
bctx="$WORK/bctx"
mkdir -p "$bctx"
cat >"$bctx/Dockerfile" <<'D'
FROM localbase:1
ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
RUN exit 7
D
expect_exit 1 $KILN build --check -t gated "$bctx"
expect_contains "$ERR" "Dockerfile:2:1: error: ENV AWS_ACCESS_KEY_ID holds a credential (AWS access key ID: AKIA************)"
expect_contains "$ERR" "build stopped by --check: 1 finding at error level (nothing ran)"
[[ $ERR != *"exit code: 7"* && $ERR != *"exit 7"* ]] || fail "a step ran despite --check: $ERR"
expect_exit 3 $KILN inspect gated:latest
printf 'FROM localbase:1\nCMD echo hi\n' >"$bctx/Dockerfile"
expect_exit 0 $KILN build --check -q -t checked "$bctx"
expect_contains "$ERR" "warning: JSON arguments recommended for CMD"
# check=error=true in the Dockerfile makes warnings stop the build, as BuildKit does.
printf '# check=error=true\nFROM localbase:1\nCMD echo hi\n' >"$bctx/Dockerfile"
expect_exit 1 $KILN build --check -q -t checked2 "$bctx"
expect_contains "$ERR" "at warning level (nothing ran)"
pass "kiln lint"
