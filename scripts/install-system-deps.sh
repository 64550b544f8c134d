#!/usr/bin/env bash
# Installs the Debian packages jami-linkd needs to build, run and test, when they are missing.
# OpenDHT (libopendht-dev) for the native binding, dhtnode as a third-party DHT peer in tests,
# dbus (dbus-daemon) and libglib2.0-bin (gdbus) for the bus, python3-opendht for the benchmark;
# for the network test bed: iproute2 (ip, tc), nftables (NAT), coturn (turnserver, turnutils_*), procps (sysctl).
set -euo pipefail
packages=(libopendht-dev dhtnode dbus dbus-user-session libglib2.0-bin python3-opendht pkg-config g++ make systemd
  iproute2 nftables coturn procps)
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 20 ? 0 : 1)' 2>/dev/null; then
  echo "jami-linkd needs Node.js 20 or later (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "run as root, or install sudo, to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
$sudo apt-get update -qq
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian enables coturn's system service on install; the tests run their own turnserver inside network
# namespaces, and a system one would listen on the machine's real interfaces: stop it where systemd runs.
if command -v systemctl >/dev/null && systemctl is-system-running >/dev/null 2>&1; then
  $sudo systemctl disable --now coturn >/dev/null 2>&1 || true
fi
