// fetch (Node's built-in) with the retry rules of got, Node's popular HTTP
// client: 2 retries on 408, 413, 429, 500, 502, 503, 504, 521, 522, 524 for
// GET, PUT, HEAD, DELETE, OPTIONS and TRACE (never POST), Retry-After
// honoured, else 1 s doubling. No Idempotency-Key.
const RETRY_STATUSES = new Set([408, 413, 429, 500, 502, 503, 504, 521, 522, 524]);
const RETRY_METHODS = new Set(['GET', 'PUT', 'HEAD', 'DELETE', 'OPTIONS', 'TRACE']);
const { ERRATA_BASE_URL, ERRATA_PATH, ERRATA_METHOD, ERRATA_BODY } = process.env;
const sleep = ms => new Promise(r => setTimeout(r, ms));

function retryAfterMs(v) {
  if (v == null) return null;
  if (/^\d+$/.test(v.trim())) return Number(v) * 1000;
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : Math.max(0, t - Date.now());
}

for (let attempt = 1; ; attempt++) {
  let res;
  try {
    res = await fetch(ERRATA_BASE_URL + ERRATA_PATH, {
      method: ERRATA_METHOD, body: ERRATA_BODY, headers: { 'content-type': 'application/json' },
      signal: AbortSignal.timeout(10000),
    });
  } catch (err) {
    console.error(`error: ${err.cause?.code || err.message}`);
    process.exit(1);
  }
  let text;
  try {
    text = await res.text(); // a truncated body throws here, as got's ReadError does
  } catch (err) {
    console.error(`error: the body could not be read: ${err.cause?.code || err.message}`);
    process.exit(1);
  }
  if (res.ok) {
    console.log(text);
    process.exit(0);
  }
  if (attempt > 2 || !RETRY_STATUSES.has(res.status) || !RETRY_METHODS.has(ERRATA_METHOD)) {
    console.error(`error ${res.status}: ${text}`);
    process.exit(1);
  }
  await sleep(retryAfterMs(res.headers.get('retry-after')) ?? 1000 * 2 ** (attempt - 1));
}
