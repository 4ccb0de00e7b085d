#!/usr/bin/env bash
# README.md against the directives: the table "simpletun directive |
# OpenVPN 2.6 equivalent | notes" names every directive of the table in
# simpletun/conf.c and nothing that neither that table nor --help knows, one
# row each; every line of a ```conf block in the "Remote access" section
# starts with a known directive.
#
#   tests/unit/test_docs.sh SIMPLETUN README.md CONF.C
set -euo pipefail

prog=test_docs
fail() { printf '%s: FAIL - %s\n' "$prog" "$*" >&2; exit 1; }
pass() { printf '%s: ok - %s\n' "$prog" "$*"; }

[[ $# -eq 3 ]] || fail "usage: $0 SIMPLETUN README.md CONF.C"
bin=$1
readme=$2
confc=$3
[[ -x $bin ]] || fail "$bin is not executable"
[[ -s $readme ]] || fail "$readme is missing or empty"
[[ -s $confc ]] || fail "$confc is missing or empty"

# The directives a subcommand's --help lists: "  --NAME ARGS  help".
help_names() {
	"$bin" "$1" --help | sed -n -E 's/^  --([a-z][a-z0-9-]*)( .*)?$/\1/p'
}

# The names of conf.c's table: '.name = "x"' between "directives[] = {"
# and the "};" that closes it.
conf_names() {
	awk '/^static const struct directive directives\[\] = \{/ { t = 1; next }
	    t && /^};/ { exit }
	    t' "$confc" | sed -n -E 's/.*\.name = "([a-z][a-z0-9-]*)".*/\1/p'
}

# The first cell of each row of the OpenVPN table, as its directive name:
# the first word of a cell that must be one code span, "`name ARGS`".
# "\|" inside a cell is part of the cell; a row without exactly 3 cells is
# printed as "!row".
table_cells() {
	awk '/^\| simpletun directive \| OpenVPN 2\.6 equivalent \| notes \|$/ {
		t = 1; getline; next }
	    t && !/^\|/ { exit }
	    t { gsub(/\\\|/, "\001")
	        if (split($0, f, "|") != 5) {
	            gsub(/\001/, "\\|"); print "!" $0; next }
	        print f[2] }' "$readme"
}

declare -A known=() in_table=()
for role in server client status; do
	mapfile -t names < <(help_names "$role")
	[[ ${#names[@]} -ge 2 ]] ||
	    fail "simpletun $role --help lists ${#names[@]} directives"
	for n in "${names[@]}"; do known[$n]=1; done
done
mapfile -t cnames < <(conf_names)
# a broken extraction would make every check below vacuous
[[ ${#cnames[@]} -ge 30 ]] ||
    fail "found ${#cnames[@]} directives in $confc's table, expected 30 or more"
for n in "${cnames[@]}"; do
	[[ -n ${known[$n]:-} ]] || fail "$n is in $confc's table but in no --help"
	known[$n]=1
done
pass "${#cnames[@]} directives in $confc's table, ${#known[@]} known to --help"

mapfile -t cells < <(table_cells)
[[ ${#cells[@]} -gt 0 ]] ||
    fail "no table 'simpletun directive | OpenVPN 2.6 equivalent | notes' in $readme"
for cell in "${cells[@]}"; do
	[[ $cell != !* ]] ||
	    fail "row '${cell#!}' does not have the table's 3 cells"
	[[ $cell =~ ^\ \`([^\`]+)\`\ $ ]] ||
	    fail "first cell '$cell' is not one code span \`directive ARGS\`"
	name=${BASH_REMATCH[1]%% *}
	[[ -z ${in_table[$name]:-} ]] || fail "$name has two rows in the table"
	in_table[$name]=1
	[[ -n ${known[$name]:-} ]] ||
	    fail "the README's table names '$name', which is no directive"
done
for n in "${cnames[@]}"; do
	[[ -n ${in_table[$n]:-} ]] ||
	    fail "$n (in $confc's table) has no row in the README's table"
done
pass "the README's table has ${#cells[@]} rows: every directive of" \
    "$confc's table, nothing unknown"

# The configuration examples of "Remote access": "directive args # comment"
# or a comment.
conf_lines() {
	awk '/^## / { s = ($0 == "## Remote access") }
	    s && /^ *```/ { if (b) { b = 0 } else if ($0 ~ /```conf$/) { b = 1 }
	        next }
	    s && b' "$readme"
}
mapfile -t lines < <(conf_lines)
[[ ${#lines[@]} -ge 10 ]] ||
    fail "${#lines[@]} configuration lines in 'Remote access', expected 10 or more"
for l in "${lines[@]}"; do
	l=${l#"${l%%[! ]*}"}
	[[ -z $l || $l == \#* ]] && continue
	name=${l%% *}
	[[ -n ${known[$name]:-} ]] ||
	    fail "'Remote access' configures '$name', which is no directive: $l"
done
pass "the ${#lines[@]} configuration lines of 'Remote access' use directives"
