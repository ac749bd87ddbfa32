#!/usr/bin/env bash
# Sourced by ./test: Debian packages that some tests drive for real (a browser, a database server).
# Missing ones are installed once when we may (root with apt-get, as on CI); otherwise the tests
# that need them skip, and this line says exactly what to install.
system_packages=(chromium chromium-driver)  # the console's browser tests

missing=()
for package in "${system_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get > /dev/null; then
    echo "Installing ${missing[*]} for the tests (first run only; log in .venv/apt.log) ..." >&2
    if ! { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y \
           --no-install-recommends "${missing[@]}"; } > .venv/apt.log 2>&1; then
      tail -n 20 .venv/apt.log >&2
      echo "Could not install ${missing[*]}; the tests that need them will skip." >&2
    fi
  else
    echo "Tests that need ${missing[*]} will skip: sudo apt-get install ${missing[*]}" >&2
  fi
fi
