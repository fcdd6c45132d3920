// The openai SDK (pinned in tests/node), as shipped: its default retries
// (2, on 408, 409, 429 and 5xx, and on connection errors, reading
// retry-after-ms, then Retry-After, obeying x-should-retry), one POST.
import { require, ERRATA_BASE_URL, ERRATA_PATH, body, fail, done } from './sdk_common.mjs';

const OpenAI = require('openai');
const client = new OpenAI({ apiKey: process.env.OPENAI_API_KEY || 'sk-errata-test', baseURL: ERRATA_BASE_URL });
client.post(ERRATA_PATH, { body }).then(done, fail);
