# lib.sh - private ClickHouse servers for the tests: each with its own data
# folder under $WORK and loopback ports, started as this user, stopped by
# ch_stop_all (the scripts' EXIT trap).  Readiness is the server answering
# /ping, never a sleep.  Exit 77 (skip) when clickhouse-server is missing.

command -v clickhouse-server >/dev/null && command -v curl >/dev/null ||
	{ echo "SKIP: clickhouse-server or curl missing (tests/deps.sh installs them)"; exit 77; }
CH_PIDS=()
CH_HTTP=()      # HTTP port of server i
CH_TCP=()       # native port of server i (Distributed tables use it)

# A free loopback port (the kernel picks it; a server that loses the race
# to another program fails to start and ch_start tries new ports).
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# ch_config DIR HTTP TCP INTERSERVER CLUSTER_XML
ch_config() {
	local d=$1
	mkdir -p "$d/data" "$d/tmp" "$d/user_files" "$d/log"
	cat >"$d/users.xml" <<X
<?xml version="1.0"?>
<yandex>
 <profiles><default><max_threads>2</max_threads><background_pool_size>2</background_pool_size></default></profiles>
 <users>
  <default><password></password><networks><ip>127.0.0.1</ip></networks>
   <profile>default</profile><quota>default</quota></default>
  <loader><password>s3cret</password><networks><ip>127.0.0.1</ip></networks>
   <profile>default</profile><quota>default</quota></loader>
 </users>
 <quotas><default/></quotas>
</yandex>
X
	cat >"$d/config.xml" <<X
<?xml version="1.0"?>
<yandex>
 <logger><level>warning</level><log>$d/log/server.log</log>
  <errorlog>$d/log/error.log</errorlog><console>0</console></logger>
 <listen_host>127.0.0.1</listen_host>
 <http_port>$2</http_port><tcp_port>$3</tcp_port>
 <interserver_http_port>$4</interserver_http_port>
 <path>$d/data/</path><tmp_path>$d/tmp/</tmp_path>
 <user_files_path>$d/user_files/</user_files_path>
 <users_config>$d/users.xml</users_config>
 <default_profile>default</default_profile><default_database>default</default_database>
 <mark_cache_size>67108864</mark_cache_size>
 <uncompressed_cache_size>67108864</uncompressed_cache_size>
 <max_concurrent_queries>50</max_concurrent_queries>
 <remote_servers>$5</remote_servers>
</yandex>
X
}

# wait_for PID SECS CMD...: until CMD succeeds (0), PID has died (1) or
# SECS have passed (1).  The bound is there only so a broken server fails
# the test instead of its CTest timeout: a busy host is slow, not broken.
wait_for() {
	local pid=$1 end=$((SECONDS + $2))
	shift 2
	until "$@"; do
		kill -0 "$pid" 2>/dev/null || { "$@"; return; }
		[ "$SECONDS" -lt "$end" ] || return 1
		sleep 0.05
	done
}

ch_pings() { curl -sf "http://127.0.0.1:${CH_HTTP[$1]}/ping" >/dev/null 2>&1; }

# ch_wait I: until server I answers /ping (or has died: return 1)
ch_wait() { wait_for "${CH_PIDS[$1]}" 240 ch_pings "$1"; }

# ch_start_n N [CLUSTER_NAME]: N servers; with a name, they form one cluster
# of N shards (remote_servers) that every server knows.
ch_start_n() {
	local n=$1 name=${2:-} try i xml
	for try in 1 2 3; do
		CH_HTTP=() CH_TCP=() CH_PIDS=()
		for ((i = 0; i < n; i++)); do
			CH_HTTP[i]=$(free_port) CH_TCP[i]=$(free_port)
		done
		xml=
		if [ -n "$name" ]; then
			xml="<$name>"
			for ((i = 0; i < n; i++)); do
				xml+="<shard><replica><host>127.0.0.1</host><port>${CH_TCP[i]}</port></replica></shard>"
			done
			xml+="</$name>"
		fi
		local ok=1
		for ((i = 0; i < n; i++)); do
			ch_config "$WORK/ch$i" "${CH_HTTP[i]}" "${CH_TCP[i]}" "$(free_port)" "$xml"
			clickhouse-server --config-file="$WORK/ch$i/config.xml" \
				>"$WORK/ch$i/log/stdout" 2>&1 &
			CH_PIDS[i]=$!
		done
		for ((i = 0; i < n; i++)); do ch_wait "$i" || ok=0; done
		[ $ok = 1 ] && return 0
		ch_stop_all
	done
	echo "FAIL: clickhouse-server did not start:"
	cat "$WORK"/ch*/log/stdout "$WORK"/ch*/log/error.log 2>/dev/null | tail -20
	exit 1
}

ch_stop_all() {
	local p
	for p in "${CH_PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${CH_PIDS[@]}"; do wait "$p" 2>/dev/null; done
	CH_PIDS=()
}

# chq I SQL [database]: one statement on server I, result on stdout
chq() {
	curl -sS --fail-with-body "http://127.0.0.1:${CH_HTTP[$1]}/?database=${3:-vmtrail}" \
		--data-binary "$2"
}

ch_url() { echo "http://127.0.0.1:${CH_HTTP[$1]}/?database=${2:-vmtrail}"; }
