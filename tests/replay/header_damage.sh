#!/bin/bash
# header_damage.sh - a refused trace header is named down to the field:
# which field (SPEC.md section 3), its value, what was expected.  Each
# case damages one field of a generated trace (the crc is recomputed
# where the case is not about the crc), and --info, the import and a
# stream all exit 1 with the same two lines.
set -u
R="$VMT_BIN/vmtrail-replay"
GEN="$VMT_BUILD/tests/vmt_gen_trace"
[ -x "$R" ] && [ -x "$GEN" ] || { echo "vmtrail-replay or vmt_gen_trace not built"; exit 77; }
command -v python3 >/dev/null || { echo "python3 missing"; exit 77; }
T=$(mktemp -d /tmp/vmt-hdr-XXXXXX)
trap 'rm -rf "$T"' EXIT
fail=0
"$GEN" "$T/ok.vmt" 7 200 1 >/dev/null || { echo "FAIL: gen_trace"; exit 1; }

# damage NAME: writes $T/NAME.vmt and prints header_len, file size, the
# stored crc and the crc of the (damaged) header bytes.
damage() {
	python3 - "$T" "$1" <<'EOF'
import struct, sys
t, name = sys.argv[1], sys.argv[2]
d = bytearray(open(t + "/ok.vmt", "rb").read())
def crc32c(b):
    c = 0xFFFFFFFF
    for x in b:
        c ^= x
        for _ in range(8):
            c = (c >> 1) ^ (0x82F63B78 if c & 1 else 0)
    return c ^ 0xFFFFFFFF
hlen = struct.unpack_from("<I", d, 12)[0]
def reseal():
    struct.pack_into("<I", d, hlen - 4, crc32c(d[:hlen - 4]))
if name == "major":
    struct.pack_into("<H", d, 8, 7); reseal()
elif name == "small":
    struct.pack_into("<I", d, 12, 8)
elif name == "big":
    struct.pack_into("<I", d, 12, 10**7)
elif name == "past":
    struct.pack_into("<I", d, 12, len(d) + 1)
elif name == "field":
    d[30] ^= 0x40          # a metadata byte, crc left as written
elif name == "incompat":
    struct.pack_into("<I", d, 20, 1 << 9); reseal()
open(t + "/" + name + ".vmt", "wb").write(d)
print(hlen, len(d), "0x%08x" % struct.unpack_from("<I", d, hlen - 4)[0],
      "0x%08x" % crc32c(d[:hlen - 4]))
EOF
}

# expect NAME LINE1 LINE2: every mode exits 1 and says exactly these lines.
expect() {
	local want; want=$(printf '%s\n%s' "$2" "$3")
	for mode in info import jsonl; do
		local rc=0
		case $mode in
		info) "$R" --info "$T/$1.vmt" >/dev/null 2>"$T/err" || rc=$? ;;
		import) "$R" "$T/$1.vmt" -o "$T/$1.db" 2>"$T/err" || rc=$? ;;
		jsonl) "$R" "$T/$1.vmt" --format jsonl >/dev/null 2>"$T/err" || rc=$? ;;
		esac
		if [ "$rc" != 1 ] || [ "$(cat "$T/err")" != "$want" ]; then
			echo "FAIL: $1 ($mode): exit $rc, said:"; cat "$T/err"
			echo "wanted:"; echo "$want"; fail=1
		fi
	done
	[ "$fail" = 0 ] && echo "ok: $1"
}

read -r hlen size _ _ < <(damage major)
expect major "vmtrail-replay: trace header: major 7, this reader reads major 1" \
	"vmtrail-replay: $T/major.vmt: unsupported trace format major version"
damage small >/dev/null
expect small "vmtrail-replay: trace header: header_len 8, below the minimum 28" \
	"vmtrail-replay: $T/small.vmt: corrupt data: a size, offset or field is impossible"
damage big >/dev/null
expect big "vmtrail-replay: trace header: header_len 10000000, above the maximum 1048576" \
	"vmtrail-replay: $T/big.vmt: size beyond the documented limit"
damage past >/dev/null
expect past "vmtrail-replay: trace header: header_len $((size + 1)), but the file has $size bytes" \
	"vmtrail-replay: $T/past.vmt: data ends before the structure does (truncated)"
read -r hlen size stored sum < <(damage field)
expect field "vmtrail-replay: trace header: crc $stored at offset $((hlen - 4)), but the CRC32C of bytes 0-$((hlen - 5)) is $sum (a damaged header field or header_len)" \
	"vmtrail-replay: $T/field.vmt: checksum mismatch"
damage incompat >/dev/null
expect incompat "vmtrail-replay: trace header: incompat_flags 0x00000200: unknown feature bit 9" \
	"vmtrail-replay: $T/incompat.vmt: unknown must-understand feature bit"
# The undamaged trace is still read, so the cases test the header alone.
"$R" --info "$T/ok.vmt" >/dev/null 2>"$T/err" || { echo "FAIL: ok.vmt: $(cat "$T/err")"; fail=1; }
exit $fail
