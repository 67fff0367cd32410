#!/usr/bin/env bash
# Vault (or OpenBao: use `bao` for `vault`) for the keyward Argo CD plugin: kubernetes auth
# for argocd-repo-server's service account, a read-only policy, and the demo secrets the
# example apps use. Run with VAULT_ADDR and an admin VAULT_TOKEN, from a machine that can
# reach the cluster's API server.
set -euo pipefail

vault auth enable kubernetes 2>/dev/null || true
# Vault checks the tokens it is shown with the cluster's TokenReview API
vault write auth/kubernetes/config kubernetes_host="${KUBERNETES_HOST:?set KUBERNETES_HOST, e.g. https://10.0.0.1:443}"

vault policy write argocd-keyward - <<'POLICY'
path "secret/data/keyward-demo/*" {
  capabilities = ["read"]
}
POLICY

# the sidecar's projected token has the audience "vault" (install/repo-server-patch.yaml)
vault write auth/kubernetes/role/argocd \
  bound_service_account_names=argocd-repo-server \
  bound_service_account_namespaces=argocd \
  audience=vault \
  token_policies=argocd-keyward \
  token_ttl=1h

# demo values (never put real secrets in a script)
vault kv put secret/keyward-demo/db username=shop password=change-me
vault kv put secret/keyward-demo/api token=change-me-too
