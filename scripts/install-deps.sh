#!/usr/bin/env bash
# Installs what synscope needs to build and test on Debian 12, only what is missing.
# Idempotent: a machine that already has everything runs no apt-get at all.
set -euo pipefail

need_pkgs=(clang llvm libbpf-dev libelf-dev zlib1g-dev bpftool make gcc pkg-config
           tcpdump iproute2 python3 nftables chromium valgrind)

missing=()
for p in "${need_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages (${missing[*]}) and not root: run as root or install them" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
