# Sourced by bench/sops.sh: starts the rig's real servers for the remote-key cases — local-kms
# (AWS KMS API) and the Vault API dev server (OpenBao or Vault, whichever the rig built) — on
# free loopback ports, creates a KMS key and a transit key, and exports what both tools need:
#   BENCH_KMS_ARN, BENCH_TRANSIT_URI, AWS_* (static test credentials, endpoint), VAULT_TOKEN.
# Both servers are stopped by stop_remote_rig (sops.sh calls it from its EXIT trap).
# Needs: $rig (the rig cache), $tmp (a private temp dir), curl.

remote_pids=()

free_port() { node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"; }

wait_for() { # url, what
  local i
  for ((i = 0; i < 300; i++)); do
    curl -sf -o /dev/null "$1" && return 0
    sleep 0.1
  done
  echo "bench: $2 did not answer at $1" >&2
  return 1
}

start_remote_rig() {
  local kms_port vault_port key_id token
  kms_port=$(free_port)
  vault_port=$(free_port)
  key_id=$(node -e "console.log(require('crypto').randomUUID())")
  token="bench-$(node -e "console.log(require('crypto').randomUUID())")"
  mkdir -p "$tmp/rig"
  printf 'Keys:\n  Symmetric:\n    Aes:\n      - Metadata:\n          KeyId: %s\n        BackingKeys:\n          - %s\n' \
    "$key_id" "$(node -e "console.log(require('crypto').randomBytes(32).toString('hex'))")" >"$tmp/rig/kms-seed.yaml"
  PORT=$kms_port KMS_REGION=eu-west-2 KMS_ACCOUNT_ID=111122223333 KMS_SEED_PATH="$tmp/rig/kms-seed.yaml" \
    KMS_DATA_PATH="$tmp/rig/kms-data" "$rig/bin/local-kms" >"$tmp/rig/kms.log" 2>&1 &
  remote_pids+=($!)
  HOME="$tmp/rig" SKIP_SETCAP=1 "$rig/bin/rig-vault" server -dev "-dev-root-token-id=$token" \
    "-dev-listen-address=127.0.0.1:$vault_port" >"$tmp/rig/vault.log" 2>&1 &
  remote_pids+=($!)
  wait_for "http://127.0.0.1:$vault_port/v1/sys/health" "the Vault API server"
  # local-kms answers any path; a POST without a target is enough to know it listens
  for ((i = 0; i < 300; i++)); do
    curl -s -o /dev/null -X POST "http://127.0.0.1:$kms_port/" && break
    sleep 0.1
  done
  local vault="http://127.0.0.1:$vault_port"
  curl -sf -o /dev/null -H "X-Vault-Token: $token" -X POST -d '{"type":"transit"}' "$vault/v1/sys/mounts/transit"
  curl -sf -o /dev/null -H "X-Vault-Token: $token" -X POST "$vault/v1/transit/keys/bench"
  export VAULT_TOKEN=$token AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench
  export AWS_ENDPOINT_URL_KMS="http://127.0.0.1:$kms_port"
  export BENCH_KMS_ARN="arn:aws:kms:eu-west-2:111122223333:key/$key_id"
  export BENCH_TRANSIT_URI="$vault/v1/transit/keys/bench"
}

stop_remote_rig() {
  local pid
  for pid in "${remote_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${remote_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
