#!/usr/bin/env bash
# The image commands end to end: import, images, tag, inspect, history, rmi, system, --help.
source "$(dirname "$0")/lib.sh"
busybox_rootfs

id=$($KILN import -q --change 'CMD ["/bin/sh"]' --change 'ENV PATH=/bin' -m "base" "$WORK/rootfs" bb:1)
[[ $id =~ ^sha256:[0-9a-f]{64}$ ]] || fail "import prints the image ID, got $id"

# Tarball and stdin imports, compressed or not.
tar -C "$WORK/rootfs" -czf "$WORK/rootfs.tgz" .
id2=$($KILN import -q "$WORK/rootfs.tgz" bb:tgz)
id3=$($KILN import -q - bb:stdin <"$WORK/rootfs.tgz")
expect_eq "$($KILN inspect -f '{{index .RootFS.Layers 0}}' bb:tgz)" \
  "sha256:$(gzip -dc "$WORK/rootfs.tgz" | sha256sum | cut -d' ' -f1)" "diffID of a tarball import"
expect_eq "$($KILN inspect -f '{{json .RootFS.Layers}}' bb:tgz)" \
  "$($KILN inspect -f '{{json .RootFS.Layers}}' bb:stdin)" "stdin import"

# images: table, quiet, digests, json, templates, filters.
out=$($KILN images)
expect_contains "$out" "REPOSITORY   TAG       IMAGE ID       CREATED"
expect_contains "$out" "bb           1         ${id:7:12}"
expect_eq 3 "$($KILN images -q | wc -l)" "images -q rows"
expect_contains "$($KILN images --digests)" "DIGEST"
expect_contains "$($KILN images --no-trunc)" "$id"
$KILN images --format json | python3 -c 'import json,sys; rows=[json.loads(l) for l in sys.stdin]; assert len(rows)==3 and {"Repository","Tag","ID","Size"} <= rows[0].keys()'
expect_eq "bb:1" "$($KILN images --format '{{.Repository}}:{{.Tag}}' 'bb:1')" "template + filter"
expect_contains "$($KILN images --format 'table {{.Repository}}\t{{.Tag}}' bb)" "REPOSITORY   TAG"
expect_eq 1 "$($KILN images "nothing*" | wc -l)" "only the header when nothing matches"

# tag, inspect.
$KILN tag bb:1 localhost:5000/team/bb:v2
$KILN tag "${id:7:10}" other
expect_eq "$id" "$($KILN inspect -f '{{.Id}}' localhost:5000/team/bb:v2)" "tag by name"
expect_eq "$id" "$($KILN inspect -f '{{.Id}}' other:latest)" "tag by ID prefix"
$KILN inspect bb:1 other | python3 -c '
import json,sys
docs=json.load(sys.stdin)
assert len(docs)==2, docs
d=docs[0]
assert d["Config"]["Cmd"]==["/bin/sh"] and d["Config"]["Env"]==["PATH=/bin"], d["Config"]
assert set(d["RepoTags"])=={"bb:1","localhost:5000/team/bb:v2","other:latest"}, d["RepoTags"]
assert d["Comment"]=="base" and d["Os"]=="linux" and d["Size"]>1000000 and d["RootFS"]["Type"]=="layers"
'
expect_eq '["/bin/sh"]' "$($KILN inspect --format '{{json .Config.Cmd}}' bb:1)"
expect_eq '[PATH=/bin]' "$($KILN inspect --format '{{.Config.Env}}' bb:1)"
expect_exit 3 $KILN inspect bb:1 nosuch
expect_eq "kiln: no such image: nosuch" "$ERR"
expect_contains "$OUT" "\"Id\": \"$id\""

# history.
out=$($KILN history bb:1)
expect_contains "$out" "IMAGE          CREATED"
expect_contains "$out" "${id:7:12}"
expect_contains "$out" "base"
expect_contains "$($KILN history --no-trunc bb:1)" "$id"
expect_contains "$($KILN history -H=false bb:1)" "Z "
expect_eq "${id:7:12}" "$($KILN history -q bb:1)"
$KILN history --format json bb:1 | python3 -c 'import json,sys; r=json.loads(sys.stdin.readline()); assert r["Comment"]=="base", r'

# Bad input: clear errors, specific exit codes.
expect_exit 2 $KILN tag bb:1 'Bad/Name'
expect_eq 'kiln: invalid reference "Bad/Name": repository name must be lowercase' "$ERR"
expect_exit 3 $KILN import "$WORK/nope.tar"
expect_contains "$ERR" "No such file or directory"
echo junk >"$WORK/junk.tar"
expect_exit 5 $KILN import "$WORK/junk.tar" junk
expect_eq "kiln: import $WORK/junk.tar: open tar stream: not a tar archive" "$ERR"
expect_exit 2 $KILN import --change 'RUN true' "$WORK/rootfs"
expect_exit 2 $KILN images --bogus-flag
expect_exit 2 $KILN history bb:1 --format '{{.Nope'

# rmi: untag, refuse ambiguous delete, force.
expect_exit 4 $KILN rmi "${id:7:12}"
expect_contains "$ERR" "must be forced"
expect_eq "Untagged: other:latest" "$($KILN rmi other)"
out=$($KILN rmi -f "$id")
expect_contains "$out" "Untagged: bb:1"
expect_contains "$out" "Deleted: $id"
expect_exit 3 $KILN inspect bb:1
$KILN rmi bb:tgz bb:stdin >/dev/null
expect_eq "" "$($KILN images -q)" "all images removed"
expect_eq 0 "$(find "$KILN_ROOT/blobs" -type f | wc -l)" "rmi collects the blobs"

# system.
$KILN import -q "$WORK/rootfs" keep >/dev/null
$KILN import -q "$WORK/rootfs.tgz" >/dev/null   # dangling
expect_contains "$($KILN system check)" "ok"
$KILN system check --format json | python3 -c 'import json,sys; r=json.load(sys.stdin); assert r["Errors"]==[] and r["ImagesChecked"]==2, r'
expect_contains "$($KILN system df)" "Images      2         1"
expect_contains "$(echo n | $KILN system prune)" "Are you sure"
expect_eq 2 "$($KILN images -q | wc -l)" "answering no keeps everything"
out=$($KILN system prune -f)
expect_contains "$out" "Deleted: sha256:"
expect_eq 1 "$($KILN images -q | wc -l)" "prune removes dangling images"

# Every command has --help. kiln sets up only the command it is given (cli/main.cpp): each
# command `kiln --help` lists must answer its own --help, so the table there names it right.
$KILN --help >"$WORK/help.txt"
cmds=$(sed -n '/^Subcommands:/,$p' "$WORK/help.txt" | awk 'NR > 1 && /^  [a-z]/ {print $1}')
expect_eq 1 "$([[ $(echo "$cmds" | wc -l) -ge 30 ]] && echo 1)" "kiln --help lists every command"
for c in $cmds "system check" "system df" "system prune"; do
  $KILN $c --help >"$WORK/c-help.txt" || fail "$c --help failed"
  grep -q "Usage: kiln $c" "$WORK/c-help.txt" || fail "$c --help: $(head -3 "$WORK/c-help.txt")"
done
# A global option's value is not the command word, even when it is a command's name.
(cd "$WORK" && $KILN --root run images -q >/dev/null) || fail "--root run images"
[[ -d $WORK/run ]] || fail "--root run did not use ./run as the store"
expect_contains "$($KILN version)" "kiln version"
pass "cli"
