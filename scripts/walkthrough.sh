#!/usr/bin/env bash
# Runs the README's walkthrough against a running flex-db: the gRPC calls with grpcurl, then the REST and
# JSON-RPC calls with curl. Each command below is the README's, character for character (guides_test
# checks that); before it runs, this script puts in the ids that earlier answers gave, the addresses, a
# slug and an email of this run (so that it can run again against the same database), curl's -sS
# --fail-with-body, and the key when there is one. Stops with a non-zero status at the first failure.
#
#   GRPC_ADDR   gRPC address (default localhost:50051)
#   HTTP_ADDR   HTTP address (default localhost:5000)
#   FLEXDB_KEY  API key (the platform admin's: the walkthrough creates tenants and users); when set, every
#               call carries it, and the README's authenticated examples run too. Leave it unset in
#               development mode.
set -euo pipefail

GRPC_ADDR=${GRPC_ADDR:-localhost:50051}
HTTP_ADDR=${HTTP_ADDR:-localhost:5000}
for tool in grpcurl curl; do
  command -v "$tool" >/dev/null || { echo "walkthrough: $tool is not on PATH" >&2; exit 1; }
done

run=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n') # this run's suffix: 8 hex digits
grpc_auth=() http_auth=()
if [ -n "${FLEXDB_KEY:-}" ]; then
  grpc_auth=(-H "authorization: Bearer $FLEXDB_KEY")
  http_auth=(-H "Authorization: Bearer $FLEXDB_KEY")
fi

# This run's values, put in place of the README's placeholders.
slug="" tenant_id="" user_id="" node_type_id="" source_node_id="" target_node_id=""
email="john-$run@example.com"

fail() { echo "walkthrough: FAILED: $*" >&2; exit 1; }

# step WHAT: reads one README command from stdin, puts this run's values in, shows it, runs it and keeps
# its answer in $out.
step() {
  local what=$1 cmd
  cmd=$(cat)
  sub() { cmd=${cmd//"$1"/"$2"}; }
  sub localhost:50051 "$GRPC_ADDR"
  sub http://localhost:5000 "http://$HTTP_ADDR"
  sub '"acme-corp"' "\"$slug\""
  sub '"beta"' "\"$slug\""
  sub '"globex"' "\"$slug\""
  sub john@example.com "$email"
  sub TENANT_ID "$tenant_id"
  sub SOURCE_NODE_ID "$source_node_id"
  sub TARGET_NODE_ID "$target_node_id"
  sub NODE_ID "$source_node_id"
  sub NODE_TYPE_ID "$node_type_id"
  sub USER_ID "$user_id"
  if [[ $cmd == 'curl '* ]]; then
    cmd="curl -sS --fail-with-body ${cmd#curl }"
  fi
  if [[ -n ${FLEXDB_KEY:-} && $cmd != *Bearer* ]]; then # the key goes in as a variable: never shown
    sub 'grpcurl -plaintext ' 'grpcurl -plaintext "${grpc_auth[@]}" '
    if [[ $cmd == 'curl '* ]]; then cmd="curl \"\${http_auth[@]}\" ${cmd#curl }"; fi
  fi
  printf '\n== %s\n$ %s\n' "$what" "$cmd"
  if ! out=$(eval "$cmd"); then
    printf '%s\n' "$out"
    fail "$what"
  fi
  printf '%s\n' "$out"
}

# has KEY VALUE: the last answer holds "KEY": "VALUE" (REST answers space their JSON at random).
has() { grep -Eq "\"$1\" ?: ?\"$2\"" <<<"$out" || fail "the answer has no \"$1\": \"$2\""; }
# id: the first "id" of the last answer.
id() {
  local v
  v=$(grep -Eo '"id" ?: ?"[^"]+"' <<<"$out" | sed -n '1s/.*"\([^"]*\)"$/\1/p')
  [ -n "$v" ] || fail "the answer has no id"
  printf '%s' "$v"
}

echo "walkthrough: gRPC at $GRPC_ADDR, HTTP at $HTTP_ADDR, run $run${FLEXDB_KEY:+, with a key}"

# ---- gRPC -------------------------------------------------------------------------------------------------

step "list the services (server reflection)" <<'EOF'
grpcurl -plaintext localhost:50051 list
EOF
for s in Tenant User NodeType Node Relationship Key; do
  grep -qx "dbaas.${s}Service" <<<"$out" || fail "reflection does not list dbaas.${s}Service"
done

slug=acme-corp-$run
step CreateTenant <<'EOF'
grpcurl -plaintext -d '{"slug": "acme-corp", "name": "Acme Corporation"}' \
  localhost:50051 dbaas.TenantService/CreateTenant
EOF
has slug "$slug"
tenant_id=$(id)

step GetTenant <<'EOF'
grpcurl -plaintext -d '{"id": "TENANT_ID"}' localhost:50051 dbaas.TenantService/GetTenant
EOF
has id "$tenant_id"
has slug "$slug"

step ListTenants <<'EOF'
grpcurl -plaintext -d '{"pagination": {"page_size": 10}}' localhost:50051 dbaas.TenantService/ListTenants
EOF
grep -q '"tenants"' <<<"$out" || fail "ListTenants answered no tenants"

step CreateUser <<'EOF'
grpcurl -plaintext -d '{"email": "john@example.com", "display_name": "John Doe"}' \
  localhost:50051 dbaas.UserService/CreateUser
EOF
has email "$email"
user_id=$(id)

step AddUserToTenant <<'EOF'
grpcurl -plaintext -d '{"tenant_id": "TENANT_ID", "user_id": "USER_ID", "role": "admin"}' \
  localhost:50051 dbaas.UserService/AddUserToTenant
EOF
has userId "$user_id"
has role admin

step CreateNodeType <<'EOF'
grpcurl -plaintext -d '{
  "tenant_id": "TENANT_ID",
  "name": "Task",
  "description": "A task node type",
  "schema": "{\"type\": \"object\", \"properties\": {\"title\": {\"type\": \"string\"}}}"
}' localhost:50051 dbaas.NodeTypeService/CreateNodeType
EOF
has name Task
node_type_id=$(id)

for end in source target; do
  step "CreateNode ($end)" <<'EOF'
grpcurl -plaintext -d '{
  "tenant_id": "TENANT_ID",
  "node_type_id": "NODE_TYPE_ID",
  "data": "{\"title\": \"Complete project\", \"priority\": \"high\"}"
}' localhost:50051 dbaas.NodeService/CreateNode
EOF
  has nodeTypeId "$node_type_id"
  if [ "$end" = source ]; then source_node_id=$(id); else target_node_id=$(id); fi
done

step CreateRelationship <<'EOF'
grpcurl -plaintext -d '{
  "tenant_id": "TENANT_ID",
  "source_node_id": "SOURCE_NODE_ID",
  "target_node_id": "TARGET_NODE_ID",
  "relationship_type": "depends_on",
  "data": "{\"priority\": 1}"
}' localhost:50051 dbaas.RelationshipService/CreateRelationship
EOF
has sourceNodeId "$source_node_id"
has targetNodeId "$target_node_id"
has relationshipType depends_on

# ---- REST and JSON-RPC ------------------------------------------------------------------------------------

step "REST: merge patch of a node" <<'EOF'
curl -X PATCH http://localhost:5000/tenants/TENANT_ID/nodes/NODE_ID \
  -H "Content-Type: application/merge-patch+json" -d '{"status": "done", "draft": null}'
EOF
grep -Fq '\"status\": \"done\", \"priority\": \"high\"' <<<"$out" || fail "PATCH answered no merged document"

slug=globex-$run-rest
step "REST: create a tenant" <<'EOF'
curl -X POST http://localhost:5000/tenants -H "Content-Type: application/json" \
  -d '{"slug": "globex", "name": "Globex Corporation"}'
EOF
has slug "$slug"
tenant_id=$(id)

step "REST: get it" <<'EOF'
curl http://localhost:5000/tenants/TENANT_ID
EOF
has id "$tenant_id"

step "REST: list tenants" <<'EOF'
curl "http://localhost:5000/tenants?page_size=10"
EOF
grep -q '"tenants"' <<<"$out" || fail "GET /tenants answered no tenants"

slug=beta-$run
step "JSON-RPC: create_tenant" <<'EOF'
curl -X POST http://localhost:5000/jsonrpc -H "Content-Type: application/json" \
  -d '{"jsonrpc": "2.0", "method": "create_tenant", "params": {"slug": "beta", "name": "Beta"}, "id": 1}'
EOF
grep -q '"error"' <<<"$out" && fail "JSON-RPC create_tenant answered an error"
has slug "$slug"

# ---- With authentication on (only with a key) ------------------------------------------------------------

if [ -n "${FLEXDB_KEY:-}" ]; then
  slug=acme-corp-$run-key
  step "with a key: CreateTenant" <<'EOF'
grpcurl -plaintext -H "authorization: Bearer $FLEXDB_KEY" -d '{"slug": "acme-corp", "name": "Acme Corporation"}' \
  localhost:50051 dbaas.TenantService/CreateTenant
EOF
  has slug "$slug"

  step "with a key: REST list" <<'EOF'
curl -H "Authorization: Bearer $FLEXDB_KEY" http://localhost:5000/tenants
EOF
  grep -q '"tenants"' <<<"$out" || fail "GET /tenants answered no tenants"
fi

printf '\nwalkthrough: OK (run %s)\n' "$run"
