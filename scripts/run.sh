#!/usr/bin/env bash
# run.sh — sets up everything and runs saker live with the default rules
# (needs root for the eBPF probe). Extra arguments go to saker.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
scripts/build.sh build
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
exec $SUDO build/saker "$@"
