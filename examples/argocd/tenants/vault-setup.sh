#!/usr/bin/env bash
# Vault (or OpenBao: use `bao`) for two tenants of one keyward plugin sidecar: one kubernetes auth
# role and one policy per team, so Vault itself keeps each team to its own secrets. Both roles
# accept the sidecar's service account; keyward picks the role from the tenancy file
# (tenants.yaml) by the app's Argo CD project. Run after ../vault/setup.sh (which enables the
# kubernetes auth method), with VAULT_ADDR and an admin VAULT_TOKEN.
set -euo pipefail

vault policy write argocd-team-a - <<'POLICY'
path "secret/data/team-a/*" { capabilities = ["read"] }
path "sys/internal/ui/mounts/*" { capabilities = ["read"] }
POLICY

# team b may also read the shared registry credential (tenants.yaml allows it too)
vault policy write argocd-team-b - <<'POLICY'
path "secret/data/team-b/*" { capabilities = ["read"] }
path "secret/data/shared/registry" { capabilities = ["read"] }
path "sys/internal/ui/mounts/*" { capabilities = ["read"] }
POLICY

for team in team-a team-b; do
  vault write "auth/kubernetes/role/argocd-${team}" \
    bound_service_account_names=argocd-repo-server \
    bound_service_account_namespaces=argocd \
    audience=vault \
    token_policies="argocd-${team}" \
    token_ttl=1h
done

# demo values (never put real secrets in a script)
vault kv put secret/team-a/db password=change-me-a
vault kv put secret/team-b/db password=change-me-b
vault kv put secret/shared/registry token=change-me-registry
