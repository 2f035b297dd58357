#!/usr/bin/env bash
# Install Debian's chromium for the browser test (tests/test_web.py), only when
# /usr/bin/chromium is missing. Test tools may not download browsers of their own
# (no `playwright install`), so Playwright drives this one instead.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  echo "chromium is installed: $(/usr/bin/chromium --version 2>/dev/null || echo /usr/bin/chromium)"
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  echo "/usr/bin/chromium is missing and there is no apt-get: install Chromium," >&2
  echo "then run the browser test with CHROMIUM=/path/to/chromium." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "Installing chromium needs root: run 'apt-get install -y chromium' as root." >&2
    exit 1
  fi
  sudo="sudo"
fi
$sudo apt-get update
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
