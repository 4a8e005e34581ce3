#!/usr/bin/env bash
# Installs the system packages glassbench's tests need (Debian 12), as listed with their purpose in
# scripts/system-packages.txt, the one list (the Dockerfile runs this script too). Runs apt-get only for what is
# missing; without root it prints the exact command instead and fails.
#
#   --print-missing   print the missing packages, one a line, and install nothing
#
# SYSTEM_PACKAGES_ROOT (a test aid): look for the proving paths under this directory instead of /.
set -euo pipefail
list="$(dirname "${BASH_SOURCE[0]}")/system-packages.txt"
root="${SYSTEM_PACKAGES_ROOT:-}"
all=()
packages=()
while read -r line || [ -n "$line" ]; do
  line="${line%%#*}"
  read -r package paths <<<"$line" || true
  [ -n "${package:-}" ] || continue
  all+=("$package")
  prefix="$root"
  # a chromium elsewhere (CHROME_PATH, an absolute path of the real machine) is used instead of Debian's
  if [ "$package" = chromium ] && [ -n "${CHROME_PATH:-}" ]; then
    paths="$CHROME_PATH"
    prefix=""
  fi
  for path in $paths; do
    if [ ! -e "$prefix$path" ]; then
      packages+=("$package")
      break
    fi
  done
done <"$list"
if [ "${1:-}" = --print-missing ]; then
  [ ${#packages[@]} -eq 0 ] || printf '%s\n' "${packages[@]}"
  exit 0
fi
if [ ${#packages[@]} -eq 0 ]; then
  echo "system packages: all present (${all[*]})"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${packages[*]}" >&2
  echo "install them with: sudo apt-get update && sudo apt-get install -y ${packages[*]}" >&2
  exit 1
fi
echo "installing system packages: ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# the packages' own services are not wanted: tests start private instances on free loopback ports
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
for service in influxdb victoria-metrics coturn janus; do
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now "$service" >/dev/null 2>&1 || true; fi
done
echo "system packages installed: ${packages[*]}"
