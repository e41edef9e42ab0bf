#!/usr/bin/env bash
# kiln build: cache correctness (no false hits), outputs, reproducibility, bad input, Ctrl-C.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || skip "building needs root (CI runs as root)"
unshare -m -p -f true 2>/dev/null || skip "the kernel refuses new namespaces here"

busybox_rootfs
SOURCE_DATE_EPOCH=1600000000 "$KILN" import -q -c 'CMD ["/bin/sh"]' "$WORK/rootfs" bb >/dev/null
ctx="$WORK/ctx"
mkdir -p "$ctx/app"
echo one >"$ctx/app/a.txt"
echo two >"$ctx/app/b.txt"
echo ignored >"$ctx/app/junk.tmp"
cat >"$ctx/Dockerfile" <<'D'
FROM bb
ARG FLAVOR=plain
RUN echo "base step" > /base.txt
COPY app/ /app/
RUN cat /app/*.txt > /app/joined && ls /app > /app/listing
RUN echo "flavor=$FLAVOR" > /flavor
CMD ["cat", "/app/joined"]
D
build() { "$KILN" build --progress plain "$@" "$ctx"; }
cached_count() { grep -c CACHED "$WORK/err" || true; }

# --- first build, then a fully cached one: same ID, nothing re-runs -------------------------
expect_exit 0 build -t app:1
expect_exit 0 "$KILN" run --rm app:1
expect_eq "one
two" "$OUT" "run the built image"
id1=$("$KILN" images -q --no-trunc app:1)
expect_exit 0 build -t app:1
expect_eq 4 "$(cached_count)" "cached steps of a rebuild"
# Every step of a fully cached rebuild but FROM ends CACHED, none DONE.
python3 -c '
import re, sys
lines = sys.stdin.read().splitlines()
runs = {l.split()[0] for l in lines if re.match(r"#\d+ \[.*\] RUN ", l)}
done = [l for l in lines if l.split(" ")[0] in runs and " DONE " in " " + l]
assert runs and not done, (runs, done)' <<<"$ERR" || fail "a RUN ran on a fully cached rebuild: $ERR"
expect_eq "$id1" "$("$KILN" images -q --no-trunc app:1)" "image ID of a fully cached rebuild"
pass "fully cached rebuild"

# A fully cached rebuild under the same tag records nothing: the store's metadata (database and
# write-ahead log) is byte for byte as it was. Its cost is reading, not writing and syncing.
meta_sum() { cat "$KILN_ROOT"/meta.db "$KILN_ROOT"/meta.db-wal 2>/dev/null | sha256sum; }
before=$(meta_sum)
expect_exit 0 build -t app:1
expect_eq 4 "$(cached_count)" "cached steps of a second rebuild"
expect_eq "$before" "$(meta_sum)" "store metadata after a fully cached rebuild"
# ... but a new tag for the same image is recorded, and its first step reaches the lease.
expect_exit 0 build -t app:1b
expect_eq "$id1" "$("$KILN" images -q --no-trunc app:1b)" "image ID under a second tag"
pass "a fully cached rebuild writes no metadata"

# On scratch, the image's time is its steps' times: rebuilt in a later second, a cached image
# on scratch is the same image. A metadata step before any step with a time has no time of
# its own; an image of metadata alone on scratch is dated when it is built.
mkdir -p "$WORK/scr" && echo s >"$WORK/scr/f"
printf 'FROM scratch\nENV A=1\nCOPY f /\nLABEL b=2\n' >"$WORK/scr/Dockerfile"
scr1=$("$KILN" build -q "$WORK/scr")
sleep 1.1
expect_eq "$scr1" "$("$KILN" build -q "$WORK/scr")" "image ID of a cached rebuild on scratch a second later"
"$KILN" history --format json --no-trunc "$scr1" >"$WORK/scr.hist"
python3 - "$WORK/scr.hist" <<'PY' || fail "history of the scratch image: $(cat "$WORK/scr.hist")"
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
by = {r["CreatedBy"]: r["CreatedAt"] for r in rows}
env = [v for k, v in by.items() if k.startswith("ENV")][0]
cp = [v for k, v in by.items() if k.startswith("COPY")][0]
lab = [v for k, v in by.items() if k.startswith("LABEL")][0]
assert env == "", env
assert cp.startswith("20") and lab == cp, (cp, lab)
PY
printf 'FROM scratch\nLABEL only=metadata\n' >"$WORK/scr/Dockerfile"
"$KILN" build -q -t scr-meta "$WORK/scr" >/dev/null
created=$("$KILN" inspect --format '{{.Created}}' scr-meta)
[[ $created == "$(date -u +%Y)"-* ]] || fail "a metadata-only image on scratch is dated $created"
pass "cached rebuilds on scratch keep their ID"

# Cached rebuilds while prune and build-cache prune run on the same store: each build either
# succeeds or fails with a clear error (never a store that system check rejects).
(for i in 1 2 3 4 5 6 7 8; do "$KILN" system prune -f --build-cache >/dev/null || exit 1; done) &
pruner=$!
for i in 1 2 3 4 5 6 7 8; do
  "$KILN" build -q -t "race:$i" "$ctx" >"$WORK/race.out" 2>"$WORK/race.err" ||
    grep -q "missing\|not found" "$WORK/race.err" || { cat "$WORK/race.err"; fail "build $i beside prune"; }
done
wait "$pruner" || fail "prune beside cached builds"
"$KILN" system check >"$WORK/check" || { cat "$WORK/check"; fail "system check after builds beside prune"; }
for i in 1 2 3 4 5 6 7 8; do
  if "$KILN" images -q "race:$i" | grep -q .; then
    expect_exit 0 "$KILN" run --rm "race:$i"
    expect_eq "one
two" "$OUT" "run race:$i"
  fi
done
pass "cached builds beside prune"

# --- content change: only the steps from the COPY re-run ------------------------------------
echo ONE >"$ctx/app/a.txt"
expect_exit 0 build -t app:2
expect_eq 1 "$(cached_count)" "cached steps after a content change (only the first RUN)"
expect_eq "ONE
two" "$("$KILN" run --rm app:2)" "content change reached the image"
# --- mode change only ------------------------------------------------------------------------
chmod 0600 "$ctx/app/b.txt"
expect_exit 0 build -t app:3
expect_eq 1 "$(cached_count)" "cached steps after a mode change"
expect_exit 0 "$KILN" run --rm app:3 stat -c %a /app/b.txt
expect_eq 600 "$OUT" "mode change reached the image"
# --- owner of a context file: COPY makes everything root's, so the cache is right to hit -----
chown 1234:1234 "$ctx/app/b.txt"
expect_exit 0 build -t app:4
expect_eq 4 "$(cached_count)" "cached steps after a context owner change"
expect_exit 0 "$KILN" run --rm app:4 stat -c %u:%g /app/b.txt
expect_eq 0:0 "$OUT" "COPY gives files to root"
# --- --chown in the Dockerfile changes the step ---------------------------------------------
sed -i 's|^COPY app/ /app/|COPY --chown=1:1 app/ /app/|' "$ctx/Dockerfile"
expect_exit 0 build -t app:5
expect_eq 1 "$(cached_count)" "cached steps after --chown changed"
expect_exit 0 "$KILN" run --rm app:5 stat -c %u:%g /app/b.txt
expect_eq 1:1 "$OUT" "--chown reached the image"
# --- build arg ---------------------------------------------------------------------------------
expect_exit 0 build -t app:6 --build-arg FLAVOR=spicy
expect_exit 0 "$KILN" run --rm app:6 cat /flavor
expect_eq flavor=spicy "$OUT" "build arg change"
expect_exit 0 "$KILN" inspect --format '{{json .Config.Env}}' app:6
[[ "$OUT" != *FLAVOR* ]] || fail "a build arg persisted into the image config: $OUT"
expect_exit 0 build -t app:6 --build-arg NOPE=1
expect_contains "$ERR" 'build-arg "NOPE" was given but not consumed'
# --- .dockerignore ---------------------------------------------------------------------------
expect_exit 0 "$KILN" run --rm app:6 cat /app/listing
expect_contains "$OUT" junk.tmp
echo '**/*.tmp' >"$ctx/.dockerignore"
expect_exit 0 build -t app:7
expect_exit 0 "$KILN" run --rm app:7 cat /app/listing
[[ "$OUT" != *junk.tmp* ]] || fail ".dockerignore change did not invalidate the COPY"
# --- base image re-tagged --------------------------------------------------------------------
mkdir -p "$WORK/rootfs/extra" && echo new-base >"$WORK/rootfs/extra/marker"
"$KILN" import -q -c 'CMD ["/bin/sh"]' "$WORK/rootfs" bb >/dev/null
expect_exit 0 build -t app:8
expect_eq 0 "$(cached_count)" "cached steps after the base image changed"
expect_exit 0 "$KILN" run --rm app:8 cat /extra/marker
expect_eq new-base "$OUT"
# --- --no-cache ------------------------------------------------------------------------------
expect_exit 0 build --no-cache -t app:9
expect_eq 0 "$(cached_count)" "--no-cache"
pass "cache invalidation (content, mode, owner, build arg, .dockerignore, base)"

# --- outputs, -q, --iidfile, stdin context, -f - -----------------------------------------
expect_exit 0 "$KILN" build -q --iidfile "$WORK/iid" "$ctx"
expect_eq "$OUT" "$(cat "$WORK/iid")" "-q and --iidfile"
expect_exit 0 "$KILN" build -q --output "type=local,dest=$WORK/local" "$ctx"
[[ -f "$WORK/local/app/joined" ]] || fail "--output type=local"
"$KILN" build -q --output type=tar,dest=- "$ctx" >"$WORK/out.tar"
tar -tf "$WORK/out.tar" >"$WORK/out.list"
grep -qx app/joined "$WORK/out.list" || fail "--output type=tar"
# Image archives: loaded by kiln elsewhere, read by skopeo, digests equal to the store's.
iid=$("$KILN" build -q -t outimg:1 --output "type=docker,dest=$WORK/out-docker.tar" "$ctx")
"$KILN" build -q -t outimg:1 --output "type=oci,dest=$WORK/out-oci.tar" "$ctx" >/dev/null
"$KILN" build -q -t outimg:1 --output "type=oci,tar=false,dest=$WORK/out-oci" "$ctx" >/dev/null
expect_eq "Loaded image: outimg:1" "$("$KILN" --root "$WORK/s-out" load -i "$WORK/out-docker.tar")" "type=docker"
expect_eq "$iid" "$("$KILN" --root "$WORK/s-out" inspect --format '{{.Id}}' outimg:1)" "type=docker image ID"
digest=$("$KILN" images --no-trunc --format '{{.Digest}}' outimg:1)
expect_contains "$(skopeo inspect oci-archive:"$WORK/out-oci.tar")" "\"Digest\": \"$digest\""
expect_contains "$(skopeo inspect oci:"$WORK/out-oci")" "\"Digest\": \"$digest\""
tar -C "$ctx" -cf - . | "$KILN" build -q -t fromstdin - >/dev/null || fail "context from stdin"
expect_exit 0 "$KILN" run --rm fromstdin
expect_contains "$OUT" "ONE"
printf 'FROM bb\nRUN echo piped > /p\n' | "$KILN" build -q -f - -t piped "$ctx" >/dev/null
expect_eq piped "$("$KILN" run --rm piped cat /p)" "-f -"
# A store inside the build context is not part of the context (COPY . would copy the store).
mkdir -p "$WORK/inner/ctx" && echo x >"$WORK/inner/ctx/file"
printf 'FROM scratch\nCOPY . /c\n' >"$WORK/inner/ctx/Dockerfile"
KILN_ROOT=$WORK/inner/ctx/.kiln-store "$KILN" build -q -t inner "$WORK/inner/ctx" >/dev/null
KILN_ROOT=$WORK/inner/ctx/.kiln-store "$KILN" export inner | tar -tf - >"$WORK/inner.list"
expect_eq "c/,c/Dockerfile,c/file" "$(paste -sd, "$WORK/inner.list")" "context with the store inside"
pass "outputs and inputs"

# --- --cache-to / --cache-from type=local: a second store reuses the first one's steps -------
SOURCE_DATE_EPOCH=1600000000 "$KILN" import -q -c 'CMD ["/bin/sh"]' "$WORK/rootfs" bb >/dev/null
expect_exit 0 "$KILN" build -q --cache-to "type=local,dest=$WORK/ci-cache" "$ctx"
[[ -s "$WORK/ci-cache/index.json" ]] || fail "--cache-to wrote no index"
export KILN_ROOT_SAVED=$KILN_ROOT
export KILN_ROOT="$WORK/store-ci"
SOURCE_DATE_EPOCH=1600000000 "$KILN" import -q -c 'CMD ["/bin/sh"]' "$WORK/rootfs" bb >/dev/null
# The same base image in both stores (the cache keys start from its digest).
[[ "$("$KILN" images -q --no-trunc bb)" == "$(KILN_ROOT=$KILN_ROOT_SAVED "$KILN" images -q --no-trunc bb)" ]] ||
  fail "the two stores have different base images"
expect_exit 0 build --cache-from "type=local,src=$WORK/ci-cache"
expect_eq 4 "$(cached_count)" "steps reused from --cache-from"
expect_contains "$ERR" "imported"
expect_exit 0 build --cache-from "type=local,src=$WORK/no-cache-yet"
printf 'garbage' >"$WORK/ci-cache/index.json"
expect_exit 5 build --cache-from "type=local,src=$WORK/ci-cache"
expect_exit 8 build --cache-from "type=registry,ref=x"
export KILN_ROOT=$KILN_ROOT_SAVED
pass "--cache-to / --cache-from"

# --- independent stages run at the same time: each waits (bounded) for the other to start ------
par="$WORK/par"
mkdir -p "$par"
cat >"$par/Dockerfile" <<D
FROM bb AS a
RUN --mount=type=cache,id=rendezvous-$$,target=/r touch /r/a && i=0 && while [ ! -e /r/b ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i+1)); done && test -e /r/b && echo a > /a
FROM bb AS b
RUN --mount=type=cache,id=rendezvous-$$,target=/r touch /r/b && i=0 && while [ ! -e /r/a ] && [ \$i -lt 200 ]; do sleep 0.05; i=\$((i+1)); done && test -e /r/a && echo b > /b
FROM bb
COPY --from=a /a /a
COPY --from=b /b /b
D
expect_exit 0 "$KILN" build -q --no-cache -t par "$par"
expect_eq "a
b" "$("$KILN" run --rm par cat /a /b)" "stages built in parallel"
pass "independent stages in parallel"

# --- a cache mount seeded from a stage (from=, source=) ------------------------------------------
seedctx="$WORK/seed"
mkdir -p "$seedctx"
cat >"$seedctx/Dockerfile" <<D
FROM bb AS seed
RUN mkdir -p /seed && echo seeded > /seed/file
FROM bb
RUN --mount=type=cache,id=seeded-$$,target=/c,from=seed,source=/seed cat /c/file > /got
D
expect_exit 0 "$KILN" build -q -t seeded "$seedctx"
expect_eq seeded "$("$KILN" run --rm seeded cat /got)" "cache mount seeded from a stage"
pass "cache mount from="

# --- ADD of http(s) URLs, with and without --checksum ------------------------------------------
mkdir -p "$WORK/web" "$WORK/addurl"
echo "remote file" >"$WORK/web/remote.txt"
port=$((20000 + RANDOM % 20000))
(cd "$WORK/web" && exec python3 -m http.server "$port" --bind 127.0.0.1 >/dev/null 2>&1) &
web=$!
cleanup_hooks+=("kill $web")
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && break; sleep 0.1; done
sum=$(sha256sum "$WORK/web/remote.txt" | cut -d' ' -f1)
printf 'FROM bb\nADD http://127.0.0.1:%s/remote.txt /srv/\nADD --checksum=sha256:%s http://127.0.0.1:%s/remote.txt /named.txt\n' \
  "$port" "$sum" "$port" >"$WORK/addurl/Dockerfile"
expect_exit 0 "$KILN" build -q -t addurl "$WORK/addurl"
expect_exit 0 "$KILN" run --rm addurl sh -c 'cat /srv/remote.txt /named.txt; stat -c %a /named.txt'
expect_eq "remote file
remote file
600" "$OUT" "ADD URL"
printf 'FROM bb\nADD --checksum=sha256:%064d http://127.0.0.1:%s/remote.txt /x\n' 0 "$port" >"$WORK/addurl/Dockerfile"
expect_exit 5 "$KILN" build -q "$WORK/addurl"
expect_contains "$ERR" "checksum mismatch"
printf 'FROM bb\nADD http://127.0.0.1:%s/missing.txt /x\n' "$port" >"$WORK/addurl/Dockerfile"
expect_exit 3 "$KILN" build -q "$WORK/addurl"
expect_contains "$ERR" "404"
printf 'FROM bb\nCOPY http://127.0.0.1:%s/remote.txt /x\n' "$port" >"$WORK/addurl/Dockerfile"
expect_exit 2 "$KILN" build -q "$WORK/addurl"
pass "ADD of URLs"

# --- reproducible: two contexts, two stores, different times, same digest ---------------------
for n in 1 2; do
  mkdir -p "$WORK/repro$n"
  cp -a "$ctx/." "$WORK/repro$n/"
  touch -d "@$((1700000000 + n * 1000))" "$WORK/repro$n/app/a.txt"
  KILN_ROOT="$WORK/store-repro$n" SOURCE_DATE_EPOCH=1600000000 \
    "$KILN" import -q -c 'CMD ["/bin/sh"]' "$WORK/rootfs" bb >/dev/null
  KILN_ROOT="$WORK/store-repro$n" "$KILN" build -q --source-date-epoch 1650000000 \
    -t repro "$WORK/repro$n" >"$WORK/repro$n.id"
  KILN_ROOT="$WORK/store-repro$n" "$KILN" images -q --digests --no-trunc --format '{{.Digest}}' repro >"$WORK/repro$n.digest"
  sleep 1
done
expect_eq "$(cat "$WORK/repro1.id")" "$(cat "$WORK/repro2.id")" "image ID of two SOURCE_DATE_EPOCH builds"
expect_eq "$(cat "$WORK/repro1.digest")" "$(cat "$WORK/repro2.digest")" "manifest digest of two builds"
pass "reproducible builds"

# --- bad input ---------------------------------------------------------------------------------
expect_exit 3 "$KILN" build "$WORK/no-such-dir"
expect_contains "$ERR" "is not a directory"
mkdir -p "$WORK/empty"
expect_exit 3 "$KILN" build "$WORK/empty"
expect_contains "$ERR" "Dockerfile"
bad="$WORK/bad"
mkdir -p "$bad"
printf 'FROM bb\nCOPY ../outside /x\n' >"$bad/Dockerfile"
echo secret >"$WORK/outside"
expect_exit 3 "$KILN" build "$bad"
expect_contains "$ERR" 'not found'
printf 'FROM bb\nRUN echo about to fail; exit 3\n' >"$bad/Dockerfile"
# A failing RUN exits 1 as docker build does, naming the Dockerfile line and the instruction.
expect_exit 1 "$KILN" build -t failed "$bad"
expect_contains "$ERR" "kiln: Dockerfile:2: [2/2] RUN echo about to fail; exit 3: process"
expect_contains "$ERR" "did not complete successfully: exit code: 3"
expect_contains "$ERR" "about to fail"
[[ -z "$("$KILN" images -q failed)" ]] || fail "a failed build tagged an image"
printf 'FROM bb AS a\nRUN true\n' >"$bad/Dockerfile"
expect_exit 2 "$KILN" build --target nope "$bad"
expect_contains "$ERR" "nope"
printf 'FROM bb AS a\nCOPY --from=b /x /x\nFROM bb AS b\nCOPY --from=a /y /y\n' >"$bad/Dockerfile"
expect_exit 2 "$KILN" build "$bad"
expect_contains "$ERR" "circular dependency"
printf 'FROM no-such-base\n' >"$bad/Dockerfile"
expect_exit 3 "$KILN" build "$bad"
expect_contains "$ERR" "no such image in the local store"
pass "bad input"

# --- Ctrl-C during a RUN ------------------------------------------------------------------
intr="$WORK/intr"
mkdir -p "$intr"
printf 'FROM bb\nRUN echo first > /first\nRUN echo started; sleep 30\n' >"$intr/Dockerfile"
"$KILN" build --progress plain -t intr "$intr" >"$WORK/intr.log" 2>&1 &
pid=$!
for _ in $(seq 200); do grep -q started "$WORK/intr.log" 2>/dev/null && break; sleep 0.05; done
kill -INT $pid
set +e; wait $pid; rc=$?; set -e
[[ $rc != 0 ]] || fail "an interrupted build succeeded"
for _ in $(seq 50); do pgrep -fx "sleep 30" >/dev/null || break; sleep 0.1; done
pgrep -fx "sleep 30" >/dev/null && fail "the RUN process outlived the interrupted build"
expect_eq 0 "$(grep -c "$KILN_ROOT" /proc/self/mountinfo || true)" "mounts after Ctrl-C"
expect_exit 0 "$KILN" system check
printf 'FROM bb\nRUN echo first > /first\nRUN echo quick\n' >"$intr/Dockerfile"
expect_exit 0 "$KILN" build --progress plain "$intr"
expect_eq 1 "$(cached_count)" "the step finished before Ctrl-C is reused"
pass "Ctrl-C during RUN"

# --- kill -9 while a layer is made beside the next step ------------------------------------
# The big step's layer is being tarred, hashed and compressed on a thread while the next step
# runs (docs/store.md): a kill leaves no image, a store that checks clean, and a rebuild that works.
k9="$WORK/k9"
mkdir -p "$k9"
printf 'FROM bb\nRUN head -c 60000000 /dev/urandom >/big && echo made >/made\nRUN echo started; sleep 30\n' >"$k9/Dockerfile"
"$KILN" build --progress plain -t k9 "$k9" >"$WORK/k9.log" 2>&1 &
pid=$!
for _ in $(seq 400); do grep -q started "$WORK/k9.log" 2>/dev/null && break; sleep 0.05; done
grep -q started "$WORK/k9.log" || fail "the second step did not start: $(cat "$WORK/k9.log")"
kill -KILL $pid
set +e; wait $pid; set -e
for _ in $(seq 50); do pgrep -fx "sleep 30" >/dev/null || break; sleep 0.1; done
pkill -fx "sleep 30" || true
[[ -z "$("$KILN" images -q k9)" ]] || fail "a killed build tagged an image"
expect_exit 0 "$KILN" system check
expect_exit 0 "$KILN" system prune -f
printf 'FROM bb\nRUN head -c 60000000 /dev/urandom >/big && echo made >/made\nRUN echo quick\n' >"$k9/Dockerfile"
expect_exit 0 "$KILN" build -q -t k9 "$k9"
expect_eq made "$("$KILN" run --rm k9 cat /made)" "the rebuilt image"
expect_exit 0 "$KILN" system check
pass "kill -9 while a layer is made beside the build"
