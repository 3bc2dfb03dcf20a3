#!/bin/bash
# install.sh - vmtrail installed as a library other programs link to:
#   * `cmake --install --prefix P` and, once, DESTDIR=D with another prefix:
#     an outside program (reader/) builds against the installed files with
#     pkg-config and, as a separate CMake project, with find_package(vmtrail),
#     and prints the event count of a golden trace;
#   * pkg-config's prefix is the folder the files were installed to;
#   * each installed library exports exactly its public API: libvmt_format
#     the functions the installed headers declare, the SQLite extension its
#     entry point (the libraries under lib/vmtrail/ are the programs' own,
#     with Xen's names, and not for linking);
#   * the specifications are in share/doc/vmtrail, and the installed man
#     pages and headers name them there.
# Needs VMT_SRC / VMT_BUILD from vmt_script_test(); exit 77 without a C
# compiler or pkg-config.
set -u
T=$(mktemp -d /tmp/vmt-install.XXXXXX)
trap 'rm -rf "$T"' EXIT
status=0
fail() { echo "FAIL: $*" >&2; status=1; }
CC=${CC:-cc}
command -v "$CC" >/dev/null && command -v pkg-config >/dev/null ||
	{ echo "no C compiler or pkg-config: skipped"; exit 77; }
GOLDEN="$VMT_SRC/tests/golden/valid/abi-v7.vmt"
want_events=$(grep -c '^request ' "${GOLDEN%.vmt}.expected")
# A sanitizer build's library needs the sanitizer runtime in its users.
SAN=""
grep -q '^VMT_SANITIZE:BOOL=ON' "$VMT_BUILD/CMakeCache.txt" &&
	SAN="-fsanitize=address,undefined"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
libdir=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:[A-Z]*=//p' "$VMT_BUILD/CMakeCache.txt")
libdir=${libdir:-lib}

# check_run WHAT PROGRAM [env...]: the program prints the golden count.
check_run() {
	local what=$1 prog=$2 out
	shift 2
	out=$(env "$@" "$prog" "$GOLDEN" 2>&1) ||
		{ fail "$what: reader failed: $out"; return; }
	[ "${out%% (*}" = "events $want_events" ] ||
		fail "$what: reader printed '$out', want 'events $want_events'"
}

# with_pkgconfig ROOT: build reader.c with `pkg-config --cflags --libs`.
with_pkgconfig() {
	local root=$1 pc="$1/$libdir/pkgconfig" prefix
	prefix=$(PKG_CONFIG_PATH=$pc pkg-config --variable=prefix vmtrail-format) ||
		{ fail "pkg-config does not find vmtrail-format in $pc"; return; }
	[ "$(realpath -m "$prefix")" = "$(realpath "$root")" ] ||
		fail "pkg-config: prefix=$prefix, installed in $root"
	# shellcheck disable=SC2046
	$CC $SAN -o "$T/reader-pc" "$VMT_SRC/tests/install/reader/reader.c" \
		$(PKG_CONFIG_PATH=$pc pkg-config --cflags --libs vmtrail-format) \
		>"$T/pc.log" 2>&1 ||
		{ fail "pkg-config build in $root: $(tail -n 5 "$T/pc.log")"; return; }
	check_run "pkg-config ($root)" "$T/reader-pc" LD_LIBRARY_PATH="$root/$libdir"
}

# with_cmake ROOT: reader/ as its own project, find_package(vmtrail).  The
# build folder is reused (compiler checks are slow on a busy host); the
# package is looked up afresh each time.
with_cmake() {
	local root=$1 b="$T/reader-build"
	rm -f "$b/reader"
	if ! { cmake -S "$VMT_SRC/tests/install/reader" -B "$b" -Uvmtrail_DIR \
		-DCMAKE_PREFIX_PATH="$root" -DCMAKE_C_FLAGS="$SAN" \
		-DCMAKE_EXE_LINKER_FLAGS="$SAN" &&
		cmake --build "$b"; } >"$T/cmake.log" 2>&1; then
		fail "find_package build in $root: $(tail -n 8 "$T/cmake.log")"
		return
	fi
	grep -q "^vmtrail_DIR:PATH=$root/" "$b/CMakeCache.txt" ||
		fail "find_package found $(grep '^vmtrail_DIR' "$b/CMakeCache.txt"), not the one in $root"
	check_run "find_package ($root)" "$b/reader"
}

# exports LIB: the names LIB's dynamic symbol table defines.
exports() {
	nm -D --defined-only "$1" | awk '$2 != "A" { sub(/@.*/, "", $3); print $3 }' | sort -u
}

# declared ROOT: the functions the installed headers declare (the
# preprocessed headers, so macros and comments do not count).
declared() {
	printf '#include <vmt/%s>\n' error.h event.h format.h |
		$CC -E -P -I"$1/include" - | tr -s ' \t' '\n\n' |
		grep -oE '^\**vmt_[a-z0-9_]+\(' | tr -d '*(' | sort -u
}

check_exports() {
	local root=$1 lib="$1/$libdir/libvmt_format.so" ext="$1/$libdir/vmtrail.so"
	exports "$lib" >"$T/exported"
	declared "$root" >"$T/declared"
	[ -s "$T/declared" ] || fail "no function found in the installed headers"
	diff "$T/declared" "$T/exported" >"$T/exports.diff" ||
		fail "libvmt_format.so: exports differ from the installed headers (< declared only: add it to format/libvmt_format.map; > exported only): $(cat "$T/exports.diff")"
	nm -D --defined-only "$lib" | grep -q ' vmt_reader_open@@VMTRAIL_0$' ||
		fail "libvmt_format.so: public symbols carry no VMTRAIL_0 version"
	[ "$(exports "$ext")" = sqlite3_vmtrail_init ] ||
		fail "vmtrail.so exports more than its entry point: $(exports "$ext" | head -n 5)"
}

check_docs() {
	local root=$1 doc="$1/share/doc/vmtrail" f
	for f in SPEC.md SCHEMA.md ABI.md; do
		[ -s "$doc/$f" ] || fail "$doc/$f not installed"
	done
	# Every document an installed page or header names there exists.
	grep -ohE 'share/doc/vmtrail/?[ \n]*(\.IR? )?[A-Z]+\.md|doc/vmtrail/[A-Z]+\.md' \
		"$root"/share/man/man1/*.1 | grep -oE '[A-Z]+\.md$' | sort -u >"$T/man-docs"
	grep -q SPEC.md "$T/man-docs" && grep -q SCHEMA.md "$T/man-docs" ||
		fail "the installed man pages do not name SPEC.md and SCHEMA.md in share/doc/vmtrail"
	while read -r f; do
		[ -s "$doc/$f" ] || fail "a man page names share/doc/vmtrail/$f, not installed"
	done <"$T/man-docs"
	grep -q 'share/doc/vmtrail' "$root/include/vmt/event.h" &&
		grep -q 'ABI.md' "$root/include/vmt/event.h" ||
		fail "vmt/event.h does not point to share/doc/vmtrail/ABI.md"
}

P="$T/prefix"
if cmake --install "$VMT_BUILD" --prefix "$P" >"$T/install.log" 2>&1; then
	with_pkgconfig "$P"
	with_cmake "$P"
	check_exports "$P"
	check_docs "$P"
else
	fail "cmake --install --prefix $P: $(tail -n 10 "$T/install.log")"
fi

# DESTDIR: files land in D/PREFIX; both builds work from there.
D="$T/stage"
if DESTDIR="$D" cmake --install "$VMT_BUILD" --prefix /opt/vmtrail-test \
	>"$T/install-destdir.log" 2>&1; then
	[ ! -e /opt/vmtrail-test ] || fail "DESTDIR install wrote outside $D"
	with_pkgconfig "$D/opt/vmtrail-test"
	with_cmake "$D/opt/vmtrail-test"
else
	fail "DESTDIR=$D cmake --install: $(tail -n 10 "$T/install-destdir.log")"
fi
[ $status = 0 ] && echo "install: pkg-config and find_package builds, exports and docs hold"
exit $status
