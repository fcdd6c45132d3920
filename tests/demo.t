#!/bin/sh
# make demo's script runs end to end: contracts lint, the mock starts, the
# documented errors come back, and the mock stops cleanly.
set -u
: "${ERRATA:=bin/errata}"
n=0 failed=0
ok() { n=$((n+1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; failed=$((failed+1)); fi; }
out=$(mktemp); trap 'rm -f "$out"' EXIT
echo "TAP version 13"
ERRATA=$ERRATA timeout 600 scripts/demo >"$out" 2>&1
ok $? "scripts/demo exits 0"
grep -q 'contracts/studio.json: ok (studio, 36 codes)' "$out"; ok $? "it lints the bundled contracts"
grep -Eq '^listening on http://127\.0\.0\.1:[0-9]+$' "$out"; ok $? "it starts the mock on a free port"
grep -q '^HTTP/1.1 429 Too Many Requests' "$out" && grep -q '"code":"RATE_LIMITED"' "$out"
ok $? "it shows a documented 429 being served"
grep -q '"type":"/__errata/problems/unknown-code"' "$out"; ok $? "it shows the mock's own problem for an unknown code"
for id in breezeblue breezeblue-v1 segmenter genapi studio ledger openai anthropic stripe github digitalocean; do
	grep -Eq "^errata check: $id at .*; [0-9]+ passed, 0 failed, 0 errors" "$out" &&
		[ -s "reports/$id.tap" ] && [ -s "reports/$id.xml" ] && ! grep -q '^    not ok' "reports/$id.tap"
	ok $? "errata check passes for $id and writes reports/$id.tap and reports/$id.xml"
done
grep -q '== the mock stopped cleanly' "$out"; ok $? "the mock stops cleanly"
grep -Eq '^errata client: breezeblue with examples/clients/python_client.py: [0-9]+ scenarios; [0-9]+ passed, 0 failed, 0 errors' "$out"
ok $? "the correct example client passes errata client's standard suite"
grep -q 'curl --retry fails, as expected' "$out" && grep -q 'no retry GENERATION_CAPACITY_EXCEEDED' reports/client-curl.tap &&
	grep -Eq '^    not ok [0-9]+ - no-retry.one-attempt' reports/client-curl.tap
ok $? "curl --retry fails it, retrying GENERATION_CAPACITY_EXCEEDED"
grep -Eq '^errata client: openai with node examples/clients/sdk_openai.mjs: [0-9]+ scenarios; [0-9]+ passed, 1 failed, 0 errors' "$out" &&
	grep -q 'errata client: the openai SDK passes every check but one' "$out"
ok $? "the openai SDK passes the openai suite but its stalled stream (its timeout ends with the head)"
grep -q 'octokit fails, as its source implies' "$out" && grep -q 'retry primary_rate_limit_403' reports/sdk-octokit.tap
ok $? "octokit fails the github suite, not retrying a 403 rate limit"
grep -Eq '^errata proxy: 3 forwarded, 2 injected, 0 upstream failures; 1 upstream error responses judged, 1 broke the contract$' "$out" &&
	grep -Eq '^    not ok [0-9]+ - envelope.shape' reports/proxy.tap && [ -s reports/proxy.xml ] && [ -s reports/proxy.json ]
ok $? "errata proxy forwards, injects, and judges the upstream's broken 429 (reports/proxy.tap, .xml, .json)"
grep -Eq '^  retry.waited +pass$' "$out" && grep -Eq '^  retry.attempted +pass$' "$out"
ok $? "the openai SDK's retry through the proxy gets its verdicts"
grep -q 'warning: the page says "Complete reference of 44 error codes' "$out" && grep -q '^studio -> studio: 0 changes, 0 breaking' "$out"
ok $? "it imports studio's page to the bundled contract, warning of its 44-vs-36 codes"
grep -q '^ok       + DISPATCH_TIMEOUT added' "$out" && grep -q '^breezeblue-v1 -> breezeblue: 2 changes, 0 breaking' "$out"
ok $? "it diffs breezeblue-v1 and breezeblue: two codes added, nothing breaking"
grep -q '^| out-of-credit | 403 | No | insufficient_credits | You do not have enough credit. |' reports/ledger.md && grep -q '<td>out-of-credit</td>' reports/ledger.html
ok $? "it renders the ledger reference page"
[ $failed = 0 ] || sed 's/^/# /' "$out" | tail -20
echo "1..$n"
[ $failed = 0 ]
