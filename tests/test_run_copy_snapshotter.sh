#!/usr/bin/env bash
# Sandbox conformance suite with the copy snapshotter (what kiln uses where overlayfs cannot
# be mounted): rootfs applied into the container's own directory, commit by diff.
RUNTIME=builtin
SUITE_ID=2
export KILN_SNAPSHOTTER=copy
source "$(dirname "$0")/run_suite.sh"
