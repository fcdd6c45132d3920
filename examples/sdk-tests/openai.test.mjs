// A worked example: the openai SDK's own kind of test (node:test) judged by
// errata's verdict engine over HTTP. Start the mock, then run the tests:
//
//   errata serve --listen 127.0.0.1:8080 &
//   ERRATA_MOCK_URL=http://127.0.0.1:8080 node --test examples/sdk-tests/openai.test.mjs
//
// Each test creates one scenario of the openai contract's client suite,
// points a real client at the scenario's own base path (no header needed),
// makes an ordinary SDK call, reports how the call ended and asserts on
// the verdicts: the same checks and evidence errata client gives.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const dir = process.env.ERRATA_SDK_DIR || new URL('../../tests/node/', import.meta.url).pathname;
const OpenAI = createRequire(dir + 'package.json')('openai');
const MOCK = process.env.ERRATA_MOCK_URL || 'http://127.0.0.1:8080';

async function admin(method, path, body) {
  const r = await fetch(MOCK + '/__errata' + path, {
    method,
    headers: body ? { 'content-type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const doc = await r.json();
  if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${doc.detail}`);
  return doc;
}

// Run `call(baseURL)` in scenario `name` of the suite; its verdicts.
async function judged(name, call) {
  const sc = await admin('POST', '/scenarios', { contract: 'openai', suite: name });
  let ok = true, output;
  try {
    output = JSON.stringify(await call(MOCK + sc.base_path + '/v1'));
  } catch (err) {
    ok = false;
    output = `${err.constructor.name} ${err.status}: ${err.message} ${JSON.stringify(err.error ?? null)}`;
  }
  await admin('POST', `/scenarios/${sc.id}/outcome`, { ok, output });
  const verdicts = await admin('GET', `/scenarios/${sc.id}/verdicts`);
  await admin('DELETE', `/scenarios/${sc.id}`);
  return verdicts;
}

const failures = (v) => v.checks.filter((c) => c.outcome === 'fail' || c.outcome === 'error')
  .map((c) => `${c.id}: ${c.message}`).join('\n');

const chat = (baseURL) => new OpenAI({ apiKey: 'sk-errata-example', baseURL })
  .chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });

// the scenarios wait (3 s for a Retry-After): run them side by side
describe('the openai SDK handles the documented errors', { concurrency: true }, () => {
  for (const name of [
    'retry rate_limit_exceeded',
    'retry rate_limit_exceeded (HTTP-date)',
    'retry server_error',
    'no retry invalid_service_tier',
    'no retry rate_limit_exceeded (x-should-retry: false)',
    'fault TRUNCATED_BODY',
  ]) {
    it(name, async () => {
      const v = await judged(name, chat);
      assert.ok(v.passed, failures(v));
      assert.ok(v.checks.some((c) => c.outcome === 'pass'));
    });
  }

  it('retry rate_limit_exceeded: one request, then a retry 3 s later', async () => {
    const v = await judged('retry rate_limit_exceeded', chat);
    const [first, retry] = v.evidence.attempts;
    assert.equal(v.evidence.attempts.length, 2);
    assert.equal(first.status, 429);
    assert.ok(retry.gap_s >= first.wait_s - 0.02, `retried after ${retry.gap_s} s`);
    // the SDK counts its retries in a header of its own
    const count = retry.request_headers.find(([k]) => k.toLowerCase() === 'x-stainless-retry-count');
    assert.equal(count?.[1], '1');
  });
});
