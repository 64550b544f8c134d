#!/usr/bin/env bash
# Installs the systemd user unit and the D-Bus activation file for the current user, pointing at this checkout.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
node=$(command -v node)
unit_dir=${XDG_CONFIG_HOME:-$HOME/.config}/systemd/user
dbus_dir=${XDG_DATA_HOME:-$HOME/.local/share}/dbus-1/services
mkdir -p "$unit_dir" "$dbus_dir" "${XDG_DATA_HOME:-$HOME/.local/share}/jami-linkd"
chmod 700 "${XDG_DATA_HOME:-$HOME/.local/share}/jami-linkd"
sed -e "s#@NODE@#$node#" -e "s#@PREFIX@#$here#" "$here/systemd/jami-linkd.service" > "$unit_dir/jami-linkd.service"
sed -e "s#@NODE@#$node#" -e "s#@PREFIX@#$here#" "$here/systemd/cx.ring.Ring.service" > "$dbus_dir/cx.ring.Ring.service"
echo "installed $unit_dir/jami-linkd.service and $dbus_dir/cx.ring.Ring.service"
if systemctl --user daemon-reload 2>/dev/null; then
  echo "start it with: systemctl --user enable --now jami-linkd"
else
  echo "no systemd user manager here; run the daemon directly: npx jami-linkd"
fi
