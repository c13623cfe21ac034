#!/usr/bin/env bash
# Checks every example in deploy/ with the tool that reads it, when that tool is installed:
# nginx -t, haproxy -c, nats-server -t, systemd-analyze verify, docker-compose config, and
# Babelcast's own config schema. Paths that only exist on a real host (certificates, /opt/babelcast,
# gateway host names) are swapped for temporary ones. Exit 1 if any check fails.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failed=0
ok() { echo "ok    $1"; }
bad() { echo "FAIL  $1"; failed=1; }
skip() { echo "skip  $1 ($2 not installed)"; }

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$tmp/key.pem" -out "$tmp/cert.pem" -days 1 \
  -subj /CN=talks.example.org >/dev/null 2>&1
cat "$tmp/cert.pem" "$tmp/key.pem" >"$tmp/combined.pem"

nginx_check() { # nginx_check NAME SITE_FILE
  cat >"$tmp/nginx.conf" <<CONF
pid $tmp/nginx.pid;
error_log $tmp/nginx-error.log;
worker_rlimit_nofile 100000;
events { worker_connections 50000; }
http { access_log off; include $tmp/site.conf; }
CONF
  if nginx -q -t -c "$tmp/nginx.conf" -p "$tmp" 2>"$tmp/nginx.out"; then ok "$1"; else cat "$tmp/nginx.out"; bad "$1"; fi
}
if command -v nginx >/dev/null; then
  sed -e "s|/etc/letsencrypt/live/talks.example.org/fullchain.pem|$tmp/cert.pem|" \
    -e "s|/etc/letsencrypt/live/talks.example.org/privkey.pem|$tmp/key.pem|" \
    "$here/nginx/babelcast.conf" >"$tmp/site.conf"
  nginx_check 'nginx/babelcast.conf (nginx -t)'
  # Compose service names do not resolve here.
  sed -e 's|gateway-[12]:8080|127.0.0.1:8080|' "$here/compose/nginx.conf" >"$tmp/site.conf"
  nginx_check 'compose/nginx.conf (nginx -t)'
else skip 'nginx configs' nginx; fi

if command -v haproxy >/dev/null; then
  sed -e "s|/etc/haproxy/certs/talks.example.org.pem|$tmp/combined.pem|" "$here/haproxy/haproxy.cfg" >"$tmp/haproxy.cfg"
  if haproxy -q -c -f "$tmp/haproxy.cfg"; then ok 'haproxy/haproxy.cfg (haproxy -c)'; else bad 'haproxy/haproxy.cfg'; fi
else skip 'haproxy.cfg' haproxy; fi

nats=$(command -v nats-server || echo /usr/sbin/nats-server)
if [ -x "$nats" ]; then
  for f in "$here"/nats/nats-*.conf; do
    if "$nats" -t -c "$f" >/dev/null 2>&1; then ok "nats/$(basename "$f") (nats-server -t)"; else "$nats" -t -c "$f"; bad "nats/$(basename "$f")"; fi
  done
else skip 'NATS configs' nats-server; fi

if command -v systemd-analyze >/dev/null; then
  for f in "$here"/systemd/*.service; do
    name=$(basename "$f" | sed 's/@\.service$/@9999.service/')
    sed -e "s|/opt/babelcast|$repo|g" -e "s|/etc/babelcast/cluster.env|$here/systemd/cluster.env|" \
      -e 's|^User=.*|User=root|' -e 's|^Group=.*|Group=root|' "$f" >"$tmp/$name"
    out=$(systemd-analyze verify "$tmp/$name" 2>&1)
    if [ -z "$out" ]; then ok "systemd/$(basename "$f") (systemd-analyze verify)"; else echo "$out"; bad "systemd/$(basename "$f")"; fi
  done
else skip 'systemd units' systemd-analyze; fi

if command -v docker-compose >/dev/null; then
  if docker-compose -f "$here/compose/compose.yaml" config -q; then ok 'compose/compose.yaml (docker-compose config)'; else bad 'compose/compose.yaml'; fi
elif docker compose version >/dev/null 2>&1; then
  if docker compose -f "$here/compose/compose.yaml" config -q; then ok 'compose/compose.yaml (docker compose config)'; else bad 'compose/compose.yaml'; fi
else skip 'compose.yaml' docker-compose; fi

# Babelcast's schema, with the environment the units and compose file give.
cat >"$tmp/config-check.ts" <<TS
import { loadConfig } from '$repo/packages/server/src/index.ts';
for (const file of process.argv.slice(2)) {
  const c = loadConfig({ file, env: { BABELCAST_NATS_URL: 'nats://nats-1:4222', BABELCAST_POSTGRES_URL: 'postgres://babelcast@db:5432/babelcast', BABELCAST_TRUST_PROXY: '1' } });
  if (c.bus.kind !== 'nats' || c.store.kind !== 'postgres') throw new Error(file + ': not a cluster config');
}
TS
for f in "$here/systemd/config.json" "$here/compose/config.json"; do
  if (cd "$repo" && npx --no-install tsx "$tmp/config-check.ts" "$f" 2>"$tmp/cfg.out"); then ok "${f#"$here"/} (Babelcast config schema)"; else cat "$tmp/cfg.out"; bad "${f#"$here"/}"; fi
done

exit $failed
