#!/usr/bin/env bash
# Sandbox conformance suite with the runc executor.
RUNTIME=runc
source "$(dirname "$0")/run_suite.sh"
