// The openai SDK (pinned in tests/node), as shipped: its default retries
// (2, on 408, 409, 429 and 5xx, and on connection errors, reading
// retry-after-ms, then Retry-After, obeying x-should-retry), one request.
// With ERRATA_STREAM=1 it streams: the SDK's own stream parser
// (src/core/streaming.ts) reads the events, as chat.completions.create
// ({stream: true}) does.
import { require, ERRATA_BASE_URL, ERRATA_METHOD, ERRATA_PATH, ERRATA_STREAM, body, fail, done, drain } from './sdk_common.mjs';

const OpenAI = require('openai');
const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY || 'sk-errata-test', baseURL: ERRATA_BASE_URL });
// the operation errata client asks for (--operation): the SDK's own verbs
const call = client[(ERRATA_METHOD || 'POST').toLowerCase()](ERRATA_PATH, { body, stream: ERRATA_STREAM === '1' });
(ERRATA_STREAM === '1' ? call.then(drain) : call).then(done, fail);
