#!/usr/bin/env bash
# Installs the Debian packages the tests and the demo use, only when one is missing, so a fresh
# Debian 12 machine needs nothing by hand (DEVELOPERS.md: "installs what it needs when missing").
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for pkg in "$@"; do have "$pkg" || need+=("$pkg"); done
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then echo "need root to install ${need[*]}" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
