#!/usr/bin/env bash
# The registry client against hostile answers: JSON nested 500,000 levels deep and wrongly
# typed fields in token answers, error bodies, manifests, tag lists and credential-helper
# answers. Each must end in a clear error naming the document (exit < 100: no crash, no
# std::terminate), with nothing stored.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
port=$(free_port)
python3 "$KILN_SRC/tests/tools/hostile_registry.py" "$port" >hostile.log 2>&1 &
cleanup_hooks+=("kill $! 2>/dev/null")
for i in $(seq 100); do curl -sf "http://127.0.0.1:$port/v2/" >/dev/null && break; sleep 0.05; done
H=127.0.0.1:$port
export REGISTRY_AUTH_FILE=$WORK/auth.json

refused() {  # refused WANT-REGEX CMD...: fails with a message matching WANT-REGEX, exit < 100
  local want=$1; shift
  set +e
  "$@" >"$WORK/out" 2>"$WORK/err"
  local rc=$?
  set -e
  local err
  err=$(cat "$WORK/err")
  ((rc != 0)) || fail "$*: accepted"
  ((rc < 100)) || fail "$*: exit $rc (crash?): $err"
  [[ $err =~ $want ]] || fail "$*: want [$want] in: $err"
  [[ -z $("$KILN" images -q) ]] || fail "$*: an image was recorded"
}

refused 'token server answer: "token" is not a string' "$KILN" pull "$H/token-typed/x:1"
refused 'the token server sent no token' "$KILN" pull "$H/token-deep/x:1"
refused 'HTTP 404 \(unreadable error body: error body: "code" is not a string\)' \
  "$KILN" pull "$H/error-typed/x:1"
refused 'HTTP 404' "$KILN" pull "$H/error-deep/x:1"
refused 'manifest: JSON nested more than 200 levels deep' "$KILN" pull "$H/manifest-deep/x:1"
refused 'layers: must be an array' "$KILN" pull "$H/manifest-typed/x:1"
refused 'tags: not a JSON object' "$KILN" tags "docker://$H/tags-deep/x"
pass "token answers, error bodies, manifests and tag lists: deep or wrongly typed JSON is refused"

# Credential helpers whose answers are wrongly typed or nested too deep.
mkdir bin
printf '#!/bin/sh\necho %s\n' "'{\"Username\": 1, \"Secret\": \"s\"}'" >bin/docker-credential-typed
python3 -c 'print("#!/bin/sh\ncat <<\"E\"\n" + "{\"Username\":" + "["*300000 + "]"*300000 + "}\nE")' \
  >bin/docker-credential-deep
chmod +x bin/*
for helper in typed deep; do
  echo "{\"credsStore\": \"$helper\"}" >auth.json
  want='credential helper typed: answer: "Username" is not a string'
  [[ $helper == deep ]] && want='credential helper deep: unreadable answer'
  refused "$want" env PATH="$WORK/bin:$PATH" "$KILN" pull "$H/auth-basic/x:1"
done
echo '{"auths": {"'"$H"'": {"auth": 5}}, "credHelpers": {"'"$H"'": 7}}' >auth.json
refused 'wants credentials' "$KILN" pull "$H/auth-basic/x:1"
pass "credential helpers and auth files with wrongly typed or deep answers: clear errors"
