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

echo "== the other direction: clone, edit Welcome.md, push"
clone="$demo/clone"
as_pg git clone -q "$vault" "$clone"
as_pg sed -i 's/^# Welcome to the space$/# Welcome to the space (edited in git)/' "$clone/Welcome.md"
as_pg git -C "$clone" -c user.name=Demo -c user.email=demo@example.com commit -q -am "Edit the welcome page in git"
as_pg git -C "$clone" push -q origin main
deadline=$((SECONDS + 60))
until psql_docmost -At -c "SELECT text_content FROM pages WHERE title = 'Welcome'" | grep -q "edited in git"; do
    if [ $SECONDS -ge $deadline ]; then
        echo "the push did not reach the wiki within 60 s; server log:" >&2
        tail -n 40 "$demo/server.log" >&2
        exit 1
    fi
    sleep 0.5
done
echo "== SELECT left(text_content, 60) FROM pages WHERE title = 'Welcome';"
psql_docmost -c "SELECT left(text_content, 60) AS text_content, last_updated_by_id = '$svc' AS by_gitsync FROM pages WHERE title = 'Welcome'"

if [ "${KEEP:-0}" = 1 ]; then
    echo "== cluster left running: psql -h $demo -p $port -d docmost ; clone with: git clone $vault"
else
    as_pg "$bin/pg_ctl" -D "$demo/data" -m fast stop >/dev/null
    echo "== cluster stopped (KEEP=1 keeps it running); files remain in $demo"
fi
