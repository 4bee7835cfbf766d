#!/usr/bin/env bash
# Installs the Debian packages kvenv's tests need, once: libseccomp-dev (runc
# with seccomp, so RuntimeDefault profiles apply), gcc, libc6-dev and
# pkg-config (hack/build-tools.sh builds runc with cgo, against libseccomp),
# busybox-static (the shell image of the e2e), postgresql (the e2e database:
# whichever major version Debian brings; e2e/postgres finds it),
# iproute2 (the e2e network namespace), util-linux (the e2e's namespace
# tools). Skips apt entirely, silently, when everything is installed.
set -euo pipefail
pkgs=(libseccomp-dev gcc libc6-dev pkg-config busybox-static postgresql iproute2 util-linux)

# installed PKG: true only when dpkg holds PKG installed; `dpkg -s` also
# succeeds for a removed package whose configuration files remain.
installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]
}

missing=()
for p in "${pkgs[@]}"; do
  installed "$p" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" != 0 ]; then
  echo "kvenv: missing packages ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "kvenv: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
