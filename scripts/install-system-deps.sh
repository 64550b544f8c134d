#!/usr/bin/env bash
# Installs the Debian packages jami-linkd needs to build, run and test, when they are missing.
# OpenDHT (libopendht-dev) for the native binding, dhtnode as a third-party DHT peer in tests,
# dbus (dbus-daemon) and libglib2.0-bin (gdbus) for the bus, python3-opendht for the benchmark.
set -euo pipefail
packages=(libopendht-dev dhtnode dbus libglib2.0-bin python3-opendht pkg-config g++ make systemd)
missing=()
for package in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "installing: ${missing[*]}"
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
