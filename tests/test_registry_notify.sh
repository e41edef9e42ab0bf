#!/usr/bin/env bash
# kiln registry serve's notifications: Distribution's event envelope posted to webhook
# endpoints for pushes, mounts, pulls and deletes; a failing endpoint retried with backoff; a
# dead one with a full queue drops events and counts them; ignore rules; bad endpoint configs.
source "$(dirname "$0")/lib.sh"
cd "$WORK"
NL=$'\n'

python3 "$KILN_SRC/tests/tools/webhook_receiver.py" "$WORK/events.jsonl" 2 /events >"$WORK/hook.port" &
hook_pid=$!
cleanup_hooks+=("kill $hook_pid 2>/dev/null")
for _ in $(seq 50); do [[ -s $WORK/hook.port ]] && break; sleep 0.1; done
HOOK=$(cat "$WORK/hook.port")
dead=$(free_port)
mkdir -p "$WORK/kreg-n"
cat >"$WORK/kreg-n/config.yml" <<CFG
notifications:
  endpoints:
    - name: hook
      url: http://127.0.0.1:$HOOK/events
      headers: {Authorization: [Bearer s3cret]}
      timeout: 2s
      backoff: 100ms
    - name: quiet
      url: http://127.0.0.1:$HOOK/quiet
      ignore: {actions: [pull]}
    - name: dead
      url: http://127.0.0.1:$dead/events
      backoff: 30s
      queuesize: 2
CFG
start_kiln_registry n
app_image
"$KILN" push -q app:1 "$KREG/team/app:1"

# events PATH: every event posted to /PATH, one per line: action repository tag digest
# mediaType size method authorization content-type
events() {
  python3 - "$WORK/events.jsonl" "/$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    rec = json.loads(line)
    if rec["failed"] or rec["path"] != sys.argv[2]:
        continue
    for e in rec["body"]["events"]:
        t = e["target"]
        print(e["action"], t["repository"], t.get("tag", "-"), t["digest"], t["mediaType"], t["size"],
              e["request"]["method"], rec["authorization"] or "-", rec["content_type"])
PY
}
# wait_for PATTERN: until an event line matches (5 s).
wait_for() {
  local i
  for i in $(seq 50); do [[ $(events events) =~ $1 ]] && return 0; sleep 0.1; done
  fail "no event matching [$1]: $(events events)"
}
wait_for "(^|$NL)push team/app 1 $DIGEST application/vnd.oci.image.manifest.v1\\+json"
ev=$(events events)
expect_contains "$ev" "Bearer s3cret application/vnd.docker.distribution.events.v1+json"
nblobs=$(grep -c '^push team/app - sha256:.* application/octet-stream [1-9]' <<<"$ev" || true)
((nblobs >= 2)) || fail "blob push events with sizes: $ev"
failed=$(python3 -c "import json; print(sum(json.loads(l)['failed'] for l in open('$WORK/events.jsonl')))")
expect_eq 2 "$failed" "the first two posts failed"
pass "push: manifest and blob events with digest, tag, media type and size; two failures retried"

export KILN_ROOT=$WORK/s2
"$KILN" pull -q "$KREG/team/app:1" >/dev/null
wait_for "(^|$NL)pull team/app 1 $DIGEST"
wait_for "(^|$NL)pull team/app - sha256:[0-9a-f]+ application/octet-stream [1-9]"
export KILN_ROOT=$WORK/store
"$KILN" copy "docker://$KREG/team/app:1" "docker://$KREG/other/app:1"
wait_for "(^|$NL)mount other/app - sha256:"
curl -s -o /dev/null -X DELETE "http://$KREG/v2/other/app/manifests/$DIGEST"
wait_for "(^|$NL)delete other/app - $DIGEST"
pass "pull, mount and delete events"

metrics=$(curl -s "http://$KREG/metrics")
expect_contains "$metrics" 'kiln_registry_notifications_total{endpoint="hook",result="failed"} 2'
expect_contains "$metrics" 'kiln_registry_notifications_total{endpoint="quiet",result="dropped"} 0'
dropped=$(sed -n 's/^kiln_registry_notifications_total{endpoint="dead",result="dropped"} //p' <<<"$metrics")
((dropped > 0)) || fail "the dead endpoint dropped nothing: $metrics"
expect_contains "$metrics" 'kiln_registry_notifications_pending{endpoint="dead"} 2'
quiet=$(events quiet)
quiet_pulls=$(grep -c '^pull ' <<<"$quiet" || true)
[[ $quiet == *"push team/app 1 $DIGEST"* ]] || fail "the quiet endpoint missed the push: $quiet"
expect_eq 0 "$quiet_pulls" "the quiet endpoint ignores pulls"
pass "metrics: failures, drops from a full queue ($dropped) and pending events; ignore rules"

# Bad endpoint configurations are refused at start, with the reason.
printf 'notifications:\n  endpoints:\n    - {name: x, url: ftp://nowhere}\n' >bad1.yml
expect_exit 2 "$KILN" registry serve --config bad1.yml --root "$WORK/r" --addr 127.0.0.1:0
expect_contains "$ERR" "http(s) url"
printf 'notifications:\n  endpoints:\n    - {name: x, url: "http://h/", backoff: soon}\n' >bad2.yml
expect_exit 2 "$KILN" registry serve --config bad2.yml --root "$WORK/r" --addr 127.0.0.1:0
expect_contains "$ERR" "backoff 'soon' is not a duration"
pass "bad notification endpoints are refused with the reason"
