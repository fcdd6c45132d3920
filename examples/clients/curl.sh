#!/bin/sh
# curl with --retry, as many scripts call an API: it retries 408, 429, 500,
# 502, 503 and 504 whatever the code (POST too), honours Retry-After, backs
# off from 1 s doubling, and sends no Idempotency-Key.
exec curl -sS --fail-with-body --retry 3 --retry-max-time 30 -X "$ERRATA_METHOD" \
	-H 'Content-Type: application/json' --data "$ERRATA_BODY" "$ERRATA_BASE_URL$ERRATA_PATH"
