#!/usr/bin/env bash
# Installs Debian's Chromium for the browser tests when /usr/bin/chromium is missing
# (Playwright cannot download its own browser here).
set -euo pipefail
[[ -x /usr/bin/chromium ]] && exit 0
echo "== installing chromium (apt-get)" >&2
if [[ $(id -u) -eq 0 ]]; then
  apt-get update -qq && apt-get install -y -qq chromium >&2
else
  sudo apt-get update -qq && sudo apt-get install -y -qq chromium >&2
fi
