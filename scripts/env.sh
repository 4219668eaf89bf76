# shellcheck shell=bash
# Sourced by the project's commands (scripts/test.sh, scripts/sandbox.sh, .ci/run).
# Provisions Node >= 22.18 (type stripping by default), a reachable Redis and, for the tests, Debian's Chromium
# and Prometheus, using only the npm registry and Debian's packages.

SHIFTGATE_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SHIFTGATE_TOOLS="$SHIFTGATE_ROOT/.tools"
SHIFTGATE_NODE_MAJOR=24

sg_say() { printf 'shiftgate: %s\n' "$*" >&2; }
sg_die() { sg_say "$*"; exit 1; }

# True when the node on PATH runs TypeScript sources as they are: type stripping is on by default from
# Node 22.18 and 23.6 (the sandbox, the CLI and the tests' child processes run .ts files directly).
sg_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  node -e 'const [a, b] = process.versions.node.split(".").map(Number); process.exit(a > 23 || (a === 23 && b >= 6) || (a === 22 && b >= 18) ? 0 : 1)'
}

# Node 24 comes from the npm package node@24, which carries a real Node binary.
sg_provision_node() {
  if sg_node_ok; then return 0; fi
  local dir="$SHIFTGATE_TOOLS/node$SHIFTGATE_NODE_MAJOR"
  if [ ! -x "$dir/node_modules/.bin/node" ]; then
    command -v npm >/dev/null 2>&1 || sg_die "npm is needed to provision Node $SHIFTGATE_NODE_MAJOR; install Node.js and npm first"
    sg_say "Node $(node --version 2>/dev/null || echo 'missing') cannot run the TypeScript sources (needs 22.18+ or 23.6+); installing node@$SHIFTGATE_NODE_MAJOR from the npm registry into .tools/"
    mkdir -p "$dir"
    npm install --prefix "$dir" --no-save --no-package-lock --loglevel=error "node@$SHIFTGATE_NODE_MAJOR" >&2 ||
      sg_die "could not install node@$SHIFTGATE_NODE_MAJOR from the npm registry"
  fi
  export PATH="$dir/node_modules/.bin:$PATH"
  sg_node_ok || sg_die "the provisioned Node in $dir does not run"
}

# Host and port of a redis:// URL (defaults 127.0.0.1:6379); an IPv6 host is written [::1].
sg_redis_hostport() {
  local rest="${1#*://}"
  rest="${rest##*@}"
  rest="${rest%%/*}"
  local host port="6379"
  if [ "${rest#\[}" != "$rest" ]; then
    host="${rest#\[}"
    host="${host%%]*}"
    case "$rest" in *]:*) port="${rest##*]:}" ;; esac
  else
    host="${rest%%:*}"
    [ "$rest" != "$host" ] && port="${rest##*:}"
  fi
  printf '%s %s\n' "${host:-127.0.0.1}" "$port"
}

# True when the Redis at $1 answers PING (NOAUTH also proves a Redis listens there).
sg_redis_answers() {
  local host port reply
  read -r host port < <(sg_redis_hostport "$1")
  # Host and port go in as arguments, never into the script text: a URL cannot inject a command.
  if [ "${1%%://*}" = rediss ]; then
    # TLS: a plain PING cannot be read, so a listening port counts as answering.
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
    return
  fi
  reply=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2" && printf "PING\r\n" >&3 && head -c 7 <&3' _ "$host" "$port" 2>/dev/null) || return 1
  case "$reply" in +PONG* | -NOAUTH*) return 0 ;; *) return 1 ;; esac
}

sg_install_redis() {
  command -v redis-server >/dev/null 2>&1 && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && grep -qiE 'debian|ubuntu' /etc/os-release 2>/dev/null; then
    sg_say "no redis-server found; installing the Debian package redis-server"
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2 ||
      sg_die "apt-get could not install redis-server"
    return 0
  fi
  sg_die "no Redis answers at ${REDIS_URL:-redis://127.0.0.1:6379} and redis-server is not installed: install Redis 7 (Debian/Ubuntu: apt-get install redis-server) or set REDIS_URL to a running one"
}

# Uses REDIS_URL when it answers; otherwise starts a private redis-server on a free loopback port,
# without persistence, and stops it when the calling shell exits.
sg_provision_redis() {
  local url="${REDIS_URL:-redis://127.0.0.1:6379}"
  if sg_redis_answers "$url"; then
    export REDIS_URL="$url"
    return 0
  fi
  sg_install_redis
  local port dir
  port=$(node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
  dir=$(mktemp -d "${TMPDIR:-/tmp}/shiftgate-redis.XXXXXX")
  sg_say "no Redis answers at $url; starting a private redis-server on 127.0.0.1:$port"
  redis-server --bind 127.0.0.1 --port "$port" --save '' --appendonly no --dir "$dir" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >/dev/null ||
    sg_die "redis-server did not start (log: $dir/redis.log)"
  SHIFTGATE_REDIS_DIR="$dir"
  trap sg_stop_redis EXIT
  export REDIS_URL="redis://127.0.0.1:$port"
  local i
  for i in $(seq 1 100); do
    sg_redis_answers "$REDIS_URL" && return 0
    sleep 0.1
  done
  sg_die "the private redis-server on port $port does not answer (log: $dir/redis.log)"
}

sg_stop_redis() {
  [ -n "${SHIFTGATE_REDIS_DIR:-}" ] || return 0
  if [ -f "$SHIFTGATE_REDIS_DIR/redis.pid" ]; then
    kill "$(cat "$SHIFTGATE_REDIS_DIR/redis.pid")" 2>/dev/null || true
  fi
  rm -rf "$SHIFTGATE_REDIS_DIR"
  SHIFTGATE_REDIS_DIR=""
}

# Debian's Chromium for the browser test (test/sandbox), driven by playwright-core, which downloads no
# browser of its own. As root on Debian/Ubuntu it installs the `chromium` package when missing (with a
# colour emoji font, so the page's screenshots show the bot's emoji); anywhere else it says what to install.
# SHIFTGATE_CHROMIUM names another binary.
sg_provision_chromium() {
  local bin="${SHIFTGATE_CHROMIUM:-/usr/bin/chromium}"
  local fonts=""
  [ -e /usr/share/fonts/truetype/noto/NotoColorEmoji.ttf ] || fonts="fonts-noto-color-emoji"
  if [ -x "$bin" ] && [ -z "$fonts" ]; then return 0; fi
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && grep -qiE 'debian|ubuntu' /etc/os-release 2>/dev/null; then
    local packages="$fonts"
    [ -x "$bin" ] || packages="chromium $packages"
    sg_say "installing the Debian packages $packages for the browser test"
    # shellcheck disable=SC2086 # one word per package
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $packages) >&2 ||
      sg_die "apt-get could not install $packages"
    [ -x "$bin" ] || sg_die "the chromium package did not install $bin; set SHIFTGATE_CHROMIUM to a Chromium binary"
    return 0
  fi
  [ -x "$bin" ] && return 0 # no emoji font: the page still works, its emoji show as boxes
  sg_die "the browser test needs Chromium at $bin: install it (Debian/Ubuntu: apt-get install chromium) or set SHIFTGATE_CHROMIUM to a Chromium binary"
}

# A Prometheus server binary for the tests that run gates against a real one (test/gates/prometheus-real):
# each test starts its own on a free loopback port with its own config and storage (test/helpers/
# prometheus-server.ts), so a packaged service on :9090 is neither needed nor used. SHIFTGATE_PROMETHEUS
# names another binary; the one found is exported there. As root on Debian/Ubuntu the `prometheus`
# package is installed when missing; anywhere else the command stops and says what to install.
sg_provision_prometheus() {
  local bin="${SHIFTGATE_PROMETHEUS:-}"
  if [ -n "$bin" ]; then
    [ -x "$bin" ] || sg_die "SHIFTGATE_PROMETHEUS=$bin is not an executable Prometheus server"
  else
    bin=$(command -v prometheus 2>/dev/null || true)
    [ -n "$bin" ] || { [ -x /usr/bin/prometheus ] && bin=/usr/bin/prometheus; }
  fi
  if [ -z "$bin" ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 &&
      grep -qiE 'debian|ubuntu' /etc/os-release 2>/dev/null; then
      sg_say "no prometheus found; installing the Debian package prometheus for the real-Prometheus tests"
      # The package's service is not wanted (the tests start their own): while it installs, a policy-rc.d
      # (only when the machine has none, removed on the way out) tells invoke-rc.d and deb-systemd-invoke
      # not to start it.
      (
        policy=/usr/sbin/policy-rc.d
        if [ ! -e "$policy" ]; then
          trap 'rm -f "$policy"' EXIT
          printf '#!/bin/sh\n# shiftgate: no service starts while prometheus installs\nexit 101\n' >"$policy"
          chmod 755 "$policy"
        fi
        apt-get update -qq &&
          DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus
      ) >&2 || sg_die "apt-get could not install prometheus"
      bin=/usr/bin/prometheus
      [ -x "$bin" ] ||
        sg_die "the prometheus package did not install $bin; set SHIFTGATE_PROMETHEUS to a Prometheus server binary"
    else
      sg_die "the real-Prometheus tests need a Prometheus server: install it (Debian/Ubuntu: apt-get install" \
        "--no-install-recommends prometheus; elsewhere https://prometheus.io/download/) or set" \
        "SHIFTGATE_PROMETHEUS to its binary"
    fi
  fi
  export SHIFTGATE_PROMETHEUS="$bin"
}
