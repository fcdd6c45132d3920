#!/bin/sh
# errata contract lint and show: bundled contracts lint clean; each broken
# contract in tests/data/broken gives exactly its expected message; exit codes.
set -u
: "${ERRATA:=bin/errata}"
n=0 failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
echo "TAP version 13"

"$ERRATA" contract lint contracts/*.json >"$tmp/out" 2>"$tmp/err"
ok $? "every bundled contract lints clean"
[ ! -s "$tmp/err" ]; ok $? "and prints nothing on stderr"
[ "$(grep -c ": ok (" "$tmp/out")" = "$(ls contracts/*.json | wc -l)" ]; ok $? "every bundled contract reported ok"
"$ERRATA" contract lint tests/data/minimal.json >/dev/null 2>&1; ok $? "the minimal test contract is valid"

for f in tests/data/broken/*.json; do
	name=$(basename "$f" .json)
	"$ERRATA" contract lint "$f" >"$tmp/out" 2>"$tmp/err"; rc=$?
	[ $rc = 1 ] && [ ! -s "$tmp/out" ] && cmp -s "$tmp/err" "tests/data/broken/$name.err"
	ok $? "broken/$name: exit 1 with '$(cat "tests/data/broken/$name.err")'"
	[ $rc = 1 ] && cmp -s "$tmp/err" "tests/data/broken/$name.err" || { echo "# exit $rc; got:"; sed 's/^/#   /' "$tmp/err"; }
done

"$ERRATA" contract lint contracts/studio.json tests/data/broken/bad-status.json >"$tmp/out" 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q 'studio.json: ok' "$tmp/out" && grep -q 'bad-status.json:22:32:' "$tmp/err"
ok $? "a valid and an invalid file: both reported, exit 1"
"$ERRATA" contract lint tests/data/no-such.json 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "no-such.json: cannot open contract: No such file or directory" "$tmp/err"
ok $? "a missing file: a clear message, exit 1"
"$ERRATA" contract lint 2>/dev/null; [ $? = 2 ]; ok $? "lint without files: usage error, exit 2"
"$ERRATA" contract frobnicate 2>/dev/null; [ $? = 2 ]; ok $? "unknown subcommand: exit 2"
"$ERRATA" frobnicate 2>/dev/null; [ $? = 2 ]; ok $? "unknown command: exit 2"
"$ERRATA" 2>/dev/null; [ $? = 2 ]; ok $? "no command: exit 2"
for args in "--help" "contract --help" "contract lint --help" "contract show --help"; do
	# shellcheck disable=SC2086
	"$ERRATA" $args >"$tmp/out" 2>&1; rc=$?
	[ $rc = 0 ] && grep -q '^usage: errata' "$tmp/out"; ok $? "errata $args prints usage, exit 0"
done
"$ERRATA" --version | grep -Eq '^errata [0-9]+\.[0-9]+\.[0-9]+$'; ok $? "--version"
"$ERRATA" contract --version | grep -Eq '^errata [0-9]'; ok $? "contract --version"

"$ERRATA" contract show studio >"$tmp/out"; rc=$?
[ $rc = 0 ] && grep -Eq '^STUDIO_1600 +RATE_LIMIT_EXCEEDED +429 +Quota & Credits +Yes\* +rate_limited +Rate limit exceeded' "$tmp/out"
ok $? "show studio: a row per code with name, status, category, retry (inferred *) and message"
[ "$(grep -c '^STUDIO_' "$tmp/out")" = 36 ]; ok $? "show studio: 36 rows"
grep -q '44 error codes across 11 categories' "$tmp/out"; ok $? "show studio: the inconsistency is printed"
"$ERRATA" contract show contracts/breezeblue.json >"$tmp/out"; rc=$?
[ $rc = 0 ] && grep -Eq '^GENERATION_CAPACITY_EXCEEDED +503 +generation +No +capacity' "$tmp/out"
ok $? "show by file: breezeblue's non-retryable 503, documented (no *)"
"$ERRATA" contract show segmenter | grep -Eq '^HTTP_429\* +429 +Yes\* +rate_limited'
ok $? "show segmenter: the status-only 429 entry, its name and retry marked inferred"
"$ERRATA" contract show nosuch 2>"$tmp/err"; rc=$?
[ $rc = 1 ] && grep -q "no bundled contract has the id 'nosuch'; the ids are: .*breezeblue" "$tmp/err"; ok $? "show an unknown id: clear error naming the ids there are, exit 1"
ERRATA_CONTRACTS=$PWD/tests/data "$ERRATA" contract show minimal | grep -q '^NOT_FOUND'
ok $? "ERRATA_CONTRACTS selects the folder ids are looked up in"

echo "1..$n"
[ $failed = 0 ]
