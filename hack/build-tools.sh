#!/usr/bin/env bash
# Builds the real components kvenv's tests run (Kubernetes, etcd, containerd,
# runc, CNI plugins, Helm) from the Go module proxy into a cache keyed by
# what is built, so that a warm run builds nothing. Usage:
# build-tools.sh [-n] GROUP... where GROUP is apiserver (etcd +
# kube-apiserver), cluster (everything a single-node cluster needs) or helm;
# -n only says what would be built. Prints the cache's bin directory.
#
# Kubernetes and etcd are built inside the tools modules hack/tools/kube and
# hack/tools/etcd, whose go.mod pins their versions: edit those to move. Every
# binary's cache mark is its version and a hash of what else builds it (build
# flags and tags, cgo, the Go release, a tools module's go.mod and go.sum):
# a change to any of them rebuilds what it builds, and nothing else.
set -euo pipefail

dry_run=
if [ "${1:-}" = -n ]; then dry_run=1; shift; fi

CONTAINERD_VERSION=v2.4.2
RUNC_VERSION=v1.5.2
CNI_VERSION=v1.10.0
HELM_VERSION=v3.22.0
CONTAINERD_TAGS="no_btrfs no_devmapper no_zfs"
# runc needs cgo and libseccomp so that RuntimeDefault seccomp profiles apply.
RUNC_TAGS=seccomp
RUNC_CGO_ENABLED=1

here=$(cd "$(dirname "$0")" && pwd)
cache=${KVENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvenv}
bin=$cache/bin
mkdir -p "$bin"
export CGO_ENABLED=${CGO_ENABLED:-0}

say() { echo "kvenv tools: $*" >&2; }

# have NAME MARK: true when the cache holds NAME built as MARK (its version
# and build_key) says.
have() { [ -x "$bin/$1" ] && [ "$(cat "$bin/.$1.version" 2>/dev/null)" = "$2" ]; }
mark() { mkdir -p "$(dirname "$bin/.$1.version")"; echo "$2" >"$bin/.$1.version"; }

# module_version DIR MODULE: the version of MODULE that the tools module DIR
# pins (its go.mod).
module_version() { (cd "$here/tools/$1" && go list -m -f '{{.Version}}' "$2"); }

# build_key INPUT...: a hash of all that a build depends on besides its
# version: what stdin holds (a tools module's go.mod and go.sum), INPUT (the
# package and build flags), cgo and the Go release. Any change to one of them
# rebuilds; nothing else does.
go_release=$(go env GOVERSION)
build_key() {
  { cat; printf '%s\n' "$@" "CGO_ENABLED=$CGO_ENABLED" "$go_release"; } | sha256sum | cut -c1-16
}

# from_module DIR VERSION PKG NAME [LDFLAGS]: go build PKG inside the tools
# module DIR, unless the cache holds it built from the same inputs.
from_module() {
  local dir=$1 version=$2 pkg=$3 name=$4
  local flags=(-trimpath "-ldflags=-s ${5:-}")
  local key; key="$version+$(cat "$here/tools/$dir/go.mod" "$here/tools/$dir/go.sum" | build_key "${flags[@]}")"
  have "$name" "$key" && return 0
  if [ -n "$dry_run" ]; then
    say "would build $name $key: go build ${flags[*]} $pkg (in hack/tools/$dir)"
    return 0
  fi
  say "building $name $version (cold builds take minutes; cached afterwards)"
  (cd "$here/tools/$dir" && go build "${flags[@]}" -o "$bin/$name" "$pkg")
  mark "$name" "$key"
}

# Kubernetes built from the module proxy reports v0.0.0-master unless told
# its version, and Helm refuses a chart's kubeVersion against that: it is
# told the version hack/tools/kube/go.mod pins.
kube_version=
kube() {
  if [ -z "$kube_version" ]; then
    kube_version=$(module_version kube k8s.io/kubernetes)
    local minor=${kube_version#v1.}; minor=${minor%%.*}
    kube_ldflags="-X k8s.io/component-base/version.gitVersion=$kube_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean"
  fi
  from_module kube "$kube_version" "k8s.io/kubernetes/cmd/$1" "$1" "$kube_ldflags"
}

# installed PKG@VERSION NAME [TAGS]: go install a module that allows it,
# unless the cache holds it built from the same inputs.
installed() {
  local spec=$1 name=$2 tags=${3:-}
  local version=${spec##*@}
  local flags=(-trimpath -ldflags=-s ${tags:+-tags "$tags"})
  local key; key="$version+$(build_key "$spec" "${flags[@]}" </dev/null)"
  have "$name" "$key" && return 0
  if [ -n "$dry_run" ]; then
    say "would build $name $key: CGO_ENABLED=$CGO_ENABLED go install ${flags[*]} $spec"
    return 0
  fi
  say "building $name $version"
  local tmp; tmp=$(mktemp -d)
  GOBIN=$tmp go install "${flags[@]}" "$spec"
  mv "$tmp/$(basename "${spec%@*}")" "$bin/$name"
  rm -rf "$tmp"
  mark "$name" "$key"
}

build_apiserver() {
  local etcd_version; etcd_version=$(module_version etcd go.etcd.io/etcd/server/v3)
  from_module etcd "$etcd_version" go.etcd.io/etcd/server/v3 etcd
  kube kube-apiserver
}

build_cluster() {
  build_apiserver
  for c in kubelet kube-scheduler kube-controller-manager kubectl; do
    kube "$c"
  done
  for c in containerd containerd-shim-runc-v2 ctr; do
    installed "github.com/containerd/containerd/v2/cmd/$c@$CONTAINERD_VERSION" "$c" "$CONTAINERD_TAGS"
  done
  CGO_ENABLED=$RUNC_CGO_ENABLED installed "github.com/opencontainers/runc@$RUNC_VERSION" runc "$RUNC_TAGS"
  mkdir -p "$bin/cni"
  for p in main/bridge main/loopback ipam/host-local; do
    installed "github.com/containernetworking/plugins/plugins/$p@$CNI_VERSION" "cni/$(basename "$p")"
  done
}

build_helm() { installed "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" helm; }

for group in "${@:-apiserver}"; do
  case $group in
    apiserver) build_apiserver ;;
    cluster) build_cluster ;;
    helm) build_helm ;;
    *) echo "unknown group $group (apiserver, cluster, helm)" >&2; exit 2 ;;
  esac
done
echo "$bin"
