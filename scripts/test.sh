#!/usr/bin/env bash
# The test command: provisions Node 24, Redis, Chromium and Prometheus, runs every test once, prints
# "N passed, N failed".
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/env.sh"
cd "$SHIFTGATE_ROOT"
sg_provision_node
[ -d node_modules ] || npm ci --no-audit --no-fund
sg_provision_redis
sg_provision_chromium # Debian's Chromium for the sandbox's browser test (test/sandbox)
sg_provision_prometheus # Debian's Prometheus server for the gates' real-Prometheus tests (test/gates)

report="$SHIFTGATE_ROOT/reports/vitest.json"
mkdir -p "$(dirname "$report")"
rm -f "$report"
status=0
npm test -- --reporter=default --reporter=json --outputFile.json="$report" "$@" || status=$?
[ -f "$report" ] || sg_die "the test runner wrote no report ($report); exit status $status"
node -e 'const r = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8")); console.log(`${r.numPassedTests} passed, ${r.numFailedTests} failed`)' "$report"
exit "$status"
