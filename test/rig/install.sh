#!/usr/bin/env bash
# Installs the real components keyward's tests run against — sops, age, local-kms,
# an OpenBao (or Vault) server, gpg, helm, kustomize, argocd-vault-plugin, the Kubernetes
# OpenAPI schemas — at pinned versions into a cache folder outside
# the repository (KEYWARD_RIG_DIR, default ~/.cache/keyward-rig). What is already
# there at the pinned version is skipped. Any failure stops with a clear message:
# the tests never run against a missing tool.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=versions.env
. "$here/versions.env"

RIG_DIR=${KEYWARD_RIG_DIR:-$HOME/.cache/keyward-rig}
bin=$RIG_DIR/bin
stamps=$RIG_DIR/stamps
logs=$RIG_DIR/logs
mkdir -p "$bin" "$stamps" "$logs"

say() { printf 'rig: %s\n' "$*" >&2; }
die() {
  say "FAILED: $*"
  exit 1
}

stamped() { [ -f "$stamps/$1" ] && [ "$(cat "$stamps/$1")" = "$2" ]; }
stamp() { printf '%s\n' "$2" >"$stamps/$1"; }

# Runs a build step with its output in a log; on failure shows the end of the log.
logged() {
  local name=$1
  shift
  local log="$logs/$name.log"
  local start=$SECONDS
  if "$@" >"$log" 2>&1; then
    say "$name built in $((SECONDS - start))s"
    return 0
  fi
  say "$name failed after $((SECONDS - start))s; last lines of $log:"
  tail -n 15 "$log" >&2
  return 1
}

require_go() {
  command -v go >/dev/null 2>&1 || die "the Go toolchain is needed to build sops, age, local-kms and OpenBao (install Go >= 1.25 and reach the Go module proxy)"
  export GOBIN=$bin CGO_ENABLED=0 GOFLAGS=-mod=mod GOTOOLCHAIN=${GOTOOLCHAIN:-auto}
}

go_tool() { # go_tool NAME CHECK_BINARY MODULE VERSION
  local name=$1 check=$2 module=$3 version=$4
  if stamped "$name" "$module@$version" && [ -x "$bin/$check" ]; then
    say "$name $version already installed"
    return
  fi
  require_go
  logged "$name" go install "$module@$version" || die "could not build $name ($module@$version)"
  [ -x "$bin/$check" ] || die "$name: $bin/$check missing after go install"
  stamp "$name" "$module@$version"
}

# The Vault-API server: OpenBao through its wrapper module, else HashiCorp Vault the same way.
vault_server() {
  if [ -x "$bin/rig-vault" ] && { stamped rig-vault "openbao@$OPENBAO_VERSION" || stamped rig-vault "vault@$VAULT_VERSION"; }; then
    say "vault-api server ($(cat "$stamps/rig-vault")) already installed"
    return
  fi
  require_go
  if logged openbao bash -c "cd '$here/openbao' && go build -trimpath -o '$bin/rig-vault' ."; then
    stamp rig-vault "openbao@$OPENBAO_VERSION"
    return
  fi
  say "OpenBao could not be built; building HashiCorp Vault $VAULT_VERSION the same way"
  logged vault bash -c "cd '$here/vault' && go build -trimpath -o '$bin/rig-vault' ." ||
    die "neither OpenBao nor Vault could be built (logs: $logs/openbao.log, $logs/vault.log)"
  stamp rig-vault "vault@$VAULT_VERSION"
}

# argocd-vault-plugin: the peer of bench/render.mjs, and the reference the render parity tests run
# side by side with keyward on AVP's own input fixtures (copied into the rig, never into the repo).
# The Go module proxy serves its version but refuses its version list, which `go install
# module@version` asks for: so the module is downloaded and built from its own folder.
avp_tool() {
  if stamped avp "$AVP_MODULE@$AVP_VERSION" && [ -x "$bin/argocd-vault-plugin" ] && [ -d "$RIG_DIR/avp-fixtures/input" ]; then
    say "argocd-vault-plugin $AVP_VERSION already installed"
    return
  fi
  require_go
  local dir
  dir=$(go mod download -json "$AVP_MODULE@$AVP_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || die "could not download $AVP_MODULE@$AVP_VERSION"
  logged argocd-vault-plugin bash -c "cd '$dir' && go build -trimpath -o '$bin/argocd-vault-plugin' ." ||
    die "could not build argocd-vault-plugin $AVP_VERSION"
  rm -rf "$RIG_DIR/avp-fixtures"
  cp -R "$dir/fixtures" "$RIG_DIR/avp-fixtures"
  chmod -R u+w "$RIG_DIR/avp-fixtures"
  stamp avp "$AVP_MODULE@$AVP_VERSION"
}

gpg_tool() {
  if command -v gpg >/dev/null 2>&1; then
    say "gpg $(gpg --version | head -n 1 | awk '{print $3}') present"
    return
  fi
  command -v apt-get >/dev/null 2>&1 || die "gpg is missing and apt-get is not available to install gnupg"
  local sudo=''
  [ "$(id -u)" -eq 0 ] || sudo='sudo'
  logged gnupg bash -c "$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q gnupg" ||
    die "could not install gnupg"
}

# PostgreSQL server programs (initdb, postgres, pg_isready, psql) for test/helpers/postgres.ts, the
# database Vault's database secrets engine issues leased credentials on; from the system's packages.
postgres_server() {
  local found
  found=$(ls /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
  [ -n "$found" ] || found=$(command -v initdb || true)
  if [ -n "$found" ] && [ -x "$(dirname "$found")/postgres" ] && command -v psql >/dev/null 2>&1; then
    say "postgresql $("$(dirname "$found")/postgres" --version | awk '{print $3}') present"
    return
  fi
  command -v apt-get >/dev/null 2>&1 || die "PostgreSQL (initdb, postgres, psql) is missing and apt-get is not available to install postgresql"
  local sudo=''
  [ "$(id -u)" -eq 0 ] || sudo='sudo'
  logged postgresql bash -c "$sudo apt-get update -q && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q postgresql" ||
    die "could not install postgresql"
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || die "postgresql installed but no /usr/lib/postgresql/*/bin/initdb"
}

# The Kubernetes OpenAPI v3 schemas (core/v1, apps/v1, policy/v1, admissionregistration/v1) that
# test/helpers/pod-schema.ts validates against, copied verbatim from the k8s.io/kubernetes module's
# api/openapi-spec/v3. That static snapshot leaves out enum values (hack/update-openapi-spec.sh sets
# OpenAPIEnums=false); a live API server serves them, so enums.json takes them from the same module's
# generated definitions (pkg/generated/openapi), read by a small Go program built against it.
: "${K8S_OPENAPI_MODULE:?set in versions.env}"
: "${K8S_OPENAPI_VERSION:?set in versions.env}"
k8s_openapi_files=(api__v1_openapi.json apis__apps__v1_openapi.json apis__policy__v1_openapi.json
  apis__admissionregistration.k8s.io__v1_openapi.json)
k8s_openapi() {
  local out=$RIG_DIR/k8s-openapi id="$K8S_OPENAPI_MODULE@$K8S_OPENAPI_VERSION" f have=yes
  for f in "${k8s_openapi_files[@]}" enums.json; do [ -s "$out/$f" ] || have=no; done
  if stamped k8s-openapi "$id" && [ $have = yes ]; then
    say "kubernetes openapi $K8S_OPENAPI_VERSION already installed"
    return
  fi
  require_go
  local dir work=$RIG_DIR/k8s-openapi-build
  dir=$(cd "$RIG_DIR" && go mod download -json "$id" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -n "$dir" ] || die "could not download $id"
  rm -rf "$out.new" "$work" && mkdir -p "$out.new" "$work"
  for f in "${k8s_openapi_files[@]}"; do
    cp "$dir/api/openapi-spec/v3/$f" "$out.new/$f" && chmod u+w "$out.new/$f" || die "$id has no api/openapi-spec/v3/$f"
  done
  # Every staging module the kubernetes module requires as v0.0.0 is pinned to its release (v1.X.Y -> v0.X.Y).
  { printf 'module keyward.rig/k8senums\n\ngo 1.24.0\n\nrequire (\n\t%s %s\n' "$K8S_OPENAPI_MODULE" "$K8S_OPENAPI_VERSION"
    sed -n "s/^[[:space:]]*\(k8s\.io\/[a-z-]*\) v0\.0\.0\$/\t\1 v0.${K8S_OPENAPI_VERSION#v1.}/p" "$dir/go.mod"
    printf ')\n'; } >"$work/go.mod"
  cat >"$work/main.go" <<'GO'
// Prints {schema name: {path inside it: enum values}} for every enum in the generated definitions.
package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"

	"k8s.io/kube-openapi/pkg/validation/spec"
	"k8s.io/kubernetes/pkg/generated/openapi"
)

func main() {
	out := map[string]map[string][]any{}
	for name, def := range openapi.GetOpenAPIDefinitions(func(p string) spec.Ref { return spec.MustCreateRef(p) }) {
		pkg, typ, _ := strings.Cut(name, ".") // k8s.io/api/core/v1.Pod -> io.k8s.api.core.v1.Pod
		host, rest, _ := strings.Cut(pkg+"."+typ, "/")
		parts := strings.Split(host, ".")
		slices.Reverse(parts)
		friendly := strings.Join(parts, ".") + "." + strings.ReplaceAll(rest, "/", ".")
		for prop, s := range def.Schema.Properties {
			at, enum := "properties/"+prop, s.Enum
			if s.Items != nil && s.Items.Schema != nil && len(s.Items.Schema.Enum) > 0 {
				at, enum = at+"/items", s.Items.Schema.Enum
			}
			if len(enum) > 0 {
				if out[friendly] == nil {
					out[friendly] = map[string][]any{}
				}
				out[friendly][at] = enum
			}
		}
	}
	if err := json.NewEncoder(os.Stdout).Encode(out); err != nil {
		panic(err)
	}
}
GO
  logged k8s-openapi-enums bash -c "cd '$work' && go run . >'$out.new/enums.json'" ||
    die "could not build the enum list from $id"
  rm -rf "$out" && mv "$out.new" "$out" && rm -rf "$work"
  stamp k8s-openapi "$id"
}

go_tool sops sops "$SOPS_MODULE" "$SOPS_VERSION"
go_tool age age-keygen "$AGE_MODULE" "$AGE_VERSION"
go_tool local-kms local-kms "$LOCAL_KMS_MODULE" "$LOCAL_KMS_VERSION"
go_tool helm helm "$HELM_MODULE" "$HELM_VERSION"
go_tool kustomize kustomize "$KUSTOMIZE_MODULE" "$KUSTOMIZE_VERSION"
vault_server
gpg_tool
postgres_server
avp_tool
k8s_openapi
say "ready in $RIG_DIR"
