#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter: Rasa 3.6 does not install on 3.11+.
# Looks at python3.10 on PATH, then pyenv's ~/.pyenv/versions/3.10.*.
set -euo pipefail
is_310() { "$1" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 10))' 2>/dev/null; }
for candidate in "$(command -v python3.10 || true)" $(ls -d "${PYENV_ROOT:-$HOME/.pyenv}"/versions/3.10.*/bin/python 2>/dev/null | sort -V -r); do
  if [ -n "$candidate" ] && is_310 "$candidate"; then
    echo "$candidate"
    exit 0
  fi
done
cat >&2 <<'MSG'
No Python 3.10 found. Rasa 3.6 needs Python 3.10 (it does not install on 3.11 or newer).
Install one, then run the command again, for example:
  - Debian/Ubuntu:  sudo apt-get install python3.10 python3.10-venv   (where your release has it)
  - pyenv:          pyenv install 3.10.13
MSG
exit 1
