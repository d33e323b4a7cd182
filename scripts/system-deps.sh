#!/usr/bin/env bash
# System packages some tests need, from Debian's archive (run as root, or with sudo):
#   chromium    the browser the JupyterLab tests drive (Playwright's own download cannot be used)
#   bubblewrap  the sandbox around grading kernels
#   postgresql  a real server gradebook for the parallel-grading tests
#   nodejs npm  JupyterHub's proxy (configurable-http-proxy, from npm) for `make hub`
#   fonts-wqy-microhei  a Chinese font, so the browser shows the Chinese edition (not empty boxes)
# Idempotent: packages already there are not fetched again.
set -euo pipefail
PACKAGES=(chromium bubblewrap postgresql fonts-wqy-microhei)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js and npm may come from another source than Debian's (its nodejs then bundles npm): ask
# for Debian's only when the commands are missing.
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -eq 0 ]; then
  echo "system packages present: ${PACKAGES[*]}"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
echo "installing: ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
