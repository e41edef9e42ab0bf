#!/usr/bin/env bash
# kiln build --policy: lint, scan (secrets, vulnerabilities) and analyze (waste) the built image
# and refuse to tag or export one that breaks the policy, each violation with the Dockerfile
# line it comes from; a fixed build passes and is tagged and exported, from the cache.
source "$(dirname "$0")/lib.sh"

debian12_rootfs
$KILN import -q "$WORK/rootfs" pbase:1 >/dev/null
$KILN db import "$KILN_SRC/tests/data/osv/debian" "$KILN_SRC/tests/data/osv/synthetic" 2>/dev/null
ctx="$WORK/ctx"
mkdir -p "$ctx/data"
head -c 400000 /dev/urandom >"$ctx/data/blob.bin"
printf 'aws_access_key_id = AKIAIOSFODNN7EXAMPLE\n' >"$ctx/creds.txt"
cat >"$WORK/policy.yaml" <<'Y'
lint: error
max-severity: HIGH
secrets: false
root: false
max-waste: 10%
min-efficiency: 0.9
required-labels: [org.opencontainers.image.source]
allowed-base-registries: [docker.io/library]
Y
cat >"$ctx/Dockerfile" <<'D'
FROM pbase:1
COPY data /srv/data
COPY creds.txt /app/creds.txt
RUN chown -R 1000:1000 /srv
ENV AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE
CMD ["/bin/sh"]
D
expect_exit 1 $KILN build --policy "$WORK/policy.yaml" -t judged "$ctx"
expect_contains "$ERR" "policy: lint: $ctx/Dockerfile:5:1: ENV AWS_ACCESS_KEY_ID holds a credential (AWS access key ID: AKIA************)"
expect_contains "$ERR" "policy: root: the image runs as root (User \"\") at $ctx/Dockerfile:1"
expect_contains "$ERR" "policy: labels: required label org.opencontainers.image.source is missing"
expect_contains "$ERR" "policy: secrets: AWS access key ID (AKIA************) in /app/creds.txt:1 from layer 2 (Dockerfile:3)"
expect_contains "$ERR" "policy: vulnerabilities: HIGH CVE-2023-5363 in libssl3 3.0.11-1~deb12u1 (fixed in 3.0.11-1~deb12u2) from Dockerfile:1"
expect_contains "$ERR" "policy: waste: "
expect_contains "$ERR" "largest: RUN chown -R 1000:1000 /srv at Dockerfile:4 duplicated 400kB"
expect_contains "$ERR" "not tagged or exported (its layers stay in the build cache)"
expect_exit 3 $KILN inspect judged

# Only what the policy sets is enforced; a base from an untrusted registry is a violation.
printf 'allowed-base-registries: [ghcr.io/acme]\n' >"$WORK/registries.yaml"
expect_exit 1 $KILN build --policy "$WORK/registries.yaml" -q -t judged "$ctx"
expect_contains "$ERR" "comes from docker.io, which is not in trusted-registries (ghcr.io/acme) [UntrustedRegistry]"
[[ $(grep -c '^policy: ' <<<"$ERR") == 1 ]] || fail "one violation expected: $ERR"

# The fixed Dockerfile passes: tagged and exported, the second pass served by the cache.
rm "$ctx/creds.txt"
cat >"$ctx/Dockerfile" <<'D'
FROM pbase:1
COPY --chown=1000:1000 data /srv/data
LABEL org.opencontainers.image.source=https://example.com/app
USER 1000:1000
CMD ["/bin/sh"]
D
printf 'root: false\nsecrets: false\nmax-waste: 10%%\nrequired-labels: [org.opencontainers.image.source]\nlint: error\n' >"$WORK/ok.yaml"
expect_exit 0 $KILN build --policy "$WORK/ok.yaml" -q -t judged --output "type=tar,dest=$WORK/fs.tar" "$ctx"
id=$(head -1 <<<"$OUT")
expect_eq "$id" "$($KILN images -q --no-trunc judged)" "tagged image"
tar -tf "$WORK/fs.tar" >"$WORK/fs.list"  # listed whole: grep -q closing the pipe early fails tar under pipefail
grep -q '^srv/data/blob.bin$' "$WORK/fs.list" || fail "the export is missing"

# A bad policy is refused before anything is built.
printf 'max-severity: urgent\n' >"$WORK/bad.yaml"
expect_exit 2 $KILN build --policy "$WORK/bad.yaml" "$ctx"
expect_contains "$ERR" "bad.yaml: max-severity: \"URGENT\" is not CRITICAL, HIGH, MEDIUM or LOW"
printf 'colour: red\n' >"$WORK/bad.yaml"
expect_exit 2 $KILN build --policy "$WORK/bad.yaml" "$ctx"
expect_contains "$ERR" "unknown key \"colour\""
expect_exit 3 $KILN build --policy "$WORK/missing.yaml" "$ctx"
pass "kiln build --policy"
