#!/usr/bin/env bash
# The man page against --help: every directive that a subcommand's --help
# lists is an option entry of simpletun.8, every option the page names is
# real, the page has its sections, and groff renders it without a warning.
#
#   tests/unit/test_man.sh SIMPLETUN SIMPLETUN.8
set -euo pipefail

prog=test_man
fail() { printf '%s: FAIL - %s\n' "$prog" "$*" >&2; exit 1; }
pass() { printf '%s: ok - %s\n' "$prog" "$*"; }

[[ $# -eq 2 ]] || fail "usage: $0 SIMPLETUN SIMPLETUN.8"
bin=$1
page=$2
[[ -x $bin ]] || fail "$bin is not executable"
[[ -s $page ]] || fail "$page is missing or empty"

# The directives a subcommand's --help lists: "  --NAME ARGS  help".
help_names() {
	"$bin" "$1" --help | sed -n -E 's/^  --([a-z][a-z0-9-]*)( .*)?$/\1/p'
}

# The option entries of the page: a ".TP" line, then ".B" or ".BI" with the
# option as its first word. Hyphens are "\-" in roff.
page_entries() {
	awk 'prev == ".TP" && ($1 == ".B" || $1 == ".BI" || $1 == ".BR") {
		print $2 }
	{ prev = $0 }' "$page" | sed -n 's/^\\-\\-//p' | sed 's/\\-/-/g'
}

mapfile -t entries < <(page_entries | sort -u)
[[ ${#entries[@]} -gt 0 ]] || fail "no option entries in $page"
declare -A in_page=() known=([help]=1)
for e in "${entries[@]}"; do in_page[$e]=1; done

for role in server client status; do
	mapfile -t names < <(help_names "$role")
	# a --help that printed nothing would make the loop below vacuous
	[[ ${#names[@]} -ge 2 ]] ||
	    fail "simpletun $role --help lists ${#names[@]} directives"
	for name in "${names[@]}"; do
		known[$name]=1
		[[ -n ${in_page[$name]:-} ]] ||
		    fail "--$name (simpletun $role --help) is no option in $page"
	done
	pass "the ${#names[@]} options of 'simpletun $role --help' are there"
done

# Every "\-\-word" anywhere in the page (prose, examples) is a real option
# or one of certs/mkcerts' (--crl is also a directive).
mkcerts_opts=" server-name revoke crl "
mapfile -t mentioned < <(grep -o -E '\\-\\-([a-z0-9]|\\-)+' "$page" |
    sed -e 's/^\\-\\-//' -e 's/\\-/-/g' | sort -u)
for m in "${mentioned[@]}"; do
	[[ -z $m ]] && continue
	[[ -n ${known[$m]:-} || $mkcerts_opts == *" $m "* ]] ||
	    fail "the page names --$m, which no subcommand accepts"
done
pass "the ${#mentioned[@]} options the page names all exist"

for sh in NAME SYNOPSIS DESCRIPTION OPTIONS 'CONFIGURATION FILE' \
    'EXIT STATUS' SIGNALS FILES EXAMPLES 'SEE ALSO'; do
	grep -q -x -E "\\.SH \"?$sh\"?" "$page" || fail "no section $sh"
done
grep -q -x '\.BR openssl (1)' "$page" ||
    fail "SEE ALSO does not name openssl(1)"
for code in 0 1 2 3; do
	awk -v c="$code" 'p == ".TP" && $0 == ".B " c { f = 1 } { p = $0 }
	    END { exit !f }' "$page" || fail "EXIT STATUS has no entry $code"
done
pass "the page has its sections and exit codes"

# A line starting with '.' or "'" that is no request of ours would be
# swallowed by roff: table text must have been escaped.
bad=$(grep -n -E "^['.]([^A-Za-z\\\\]|$)" "$page" || true)
[[ -z $bad ]] || fail "unescaped control character at line start: $bad"

if ! command -v groff >/dev/null; then
	pass "SKIP rendering: no groff (apt-get install groff-base)"
	exit 0
fi
warnings=$(groff -man -Tutf8 -ww -z "$page" 2>&1) ||
    fail "groff failed: $warnings"
[[ -z $warnings ]] || fail "groff warns: $warnings"
# The rendered text still has the options (nothing swallowed by an escape).
text=$(groff -man -Tascii -P-cbou "$page" 2>/dev/null)
for e in "${entries[@]}"; do
	grep -q -F -- "--$e" <<<"$text" ||
	    fail "--$e is lost in the rendered page"
done
pass "groff renders the page without warnings"
