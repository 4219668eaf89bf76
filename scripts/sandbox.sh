#!/usr/bin/env bash
# Starts the local sandbox. It arrives in a later issue; until then this says so.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SHIFTGATE_ROOT"
sg_provision_node
sg_die "the sandbox is not built yet: it arrives with the sandbox issue (see README, 'Commands'). Run the tests with: bash scripts/test.sh"
