#!/usr/bin/env bash
# Installs the Debian packages sluice builds with, where they are missing.
# Idempotent and quiet when everything is present. Usage: tools/deps.sh [EXTRA...]
# (extra packages, e.g. tools/deps.sh python3-venv).
set -euo pipefail

packages=(
  build-essential cmake pkg-config git
  librdkafka-dev libconcurrentqueue-dev libyaml-cpp-dev libcli11-dev
  libgtest-dev libbenchmark-dev nlohmann-json3-dev
  zlib1g-dev liblz4-dev libzstd-dev
  libjs-chart.js  # Chart.js 3, embedded into report.html by the build (sluice plot)
  prometheus-cpp-dev  # run --metrics-port: Prometheus text format over HTTP (prometheus-cpp pull)
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "sluice: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "sluice: need root or sudo to install ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq >/dev/null
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
