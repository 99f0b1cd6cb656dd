#!/usr/bin/env bash
# flex-db's load tool: the rate of CreateNode and GetNode over gRPC at CLIENTS concurrent clients against
# PostgreSQL, beside the rate pgbench reaches for the same INSERT and SELECT on the same database: the
# ceiling the calls are measured against. Prints both and their ratio, all from one run.
#
#   scripts/loadtest.sh            # 16 clients, 10 s per measurement
#   CLIENTS=32 SECONDS_EACH=20 scripts/loadtest.sh
#
# Needs PostgreSQL at FLEXDB_TEST_DATABASE_URL, pgbench, and ghz (installed with go install if missing).
set -euo pipefail
cd "$(dirname "$0")/.."

CLIENTS=${CLIENTS:-16}
SECONDS_EACH=${SECONDS_EACH:-10}
BASE_URL=${FLEXDB_TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/test?sslmode=disable}
GOBIN=$(go env GOPATH)/bin
export PATH=$PATH:$GOBIN
command -v ghz >/dev/null || go install github.com/bojand/ghz/cmd/ghz@v0.121.0
command -v grpcurl >/dev/null || go install github.com/fullstorydev/grpcurl/cmd/grpcurl@v1.9.3

work=$(mktemp -d)
schema="load_$(date +%s)_$$"
server_pid=""
cleanup() {
  [ -n "$server_pid" ] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  psql -q "$BASE_URL" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

psql -q "$BASE_URL" -c "CREATE SCHEMA $schema" >/dev/null
sep='&'; [[ $BASE_URL == *\?* ]] || sep='?'
url="${BASE_URL}${sep}search_path=${schema}"

go build -o "$work/flexdb" ./cmd/flexdb
FLEXDB_DATABASE_URL=$url "$work/flexdb" serve --dev --rate-limit 0 --log-level warn \
  --grpc-addr 127.0.0.1:50151 --http-addr 127.0.0.1:5151 --data-dir "$work/data" >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 1 50); do curl -sf http://127.0.0.1:5151/health >/dev/null && break; sleep 0.2; done

field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
call() { grpcurl -plaintext -d "$2" 127.0.0.1:50151 "$1"; }
tenant=$(call dbaas.TenantService/CreateTenant '{"slug": "load", "name": "Load"}' | field '["tenant"]["id"]')
ntype=$(call dbaas.NodeTypeService/CreateNodeType "{\"tenant_id\": \"$tenant\", \"name\": \"Task\", \"schema\": \"{\\\"type\\\": \\\"object\\\"}\"}" | field '["nodeType"]["id"]')
node=$(call dbaas.NodeService/CreateNode "{\"tenant_id\": \"$tenant\", \"node_type_id\": \"$ntype\", \"data\": \"{\\\"title\\\": \\\"x\\\"}\"}" | field '["node"]["id"]')

# The statements flex-db runs, with time-ordered ids like the server's UUIDv7.
cat >"$work/insert.sql" <<SQL
INSERT INTO $schema.nodes (tenant_id, id, node_type_id, data, created_at, updated_at, version)
SELECT '$tenant', (lpad(to_hex(floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 19))::uuid,
       '$ntype', '{"n": 1, "title": "load test"}', now(), now(), 1
FROM $schema.node_types WHERE tenant_id = '$tenant' AND id = '$ntype' AND version = 1;
SQL
cat >"$work/select.sql" <<SQL
SELECT tenant_id, id, node_type_id, data, created_at, updated_at, version FROM $schema.nodes WHERE tenant_id = '$tenant' AND id = '$node';
SQL

pgbench_tps() { pgbench -n -M prepared -c "$CLIENTS" -j 2 -T "$SECONDS_EACH" -f "$1" "$BASE_URL" 2>/dev/null | awk '/^tps/ {print int($3)}'; }
ghz_rps() {
  ghz --insecure --call "$1" -d "$2" -c "$CLIENTS" -z "${SECONDS_EACH}s" --connections 4 -O json 127.0.0.1:50151 2>/dev/null | field '["rps"]' | awk '{print int($1)}'
}

insert_tps=$(pgbench_tps "$work/insert.sql")
create_rps=$(ghz_rps dbaas.NodeService/CreateNode "{\"tenant_id\": \"$tenant\", \"node_type_id\": \"$ntype\", \"data\": \"{\\\"n\\\": 1, \\\"title\\\": \\\"load test\\\"}\"}")
select_tps=$(pgbench_tps "$work/select.sql")
get_rps=$(ghz_rps dbaas.NodeService/GetNode "{\"tenant_id\": \"$tenant\", \"id\": \"$node\"}")

ratio() { python3 -c "print(f'{$1 / $2:.2f}')"; }
printf '%-28s %10s %10s %7s\n' "call ($CLIENTS clients, ${SECONDS_EACH}s)" "flex-db/s" "pgbench/s" "ratio"
printf '%-28s %10s %10s %7s\n' "CreateNode vs INSERT" "$create_rps" "$insert_tps" "$(ratio "$create_rps" "$insert_tps")"
printf '%-28s %10s %10s %7s\n' "GetNode vs SELECT" "$get_rps" "$select_tps" "$(ratio "$get_rps" "$select_tps")"
