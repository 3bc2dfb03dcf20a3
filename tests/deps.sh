#!/usr/bin/env bash
# Source me: installs the Debian packages vmtrail needs when they are missing.
# Usage: . tests/deps.sh   (VMT_EXTRA_DEPS="pkg ..." adds packages)
# Needs root (or sudo) only when something is actually missing.

vmt_deps_missing() {
	local pkg missing=()
	for pkg in "$@"; do
		dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
			missing+=("$pkg")
	done
	echo "${missing[@]}"
}

vmt_deps_install() {
	local missing
	missing=$(vmt_deps_missing "$@")
	[ -z "$missing" ] && return 0
	echo "vmtrail: installing missing packages: $missing" >&2
	local sudo=()
	if [ "$(id -u)" -ne 0 ]; then
		if command -v sudo >/dev/null 2>&1; then
			sudo=(sudo)
		else
			echo "vmtrail: need root to install: $missing" >&2
			return 1
		fi
	fi
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
		"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing
}

# groff-base: tests/man checks the manual pages with groff; minimal Debian
# images have no man-db to pull it in.  protobuf-compiler: protoc decodes
# the Perfetto timeline in its test.
VMT_DEPS=(build-essential cmake pkg-config libxen-dev libzstd-dev libsqlite3-dev libcriterion-dev sqlite3 jq python3 groff-base protobuf-compiler)
# nodejs, npm: the timeline test loads the Chrome timeline into Chrome's
# trace engine (an npm package).  Asked for only when the commands are
# missing: a Node.js installed from outside Debian ships its own npm, and
# Debian's npm package then conflicts with it and fails the whole install.
command -v node >/dev/null 2>&1 || VMT_DEPS+=(nodejs)
command -v npm >/dev/null 2>&1 || VMT_DEPS+=(npm)
# clickhouse-server/-client: tests/clickhouse start private servers;
# libcurl4-openssl-dev: replay/'s ClickHouse HTTP client.
VMT_DEPS+=(libcurl4-openssl-dev curl clickhouse-server clickhouse-client)
# shellcheck disable=SC2086
vmt_deps_install "${VMT_DEPS[@]}" ${VMT_EXTRA_DEPS:-}
