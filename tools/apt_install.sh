#!/usr/bin/env bash
# Install a Debian package that tests need, only when the file it provides is missing:
#   apt_install.sh FILE_GLOB PACKAGE
# Used for Debian's chromium (the browser test: test tools may not download browsers
# of their own, so Playwright drives this one) and PostgreSQL (the tracker store
# outage test).
set -euo pipefail
pattern="$1"
package="$2"
# shellcheck disable=SC2086  # the pattern is a glob on purpose
for found in $pattern; do
  if [ -x "$found" ]; then
    echo "$package is installed: $found"
    exit 0
  fi
done
if ! command -v apt-get >/dev/null; then
  echo "$pattern is missing and there is no apt-get: install $package by hand." >&2
  exit 1
fi
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  if ! command -v sudo >/dev/null; then
    echo "Installing $package needs root: run 'apt-get install -y $package' as root." >&2
    exit 1
  fi
  sudo="sudo"
fi
$sudo apt-get update
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y "$package"
