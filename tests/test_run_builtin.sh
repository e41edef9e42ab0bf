#!/usr/bin/env bash
# Sandbox conformance suite with the builtin executor.
RUNTIME=builtin
source "$(dirname "$0")/run_suite.sh"
