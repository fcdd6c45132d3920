#!/bin/sh
# Every fuzz target replays its committed seed corpus and its regression
# inputs (one per crash ever found), built with the ordinary compiler: under
# make check, with AddressSanitizer and UBSan. make fuzz searches for more.
set -u
: "${FUZZ_DRIVERS:=build/t}"
n=0 failed=0
echo "TAP version 13"
for src in fuzz/fuzz_*.c; do
	t=$(basename "$src" .c)
	dirs="fuzz/corpus/$t"
	[ -d "fuzz/regressions/$t" ] && [ -n "$(ls "fuzz/regressions/$t")" ] && dirs="$dirs fuzz/regressions/$t"
	n=$((n+1))
	# shellcheck disable=SC2086
	if out=$(timeout 300 "$FUZZ_DRIVERS/$t" $dirs 2>&1) && ! echo "$out" | grep -q '^not ok'; then
		echo "ok $n - $t: $(echo "$out" | grep -c '^ok') folders replayed ($(echo "$out" | sed -n 's/.*: \([0-9]*\) inputs.*/\1/p' | awk '{s+=$1} END {print s+0}') inputs)"
	else
		echo "not ok $n - $t"
		echo "$out" | tail -5 | sed 's/^/# /'
		failed=$((failed+1))
	fi
done
echo "1..$n"
[ $failed = 0 ]
