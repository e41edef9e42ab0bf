#!/usr/bin/env bash
# kiln build and run as docker (current BuildKit) do them: COPY --from ownership, ADD of local
# archives, EXPOSE ranges, wildcards that match nothing, HOME, history strings byte for byte,
# ArgsEscaped, heredoc expansion, --no-cache and cache mounts, UTF-8 wildcards and
# .dockerignore, PAX names GNU tar reads without warnings, `kiln run --help`.
source "$(dirname "$0")/lib.sh"
[[ $(id -u) == 0 ]] || skip "building needs root (CI runs as root)"
unshare -m -p -f true 2>/dev/null || skip "the kernel refuses new namespaces here"

busybox_rootfs
"$KILN" import -q -c 'CMD ["/bin/sh"]' "$WORK/rootfs" bb >/dev/null
ctx=$WORK/ctx
mkdir -p "$ctx/pkg/sub"
echo hello >"$ctx/pkg/sub/a.txt"
echo top >"$ctx/pkg/b.txt"
tar -C "$ctx/pkg" -czf "$ctx/pkg.tar.gz" .
tar -C "$ctx/pkg" -cJf "$ctx/pkg.tar.xz" .
echo ctx >"$ctx/ctxfile"
echo cafe >"$ctx/café"
echo x >"$ctx/keep.txt"
run_out() { "$KILN" run --rm "$@"; }

# --- ownership, archives, wildcards, HOME ------------------------------------------------------
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM bb AS src
RUN mkdir -p /out/dir && echo owned >/out/dir/f && chown -R 1234:5678 /out && echo $HOME >/home-root
FROM bb
COPY --from=src /out/ /from/
COPY --from=src --chown=7:8 /out/dir/f /chowned
COPY ctxfile /ctxfile
ADD pkg.tar.gz /opt/pkg
ADD pkg.tar.xz /opt/xz/
COPY nomatch* keep.txt /w/
COPY --from=src /home-root /home-root
USER 4321
RUN echo $HOME >/tmp/home-nouser
USER root
DOCKERFILE
"$KILN" build -q -t fid:1 "$ctx" >/dev/null
expect_eq "1234:5678 1234:5678 7:8 0:0" \
  "$(run_out fid:1 sh -c 'echo $(stat -c %u:%g /from/dir /from/dir/f /chowned /ctxfile)')" \
  "owners: COPY --from keeps them, --chown sets them, the context gives 0:0"
expect_eq "hello top" "$(run_out fid:1 sh -c 'echo $(cat /opt/pkg/sub/a.txt /opt/pkg/b.txt)')" \
  "ADD pkg.tar.gz /opt/pkg (no trailing slash) extracts into the directory"
expect_eq "hello" "$(run_out fid:1 cat /opt/xz/sub/a.txt)" "ADD of a tar.xz"
expect_eq "keep.txt" "$(run_out fid:1 ls /w)" "a wildcard matching nothing beside a source that matches"
expect_eq "/root" "$(run_out fid:1 cat /home-root)" "HOME of root in RUN"
expect_eq "/" "$(run_out fid:1 cat /tmp/home-nouser)" "HOME of a user without a passwd entry"
expect_eq "/root" "$(run_out fid:1 sh -c 'echo $HOME')" "HOME in kiln run"
expect_eq "/" "$(run_out -u 999 fid:1 sh -c 'echo $HOME')" "HOME in kiln run -u 999"
expect_eq "/set" "$(run_out -e HOME=/set fid:1 sh -c 'echo $HOME')" "an explicit HOME wins"
printf 'FROM bb\nCOPY nomatch* /w/\n' >"$ctx/Dockerfile.none"
expect_exit 3 "$KILN" build -q -f "$ctx/Dockerfile.none" "$ctx"
expect_contains "$ERR" "matches nothing"
pass "COPY --from owners, ADD archives to any destination, unmatched wildcards, HOME"

# --- history strings, config -----------------------------------------------------------------
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM bb
ARG NAME=demo
ENV A=1 B="two words"
LABEL l=v
WORKDIR /srv
EXPOSE 9000-9001/udp 80 8000-8002
VOLUME ["/data", "/logs"]
SHELL ["/bin/sh", "-e", "-c"]
HEALTHCHECK --interval=30s --timeout=1m30s --retries=3 CMD wget -q localhost || exit 1
ONBUILD RUN echo triggered
MAINTAINER kiln
RUN echo run
COPY --chown=1:2 --chmod=640 ctxfile /srv/f
ADD --chown=1:2 ctxfile /srv/added
COPY --from=bb /bin/busybox /bb
COPY --parents pkg/sub/a.txt /p/
COPY <<EOF /heredoc
name=${NAME} a=$A
EOF
COPY <<"EOF" /heredoc-quoted
name=${NAME}
EOF
USER nobody
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh"]
CMD echo hi
DOCKERFILE
"$KILN" build -q -t hist:1 "$ctx" >/dev/null
"$KILN" history --no-trunc --format '{{.CreatedBy}}' hist:1 | head -20 | tac >"$WORK/hist"
cat >"$WORK/want" <<'WANT'
ARG NAME=demo
ENV A=1 B=two words
LABEL l=v
WORKDIR /srv
EXPOSE [80/tcp 8000/tcp 8001/tcp 8002/tcp 9000/udp 9001/udp]
VOLUME [/data /logs]
SHELL [/bin/sh -e -c]
HEALTHCHECK {Test:[CMD-SHELL wget -q localhost || exit 1] Interval:30s Timeout:1m30s StartPeriod:0s StartInterval:0s Retries:3}
MAINTAINER kiln
RUN |1 NAME=demo /bin/sh -e -c echo run # buildkit
COPY --chown=1:2 --chmod=640 ctxfile /srv/f # buildkit
ADD --chown=1:2 ctxfile /srv/added # buildkit
COPY /bin/busybox /bb # buildkit
COPY --parents pkg/sub/a.txt /p/ # buildkit
COPY <<EOF /heredoc # buildkit
COPY <<EOF /heredoc-quoted # buildkit
USER nobody
STOPSIGNAL SIGTERM
ENTRYPOINT ["/bin/sh"]
CMD ["/bin/sh" "-e" "-c" "echo hi"]
WANT
diff -u "$WORK/want" "$WORK/hist" >&2 || fail "history created_by differs from BuildKit's"
"$KILN" inspect --format '{{json .Config}}' hist:1 >"$WORK/cfg"
python3 - "$WORK/cfg" <<'PY' || fail "config: $(cat "$WORK/cfg")"
import json, sys
c = json.load(open(sys.argv[1]))
assert sorted(c["ExposedPorts"]) == ["80/tcp", "8000/tcp", "8001/tcp", "8002/tcp", "9000/udp", "9001/udp"], c["ExposedPorts"]
assert c.get("ArgsEscaped") is True, "ArgsEscaped"
assert c["OnBuild"] == ["RUN echo triggered"], c.get("OnBuild")
PY
expect_eq "name=demo a=1" "$(run_out --entrypoint cat hist:1 /heredoc)" "COPY heredoc expands ARG and ENV"
expect_eq 'name=${NAME}' "$(run_out --entrypoint cat hist:1 /heredoc-quoted)" "a quoted heredoc is kept"
pass "history created_by strings are BuildKit's, byte for byte; EXPOSE ranges; ArgsEscaped; heredocs"

# --- --no-cache empties cache mounts -----------------------------------------------------------
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM bb
ARG RUNID
RUN --mount=type=cache,target=/c sh -c 'ls /c > /seen; echo $RUNID > /c/mark-$RUNID'
DOCKERFILE
"$KILN" build -q --build-arg RUNID=1 -t cm:1 "$ctx" >/dev/null
"$KILN" build -q --build-arg RUNID=2 -t cm:2 "$ctx" >/dev/null
expect_eq "mark-1" "$(run_out cm:2 cat /seen)" "a cache mount keeps what the previous build wrote"
"$KILN" build -q --no-cache --build-arg RUNID=3 -t cm:3 "$ctx" >/dev/null
expect_eq "" "$(run_out cm:3 cat /seen)" "--no-cache starts the cache mount empty"
pass "--no-cache starts every cache mount empty"

# --- UTF-8 wildcards and .dockerignore; PAX names without hdrcharset ---------------------------
printf 'caf?\n' >"$ctx/.dockerignore"
printf 'FROM bb\nCOPY . /all/\n' >"$ctx/Dockerfile"
"$KILN" build -q -t ign:1 "$ctx" >/dev/null
[[ -z $(run_out ign:1 sh -c 'for f in /all/*; do echo "$f"; done' | grep caf) ]] ||
  fail ".dockerignore caf? did not match café"
: >"$ctx/.dockerignore"
printf 'FROM bb\nCOPY caf? [^a]afé /one/\n' >"$ctx/Dockerfile"
"$KILN" build -q -t utf:1 "$ctx" >/dev/null
expect_eq "/one/café" "$(run_out utf:1 sh -c 'for f in /one/*; do echo "$f"; done')" \
  "COPY caf? matches café (one character, two bytes)"
"$KILN" export utf:1 -o "$WORK/utf.tar"
tar -tvf "$WORK/utf.tar" >"$WORK/tar.out" 2>"$WORK/tar.err"
[[ ! -s "$WORK/tar.err" ]] || fail "GNU tar warns: $(cat "$WORK/tar.err")"
grep -q "one/café" "$WORK/tar.out" || fail "café not listed: $(cat "$WORK/tar.out")"
if grep -qa hdrcharset "$WORK/utf.tar"; then fail "the archive has a hdrcharset record"; fi
pass "UTF-8: ? and [^a] match one character; names written as UTF-8 PAX paths GNU tar reads"

# --- kiln run --help ---------------------------------------------------------------------------
expect_eq "Usage: kiln run [OPTIONS] IMAGE [COMMAND] [ARG...]" \
  "$("$KILN" run --help | grep -m1 '^Usage:')" "kiln run --help"
pass "kiln run --help shows docker's usage line"

# --- kiln run honours the image's VOLUMEs -------------------------------------------------------
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM bb
RUN mkdir -p /data && echo seeded >/data/seed && chown -R 1234:1234 /data
VOLUME /data
DOCKERFILE
"$KILN" build -q -t vol:1 "$ctx" >/dev/null
expect_eq "seeded 1234 written" \
  "$(run_out --read-only vol:1 sh -c 'echo $(cat /data/seed) $(stat -c %u /data) $(echo written >/data/new && cat /data/new)')" \
  "a VOLUME is seeded from the image and writable under --read-only"
"$KILN" run vol:1 sh -c 'echo more >/data/more' >/dev/null
cid=$("$KILN" ps -a -q --no-trunc | head -1)
[[ -n $(find "$KILN_ROOT/containers/$cid" -path '*volumes*' -name more) ]] || fail "the anonymous volume is not kept with the container"
expect_eq "seed" "$(run_out vol:1 ls /data)" "each container gets a fresh volume"
"$KILN" rm "$cid" >/dev/null
expect_eq "" "$(find "$KILN_ROOT/containers" -path '*volumes*' -type f 2>/dev/null)" "volumes left after --rm and rm"
mkdir -p "$WORK/hostdata" && echo host >"$WORK/hostdata/h"
expect_eq "h" "$(run_out -v "$WORK/hostdata:/data" vol:1 ls /data)" "a -v on the VOLUME path replaces it"
pass "kiln run: image VOLUMEs are fresh anonymous volumes, seeded, writable, removed with the container"

# --- layer sizes are content sizes, as docker shows them ---------------------------------------
head -c 63 /dev/zero | tr '\0' a >"$ctx/f63"
printf 'FROM bb\nCOPY f63 /f63\n' >"$ctx/Dockerfile"
"$KILN" build -q -t size:1 "$ctx" >/dev/null
expect_eq "63B" "$("$KILN" history --format '{{.Size}}' size:1 | head -1)" "history size of a 63-byte COPY"
base_size=$("$KILN" inspect --format '{{.Size}}' bb)
expect_eq "$((base_size + 63))" "$("$KILN" inspect --format '{{.Size}}' size:1)" \
  "inspect Size: the base's content plus 63 bytes"
[[ $base_size -lt $(du -sb --apparent-size "$WORK/rootfs" | cut -f1) ]] ||
  fail "the base's size $base_size is not its files' bytes"
"$KILN" save -o "$WORK/size.tar" size:1
KILN_ROOT=$WORK/store-size "$KILN" load -q -i "$WORK/size.tar" >/dev/null
expect_eq "63B" "$(KILN_ROOT=$WORK/store-size "$KILN" history --format '{{.Size}}' size:1 | head -1)" \
  "history size after save and load"
# A layer made beside the next step (a layer job: 5 MiB, not the last layer) has its content
# size too, not its compressed size.
head -c $((5 << 20)) /dev/urandom >"$ctx/f5m"
printf 'FROM bb\nCOPY f5m /f5m\nCOPY f63 /f63\n' >"$ctx/Dockerfile"
"$KILN" build -q -t size:2 "$ctx" >/dev/null
expect_eq "$((base_size + (5 << 20) + 63))" "$("$KILN" inspect --format '{{.Size}}' size:2)" \
  "inspect Size with a layer made by a layer job"
expect_eq "5.24MB" "$("$KILN" history --format '{{.Size}}' size:2 | sed -n 2p)" \
  "history size of a 5 MiB COPY made beside the next step"
pass "layer sizes in history are the files' bytes (a 63-byte COPY shows 63B, a 5 MiB one 5.24MB)"

# --- ONBUILD triggers of an earlier stage run in the stage built on it --------------------------
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM bb AS base
ONBUILD RUN echo triggered >/onbuild.txt
ONBUILD ENV FROM_TRIGGER=yes
FROM base
RUN echo "$FROM_TRIGGER" >/env.txt
DOCKERFILE
"$KILN" build -q -t onb:1 "$ctx" >/dev/null
expect_eq "triggered yes" "$(run_out onb:1 sh -c 'echo $(cat /onbuild.txt /env.txt)')" "ONBUILD of a stage base"
hist=$("$KILN" history --no-trunc --format '{{.CreatedBy}}' onb:1 | head -3 | tac | tr '\n' '|')
expect_eq 'RUN /bin/sh -c echo triggered >/onbuild.txt # buildkit|ENV FROM_TRIGGER=yes|RUN /bin/sh -c echo "$FROM_TRIGGER" >/env.txt # buildkit|' \
  "$hist" "history of the triggers' steps"
"$KILN" history --no-trunc --format '{{.CreatedBy}}' onb:1 | grep -q '^ONBUILD' && fail "an ONBUILD history entry"
pass "ONBUILD triggers of a stage run in the stage built on it; history records their steps"

# --- --progress plain as BuildKit prints it ----------------------------------------------------
printf 'FROM bb\nENV A=1\nRUN echo hi; sleep 0.4; echo there\nCOPY f63 /x\n' >"$ctx/Dockerfile"
"$KILN" build --no-cache --progress plain -t plain:1 "$ctx" 2>"$WORK/plain.err" >/dev/null
python3 - "$WORK/plain.err" <<'PY' || fail "plain progress: $(cat "$WORK/plain.err")"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
steps = [l for l in lines if re.match(r"#\d+ \[", l)]
assert [re.sub(r"^#\d+ ", "", s) for s in steps] == ["[1/3] FROM bb", "[2/3] RUN echo hi; sleep 0.4; echo there", "[3/3] COPY f63 /x"], steps
ids = [s.split()[0] for s in steps]
for i in ids:
    ends = [l for l in lines if l.startswith(i + " ") and re.match(r"#\d+ (DONE \d+\.\d+s|CACHED|ERROR)", l)]
    assert len(ends) == 1, (i, ends)
outs = [l for l in lines if l.startswith(ids[1] + " ") and re.match(r"#\d+ \d+\.\d{3} ", l)]
assert [o.split(" ", 2)[2] for o in outs] == ["hi", "there"], outs
t_hi, t_there = (float(o.split()[1]) for o in outs)
assert t_hi < 0.4 and 0.4 <= t_there < 1.5, (t_hi, t_there)
assert not any("ENV" in l for l in lines), "a metadata step was shown"
PY
printf 'FROM bb AS build\nRUN true\nFROM bb\nCOPY --from=build /bin/sh /sh\nRUN exit 3\n' >"$ctx/Dockerfile"
expect_exit 1 "$KILN" build --no-cache --progress plain "$ctx"
expect_contains "$ERR" "[build 1/2] FROM bb"
expect_contains "$ERR" "[stage-1 3/3] RUN exit 3"
grep -Eq '^#[0-9]+ ERROR: process "/bin/sh -c exit 3" did not complete successfully: exit code: 3$' "$WORK/err" ||
  fail "no ERROR line: $ERR"
expect_contains "$ERR" "kiln: Dockerfile:5: [stage-1 3/3] RUN exit 3: process"
pass "--progress plain: BuildKit's step counts and stage names, times from each step's start, DONE/ERROR"

# --- --progress tty: a live view, checked on a real terminal (tmux) -----------------------------
command -v tmux >/dev/null || fail "tmux missing (scripts/install-deps test installs it)"
printf 'FROM bb\nRUN for i in 1 2 3 4 5 6 7 8 9; do echo line$i; sleep 0.4; done\n' >"$ctx/Dockerfile"
sock=$WORK/tmux.sock
cleanup_hooks+=("tmux -S $sock kill-server 2>/dev/null")
tmux -S "$sock" new-session -d -x 100 -y 30 \
  "KILN_ROOT=$KILN_ROOT $KILN build --no-cache -t tty:1 $ctx; echo EXIT=\$?; sleep 60"
seen_running=""
for i in $(seq 100); do
  screen=$(tmux -S "$sock" capture-pane -p)
  if [[ $screen == *"=> => # line"* && $screen == *"[2/2] RUN"* ]]; then seen_running=$screen; fi
  [[ $screen == *EXIT=* ]] && break
  sleep 0.1
done
[[ -n $seen_running ]] || fail "no live view of the running step with its output: $screen"
grep -Eq '\[\+\] Building [0-9.]+s \([0-9]+/2\)' <<<"$seen_running" || fail "no header: $seen_running"
grep -Eq '=> \[2/2\] RUN .* [0-9]+\.[0-9]s$' <<<"$seen_running" || fail "no timer: $seen_running"
expect_contains "$screen" "EXIT=0"
expect_contains "$screen" "FINISHED"
[[ $screen != *"=> => # line"* ]] || fail "a finished step still shows its output: $screen"
grep -Eq '=> \[2/2\] RUN .* [0-9]+\.[0-9]s$' <<<"$screen" || fail "the finished step lost its time: $screen"
pass "--progress tty: live view with timers and output, collapsed when done (tmux)"
