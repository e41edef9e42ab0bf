#!/bin/sh
# Runs inside the build stage of examples/Dockerfile.
set -eu
echo "hello from a kiln multi-stage build ($(uname -m))"
