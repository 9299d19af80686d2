#!/usr/bin/env bash
# Installs the Debian packages AdaptiveEQ builds and tests with (idempotent; quiet when
# everything is already there). Needs root or sudo for apt-get.
set -euo pipefail
packages=(libsndfile1-dev pkg-config lv2-dev lilv-utils sordi jalv jackd2 libjack-jackd2-dev sox sonic-pi-samples librsvg2-bin)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "installing: ${missing[*]}" >&2
sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
# jackd2 asks about real-time priority; answer non-interactively.
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
