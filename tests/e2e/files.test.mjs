// The Files API as a developer uses it: the official OpenAI Node SDK against batchgate on the local stack
// (moto_server for S3 with SigV4 checks, bedrock-emulator), started from deploy/config.example.yaml.
// spec/openai-batch.md §2 (Files API) and §4 (batch input lines).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';

import { OpenAI, s3sdk } from './lib/deps.mjs';
import { chatLines, chatRequest, writeJsonl } from './lib/jsonl.mjs';
import { createKey, startStack } from './lib/stack.mjs';

const { GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command } = s3sdk;

let stack;
let tmp;
const clients = {};

// An SDK client for `apiKey` that records every request it sends (method, url, headers).
function sdkClient(apiKey) {
  const requests = [];
  const client = new OpenAI({
    baseURL: `${stack.baseURL}/v1`,
    apiKey,
    maxRetries: 0,  // a 5xx must fail the test, not be retried away
    fetch: async (url, init = {}) => {
      requests.push({ method: init.method ?? 'GET', url: new URL(String(url)), headers: new Headers(init.headers) });
      return fetch(url, init);
    },
  });
  return { client, requests };
}

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('the request was expected to fail');
}

// Filters by prefix here: moto's SigV4 check rejects the SDK's signature when a query value holds '/'.
async function bucketKeys(prefix = '') {
  const keys = [];
  let token;
  do {
    const page = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, ContinuationToken: token }));
    for (const o of page.Contents ?? []) if (o.Key.startsWith(prefix)) keys.push(o.Key);
    token = page.NextContinuationToken;
  } while (token);
  return keys.sort();
}

async function openMultipartUploads() {
  const r = await stack.s3.send(new ListMultipartUploadsCommand({ Bucket: stack.bucket }));
  return (r.Uploads ?? []).map((u) => u.Key);
}

async function objectText(key) {
  const r = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key }));
  return r.Body.transformToString();
}

async function listAll(client, params = {}) {
  const ids = [];
  for await (const f of client.files.list(params)) ids.push(f.id);
  return ids;
}

const nowSeconds = () => Date.now() / 1000;

// Every field of an OpenAI file object (spec §2.1).
function assertFileObject(f, { bytes, filename, startedAt, endedAt }) {
  assert.match(f.id, /^file-[A-Za-z0-9]+$/);
  assert.equal(f.object, 'file');
  assert.equal(f.bytes, bytes);
  assert.equal(f.filename, filename);
  assert.equal(f.purpose, 'batch');
  assert.equal(f.status, 'processed');
  assert.equal(f.status_details, null);
  assert.ok(Number.isInteger(f.created_at), `created_at ${f.created_at} is unix seconds`);
  assert.ok(f.created_at >= Math.floor(startedAt) && f.created_at <= Math.ceil(endedAt),
    `created_at ${f.created_at} lies within the upload [${startedAt}, ${endedAt}]`);
  assert.equal(f.expires_at, null);
}

async function upload(client, path, extra = {}) {
  return client.files.create({ file: createReadStream(path), purpose: 'batch', ...extra });
}

// Uploads `lines` as `name` and returns {file, bytes, path}; the file object is checked field by field.
async function uploadChecked(who, name, lines, extra = {}) {
  const path = join(tmp, name);
  const bytes = await writeJsonl(path, lines);
  const startedAt = nowSeconds();
  const file = await upload(who.client, path, extra);
  assertFileObject(file, { bytes, filename: name, startedAt, endedAt: nowSeconds() });
  return { file, bytes, path };
}

describe('Files API through the OpenAI Node SDK', () => {
  const mine = [];  // the owner's files still stored, as returned by files.create
  let big;

  before(async () => {
    stack = await startStack({ settings: { expired_file_sweep: '1s' } });
    tmp = mkdtempSync(join(tmpdir(), 'batchgate-e2e-files-'));
    clients.owner = sdkClient((await createKey(stack, { key_alias: 'owner' })).key);
    clients.other = sdkClient((await createKey(stack, { key_alias: 'other' })).key);
    clients.novaOnly = sdkClient((await createKey(stack, { models: ['nova-batch'] })).key);
    clients.chatOnly = sdkClient((await createKey(stack, { models: ['claude-batch', 'nova-batch'] })).key);
  });

  after(async () => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (!stack) return;
    const exit = await stack.stop();
    assert.deepEqual(exit, { code: 0, signal: null }, 'batchgate stops cleanly on SIGTERM');
  });

  test('a 50,000-line file streams up chunked and is stored with its Bedrock translation', async () => {
    const { owner } = clients;
    big = await uploadChecked(owner, 'batch-50k.jsonl', chatLines(50_000, 'claude-batch'));
    mine.push(big.file);

    const sent = owner.requests.at(-1);
    assert.equal(sent.method, 'POST');
    assert.equal(sent.url.pathname, '/v1/files');
    assert.match(sent.headers.get('content-type'), /^multipart\/form-data; boundary=/);
    assert.equal(sent.headers.get('content-length'), null, 'the SDK streams the body without a length');

    const keys = await bucketKeys(`files/${big.file.id}/`);
    assert.ok(keys.includes(`files/${big.file.id}/input.jsonl`), `Bedrock input stored: ${keys}`);
    const records = (await objectText(`files/${big.file.id}/input.jsonl`)).trimEnd().split('\n');
    assert.equal(records.length, 50_000);
    const first = JSON.parse(records[0]);
    assert.equal(typeof first.recordId, 'string');
    assert.equal(first.modelInput.anthropic_version, 'bedrock-2023-05-31');
    assert.equal(first.modelInput.max_tokens, 16);
    assert.equal(new Set(records.map((r) => JSON.parse(r).recordId)).size, 50_000, 'recordIds are unique');
  });

  test('files.retrieve returns the same file object', async () => {
    const got = await clients.owner.client.files.retrieve(big.file.id);
    assert.deepEqual(got, big.file);
    assert.match(got._request_id, /^req_/, 'responses carry an x-request-id');
  });

  test('files.content returns exactly the uploaded bytes', async () => {
    const res = await clients.owner.client.files.content(big.file.id);
    assert.equal(res.headers.get('content-length'), String(big.bytes));
    const got = Buffer.from(await res.arrayBuffer());
    assert.equal(got.length, big.bytes);
    assert.ok(got.equals(readFileSync(big.path)), 'downloaded bytes equal the uploaded file');
  });

  test('expires_after sets expires_at relative to created_at', async () => {
    const path = join(tmp, 'expiring.jsonl');
    await writeJsonl(path, chatLines(3, 'claude-batch'));
    const f = await upload(clients.owner.client, path, { expires_after: { anchor: 'created_at', seconds: 3600 } });
    assert.equal(f.expires_at, f.created_at + 3600);
    mine.push(f);
  });

  test('a file past its expires_at is gone: 404, not listed, and the sweep deletes its row and S3 objects', async () => {
    const { owner } = clients;
    const path = join(tmp, 'soon-expired.jsonl');
    await writeJsonl(path, chatLines(3, 'claude-batch', { prefix: 'exp' }));
    const f = await upload(owner.client, path, { expires_after: { anchor: 'created_at', seconds: 3600 } });
    assert.equal((await bucketKeys(`files/${f.id}/`)).length, 2, 'the upload and its Bedrock translation are stored');
    // An hour cannot pass in a test: move the file's expiry into the past in the database itself, as the
    // running batchgate sees it (SQLite in WAL mode takes a second writer).
    const expired = Math.floor(nowSeconds()) - 1;
    execFileSync('python3', ['-c', [
      'import sqlite3, sys',
      'db = sqlite3.connect(sys.argv[1], timeout=30)',
      'changed = db.execute("UPDATE files SET expires_at = ? WHERE id = ?", (int(sys.argv[3]), sys.argv[2])).rowcount',
      'db.commit()',
      'sys.exit(0 if changed == 1 else 1)',
    ].join('\n'), stack.env.BATCHGATE_DB, f.id, String(expired)]);
    let keys = await bucketKeys(`files/${f.id}/`);
    for (let waited = 0; keys.length > 0 && waited < 15_000; waited += 250) {
      await new Promise((done) => setTimeout(done, 250));
      keys = await bucketKeys(`files/${f.id}/`);
    }
    assert.deepEqual(keys, [], 'the sweep deleted both S3 objects');
    for (const call of [() => owner.client.files.retrieve(f.id), () => owner.client.files.content(f.id),
      () => owner.client.files.delete(f.id)]) {
      const err = await rejection(call());
      assert.ok(err instanceof OpenAI.NotFoundError, `404 expected, got ${err}`);
    }
    assert.ok(!(await listAll(owner.client)).includes(f.id), 'not listed');
    const rows = execFileSync('python3', ['-c', [
      'import sqlite3, sys',
      'db = sqlite3.connect(sys.argv[1], timeout=30)',
      'print(db.execute("SELECT count(*) FROM files WHERE id = ?", (sys.argv[2],)).fetchone()[0])',
      'print(db.execute("SELECT count(*) FROM file_records WHERE file_id = ?", (sys.argv[2],)).fetchone()[0])',
    ].join('\n'), stack.env.BATCHGATE_DB, f.id]).toString().trim();
    assert.equal(rows, '0\n0', 'the file row and its record mappings are deleted');
  });

  test('files.list pages with a small limit, filters by purpose and orders by created_at then upload order', async () => {
    const { owner } = clients;
    for (let i = 1; i <= 4; i++) {
      mine.push((await uploadChecked(owner, `small-${i}.jsonl`, chatLines(3, 'claude-batch', { prefix: `s${i}` }))).file);
    }
    // `mine` is in upload order; the stable sort keeps it for files created within the same second.
    const byCreation = [...mine].sort((a, b) => a.created_at - b.created_at);
    const asc = byCreation.map((f) => f.id);
    const desc = [...asc].reverse();

    const before = owner.requests.length;
    assert.deepEqual(await listAll(owner.client, { limit: 2 }), desc, 'default order is newest first');
    const pages = owner.requests.slice(before);
    assert.equal(pages.length, Math.ceil(mine.length / 2), 'one request per page of 2');
    pages.forEach((p, i) => {
      assert.equal(p.url.searchParams.get('limit'), '2');
      assert.equal(p.url.searchParams.get('after'), i === 0 ? null : desc[2 * i - 1], 'cursor = last id of the page');
    });

    assert.deepEqual(await listAll(owner.client, { limit: 2, order: 'asc' }), asc);
    assert.deepEqual(await listAll(owner.client, { limit: 3, order: 'desc', purpose: 'batch' }), desc);
    assert.deepEqual(await listAll(owner.client, { purpose: 'batch_output' }), []);
    assert.deepEqual(await listAll(owner.client, { limit: 2, after: desc[1] }), desc.slice(2));

    const page = await owner.client.files.list({ limit: 2 });
    assert.deepEqual(page.data, byCreation.slice(-2).reverse(), 'list items are the full file objects');
    assert.equal(page.has_more, true);
  });

  test('the list envelope carries object, first_id, last_id and has_more', async () => {
    const get = async (query) => {
      const res = await fetch(`${stack.baseURL}/v1/files?${query}`, {
        headers: { Authorization: `Bearer ${clients.owner.client.apiKey}` },
      });
      assert.equal(res.status, 200);
      return res.json();
    };
    const page = await get('limit=2');
    assert.equal(page.object, 'list');
    assert.equal(page.data.length, 2);
    assert.equal(page.first_id, page.data[0].id);
    assert.equal(page.last_id, page.data[1].id);
    assert.equal(page.has_more, true);
    const all = await get('limit=100');
    assert.equal(all.data.length, mine.length);
    assert.equal(all.has_more, false);
    assert.deepEqual(await get('purpose=batch_output'),
      { object: 'list', data: [], first_id: null, last_id: null, has_more: false });
  });

  test('another key can neither see, download, list nor delete the file', async () => {
    const { other, owner } = clients;
    const id = big.file.id;
    for (const call of [() => other.client.files.retrieve(id), () => other.client.files.content(id),
      () => other.client.files.delete(id)]) {
      const err = await rejection(call());
      assert.ok(err instanceof OpenAI.NotFoundError, `404 expected, got ${err}`);
      assert.equal(err.error?.type, 'invalid_request_error');
    }
    assert.deepEqual(await listAll(other.client), []);
    assert.deepEqual(await owner.client.files.retrieve(id), big.file, 'the owner still has it');
  });

  test('an unknown key is refused with AuthenticationError', async () => {
    const stranger = sdkClient('sk-not-a-key-of-this-gateway');
    const err = await rejection(stranger.client.files.list());
    assert.ok(err instanceof OpenAI.AuthenticationError, `401 expected, got ${err}`);
  });

  test('a key restricted to nova-batch cannot upload a file for claude-batch', async () => {
    const { novaOnly } = clients;
    const path = join(tmp, 'for-claude.jsonl');
    await writeJsonl(path, chatLines(3, 'claude-batch'));
    const err = await rejection(upload(novaOnly.client, path));
    assert.ok(err instanceof OpenAI.BadRequestError, `400 expected, got ${err}`);
    assert.deepEqual(err.error.errors.data.map(({ line, code, param }) => ({ line, code, param })),
      [1, 2, 3].map((line) => ({ line, code: 'model_not_allowed', param: 'body.model' })));
    assert.deepEqual(await listAll(novaOnly.client), []);

    const ok = await uploadChecked(novaOnly, 'for-nova.jsonl', chatLines(3, 'nova-batch'));
    assert.deepEqual(await listAll(novaOnly.client), [ok.file.id]);
  });

  test('a file with bad lines is refused naming every bad line, and nothing of it is stored', async () => {
    const { chatOnly } = clients;
    const lines = [
      chatRequest('c-1', 'claude-batch'),
      '{"custom_id": "c-2", "method": "POST", "url": "/v1/chat/completions"',
      { method: 'POST', url: '/v1/chat/completions', body: chatRequest('x', 'claude-batch').body },
      chatRequest('c-4', 'claude-batch'),
      chatRequest('c-1', 'claude-batch'),
      chatRequest('c-6', 'nova-batch'),
      chatRequest('c-7', 'gpt-4o-mini'),
      chatRequest('c-8', 'titan-embed-batch'),
      chatRequest('c-9', 'claude-batch', { url: '/v1/completions' }),
      chatRequest('c-10', 'claude-batch', { url: '/v1/embeddings' }),
      chatRequest('c-11', 'claude-batch'),
    ];
    const path = join(tmp, 'bad-lines.jsonl');
    await writeJsonl(path, lines);
    const keysBefore = await bucketKeys();

    const err = await rejection(upload(chatOnly.client, path));
    assert.ok(err instanceof OpenAI.BadRequestError, `400 expected, got ${err}`);
    assert.equal(err.error.type, 'invalid_request_error');
    assert.equal(err.error.errors.object, 'list');
    assert.deepEqual(err.error.errors.data.map(({ line, code }) => ({ line, code })), [
      { line: 2, code: 'invalid_json_line' },
      { line: 3, code: 'invalid_custom_id' },
      { line: 5, code: 'duplicate_custom_id' },
      { line: 6, code: 'model_mismatch' },
      { line: 7, code: 'model_not_found' },
      { line: 8, code: 'model_not_allowed' },
      { line: 9, code: 'invalid_url' },
      { line: 10, code: 'url_mismatch' },
    ]);
    for (const e of err.error.errors.data) assert.ok(e.message.length > 0, `line ${e.line} has a message`);
    assert.match(err.error.message, /Line 2: .*Line 10: /s, 'the message names the lines too');

    assert.deepEqual(await bucketKeys(), keysBefore, 'no object was left in the bucket');
    assert.deepEqual(await openMultipartUploads(), [], 'no multipart upload was left open');
    assert.deepEqual(await listAll(chatOnly.client), []);
  });

  test('a 50,000-line file whose last line is bad is refused after parts went to S3, leaving nothing', async () => {
    const { owner } = clients;
    const path = join(tmp, 'bad-last-line.jsonl');
    // ~280 bytes a line: the original and its translation both pass the 8 MiB part size before the bad line.
    await writeJsonl(path, (function* lines() {
      yield* chatLines(49_999, 'claude-batch', { pad: 120 });
      yield '{"custom_id": "last", "method": "POST",';
    })());
    const keysBefore = await bucketKeys();
    const listed = await listAll(owner.client);

    const err = await rejection(upload(owner.client, path));
    assert.ok(err instanceof OpenAI.BadRequestError, `400 expected, got ${err}`);
    assert.deepEqual(err.error.errors.data.map(({ line, code }) => ({ line, code })),
      [{ line: 50_000, code: 'invalid_json_line' }]);
    assert.deepEqual(await bucketKeys(), keysBefore, 'no object was left in the bucket');
    assert.deepEqual(await openMultipartUploads(), [], 'no multipart upload was left open');
    assert.deepEqual(await listAll(owner.client), listed);
  });

  test('target_model_names sent after the file part translates an unconfigured model for claude-batch', async () => {
    const { owner } = clients;
    const lines = [...chatLines(3, 'gpt-4o-mini', { prefix: 'gpt' })];

    const path = join(tmp, 'gpt.jsonl');
    await writeJsonl(path, lines);
    const refused = await rejection(upload(owner.client, path));
    assert.ok(refused instanceof OpenAI.BadRequestError, `400 expected without target_model_names, got ${refused}`);
    assert.deepEqual(refused.error.errors.data.map(({ line, code }) => ({ line, code })),
      [1, 2, 3].map((line) => ({ line, code: 'model_not_found' })));

    const { file, path: sentPath } = await uploadChecked(owner, 'gpt-targeted.jsonl', lines,
      { target_model_names: 'claude-batch' });
    mine.push(file);
    const content = Buffer.from(await (await owner.client.files.content(file.id)).arrayBuffer());
    assert.ok(content.equals(readFileSync(sentPath)), 'content is the original file, model names untouched');

    const records = (await objectText(`files/${file.id}/input.jsonl`)).trimEnd().split('\n').map((l) => JSON.parse(l));
    assert.equal(records.length, 3);
    records.forEach((r, i) => {
      assert.equal(typeof r.recordId, 'string');
      assert.equal(r.modelInput.anthropic_version, 'bedrock-2023-05-31', 'a Claude Messages request');
      assert.equal(r.modelInput.max_tokens, 16);
      assert.deepEqual(JSON.stringify(r.modelInput.system).includes('Answer with one number.'), true);
      assert.equal(r.modelInput.messages.length, 1);
      assert.equal(r.modelInput.messages[0].role, 'user');
      assert.ok(JSON.stringify(r.modelInput.messages[0].content).includes(lines[i].body.messages[1].content));
      assert.equal(r.modelInput.model, undefined, 'no OpenAI model name leaks into the Bedrock record');
    });
  });

  test('the form is checked: only purpose=batch, and purpose is required', async () => {
    const path = join(tmp, 'form.jsonl');
    await writeJsonl(path, chatLines(2, 'claude-batch'));
    const other = await rejection(upload(clients.owner.client, path, { purpose: 'assistants' }));
    assert.ok(other instanceof OpenAI.BadRequestError, `400 expected, got ${other}`);
    assert.equal(other.param, 'purpose');
    assert.equal(other.code, 'unsupported_purpose');
    const missing = await rejection(clients.owner.client.files.create({ file: createReadStream(path) }));
    assert.ok(missing instanceof OpenAI.BadRequestError, `400 expected, got ${missing}`);
    assert.equal(missing.param, 'purpose');
  });

  test('a file without requests is refused as empty_file', async () => {
    for (const [name, text] of [['empty.jsonl', ''], ['blank.jsonl', '\n \n\n']]) {
      const path = join(tmp, name);
      writeFileSync(path, text);
      const err = await rejection(upload(clients.owner.client, path));
      assert.ok(err instanceof OpenAI.BadRequestError, `${name}: 400 expected, got ${err}`);
      assert.equal(err.code, 'empty_file');
      assert.deepEqual(err.error.errors.data.map((e) => e.code), ['empty_file']);
    }
  });

  test('a file of 50,001 requests is refused at line 50,001', async () => {
    const path = join(tmp, 'too-many.jsonl');
    await writeJsonl(path, chatLines(50_001, 'claude-batch'));
    const err = await rejection(upload(clients.owner.client, path));
    assert.ok(err instanceof OpenAI.BadRequestError, `400 expected, got ${err}`);
    assert.deepEqual(err.error.errors.data.map(({ line, code }) => ({ line, code })),
      [{ line: 50_001, code: 'too_many_tasks' }]);
    assert.deepEqual(await openMultipartUploads(), [], 'no multipart upload was left open');
  });

  test('CRLF line endings and a missing final newline are accepted and kept byte for byte', async () => {
    const { owner } = clients;
    const path = join(tmp, 'windows.jsonl');
    writeFileSync(path, [...chatLines(3, 'claude-batch')].map((l) => JSON.stringify(l)).join('\r\n'));
    const bytes = readFileSync(path).length;
    const startedAt = nowSeconds();
    const file = await upload(owner.client, path);
    assertFileObject(file, { bytes, filename: 'windows.jsonl', startedAt, endedAt: nowSeconds() });
    mine.push(file);
    const content = Buffer.from(await (await owner.client.files.content(file.id)).arrayBuffer());
    assert.ok(content.equals(readFileSync(path)));
    const records = (await objectText(`files/${file.id}/input.jsonl`)).trimEnd().split('\n');
    assert.equal(records.length, 3);
  });

  test('target_model_names as an array (sent as target_model_names[]) is accepted too', async () => {
    const { file } = await uploadChecked(clients.owner, 'gpt-array.jsonl', chatLines(2, 'gpt-4o-mini'),
      { target_model_names: ['claude-batch'] });
    mine.push(file);
    const record = JSON.parse((await objectText(`files/${file.id}/input.jsonl`)).split('\n')[0]);
    assert.equal(record.modelInput.anthropic_version, 'bedrock-2023-05-31');
  });

  test('files.list refuses a limit or order it does not serve', async () => {
    for (const [params, param] of [[{ limit: 0 }, 'limit'], [{ limit: 10_001 }, 'limit'], [{ order: 'sideways' }, 'order']]) {
      const err = await rejection(clients.owner.client.files.list(params));
      assert.ok(err instanceof OpenAI.BadRequestError, `${JSON.stringify(params)}: 400 expected, got ${err}`);
      assert.equal(err.param, param);
    }
  });

  test('files.delete removes the file: retrieve, content and delete then answer 404, its objects are gone', async () => {
    const { owner } = clients;
    const id = big.file.id;
    assert.deepEqual(await owner.client.files.delete(id), { id, object: 'file', deleted: true });
    for (const call of [() => owner.client.files.retrieve(id), () => owner.client.files.content(id),
      () => owner.client.files.delete(id)]) {
      const err = await rejection(call());
      assert.ok(err instanceof OpenAI.NotFoundError, `404 expected, got ${err}`);
    }
    assert.deepEqual(await bucketKeys(`files/${id}/`), [], 'its S3 objects are deleted');
    const remaining = await listAll(owner.client);
    assert.ok(!remaining.includes(id));
    assert.equal(remaining.length, mine.length - 1);
  });
});

// The Python SDK and `curl -F purpose=batch -F file=@…` send form fields before the file part; the Node SDK
// sends them after it, in the order of the params object, so these cases put the keys first.
describe('Form fields around the file part', () => {
  let owner;

  before(async () => {
    stack = await startStack();
    tmp = mkdtempSync(join(tmpdir(), 'batchgate-e2e-fields-'));
    owner = sdkClient((await createKey(stack, { key_alias: 'fields' })).key);
  });

  after(async () => {
    if (tmp) rmSync(tmp, { recursive: true, force: true });
    if (stack) await stack.stop();
  });

  // A crash in one case must not hide the outcome of the next.
  beforeEach(async () => {
    if (stack.exitStatus() !== null) await stack.restart();
  });

  test('purpose before the file part is accepted', async () => {
    const path = join(tmp, 'purpose-first.jsonl');
    const bytes = await writeJsonl(path, chatLines(3, 'claude-batch'));
    const startedAt = nowSeconds();
    const file = await owner.client.files.create({ purpose: 'batch', file: createReadStream(path) });
    assertFileObject(file, { bytes, filename: 'purpose-first.jsonl', startedAt, endedAt: nowSeconds() });
    assert.equal(stack.exitStatus(), null, 'batchgate is still running');
  });

  test('target_model_names before the file part translates every line for that model',
    async () => {
      const path = join(tmp, 'target-first.jsonl');
      await writeJsonl(path, chatLines(3, 'gpt-4o-mini'));
      const file = await owner.client.files.create({ target_model_names: 'claude-batch', purpose: 'batch',
        file: createReadStream(path) });
      const records = (await objectText(`files/${file.id}/input.jsonl`)).trimEnd().split('\n');
      assert.equal(records.length, 3);
      assert.equal(JSON.parse(records[0]).modelInput.anthropic_version, 'bedrock-2023-05-31');
      assert.equal(stack.exitStatus(), null, 'batchgate is still running');
    });

  test('an out-of-range expires_after after the file part is a 400, not a crash',
    async () => {
      const path = join(tmp, 'expires.jsonl');
      await writeJsonl(path, chatLines(3, 'claude-batch'));
      const err = await rejection(upload(owner.client, path, { expires_after: { anchor: 'created_at', seconds: 10 } }));
      assert.ok(err instanceof OpenAI.BadRequestError, `400 expected, got ${err}`);
      assert.equal(err.param, 'expires_after.seconds');
      assert.equal(stack.exitStatus(), null, 'batchgate is still running');
    });
});
