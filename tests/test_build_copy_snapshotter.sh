#!/usr/bin/env bash
# The build tests again with the copy snapshotter (what kiln uses where overlayfs cannot be
# mounted): every step applies its parent's layers into a directory and diffs it afterwards.
export KILN_SNAPSHOTTER=copy
source "$(dirname "$0")/test_build.sh"
