#!/usr/bin/env bash
# The fuzzers' seeds in tests/fuzz/corpus are what mkcorpus writes today:
# a seed built with an old encoder (a message or a stats table that has
# grown since) no longer reaches the code it was written for. Every file
# mkcorpus writes must be in the repository, byte for byte. Files it does
# not write are not judged: the hand-made offload seeds (tcp4-tso is over
# mkcorpus's 4 KiB) and conf/fixed-null-dump.
#
#   tests/unit/test_corpus.sh SOURCE_DIR MKCORPUS
set -euo pipefail

prog=test_corpus
fail() { printf '%s: FAIL - %s\n' "$prog" "$*" >&2; exit 1; }

[[ $# -eq 2 ]] || fail "usage: $0 SOURCE_DIR MKCORPUS"
corpus=$1/tests/fuzz/corpus
[[ -d $corpus ]] || fail "no corpus in $corpus"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$2" "$tmp/corpus" || fail "mkcorpus failed"

stale=() n=0
while IFS= read -r -d '' f; do
	rel=${f#"$tmp/corpus/"}
	n=$((n + 1))
	cmp -s "$f" "$corpus/$rel" || stale+=("$rel")
done < <(find "$tmp/corpus" -type f -print0)
((n > 0)) || fail "mkcorpus wrote no seed"
((${#stale[@]} == 0)) ||
    fail "${#stale[@]} of $n seeds are stale or missing: ${stale[*]}" \
	"(rewrite them: build/tests/fuzz/mkcorpus tests/fuzz/corpus)"
printf '%s: ok - the %d seeds mkcorpus writes are in the repository as written\n' "$prog" "$n"
