#!/usr/bin/env bash
# `npm run sandbox`: the local sandbox on 127.0.0.1 (see README, "Sandbox"). Provisions Node 24 and Redis
# like the test command, then runs sandbox/main.ts until Ctrl-C. Nothing to build: Node 24 runs the sources.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SHIFTGATE_ROOT"
sg_provision_node
[ -d node_modules ] || npm ci --no-audit --no-fund
# The sandbox starts a private redis-server of its own. Without the binary it uses a Redis that answers
# REDIS_URL, under a key prefix of its own; with neither, redis-server is installed (Debian/Ubuntu as
# root) or the command says how to get one.
if ! command -v redis-server >/dev/null 2>&1 && ! sg_redis_answers "${REDIS_URL:-redis://127.0.0.1:6379}"; then
  sg_install_redis
fi
exec node sandbox/main.ts "$@"
