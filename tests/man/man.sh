#!/bin/bash
# man.sh - the manual pages (man/*.1, as configured into $VMT_BUILD/man)
# against the programs they describe:
#   * every long option printed by PROGRAM --help (and by the --help of its
#     subcommands) is documented in the page's OPTIONS section, with its
#     short form as "-x, --long" where --help pairs them;
#   * every long option the page mentions exists in the --help of the
#     program it belongs to (an option written after another program's name,
#     as in an example that starts xensim, belongs to that program);
#   * the sections a man page needs are there, and .TH carries the version
#     that PROGRAM --version prints;
#   * groff (when installed) reads each page without a warning;
#   * `cmake --install` puts the four pages into share/man/man1 (the build's
#     CMAKE_INSTALL_MANDIR), beside the programs in bin.
# Needs VMT_BIN / VMT_SRC / VMT_BUILD from vmt_script_test(); exit 77 when
# the programs were not built.  VMT_MAN_KEEP=1 keeps the scratch folder (the
# help texts and the option lists extracted from each page).
set -u
PROGS="vmtrail-record vmtrail-replay vmtrail-analyze xensim"
MAN="$VMT_BUILD/man"
T=$(mktemp -d /tmp/vmt-man.XXXXXX)
trap '[ -n "${VMT_MAN_KEEP:-}" ] || rm -rf "$T"' EXIT
status=0
fail() { echo "FAIL: $*" >&2; status=1; }

for p in $PROGS; do
	[ -x "$VMT_BIN/$p" ] || { echo "$p not built: skipped"; exit 77; }
done

# help_opts PROG: the long options PROG's help texts print, one a line.  The
# subcommands get their own --help call: today they print the main text,
# but an option added only there must reach the page too.
help_opts() {
	local p=$1 sub
	local subs=""
	case $p in
	vmtrail-record) subs="mark stats" ;;
	vmtrail-analyze) subs="summary diff" ;;
	esac
	"$VMT_BIN/$p" --help >"$T/$p.help" 2>&1 ||
		fail "$p --help exited $?"
	for sub in $subs; do
		"$VMT_BIN/$p" "$sub" --help >>"$T/$p.help" 2>&1 ||
			fail "$p $sub --help exited $?"
	done
	grep -oE -- '--[a-z][a-z0-9]*(-[a-z0-9]+)*' "$T/$p.help" | sort -u
}

# roff_text PAGE: the page's text as a reader sees it, one source line per
# output line (so options stay on the line they were written on): comments
# dropped, font changes and escapes removed, and the arguments of macro
# lines joined as the macro would (.BR a b -> "ab", .B a b -> "a b").
roff_text() {
	awk '
	function args(s,   out, n, i, c, q, cur) {
		n = 0; q = 0; cur = ""; started = 0
		for (i = 1; i <= length(s); i++) {
			c = substr(s, i, 1)
			if (q && c == "\"" && substr(s, i + 1, 1) == "\"") { cur = cur "\""; i++; continue }
			if (c == "\"") { q = !q; started = 1; continue }
			if (!q && (c == " " || c == "\t")) {
				if (started) { A[++n] = cur; cur = ""; started = 0 }
				continue
			}
			cur = cur c; started = 1
		}
		if (started) A[++n] = cur
		return n
	}
	/^\.\\"/ { print ""; next }
	/^[.\x27]/ {
		line = $0; sub(/^[.\x27][ \t]*/, "", line)
		mac = line; sub(/[ \t].*$/, "", mac)
		rest = substr(line, length(mac) + 1)
		n = args(rest)
		sep = (mac ~ /^(BR|RB|BI|IB|IR|RI)$/) ? "" : " "
		out = ""
		if (mac ~ /^(B|I|SM|SB|BR|RB|BI|IB|IR|RI|SH|SS)$/)
			for (i = 1; i <= n; i++) out = out (i > 1 ? sep : "") A[i]
		if (mac ~ /^(SH|SS)$/) out = "." mac " " out
		print out
		next
	}
	{ print }
	' "$1" | sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\(ti/~/g' \
		-e 's/\\(ha/^/g' -e 's/\\(em/ - /g' -e 's/\\ / /g' -e 's/\\e/\\/g'
}

# page_opts PROG TEXT: "OWNER OPTION SECTION" for every long option of the
# page text TEXT.  The owner is PROG unless the name of another program
# precedes the option on its line (or on the line a trailing backslash
# continues).
page_opts() {
	awk -v prog="$1" -v progs="$PROGS" '
	BEGIN { np = split(progs, P, " "); sect = ""; cont = "" }
	/^\.SH / { sect = substr($0, 5); cont = ""; next }
	/^\.SS / { next }
	{
		owner = cont != "" ? cont : prog
		line = $0
		while (match(line, /(vmtrail-record|vmtrail-replay|vmtrail-analyze|xensim|--[a-z][a-z0-9]*(-[a-z0-9]+)*)/)) {
			tok = substr(line, RSTART, RLENGTH)
			before = RSTART > 1 ? substr(line, RSTART - 1, 1) : " "
			after = substr(line, RSTART + RLENGTH, 1)
			line = substr(line, RSTART + RLENGTH)
			if (tok ~ /^--/) { print owner, tok, sect; continue }
			# A program name as a word, not inside a path or a
			# longer name (vmtrail/xensim/, xensim.1, xensim_libs).
			if (before ~ /[A-Za-z0-9_\/.-]/ || after ~ /[A-Za-z0-9_\/-]/) continue
			owner = tok
		}
		cont = ($0 ~ /\\$/) ? owner : ""
	}' "$2"
}

for p in $PROGS; do
	page="$MAN/$p.1"
	if [ ! -f "$page" ]; then
		fail "$page missing (man/CMakeLists.txt configures it)"
		continue
	fi
	roff_text "$page" >"$T/$p.txt"
	help_opts "$p" >"$T/$p.hopts"
done

for p in $PROGS; do
	page="$MAN/$p.1"
	[ -f "$page" ] || continue
	txt="$T/$p.txt"
	page_opts "$p" "$txt" >"$T/$p.popts"

	# Options the page names must exist (for whichever program they belong to).
	while read -r owner opt sect; do
		grep -qxF -- "$opt" "$T/$owner.hopts" ||
			fail "$p.1 ($sect) names $opt, which '$owner --help' does not list"
	done <"$T/$p.popts"

	# Options --help lists must be documented under OPTIONS.
	awk -v p="$p" '$1 == p && $3 == "OPTIONS" { print $2 }' "$T/$p.popts" |
		sort -u >"$T/$p.documented"
	while read -r opt; do
		grep -qxF -- "$opt" "$T/$p.documented" ||
			fail "$p --help lists $opt, but $p.1 does not document it under OPTIONS"
	done <"$T/$p.hopts"

	# Short and long forms paired as --help pairs them ("-d, --domain").
	sed -n 's/^ *\(-[A-Za-z0-9]\), \(--[a-z][a-z0-9-]*\).*/\1, \2/p' "$T/$p.help" |
		sort -u | while read -r pair; do
		grep -qF -- "$pair" "$txt" || fail "$p.1 does not show '$pair' as --help does"
	done

	for s in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" ENVIRONMENT FILES EXAMPLES "SEE ALSO"; do
		grep -qx "\.SH $s" "$txt" || fail "$p.1 has no $s section"
	done
	want=$("$VMT_BIN/$p" --version | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -1)
	th=$(grep -m1 '^\.TH' "$page")
	case $th in
	*"vmtrail $want"*) ;;
	*) fail "$p.1: .TH '$th' does not carry version '$want' ($p --version)" ;;
	esac
	grep -n '@[A-Za-z_]*@' "$page" && fail "$p.1: unconfigured @VARIABLES@ left"

	if command -v groff >/dev/null 2>&1; then
		w=$(groff -man -ww -z -Tutf8 "$page" 2>&1)
		[ -z "$w" ] || fail "$p.1: groff warnings:
$w"
	else
		echo "groff not installed: warning check of $p.1 skipped"
	fi
done

# The install puts the pages where man(1) looks, next to the programs.
# GNUInstallDirs leaves MANDIR empty in the cache unless it was set, and
# then means DATAROOTDIR/man.
cache_var() { sed -n "s/^$1:[A-Z]*=//p" "$VMT_BUILD/CMakeCache.txt" 2>/dev/null; }
datarootdir=$(cache_var CMAKE_INSTALL_DATAROOTDIR)
mandir=$(cache_var CMAKE_INSTALL_MANDIR)
mandir=${mandir:-${datarootdir:-share}/man}
bindir=$(cache_var CMAKE_INSTALL_BINDIR)
bindir=${bindir:-bin}
inst="$T/inst"
if cmake --install "$VMT_BUILD" --prefix "$inst" >"$T/install.log" 2>&1; then
	for p in $PROGS; do
		[ -f "$inst/$mandir/man1/$p.1" ] ||
			fail "cmake --install: no $mandir/man1/$p.1 under $inst: $(find "$inst" -name '*.1')"
		[ -x "$inst/$bindir/$p" ] ||
			fail "cmake --install: $p is not in $bindir, but its page is in man1 (user commands)"
	done
	if command -v man >/dev/null 2>&1; then
		man -M "$inst/$mandir" -w vmtrail-record >/dev/null 2>&1 ||
			fail "man -w vmtrail-record does not find the installed page"
	fi
else
	fail "cmake --install $VMT_BUILD failed: $(tail -n 20 "$T/install.log")"
fi

[ $status = 0 ] && echo ok
exit $status
