#!/usr/bin/env bash
# Vault (or OpenBao: use `bao` for `vault`) for the keyward injector examples. It sets up
# kubernetes auth, one role for each example service account (both require the audience
# "vault" of the agent's projected token), a read-only policy, and the demo secrets. Run it
# with VAULT_ADDR and an admin VAULT_TOKEN, from a machine that can reach the cluster's API
# server.
set -euo pipefail

NAMESPACE="${NAMESPACE:-keyward-demo}"

vault auth enable kubernetes 2>/dev/null || true
# Vault checks the tokens the agents show it with the cluster's TokenReview API. Outside
# the cluster, give it a reviewer token (token_reviewer_jwt) and the cluster's CA
# (kubernetes_ca_cert) too
vault write auth/kubernetes/config kubernetes_host="${KUBERNETES_HOST:?set KUBERNETES_HOST, e.g. https://10.0.0.1:443}"

vault policy write keyward-demo - <<'POLICY'
path "secret/data/keyward-demo/*" {
  capabilities = ["read"]
}
POLICY

# keyward.io/role: web  (examples/injector/deployment.yaml)
vault write auth/kubernetes/role/web \
  bound_service_account_names=web \
  bound_service_account_namespaces="$NAMESPACE" \
  audience=vault \
  token_policies=keyward-demo \
  token_ttl=1h

# keyward.io/role: report  (examples/injector/job.yaml)
vault write auth/kubernetes/role/report \
  bound_service_account_names=report \
  bound_service_account_namespaces="$NAMESPACE" \
  audience=vault \
  token_policies=keyward-demo \
  token_ttl=15m

# demo values (never put real secrets in a script)
vault kv put secret/keyward-demo/web password=demo-password-change-me
vault kv put secret/keyward-demo/db username=report password=demo-db-password-change-me
vault kv put secret/keyward-demo/api token=demo-api-token-change-me region=demo
