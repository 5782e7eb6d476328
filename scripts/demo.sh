#!/usr/bin/env bash
# The end-to-end demo: a throwaway cluster with the worker preloaded, the
# Docmost fixture schema and seed space, one worker cycle, and the vault it
# wrote. Run through `make demo` (which builds and installs first).
# KEEP=1 leaves the cluster running for a look around.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
shared="$here/../shared"
bin=$(/usr/lib/postgresql/15/bin/pg_config --bindir)
demo=${DEMO_DIR:-/tmp/gitsync-demo}
port=${DEMO_PORT:-54329}
as_pg() { runuser -u postgres -- "$@"; }
psql_docmost() { as_pg "$bin/psql" -X -q -h "$demo" -p "$port" -d docmost -v ON_ERROR_STOP=1 "$@"; }

if [ -f "$demo/data/postmaster.pid" ]; then
    as_pg "$bin/pg_ctl" -D "$demo/data" -m immediate stop >/dev/null 2>&1 || true
fi
rm -rf "$demo"
mkdir -p "$demo/vaults"
chown -R postgres:postgres "$demo"

echo "== throwaway cluster in $demo (port $port)"
as_pg "$bin/initdb" -D "$demo/data" -A trust -U postgres --no-sync >/dev/null
cat >> "$demo/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$demo'
port = $port
shared_preload_libraries = 'gitsync'
gitsync.enabled = on
gitsync.database = 'docmost'
gitsync.poll_interval = 2s
gitsync.vault_root = '$demo/vaults'
CONF
as_pg "$bin/pg_ctl" -D "$demo/data" -l "$demo/server.log" -w start >/dev/null

echo "== Docmost fixture schema, the extension, the seed space"
as_pg "$bin/createdb" -h "$demo" -p "$port" docmost
psql_docmost -f "$shared/docmost-schema.sql"
psql_docmost -c "CREATE EXTENSION gitsync"
psql_docmost -f "$shared/fixtures/seed-space.sql" >/dev/null
svc=$(psql_docmost -At -c "SELECT id FROM users WHERE email = 'gitsync@example.com'")
space=$(psql_docmost -At -c "SELECT id FROM spaces WHERE slug = 'demo'")
psql_docmost -c "ALTER SYSTEM SET gitsync.service_user_id = '$svc'" -c "SELECT pg_reload_conf()" >/dev/null

echo "== waiting for the worker's first cycle of space $space"
deadline=$((SECONDS + 90))
until [ "$(psql_docmost -At -c "SELECT last_result FROM gitsync_status() WHERE space_id = '$space'")" = ok ]; do
    if [ $SECONDS -ge $deadline ]; then
        echo "no successful cycle within 90 s; server log:" >&2
        tail -n 40 "$demo/server.log" >&2
        exit 1
    fi
    sleep 0.5
done

echo "== SELECT * FROM gitsync_status();"
psql_docmost -x -c "SELECT * FROM gitsync_status()"
vault="$demo/vaults/$space.git"
echo "== git ls-tree -r main   ($vault)"
as_pg git -C "$vault" ls-tree -r main
echo "== git show main:Welcome.md"
as_pg git -C "$vault" show main:Welcome.md

if [ "${KEEP:-0}" = 1 ]; then
    echo "== cluster left running: psql -h $demo -p $port -d docmost ; clone with: git clone $vault"
else
    as_pg "$bin/pg_ctl" -D "$demo/data" -m fast stop >/dev/null
    echo "== cluster stopped (KEEP=1 keeps it running); files remain in $demo"
fi
