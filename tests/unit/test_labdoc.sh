#!/usr/bin/env bash
# docs/LAB.md, the student's guide, against what it describes:
# - its checklist (the numbered points and the sample run) names exactly
#   the points `scripts/lab check` runs, in order, and the sample run is
#   the output a student should expect: every point PASS, "N of N"; its
#   table of the JSON's figures names those scripts/lab records;
# - every `scripts/lab WORD` it shows is a subcommand scripts/lab has;
# - the pictures it shows are the ones the build draws: one
#   build/docs/NAME.svg per docs/NAME.dot, each referenced;
# - with dot: each SVG was drawn from its current source (every node of
#   the .dot is in it, and it is not older), and the packet-path picture
#   holds the path tun -> guard -> queue -> data -> UDP, and back
#   UDP -> data -> tun, as edges between nodes that say so.
#
#   tests/unit/test_labdoc.sh SOURCE_DIR BUILD_DIR DOT
#   (DOT empty or *-NOTFOUND: the pictures were not drawn; the SVG checks
#   are skipped, exit 77 after the rest)
set -euo pipefail

prog=test_labdoc
fail() { printf '%s: FAIL - %s\n' "$prog" "$*" >&2; exit 1; }
pass() { printf '%s: ok - %s\n' "$prog" "$*"; }

[[ $# -eq 3 ]] || fail "usage: $0 SOURCE_DIR BUILD_DIR DOT"
src=$1
build=$2
dot=$3
lab=$src/scripts/lab
doc=$src/docs/LAB.md
[[ -s $doc ]] || fail "$doc is missing or empty"
[[ -s $lab ]] || fail "$lab is missing or empty"

# --- the checklist ---------------------------------------------------------

# The points scripts/lab check runs: "point NAME check_fn", first time each.
mapfile -t want < <(sed -n -E 's/^[[:space:]]+point ([a-z0-9-]+) check_[a-z_]+$/\1/p' \
    "$lab" | awk '!seen[$0]++')
[[ ${#want[@]} -ge 5 ]] || fail "found only ${#want[@]} points in $lab"

# The section "## The checklist" up to the next "## ".
section=$(awk '/^## The checklist$/ { t = 1; next } t && /^## / { exit } t' "$doc")
[[ -n $section ]] || fail "$doc has no '## The checklist' section"

# The numbered explanations: "N. **name.**" or "N. **name (...).**".
mapfile -t listed < <(sed -n -E 's/^[0-9]+\. \*\*([a-z0-9-]+)[ .(].*/\1/p' <<<"$section")
[[ ${listed[*]} == "${want[*]}" ]] ||
    fail "LAB.md explains the points '${listed[*]}', scripts/lab check runs '${want[*]}'"
pass "the ${#want[@]} points explained in order: ${want[*]}"

# The first code block of the section: the sample run, as a student sees
# it on a working machine.
sample=$(awk '/^```/ { if (t) exit; t = 1; next } t' <<<"$section")
mapfile -t ran < <(sed -n -E 's/^(PASS|FAIL) ([a-z0-9-]+): .+/\2/p' <<<"$sample")
[[ ${ran[*]} == "${want[*]}" ]] ||
    fail "the sample run shows '${ran[*]}', scripts/lab check runs '${want[*]}'"
bad=$(grep -E '^FAIL ' <<<"$sample" || true)
[[ -z $bad ]] || fail "the sample run is not what a working lab prints: $bad"
n=${#want[@]}
grep -q -E "^$n of $n points passed in [0-9.]+ s \((tun|tap) mode\)$" <<<"$sample" ||
    fail "the sample run does not end with '$n of $n points passed in ... s (tun mode)'"
pass "the sample run: $n PASS lines in order, '$n of $n points passed'"

# The table "| point | figures |": one row per point, in order, and the
# figures named in it are those scripts/lab records ("fig NAME ...").
rows=$(awk '/^\| point \| figures \|$/ { t = 1; getline; next }
    t && !/^\|/ { exit } t' <<<"$section")
mapfile -t frows < <(awk -F'|' '{ gsub(/ /, "", $2); print $2 }' <<<"$rows")
[[ ${frows[*]} == "${want[*]}" ]] ||
    fail "the figures table has the rows '${frows[*]}', scripts/lab check runs '${want[*]}'"
mapfile -t fdoc < <(awk -F'|' '{ print $3 }' <<<"$rows" | grep -o -E '`[a-z_]+`' |
    tr -d '`' | sort -u)
mapfile -t flab < <(sed -n -E 's/^[[:space:]]*fig ([a-z_]+) .*/\1/p' "$lab" | sort -u)
[[ ${#flab[@]} -ge 10 ]] || fail "scripts/lab records ${#flab[@]} figures"
[[ ${fdoc[*]} == "${flab[*]}" ]] ||
    fail "the figures table names '${fdoc[*]}', scripts/lab records '${flab[*]}'"
pass "the figures table: a row per point, the ${#flab[@]} figures scripts/lab records"

# --- the commands ----------------------------------------------------------

# scripts/lab's subcommands, from its usage header ("#   scripts/lab up ...").
mapfile -t subs < <(sed -n -E '1,12s/^#   scripts\/lab ([a-z]+).*/\1/p' "$lab" | sort -u)
[[ ${#subs[@]} -ge 4 ]] || fail "scripts/lab's usage header names ${#subs[@]} subcommands"
mapfile -t used < <(grep -o -E 'scripts/lab [a-z]+' "$doc" | awk '{ print $2 }' | sort -u)
for u in "${used[@]}"; do
	printf '%s\n' "${subs[@]}" | grep -qx -- "$u" ||
	    fail "LAB.md shows 'scripts/lab $u'; scripts/lab has: ${subs[*]}"
done
for s in "${subs[@]}"; do
	printf '%s\n' "${used[@]}" | grep -qx -- "$s" ||
	    fail "LAB.md never shows 'scripts/lab $s'"
done
pass "LAB.md shows every subcommand of scripts/lab and no other: ${subs[*]}"

# --- the pictures ----------------------------------------------------------

mapfile -t dots < <(cd "$src/docs" && ls -- *.dot 2>/dev/null | sed 's/\.dot$//' | sort)
[[ ${#dots[@]} -ge 2 ]] || fail "docs/ has ${#dots[@]} .dot sources"
mapfile -t shown < <(grep -o -E '\]\(\.\./build/docs/[a-z0-9-]+\.svg\)' "$doc" |
    sed -E 's/.*docs\/([a-z0-9-]+)\.svg\)/\1/' | sort -u)
[[ ${shown[*]} == "${dots[*]}" ]] ||
    fail "LAB.md shows the pictures '${shown[*]}', docs/ has the sources '${dots[*]}'"
pass "LAB.md shows one picture per source: ${dots[*]}"

if [[ -z $dot || $dot == *-NOTFOUND ]]; then
	printf '%s: skip - dot was not found, the build drew no pictures\n' "$prog"
	exit 77
fi

# svg_graph SVG: "N id label text" per node, "E from to" per edge, from
# Graphviz's SVG (a <g class="node|edge"> with a <title> and <text>s).
svg_graph() {
	awk '
	function unesc(s) {
		gsub(/&#45;/, "-", s); gsub(/&gt;/, ">", s); gsub(/&lt;/, "<", s)
		gsub(/&#39;/, "\047", s); gsub(/&quot;/, "\"", s); gsub(/&amp;/, "\\&", s)
		return s
	}
	function flush() {
		if (kind == "node") print "N", title, label
		else if (kind == "edge") {
			split(title, e, "->"); print "E", e[1], e[2]
		}
		kind = ""
	}
	/<g id="[a-z]+[0-9]+" class="(node|edge)">/ {
		flush()
		kind = ($0 ~ /class="node"/) ? "node" : "edge"
		title = ""; label = ""
		next
	}
	kind && /<title>/ {
		t = $0; sub(/.*<title>/, "", t); sub(/<\/title>.*/, "", t)
		title = unesc(t); next
	}
	kind && /<text/ {
		t = $0; sub(/^[^>]*<text[^>]*>/, "", t); sub(/<\/text>.*/, "", t)
		label = label " " unesc(t); next
	}
	END { flush() }' "$1"
}

# path_exists GRAPH RE...: a walk along edges whose nodes' labels match
# each RE in turn (extended, case-insensitive).
path_exists() {
	local graph=$1
	shift
	awk -v pats="$(printf '%s\n' "$@")" '
	BEGIN { np = split(pats, p, "\n"); if (p[np] == "") np-- }
	$1 == "N" { id = $2; $1 = ""; $2 = ""; lab[id] = tolower($0) }
	$1 == "E" { edge[$2, $3] = 1; from[++ne] = $2; to[ne] = $3 }
	END {
		for (id in lab) if (lab[id] ~ tolower(p[1])) cur[id] = 1
		for (k = 2; k <= np; k++) {
			delete nxt
			for (i = 1; i <= ne; i++)
				if ((from[i] in cur) && lab[to[i]] ~ tolower(p[k]))
					nxt[to[i]] = 1
			delete cur
			for (id in nxt) cur[id] = 1
		}
		for (id in cur) exit 0
		exit 1
	}' <<<"$graph"
}

for name in "${dots[@]}"; do
	svg=$build/docs/$name.svg
	[[ -s $svg ]] || fail "$svg was not drawn (the diagrams target)"
	[[ ! $src/docs/$name.dot -nt $svg ]] || fail "$svg is older than docs/$name.dot"
	head -c 4096 "$svg" | grep -q '<svg' || fail "$svg is not SVG"
	tail -c 64 "$svg" | grep -q '</svg>' || fail "$svg is cut short"
	graph=$(svg_graph "$svg")
	# The node statements of the source: "id [label=...", at a line's start.
	mapfile -t ids < <(sed -n -E 's/^[[:space:]]*([a-z][a-z0-9_]*) \[label=.*/\1/p' \
	    "$src/docs/$name.dot")
	[[ ${#ids[@]} -ge 5 ]] || fail "docs/$name.dot declares ${#ids[@]} nodes"
	for id in "${ids[@]}"; do
		grep -q -x -E "N $id .*" <<<"$graph" ||
		    fail "$svg has no node $id of docs/$name.dot"
	done
	[[ $(grep -c '^E ' <<<"$graph") -ge $(( ${#ids[@]} - 1 )) ]] ||
	    fail "$svg has $(grep -c '^E ' <<<"$graph") edges for ${#ids[@]} nodes"
	pass "$name.svg: drawn from docs/$name.dot, its ${#ids[@]} nodes all there"
done

graph=$(svg_graph "$build/docs/packet-path.svg")
path_exists "$graph" 'tun' 'guard' 'queue' 'data process' 'udp' ||
    fail "packet-path.svg has no path tun -> guard -> queue -> data process -> UDP"
path_exists "$graph" 'udp' 'data process' 'tun' ||
    fail "packet-path.svg has no path UDP -> data process -> tun"
pass "packet-path.svg: tun -> guard -> queue -> data process -> UDP, and UDP -> data process -> tun"
graph=$(svg_graph "$build/docs/processes.svg")
path_exists "$graph" 'tun' 'guard' 'queue|mq' 'data' ||
    fail "processes.svg has no path tun -> guard -> queue -> data"
pass "processes.svg: tun -> guard -> queue -> data"
