#!/usr/bin/env bash
# Installs what synscope needs to build and test on Debian 12, only what is missing.
# Idempotent: a machine that already has everything runs no apt-get and no npm at all.
#
#   apt: compilers, libbpf, zlib and libdeflate (recordings: read, written), tcpdump,
#        tshark (the pcapng export test), node and npm, redis-server and redis-tools
#        (redis-benchmark: scripts/redis_load.sh, make bench, test_views), GNU time (peak
#        memory in test_long_replay and make bench), nginx and ab (test_views runs its own,
#        on its own ports: a service the packages may start is not used);
#        with --bench also libbpf-tools (tcpstates, for scripts/bench.sh)
#   npm: Mermaid's parser for the mermaid export tests, pinned by
#        tests/mermaid/package-lock.json, into tests/mermaid/node_modules
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

need_pkgs=(clang llvm libbpf-dev libelf-dev zlib1g-dev libdeflate-dev bpftool make gcc pkg-config
           libclang-rt-14-dev
           tcpdump iproute2 python3 nftables chromium tshark valgrind pmccabe
           redis-server redis-tools time nginx-light apache2-utils)
# --bench: also what make bench compares synscope with (tcpstates)
[ "${1:-}" = --bench ] && need_pkgs+=(libbpf-tools)

missing=()
for p in "${need_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node may come from another package than Debian's (nodesource's nodejs has npm in it)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
	if [ "$(id -u)" -ne 0 ]; then
		echo "install-deps: missing packages (${missing[*]}) and not root: run as root or install them" >&2
		exit 1
	fi
	echo "install-deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	# wireshark-common asks whether non-root users may capture: no
	echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
	apt-get update -qq >/dev/null
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Mermaid's parser: installed again only when the lock file changed.
mmd="$ROOT/tests/mermaid"
if ! (cd "$mmd" && sha256sum --status -c node_modules/.synscope-lock.sha256 2>/dev/null); then
	echo "install-deps: installing Mermaid's parser into tests/mermaid/node_modules (npm ci)"
	log=$(mktemp)
	if ! (cd "$mmd" && npm ci --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
		cat "$log" >&2
		rm -f "$log"
		echo "install-deps: npm ci in tests/mermaid failed" >&2
		exit 1
	fi
	rm -f "$log"
	(cd "$mmd" && sha256sum package-lock.json >node_modules/.synscope-lock.sha256)
fi
