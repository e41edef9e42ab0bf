#!/usr/bin/env bash
# Sandbox conformance suite with crun, where crun can run at all (it refuses hybrid cgroups).
RUNTIME=crun
source "$(dirname "$0")/lib.sh"
command -v crun >/dev/null || skip "crun is not installed"
probe=$(mktemp -d)
mkdir -p "$probe/rootfs"
(cd "$probe" && crun spec >/dev/null 2>&1)
if ! why=$(cd "$probe" && crun --root "$probe/state" run probe-$$ 2>&1); then
  rm -rf "$probe"
  if [[ "$why" == *"cgroup"* ]]; then skip "crun refuses this host: $why"; fi
fi
rm -rf "$probe"
source "$(dirname "$0")/run_suite.sh"
