#!/usr/bin/env bash
# Installs the Debian packages AdaptiveEQ builds and tests with (idempotent; quiet when
# everything is already there). Needs root or sudo for apt-get.
set -euo pipefail
packages=(libsndfile1-dev pkg-config lv2-dev lilv-utils sordi jalv jackd2 libjack-jackd2-dev sox sonic-pi-samples librsvg2-bin chromium chromium-driver ardour slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing: ${missing[*]}" >&2
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  # jackd2 asks about real-time priority; answer non-interactively.
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update -qq
  # slurm-wlm and munge would start system daemons from their install scripts: a
  # policy-rc.d that answers 101 ("not allowed") stops that while they install (the Slurm
  # test starts its own daemons as plain processes, scripts/slurm/cluster.sh).
  policy=/usr/sbin/policy-rc.d added_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && added_policy=1
  fi
  status=0
  $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || status=$?
  [ -z "$added_policy" ] || $sudo rm -f "$policy"
  [ "$status" -eq 0 ] || exit "$status"
fi
# Python checks of the evaluation metrics and the model file (numpy/scipy/matplotlib/pytest;
# no torch), selenium for the studio's headless-browser test, pedalboard, DawDreamer and soundfile for
# the VST3 host tests. pip is quiet when everything is already installed.
here=$(cd "$(dirname "$0")/.." && pwd)
python3 -m pip install -q --disable-pip-version-check -r "$here/eval/requirements.txt" -r "$here/Tests/StudioE2E/requirements.txt" -r "$here/Tests/VST3Hosts/requirements.txt" 2>&1 | grep -v "Running pip as the 'root' user" >&2 || true
