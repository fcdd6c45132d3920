// An SDK's generated test suite in miniature, shaped as openai-node's
// tests/api-resources are: a client per test at the SDK's default base URL
// (TEST_API_BASE_URL overrides it), an ordinary call per operation, and a
// call to a path no operation has, which must fail as NotFoundError. Run
// against errata serve given the OpenAPI description itself:
//
//   errata serve ../shared/openapi/openai.yaml --listen 127.0.0.1:4010 &
//   node --test examples/sdk-tests/openai-suite.test.mjs
//
// and with chaos (20% of requests get a retryable error; each is judged,
// GET /__errata/report): errata serve SPEC --inject rate=20% ...
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const dir = process.env.ERRATA_SDK_DIR || new URL('../../tests/node/', import.meta.url).pathname;
const OpenAI = createRequire(dir + 'package.json')('openai');
const { toFile } = createRequire(dir + 'package.json')('openai/uploads');
const client = () => new OpenAI({
  apiKey: 'My API Key',
  baseURL: process.env.TEST_API_BASE_URL ?? 'http://127.0.0.1:4010',
});

describe('resource models', () => {
  test('list', async () => {
    const page = await client().models.list();
    assert.ok(Array.isArray(page.data));
  });
  test('retrieve', async () => {
    const model = await client().models.retrieve('gpt-4o-mini');
    assert.equal(typeof model.id, 'string');
    assert.equal(model.object, 'model');
  });
  test('retrieve: request options and params are passed correctly', async () => {
    await assert.rejects(client().models.retrieve('gpt-4o-mini', { path: '/_stainless_unknown_path' }),
      OpenAI.NotFoundError);
  });
});

describe('resource chat.completions', () => {
  test('create: only required params', async () => {
    const p = client().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    const raw = await p.asResponse();
    assert.ok(raw instanceof Response);
    const c = await p;
    assert.equal(c.object, 'chat.completion');
    assert.ok(Array.isArray(c.choices));
  });
});

describe('resource embeddings', () => {
  test('create', async () => {
    const e = await client().embeddings.create({ model: 'text-embedding-3-small', input: 'hello' });
    assert.equal(e.object, 'list');
  });
});

describe('resource files', () => {
  test('create: a multipart upload', async () => {
    const f = await client().files.create({
      file: await toFile(Buffer.from('{"prompt":"a"}\n'), 'data.jsonl'),
      purpose: 'fine-tune',
    });
    assert.equal(typeof f.id, 'string');
  });
  test('content: a binary download', async () => {
    const r = await client().files.content('file-abc');
    assert.ok(r instanceof Response);
    await r.arrayBuffer();
  });
  test('delete', async () => {
    const d = await client().files.delete('file-abc');
    assert.equal(typeof d.deleted, 'boolean');
  });
});

describe('resource moderations', () => {
  test('create', async () => {
    const m = await client().moderations.create({ input: 'text' });
    assert.ok(Array.isArray(m.results));
  });
});

describe('resource batches', () => {
  test('list: request options and params are passed correctly', async () => {
    await assert.rejects(client().batches.list({ limit: 1 }, { path: '/_stainless_unknown_path' }),
      OpenAI.NotFoundError);
  });
  test('create', async () => {
    const b = await client().batches.create({
      completion_window: '24h', endpoint: '/v1/chat/completions', input_file_id: 'file-abc',
    });
    assert.equal(b.object, 'batch');
  });
});
