#!/usr/bin/env bash
# Installs the Debian packages one of the README's commands needs, only those missing, so a fresh
# Debian 12 machine needs nothing by hand (DEVELOPERS.md: "installs what it needs when missing").
#   usage: debian-packages.sh tests|demo|bench
# Installed with --no-install-recommends, so every package used is named here, Recommends too:
# samba only *recommends* what `samba-tool domain provision` and a running DC load
# (samba-ad-provision: the AD schema files; samba-dsdb-modules: the ldb modules such as
# samba_secrets; samba-vfs-modules: acl_xattr), and a bare image has none of them.
set -euo pipefail

samba=(samba samba-ad-provision samba-dsdb-modules samba-vfs-modules ldb-tools smbclient iproute2)
case "${1:-}" in
  tests) want=("${samba[@]}" xmlsec1 chromium python3-msal postgresql openssl systemd) ;;
  demo) want=("${samba[@]}" openssl) ;;
  bench) want=("${samba[@]}" xmlsec1 openssl) ;;
  *) echo "usage: $0 tests|demo|bench" >&2; exit 2 ;;
esac

need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
for pkg in "${want[@]}"; do have "$pkg" || need+=("$pkg"); done
[ ${#need[@]} -eq 0 ] && exit 0
echo "installing Debian packages: ${need[*]}" >&2
if [ "$(id -u)" -ne 0 ]; then echo "need root to install ${need[*]}" >&2; exit 1; fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
