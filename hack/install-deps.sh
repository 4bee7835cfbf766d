#!/usr/bin/env bash
# Installs the Debian packages kvenv's tests need, once: libseccomp-dev (runc
# with seccomp, so RuntimeDefault profiles apply), busybox-static (the shell
# image of the e2e), postgresql (the e2e database), iproute2 (the e2e network
# namespace). Skips apt entirely when everything is present.
set -euo pipefail
pkgs=(libseccomp-dev busybox-static postgresql iproute2 util-linux)
missing=()
for p in "${pkgs[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "kvenv: missing packages ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "kvenv: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
