#!/usr/bin/env bash
# install-deps.sh — installs every Debian 12 package saker needs to build,
# test and run. Idempotent; needs root (uses sudo when not root).
set -euo pipefail
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
PKGS=(
  build-essential cmake pkg-config clang llvm
  libyaml-dev libpcre2-dev libjansson-dev zlib1g-dev libelf-dev
  libbpf-dev bpftool linux-libc-dev
  libmicrohttpd-dev libgnutls28-dev libcurl4-openssl-dev libprotobuf-c-dev protobuf-c-compiler
  libcmocka-dev python3 python3-pytest python3-yaml python3-prometheus-client openssl curl
  sysdig netcat-openbsd util-linux redis-server redis-tools bc time
)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  $SUDO apt-get update -qq || true
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
