#!/usr/bin/env bash
# Installs the system packages glassbench's tests need (Debian 12): chromium (browser peers), espeak-ng
# (the spoken-audio track's utterances, and text-to-speech), pocketsphinx with its US English model (speech
# recognition) and apertium-eng-spa (English -> Spanish translation) for the speech chain, influxdb
# (InfluxDB 1.x, v1 write API), victoria-metrics (a real server with the InfluxDB v2 write API), iproute2
# (network namespaces and netem for impaired links) and python3 (the user-space link emulator, for kernels
# without netem). Runs
# apt-get only for what is missing; without root it prints the exact command instead and fails.
set -euo pipefail
packages=()
[ -x "${CHROME_PATH:-/usr/bin/chromium}" ] || packages+=(chromium)
[ -x /usr/bin/espeak-ng ] || packages+=(espeak-ng)
[ -x /usr/bin/pocketsphinx_continuous ] || packages+=(pocketsphinx)
[ -d /usr/share/pocketsphinx/model/en-us/en-us ] || packages+=(pocketsphinx-en-us)
[ -d /usr/share/apertium/apertium-eng-spa ] || packages+=(apertium apertium-eng-spa)
[ -x /usr/bin/influxd ] || packages+=(influxdb)
[ -x /usr/bin/victoria-metrics ] || packages+=(victoria-metrics)
command -v ip >/dev/null 2>&1 && command -v tc >/dev/null 2>&1 || packages+=(iproute2)
command -v python3 >/dev/null 2>&1 || packages+=(python3)
if [ ${#packages[@]} -eq 0 ]; then
  echo "system packages: all present (chromium, espeak-ng, pocketsphinx, apertium-eng-spa, influxdb, victoria-metrics, iproute2, python3)"
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
for service in influxdb victoria-metrics; do
  if command -v systemctl >/dev/null 2>&1; then systemctl disable --now "$service" >/dev/null 2>&1 || true; fi
done
echo "system packages installed: ${packages[*]}"
