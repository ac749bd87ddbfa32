#!/usr/bin/env bash
# Sourced by ./run and ./test: make .venv (once) and install the project into it (again only
# when pyproject.toml changes). Needs python3 >= 3.11 with venv; Redis itself comes from PyPI.
# BOOTSTRAP_EXTRAS=dev installs the test dependencies too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

extras="${BOOTSTRAP_EXTRAS:-}"
python="${PYTHON:-python3}"
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
  echo "iAgente Vida needs Python 3.11 or newer (found: $("$python" --version 2>&1))." >&2
  exit 1
fi
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv; then
    echo "Could not create a virtual environment. On Debian/Ubuntu: sudo apt install python3-venv" >&2
    rm -rf .venv
    exit 1
  fi
fi
stamp=".venv/.installed${extras:+-$extras}"
want="$(sha256sum pyproject.toml | cut -c1-16)"
current() { [ -f "$1" ] && [ "$(cat "$1")" = "$want" ]; }
# An install with the dev extras also serves ./run.
if ! current "$stamp" && ! { [ -z "$extras" ] && current .venv/.installed-dev; }; then
  echo "Installing dependencies into .venv (first run only; log in .venv/install.log) ..." >&2
  if ! { .venv/bin/python -m pip install --disable-pip-version-check --upgrade pip \
         && .venv/bin/python -m pip install --disable-pip-version-check -e ".${extras:+[$extras]}"; \
       } > .venv/install.log 2>&1; then
    tail -n 30 .venv/install.log >&2
    echo "Installing dependencies failed; the whole log is in .venv/install.log" >&2
    exit 1
  fi
  echo "$want" > "$stamp"
fi
