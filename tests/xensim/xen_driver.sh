#!/usr/bin/env bash
# Acceptance: under `xensim run`, a monitor that starts the way LibVMI's Xen
# driver does (tests/xensim/xen_driver.c: /sys/hypervisor, dlopen of
# libxenctrl.so and its 4.17 names, the domain found by name in xenstore,
# events through xc_evtchn_*) works with no missing symbol and no loader
# warning, and leaves nobody paused.
. "$(dirname "$0")/lib.sh"
DRV=$VMT_BIN/xen_driver
[ -x "$DRV" ] || { echo "SKIP: xen_driver not built"; exit 77; }
readelf -d "$DRV" | grep -q 'NEEDED.*libxen' && die "xen_driver links a Xen library"
# Built with ASan (the sanitizer pass), the program has its runtime as a
# NEEDED library, which comes after any preload: let it start anyway.
if readelf -d "$DRV" | grep -q 'NEEDED.*libasan'; then
	export ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0
fi
dom() { xs_stats | jq ".domains[] | select(.name == \"web\") | .$1"; }

# The domain is found by name, among several.
xs_start --domain 3:db --domain 5:web --domain 9:cache
rc=0
LD_BIND_NOW=1 timeout 60 "$XENSIM" run -- "$DRV" web 500 \
	>"$T/out" 2>"$T/err" || rc=$?
[ ! -s "$T/err" ] || die "xen_driver: $(cat "$T/err")"
expect_eq "xen_driver status" "$rc" 0
read -r _ id _ events _ watches <"$T/out"
expect_eq "domain found by name" "$id" 5
[ "$events" -ge 500 ] || die "events: $(cat "$T/out")"
expect_eq "watches fired at registration" "$watches" 2
expect_eq "answered = produced" "$(dom responses_consumed)" "$(dom produced_total)"
expect_eq "nobody paused" "$(xs_stats | jq .vcpus_paused_now)" 0
expect_eq "ring released" "$(dom monitor_enabled)" false
expect_eq "channel unbound" "$(dom consumer_bound)" false
expect_eq "rejected responses" "$(dom responses_rejected)" 0
expect_eq "web runs on" "$(dom state)" '"running"'

# Outside `xensim run` the same program finds no Xen and says so.
rc=0
env -u LD_PRELOAD "$DRV" web 1 >/dev/null 2>"$T/err2" || rc=$?
expect_eq "no Xen outside xensim run" "$rc" 1
grep -q "/sys/hypervisor/type" "$T/err2" || die "outside: $(cat "$T/err2")"
"$XENSIM" --query shutdown >/dev/null; xs_wait || die "xensim status"
echo ok
