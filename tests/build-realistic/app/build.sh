#!/bin/bash
set -euo pipefail
echo "built by $(id -un) with bash ${BASH_VERSINFO[0]} on $(. /etc/os-release && echo "$PRETTY_NAME")"
