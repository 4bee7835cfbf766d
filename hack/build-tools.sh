#!/usr/bin/env bash
# Builds the real components kvenv's tests run (Kubernetes, etcd, containerd,
# runc, CNI plugins, Helm) from the Go module proxy into a cache keyed by
# version, so that a warm run builds nothing. Usage: build-tools.sh GROUP...
# where GROUP is apiserver (etcd + kube-apiserver), cluster (everything a
# single-node cluster needs) or helm. Prints the cache's bin directory.
set -euo pipefail

KUBE_VERSION=v1.37.2
ETCD_VERSION=v3.6.16
CONTAINERD_VERSION=v2.4.2
RUNC_VERSION=v1.5.2
CNI_VERSION=v1.10.0
HELM_VERSION=v3.22.0

here=$(cd "$(dirname "$0")" && pwd)
cache=${KVENV_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kvenv}
bin=$cache/bin
mkdir -p "$bin"
export CGO_ENABLED=${CGO_ENABLED:-0}

say() { echo "kvenv tools: $*" >&2; }

# have NAME VERSION: true when NAME at VERSION is already in the cache.
have() { [ -x "$bin/$1" ] && [ "$(cat "$bin/.$1.version" 2>/dev/null)" = "$2" ]; }
mark() { mkdir -p "$(dirname "$bin/.$1.version")"; echo "$2" >"$bin/.$1.version"; }

# from_module DIR VERSION PKG NAME [LDFLAGS]: go build PKG inside the tools
# module DIR. VERSION is the cache mark: it changes whenever what is built does.
from_module() {
  local dir=$1 version=$2 pkg=$3 name=$4 ldflags=${5:-}
  have "$name" "$version" && return 0
  say "building $name $version (cold builds take minutes; cached afterwards)"
  (cd "$here/tools/$dir" && go build -trimpath -ldflags="-s $ldflags" -o "$bin/$name" "$pkg")
  mark "$name" "$version"
}

# Kubernetes built from the module proxy reports v0.0.0-master unless told
# its version, and Helm refuses a chart's kubeVersion against that.
kube_minor=${KUBE_VERSION#v1.}; kube_minor=${kube_minor%%.*}
KUBE_LDFLAGS="-X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$kube_minor -X k8s.io/component-base/version.gitTreeState=clean"
kube() { from_module kube "$KUBE_VERSION+version" "k8s.io/kubernetes/cmd/$1" "$1" "$KUBE_LDFLAGS"; }

# installed PKG@VERSION NAME [TAGS]: go install a module that allows it.
installed() {
  local spec=$1 name=$2 tags=${3:-}
  local version=${spec##*@}
  have "$name" "$version" && return 0
  say "building $name $version"
  local tmp; tmp=$(mktemp -d)
  GOBIN=$tmp go install -trimpath -ldflags=-s ${tags:+-tags "$tags"} "$spec"
  mv "$tmp/$(basename "${spec%@*}")" "$bin/$name"
  rm -rf "$tmp"
  mark "$name" "$version"
}

build_apiserver() {
  from_module etcd "$ETCD_VERSION" go.etcd.io/etcd/server/v3 etcd
  kube kube-apiserver
}

build_cluster() {
  build_apiserver
  for c in kubelet kube-scheduler kube-controller-manager kubectl; do
    kube "$c"
  done
  for c in containerd containerd-shim-runc-v2 ctr; do
    installed "github.com/containerd/containerd/v2/cmd/$c@$CONTAINERD_VERSION" "$c" "no_btrfs no_devmapper no_zfs"
  done
  # runc needs cgo and libseccomp so that RuntimeDefault seccomp profiles apply.
  CGO_ENABLED=1 installed "github.com/opencontainers/runc@$RUNC_VERSION" runc seccomp
  mkdir -p "$bin/cni"
  for p in main/bridge main/loopback ipam/host-local; do
    local n; n=$(basename "$p")
    if ! have "cni/$n" "$CNI_VERSION"; then
      installed "github.com/containernetworking/plugins/plugins/$p@$CNI_VERSION" "cni/$n"
    fi
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
