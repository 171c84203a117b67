// The Batches API as a developer uses it: the official OpenAI Node SDK against batchgate on the local stack
// (moto_server for S3, bedrock-emulator), from deploy/config.example.yaml with 1–2 s poll intervals.
// spec/openai-batch.md §3 (Batch API) and §5 (output and error files); deploy/bedrock-emulator/README.md for the
// knobs that make Bedrock fail records, run slowly or refuse jobs.
//
// Tests that leave the emulator's knobs alone run at once (separate keys); the ones that turn knobs, and the
// kill-and-restart test that counts the emulator's jobs, run one after the other once those are done.
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  assertBatchKeys, assertChatCompletion, assertCompletedTimestamps, assertCompletingProgression, assertEachRequestOnce,
  assertEmbeddingList, assertLineEnvelope, assertNewBatch, assertSuccessLine, bedrockManifest, closeTo, fileLines,
  kTerminal, waitForBatch as waitFor,
} from './lib/batches.mjs';
import { OpenAI } from './lib/deps.mjs';
import { emulatorStats, withKnobs } from './lib/emulator.mjs';
import { chatLines, writeJsonl } from './lib/jsonl.mjs';
import { createKey, startStack } from './lib/stack.mjs';

// Batch prices per token: deploy/config.example.yaml leaves *_cost_per_token_batches unset, so they default to
// half the on-demand prices it gives.
const kBatchPrices = {
  'claude-batch': { input: 0.00000025 / 2, output: 0.00000125 / 2 },
  'titan-embed-batch': { input: 0.00000002 / 2, output: 0 },
};

let stack;
let tmp;

function sdk(apiKey) {
  return new OpenAI({ baseURL: `${stack.baseURL}/v1`, apiKey, maxRetries: 0 });
}

async function newClient(body = {}) {
  const info = await createKey(stack, body);
  return { key: info.key, client: sdk(info.key) };
}

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('the request was expected to fail');
}

async function notFound(promise, what) {
  const err = await rejection(promise);
  assert.ok(err instanceof OpenAI.NotFoundError, `${what}: expected a 404, got ${err.status} ${err.message}`);
  assert.equal(err.status, 404);
}

async function uploadLines(client, name, lines) {
  const path = join(tmp, name);
  await writeJsonl(path, lines);
  return client.files.create({ file: createReadStream(path), purpose: 'batch' });
}

function createBatch(client, fileId, { endpoint = '/v1/chat/completions', metadata, outputExpiresAfter } = {}) {
  return client.batches.create({ input_file_id: fileId, endpoint, completion_window: '24h', metadata,
    output_expires_after: outputExpiresAfter });
}

// batches.retrieve until `until(batch)` holds (lib/batches.mjs), quoting batchgate's log on a timeout.
function waitForBatch(client, id, options = {}) {
  return waitFor(client, id, { logTail: stack.stderr, ...options });
}

async function admin(method, path, body) {
  const res = await fetch(`${stack.baseURL}${path}`, {
    method,
    headers: { Authorization: `Bearer ${stack.masterKey}`, 'Content-Type': 'application/json' },
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  assert.equal(res.status, 200, `${method} ${path}: ${text}`);
  return JSON.parse(text);
}

async function listAll(page) {
  const items = [];
  for await (const item of page) items.push(item);
  return items;
}

const range = (n) => Array.from({ length: n }, (_, i) => i + 1);

before(async () => {
  stack = await startStack({ settings: { poll_interval_min: '1s', poll_interval_max: '2s', budget_reset_sweep: '1s' } });
  tmp = mkdtempSync(join(tmpdir(), 'batchgate-e2e-batches-'));
});

after(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (!stack) return;
  const exit = await stack.stop();
  assert.deepEqual(exit, { code: 0, signal: null }, 'batchgate stops cleanly on SIGTERM');
});

describe('batches with the emulator as configured', { concurrency: true }, () => {
  test('a 120-request chat batch completes with every result, usage, spend and a spend log row', async (t) => {
    const { key, client } = await newClient({ key_alias: 'happy', max_budget: 1 });
    const file = await uploadLines(client, 'chat-120.jsonl', chatLines(120, 'claude-batch', { prefix: 'chat' }));
    const metadata = { project: 'e2e', purpose: 'happy path' };
    const startedAt = Date.now() / 1000;
    const created = await createBatch(client, file.id, { metadata });
    assertNewBatch(created, { fileId: file.id, endpoint: '/v1/chat/completions', metadata, model: 'claude-batch',
      startedAt });
    assert.ok([0, 120].includes(created.request_counts.total), `total ${created.request_counts.total}`);

    const { batch, statuses } = await waitForBatch(client, created.id);
    t.diagnostic(`status progression: ${statuses.join(' → ')}`);
    assertCompletingProgression(statuses);
    assertBatchKeys(batch);
    assertCompletedTimestamps(batch);
    assert.equal(batch.created_at, created.created_at);
    assert.deepEqual(batch.metadata, metadata);
    assert.equal(batch.errors, null);
    assert.match(batch.output_file_id, /^file-/);

    const out = await fileLines(client, batch.output_file_id);
    const err = await fileLines(client, batch.error_file_id);
    assertEachRequestOnce(out, err, range(120).map((i) => `chat-${i}`));
    for (const line of out) {
      assertSuccessLine(line);
      assertChatCompletion(line.response.body, 'claude-batch');
    }
    assert.equal(new Set(out.map((l) => l.id)).size, out.length, 'line ids are unique');
    assert.equal(err.length, 0, `no errors without injected faults: ${JSON.stringify(err[0])}`);

    const outFile = await client.files.retrieve(batch.output_file_id);
    assert.equal(outFile.purpose, 'batch_output');
    assert.equal(outFile.bytes, Buffer.byteLength(await (await client.files.content(outFile.id)).text()));

    const inputTokens = out.reduce((s, l) => s + l.response.body.usage.prompt_tokens, 0);
    const outputTokens = out.reduce((s, l) => s + l.response.body.usage.completion_tokens, 0);
    assert.deepEqual(batch.request_counts, { total: 120, completed: out.length, failed: err.length });
    assert.equal(batch.usage.input_tokens, inputTokens);
    assert.equal(batch.usage.output_tokens, outputTokens);
    assert.deepEqual(batch.usage, { input_tokens: inputTokens, input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens, output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens });

    const manifest = await bedrockManifest(stack, batch.id);
    assert.equal(manifest.totalRecordCount, 120);
    assert.equal(manifest.successRecordCount, batch.request_counts.completed);
    assert.equal(manifest.errorRecordCount, batch.request_counts.failed);
    assert.equal(manifest.inputTokenCount, batch.usage.input_tokens);
    assert.equal(manifest.outputTokenCount, batch.usage.output_tokens);

    const price = kBatchPrices['claude-batch'];
    const cost = inputTokens * price.input + outputTokens * price.output;
    const { info } = await admin('GET', `/key/info?key=${encodeURIComponent(key)}`);
    assert.ok(info.spend > 0);
    closeTo(info.spend, cost, 'key spend = tokens × batch prices');
    const logs = await admin('GET', '/spend/logs');
    const rows = logs.data.filter((r) => r.batch_id === batch.id);
    assert.equal(rows.length, 1, 'one spend log row for the batch');
    assert.equal(rows[0].model, 'claude-batch');
    assert.equal(rows[0].prompt_tokens, inputTokens);
    assert.equal(rows[0].completion_tokens, outputTokens);
    assert.equal(rows[0].total_tokens, inputTokens + outputTokens);
    closeTo(rows[0].spend, cost, 'spend log row');

    // Once the key's spend exceeds its max_budget, new batches are refused.
    await admin('POST', '/key/update', { key, max_budget: cost / 2 });
    const refused = await rejection(createBatch(client, file.id));
    assert.ok(refused instanceof OpenAI.BadRequestError, `${refused.status} ${refused.message}`);
    assert.equal(refused.code, 'budget_exceeded');
  });

  test('a running batch holds its maximum cost against the budget; the real spend frees the rest', async () => {
    // 100 requests × max_tokens 4000 at the batch output price: ~0.25 USD reserved per batch (input adds
    // well under 0.01); the emulator's answers cost a small fraction of that.
    const { key, client } = await newClient({ key_alias: 'reserving', max_budget: 0.4 });
    const lines = [...chatLines(100, 'claude-batch', { prefix: 'res' })].map((l) => ({ ...l,
      body: { ...l.body, max_tokens: 4000 } }));
    const file = await uploadLines(client, 'reserving-100.jsonl', lines);
    const first = await createBatch(client, file.id);
    const refused = await rejection(createBatch(client, file.id));
    assert.ok(refused instanceof OpenAI.BadRequestError, `${refused.status} ${refused.message}`);
    assert.equal(refused.code, 'budget_exceeded');
    assert.match(refused.message, /may cost up to 0\.25\d+ USD.*reserve 0\.25\d+ of its max_budget of 0\.4/);
    const done = (await waitForBatch(client, first.id)).batch;
    assert.equal(done.status, 'completed');
    const { info } = await admin('GET', `/key/info?key=${encodeURIComponent(key)}`);
    assert.ok(info.spend > 0 && info.spend < 0.05, `real spend ${info.spend}`);
    // The reservation went with the batch: the same batch fits again.
    const second = await createBatch(client, file.id);
    assert.equal((await waitForBatch(client, second.id)).batch.status, 'completed');
  });

  test('a team budget stops a key of the team that has no budget of its own; users get keys', async () => {
    const team = await admin('POST', '/team/new', { team_alias: 'red team', max_budget: 0.1 });
    assert.ok(team.team_id, JSON.stringify(team));
    const { client } = await newClient({ key_alias: 'team-member', team_id: team.team_id });
    const lines = [...chatLines(100, 'claude-batch', { prefix: 'team' })].map((l) => ({ ...l,
      body: { ...l.body, max_tokens: 4000 } }));
    const file = await uploadLines(client, 'team-100.jsonl', lines);
    const refused = await rejection(createBatch(client, file.id));
    assert.equal(refused.code, 'budget_exceeded');
    assert.match(refused.message, new RegExp(`team '${team.team_id}' has spent 0\\.0+ .* max_budget of 0\\.1`));
    await admin('POST', '/team/update', { team_id: team.team_id, max_budget: 1 });
    const batch = (await waitForBatch(client, (await createBatch(client, file.id)).id)).batch;
    assert.equal(batch.status, 'completed');
    const info = await admin('GET', `/team/info?team_id=${team.team_id}`);
    closeTo(info.team_info.spend, batch.usage.input_tokens * kBatchPrices['claude-batch'].input +
      batch.usage.output_tokens * kBatchPrices['claude-batch'].output, 'the team is charged its keys\' spend');
    assert.equal(info.keys.length, 1);
    assert.deepEqual((await admin('GET', `/spend/logs?team_id=${team.team_id}`)).data.map((r) => r.batch_id),
      [batch.id]);

    const user = await admin('POST', '/user/new', { user_alias: 'ana', max_budget: 2 });
    assert.match(user.key, /^sk-/, 'LiteLLM\'s /user/new hands out a key');
    const userInfo = await admin('GET', `/user/info?user_id=${user.user_id}`);
    assert.equal(userInfo.user_info.max_budget, 2);
    assert.equal(userInfo.keys[0].user_id, user.user_id);
    const members = await fetch(`${stack.baseURL}/team/new`, { method: 'POST',
      headers: { Authorization: `Bearer ${stack.masterKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ team_alias: 'x', members_with_roles: [] }) });
    assert.equal(members.status, 400);
    assert.equal((await members.json()).error.param, 'members_with_roles');
  });

  test('budget_duration resets the spend on schedule; rpm_limit is refused, not ignored', async () => {
    const created = await createKey(stack, { key_alias: 'periodic', budget_duration: '2s' });
    assert.equal(created.budget_duration, '2s');
    const key = created.key;
    const client = sdk(key);
    const file = await uploadLines(client, 'periodic-100.jsonl', chatLines(100, 'claude-batch', { prefix: 'p' }));
    const batch = (await waitForBatch(client, (await createBatch(client, file.id)).id)).batch;
    assert.equal(batch.status, 'completed');
    const [row] = (await admin('GET', `/spend/logs?api_key=${encodeURIComponent(key)}`)).data;
    assert.ok(row.spend > 0, 'the batch was charged to the key');
    // The spend is charged, then reset when the period ends; the next reset is one period on.
    let info;
    for (let i = 0; i < 50; i++) {
      info = (await admin('GET', `/key/info?key=${encodeURIComponent(key)}`)).info;
      if (info.spend === 0 && Date.parse(info.budget_reset_at) > batch.completed_at * 1000) break;
      await sleep(200);
    }
    assert.equal(info.spend, 0, 'spend reset after budget_duration');
    assert.ok(Date.parse(info.budget_reset_at) > Date.parse(created.budget_reset_at), 'the next reset is later');
    // The spend log keeps what earlier periods spent.
    assert.equal((await admin('GET', `/spend/logs?api_key=${encodeURIComponent(key)}`)).data.length, 1);

    const res = await fetch(`${stack.baseURL}/key/generate`, { method: 'POST',
      headers: { Authorization: `Bearer ${stack.masterKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ models: ['claude-batch'], rpm_limit: 10 }) });
    assert.equal(res.status, 400);
    const err = (await res.json()).error;
    assert.equal(err.param, 'rpm_limit');
    assert.match(err.message, /not supported/);
  });

  test('an embeddings batch with list inputs completes with one embedding per input', async () => {
    const { key, client } = await newClient({ key_alias: 'embeddings' });
    const lines = range(60).map((i) => ({
      custom_id: `emb-${i}`,
      method: 'POST',
      url: '/v1/embeddings',
      body: { model: 'titan-embed-batch', input: [`first text number ${i}`, `second, longer text number ${i} here`] },
    }));
    const file = await uploadLines(client, 'emb-60.jsonl', lines);
    const startedAt = Date.now() / 1000;
    const created = await createBatch(client, file.id, { endpoint: '/v1/embeddings' });
    assertNewBatch(created, { fileId: file.id, endpoint: '/v1/embeddings', model: 'titan-embed-batch', startedAt });

    const { batch, statuses } = await waitForBatch(client, created.id);
    assertCompletingProgression(statuses);
    assertCompletedTimestamps(batch);
    const out = await fileLines(client, batch.output_file_id);
    const err = await fileLines(client, batch.error_file_id);
    assertEachRequestOnce(out, err, range(60).map((i) => `emb-${i}`));
    assert.equal(err.length, 0, `no errors: ${JSON.stringify(err[0])}`);
    for (const line of out) {
      assertSuccessLine(line);
      assertEmbeddingList(line.response.body, 'titan-embed-batch', 2);
    }
    const inputTokens = out.reduce((s, l) => s + l.response.body.usage.prompt_tokens, 0);
    assert.deepEqual(batch.request_counts, { total: 60, completed: 60, failed: 0 });
    assert.equal(batch.usage.input_tokens, inputTokens);
    assert.equal(batch.usage.output_tokens, 0);

    const manifest = await bedrockManifest(stack, batch.id);
    assert.equal(manifest.totalRecordCount, 120, 'one Bedrock record per input');
    assert.equal(manifest.successRecordCount, 120);
    assert.equal(manifest.inputTokenCount, inputTokens);

    const { info } = await admin('GET', `/key/info?key=${encodeURIComponent(key)}`);
    closeTo(info.spend, inputTokens * kBatchPrices['titan-embed-batch'].input, 'key spend');
  });

  test('a model without on_demand_fallback refuses a file with fewer records than Bedrock accepts', async () => {
    const { client } = await newClient({ key_alias: 'too-few' });
    const file = await uploadLines(client, 'chat-5.jsonl', chatLines(5, 'nova-batch'));
    const err = await rejection(createBatch(client, file.id));
    assert.ok(err instanceof OpenAI.BadRequestError, `${err.status} ${err.message}`);
    assert.equal(err.status, 400);
    assert.match(err.message, /\b100\b/, 'names the minimum');
    assert.match(err.message, /min_batch_records/, 'names the setting');
    assert.match(err.message, /on_demand_fallback/, 'says why it does not run on demand');
    assert.equal(err.param, 'input_file_id');
    assert.deepEqual(await listAll(client.batches.list()), [], 'no batch was created');
  });

  test('batches.create refuses unknown files, other endpoints and windows with a 4xx naming the parameter',
    async () => {
      const { client } = await newClient({ key_alias: 'bad-create' });
      const file = await uploadLines(client, 'bad-100.jsonl', chatLines(100, 'claude-batch'));
      const cases = [
        [{ input_file_id: 'file-doesnotexist0000000000' }, 404, 'input_file_id'],
        [{ endpoint: '/v1/completions' }, 400, 'endpoint'],
        [{ endpoint: '/v1/embeddings' }, 400, 'endpoint'],  // the file holds chat requests
        [{ completion_window: '1h' }, 400, 'completion_window'],
        [{ metadata: { n: 1 } }, 400, 'metadata'],
        [{ output_expires_after: { anchor: 'created_at', seconds: 60 } }, 400, 'output_expires_after.seconds'],
        [{ output_expires_after: { anchor: 'completed_at', seconds: 3600 } }, 400, 'output_expires_after.anchor'],
      ];
      for (const [change, status, param] of cases) {
        const body = { input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h', ...change };
        const err = await rejection(client.batches.create(body));
        assert.equal(err.status, status, `${JSON.stringify(change)}: ${err.message}`);
        assert.equal(err.param, param, JSON.stringify(change));
        assert.equal(typeof err.message, 'string');
      }
      assert.deepEqual(await listAll(client.batches.list()), [], 'no batch was created');
    });

  test("another key cannot see, cancel or download a key's batches and files", async () => {
    const owner = await newClient({ key_alias: 'owner' });
    const other = await newClient({ key_alias: 'other' });
    const file = await uploadLines(owner.client, 'owned-100.jsonl', chatLines(100, 'claude-batch'));
    const created = await createBatch(owner.client, file.id);

    await notFound(other.client.batches.retrieve(created.id), 'retrieve while running');
    await notFound(other.client.batches.cancel(created.id), 'cancel');
    await notFound(createBatch(other.client, file.id), "a batch on another key's file");
    const { batch } = await waitForBatch(owner.client, created.id);
    assert.equal(batch.status, 'completed', 'the owner\'s batch was not cancelled by the other key');

    await notFound(other.client.batches.retrieve(batch.id), 'retrieve');
    // Another key's batch looks exactly like one that does not exist.
    const foreign = await rejection(other.client.batches.retrieve(batch.id));
    const unknown = await rejection(other.client.batches.retrieve('batch_doesnotexist000000000'));
    assert.equal(unknown.status, 404);
    assert.equal(foreign.message.replace(batch.id, 'ID'), unknown.message.replace('batch_doesnotexist000000000', 'ID'));
    await notFound(other.client.batches.cancel(batch.id), 'cancel a finished batch');
    assert.deepEqual(await listAll(other.client.batches.list()), []);
    for (const id of [file.id, batch.output_file_id]) {
      await notFound(other.client.files.retrieve(id), `files.retrieve ${id}`);
      await notFound(other.client.files.content(id), `files.content ${id}`);
    }
    assert.deepEqual(await listAll(other.client.files.list()), []);
    const spendOf = async (key) => {
      const res = await fetch(`${stack.baseURL}/spend/logs`, { headers: { Authorization: `Bearer ${key}` } });
      assert.equal(res.status, 200);
      return (await res.json()).data.map((r) => r.batch_id);
    };
    assert.deepEqual(await spendOf(other.key), [], "another key's spend logs hold none of the owner's rows");
    assert.deepEqual(await spendOf(owner.key), [batch.id]);

    // The owner still has all of it.
    assert.deepEqual((await listAll(owner.client.batches.list())).map((b) => b.id), [batch.id]);
    const ownerFiles = (await listAll(owner.client.files.list())).map((f) => f.id).sort();
    assert.deepEqual(ownerFiles, [file.id, batch.output_file_id].sort());
  });

  test('batches.list({limit: 2}) pages through every batch of the key once, newest first', async (t) => {
    const { client } = await newClient({ key_alias: 'lister' });
    const file = await uploadLines(client, 'list-100.jsonl', chatLines(100, 'claude-batch'));
    const created = [];
    for (let i = 0; i < 5; i++) created.push(await createBatch(client, file.id, { metadata: { n: String(i) } }));

    const page = await client.batches.list({ limit: 2 });
    assert.equal(page.data.length, 2);
    assert.equal(page.has_more, true);
    const listed = await listAll(client.batches.list({ limit: 2 }));
    const ids = listed.map((b) => b.id);
    assert.equal(ids.length, 5);
    assert.equal(new Set(ids).size, 5, 'no batch twice');
    assert.deepEqual([...ids].sort(), created.map((b) => b.id).sort(), 'every batch of the key');
    for (let i = 1; i < listed.length; i++) {
      assert.ok(listed[i - 1].created_at >= listed[i].created_at, 'created_at never increases down the list');
    }
    listed.forEach(assertBatchKeys);
    await t.test('batches created within one second are listed newest first', () => {
      assert.deepEqual(ids, created.map((b) => b.id).reverse());
    });

    // Let them finish: the tests after this one turn the emulator's knobs and count its jobs.
    for (const b of created) assert.equal((await waitForBatch(client, b.id)).batch.status, 'completed');
  });
});

describe('batches under injected faults, cancel and restart', () => {
  test('records Bedrock fails land in the error file with the injected status code', async () => {
    const { client } = await newClient({ key_alias: 'faults' });
    const file = await uploadLines(client, 'faults-100.jsonl', chatLines(100, 'claude-batch', { prefix: 'f' }));
    const outputExpiresAfter = { anchor: 'created_at', seconds: 7200 };
    const batch = await withKnobs(stack, { recordFailureRate: 0.2, recordFailureCode: 429 }, async () => {
      const created = await createBatch(client, file.id, { outputExpiresAfter });
      return (await waitForBatch(client, created.id)).batch;
    });
    assert.equal(batch.status, 'completed');
    const out = await fileLines(client, batch.output_file_id);
    const err = await fileLines(client, batch.error_file_id);
    assertEachRequestOnce(out, err, range(100).map((i) => `f-${i}`));
    assert.ok(err.length > 0 && err.length < 100, `some records failed: ${err.length}`);
    for (const line of out) assertSuccessLine(line);
    for (const line of err) {
      assertLineEnvelope(line);
      assert.equal(line.error, null, 'a request Bedrock answered has its error inside response');
      assert.equal(line.response.status_code, 429);
      assert.match(line.response.request_id, /^req_[A-Za-z0-9]+$/);
      const e = line.response.body.error;
      assert.deepEqual(Object.keys(e).sort(), ['code', 'message', 'param', 'type']);
      assert.equal(typeof e.message, 'string');
      assert.ok(e.message.length > 0);
      assert.equal(typeof e.type, 'string');
    }
    assert.deepEqual(batch.request_counts, { total: 100, completed: out.length, failed: err.length });
    const manifest = await bedrockManifest(stack, batch.id);
    assert.equal(manifest.successRecordCount, out.length);
    assert.equal(manifest.errorRecordCount, err.length);
    assert.equal(batch.usage.input_tokens, out.reduce((s, l) => s + l.response.body.usage.prompt_tokens, 0));
    assert.equal(manifest.inputTokenCount, batch.usage.input_tokens);

    // output_expires_after: both result files expire 7200 s after they were created.
    for (const id of [batch.output_file_id, batch.error_file_id]) {
      const f = await client.files.retrieve(id);
      assert.equal(f.expires_at, f.created_at + 7200, `${f.filename} expires_at`);
    }
    assert.equal((await client.files.retrieve(file.id)).expires_at, null, 'the input file keeps no expiry');

    // Cancelling a finished batch returns it unchanged.
    assert.deepEqual(await client.batches.cancel(batch.id), batch);
    assert.deepEqual(await client.batches.retrieve(batch.id), batch);
  });

  test('a job its timeout stops while running (PartiallyCompleted) ends expired: answers kept, the rest batch_expired',
    async () => {
      const { client } = await newClient({ key_alias: 'partial' });
      const file = await uploadLines(client, 'partial-100.jsonl', chatLines(100, 'claude-batch', { prefix: 'p' }));
      const batch = await withKnobs(stack, { unprocessedFraction: 0.1 }, async () => {
        const created = await createBatch(client, file.id);
        return (await waitForBatch(client, created.id)).batch;
      });
      // OpenAI ends a batch whose completion window ran out as expired, whatever it had answered.
      assertBatchKeys(batch);
      assert.equal(batch.status, 'expired');
      assert.ok(Number.isInteger(batch.expired_at), 'expired_at is set');
      assert.equal(batch.completed_at, null);
      const out = await fileLines(client, batch.output_file_id);
      const err = await fileLines(client, batch.error_file_id);
      assertEachRequestOnce(out, err, range(100).map((i) => `p-${i}`));
      assert.equal(err.length, 10, '10% of the records were not processed');
      for (const line of out) assertSuccessLine(line);
      for (const line of err) {
        assertLineEnvelope(line);
        assert.equal(line.response, null);
        assert.equal(line.error.code, 'batch_expired');
        assert.equal(typeof line.error.message, 'string');
      }
      assert.deepEqual(batch.request_counts, { total: 100, completed: 90, failed: 10 });
      const manifest = await bedrockManifest(stack, batch.id);
      assert.equal(manifest.processedRecordCount, 90);
      assert.equal(manifest.outputTokenCount, batch.usage.output_tokens);
    });

  test('a job that never starts within the completion window ends expired, every request batch_expired',
    async () => {
      const { client } = await newClient({ key_alias: 'expiry' });
      const file = await uploadLines(client, 'expiry-100.jsonl', chatLines(100, 'claude-batch', { prefix: 'x' }));
      // 24 h of job timeout pass in 2.4 s while the job sits in Scheduled for 6 s.
      const batch = await withKnobs(stack, { secondsPerTimeoutHour: 0.1, scheduledSeconds: 6 }, async () => {
        const created = await createBatch(client, file.id);
        return (await waitForBatch(client, created.id)).batch;
      });
      assertBatchKeys(batch);
      assert.equal(batch.status, 'expired');
      assert.ok(Number.isInteger(batch.expired_at), 'expired_at is set');
      assert.equal(batch.completed_at, null);
      assert.equal(batch.output_file_id, null, 'no request ran');
      const err = await fileLines(client, batch.error_file_id);
      assertEachRequestOnce([], err, range(100).map((i) => `x-${i}`));
      for (const line of err) {
        assertLineEnvelope(line);
        assert.equal(line.response, null);
        assert.equal(line.error.code, 'batch_expired');
      }
      assert.deepEqual(batch.request_counts, { total: 100, completed: 0, failed: 100 });
    });

  test('a cancelled batch goes through cancelling to cancelled and keeps its partial results', async () => {
    const { client } = await newClient({ key_alias: 'cancel' });
    const file = await uploadLines(client, 'cancel-100.jsonl', chatLines(100, 'claude-batch', { prefix: 'c' }));
    let ranBeforeCancel = 0;
    const [running, early] = await withKnobs(stack, { recordsPerSecond: 4 }, async () => {
      const slow = await createBatch(client, file.id);
      const soon = await createBatch(client, file.id);
      // One cancelled straight away (its Bedrock job may not exist yet), one once Bedrock runs it.
      const soonCancel = await client.batches.cancel(soon.id);
      assert.ok(['cancelling', 'cancelled'].includes(soonCancel.status), soonCancel.status);
      // Bedrock has run some of its records: those must come back.
      const started = await waitForBatch(client, slow.id,
        { until: (b) => b.request_counts.completed > 0 || kTerminal.has(b.status) });
      assert.equal(started.batch.status, 'in_progress');
      ranBeforeCancel = started.batch.request_counts.completed;
      const cancelling = await client.batches.cancel(slow.id);
      assert.equal(cancelling.status, 'cancelling');
      assert.ok(Number.isInteger(cancelling.cancelling_at));
      assert.equal(cancelling.cancelled_at, null);
      const again = await client.batches.cancel(slow.id);
      assert.equal(again.status === 'cancelling' ? again.cancelling_at : cancelling.cancelling_at,
        cancelling.cancelling_at, 'a second cancel keeps cancelling_at');
      return [(await waitForBatch(client, slow.id)).batch, (await waitForBatch(client, soon.id)).batch];
    });

    for (const b of [running, early]) {
      assertBatchKeys(b);
      assert.equal(b.status, 'cancelled');
      assert.ok(Number.isInteger(b.cancelled_at) && Number.isInteger(b.cancelling_at));
      assert.ok(b.cancelling_at <= b.cancelled_at);
      assert.equal(b.completed_at, null);
      assert.deepEqual(await client.batches.cancel(b.id), b, 'cancelling a cancelled batch changes nothing');
    }
    assert.ok(Number.isInteger(running.in_progress_at));
    const out = await fileLines(client, running.output_file_id);
    const err = await fileLines(client, running.error_file_id);
    assertEachRequestOnce(out, err, range(100).map((i) => `c-${i}`));
    assert.ok(out.length >= ranBeforeCancel && out.length > 0,
      `the ${ranBeforeCancel}+ requests Bedrock ran before the cancel are in the output file (${out.length})`);
    assert.ok(err.length > 0, 'requests never run are reported');
    for (const line of out) assertSuccessLine(line);
    for (const line of err) {
      assertLineEnvelope(line);
      assert.equal(line.response, null);
      assert.equal(line.error.code, 'batch_cancelled');
      assert.equal(typeof line.error.message, 'string');
    }
    assert.deepEqual(running.request_counts, { total: 100, completed: out.length, failed: err.length });
  });

  // A full quota is not a failure: the batch waits in validating (tests/e2e/queue.test.mjs covers the queue).
  test('a job Bedrock refuses (quota exceeded) waits in validating, then runs once the quota has room', async (t) => {
    const { client } = await newClient({ key_alias: 'quota' });
    const file = await uploadLines(client, 'quota-100.jsonl', chatLines(100, 'claude-batch'));
    const before = await emulatorStats(stack);
    const created = await withKnobs(stack, { forceQuotaExceeded: true }, async () => {
      const batch = await createBatch(client, file.id);
      assert.equal(batch.status, 'validating');
      // Long enough for batchgate to have been refused at least twice (1–2 s backoff).
      const { batch: waiting } = await waitForBatch(client, batch.id, {
        until: (b) => b.queue_position === 1 || kTerminal.has(b.status), timeoutMs: 15_000 });
      await sleep(3000);
      const still = await client.batches.retrieve(batch.id);
      assert.equal(still.status, 'validating', `while the quota is full: ${JSON.stringify(still.errors)}`);
      assert.equal(still.errors, null);
      assert.equal(waiting.queue_position, 1, 'shown first in line');
      return batch;
    });
    await t.test('batchgate keeps running after Bedrock refuses a job', () => {
      assert.equal(stack.exitStatus(), null, `batchgate ended with ${JSON.stringify(stack.exitStatus())}`);
    });
    const { batch } = await waitForBatch(client, created.id, { timeoutMs: 30_000 });
    assertBatchKeys(batch);
    assert.equal(batch.status, 'completed');
    assert.deepEqual(batch.request_counts, { total: 100, completed: 100, failed: 0 });
    const after = await emulatorStats(stack);
    assert.ok(after.createCalls >= before.createCalls + 2, 'refused, then tried again');
    assert.equal(after.jobsCreated, before.jobsCreated + 1, 'one job');
  });

  test('Bedrock throttling and 500s slow a batch down but it completes with one job', async () => {
    const { client } = await newClient({ key_alias: 'throttled' });
    const file = await uploadLines(client, 'throttled-100.jsonl', chatLines(100, 'claude-batch', { prefix: 't' }));
    const before = await emulatorStats(stack);
    const batch = await withKnobs(stack, { throttleRate: 0.4, serverErrorRate: 0.2 }, async () => {
      const created = await createBatch(client, file.id);
      return (await waitForBatch(client, created.id, { timeoutMs: 90_000 })).batch;
    });
    assert.equal(batch.status, 'completed');
    assert.deepEqual(batch.request_counts, { total: 100, completed: 100, failed: 0 });
    assert.equal((await emulatorStats(stack)).jobsCreated, before.jobsCreated + 1, 'retried creates made one job');
    const out = await fileLines(client, batch.output_file_id);
    assertEachRequestOnce(out, [], range(100).map((i) => `t-${i}`));
  });

  test('a batch survives batchgate being killed right after create: one Bedrock job, complete results',
    async (t) => {
      const { client } = await newClient({ key_alias: 'restart' });
      const file = await uploadLines(client, 'restart-100.jsonl', chatLines(100, 'claude-batch', { prefix: 'r' }));
      const before = await emulatorStats(stack);
      const created = await createBatch(client, file.id);
      // Kill as soon as Bedrock has the job: batchgate has most likely not stored its ARN yet, so the restarted
      // one must find the job again through the same clientRequestToken rather than create a second one.
      for (let i = 0; i < 300 && (await emulatorStats(stack)).createCalls === before.createCalls; i++);
      const killed = await stack.restart();
      assert.equal(killed.signal, 'SIGKILL');

      const { batch } = await waitForBatch(client, created.id);
      assert.equal(batch.status, 'completed');
      const afterStats = await emulatorStats(stack);
      assert.equal(afterStats.jobsCreated, before.jobsCreated + 1, 'exactly one Bedrock job for the batch');
      // Two calls mean the kill fell between Bedrock creating the job and batchgate storing its ARN, and the
      // restarted batchgate repeated the create with the same clientRequestToken.
      t.diagnostic(`CreateModelInvocationJob calls for the batch: ${afterStats.createCalls - before.createCalls}`);
      const out = await fileLines(client, batch.output_file_id);
      const err = await fileLines(client, batch.error_file_id);
      assertEachRequestOnce(out, err, range(100).map((i) => `r-${i}`));
      assert.deepEqual(batch.request_counts, { total: 100, completed: 100, failed: 0 });
      for (const line of out) assertChatCompletion(line.response.body, 'claude-batch');
    });

  test('batchgate killed while Bedrock runs the job resumes it and records the results and spend once',
    async () => {
      const { key, client } = await newClient({ key_alias: 'restart-running' });
      const file = await uploadLines(client, 'running-100.jsonl', chatLines(100, 'claude-batch', { prefix: 'k' }));
      const before = await emulatorStats(stack);
      const batch = await withKnobs(stack, { recordsPerSecond: 20 }, async () => {
        const created = await createBatch(client, file.id);
        await waitForBatch(client, created.id,
          { until: (b) => b.request_counts.completed > 0 || kTerminal.has(b.status) });
        assert.equal((await stack.restart()).signal, 'SIGKILL');
        return (await waitForBatch(client, created.id)).batch;
      });
      assert.equal(batch.status, 'completed');
      assert.equal((await emulatorStats(stack)).jobsCreated, before.jobsCreated + 1, 'no second Bedrock job');
      const out = await fileLines(client, batch.output_file_id);
      assertEachRequestOnce(out, await fileLines(client, batch.error_file_id), range(100).map((i) => `k-${i}`));
      assert.deepEqual(batch.request_counts, { total: 100, completed: 100, failed: 0 });

      const price = kBatchPrices['claude-batch'];
      const cost = batch.usage.input_tokens * price.input + batch.usage.output_tokens * price.output;
      const { info } = await admin('GET', `/key/info?key=${encodeURIComponent(key)}`);
      closeTo(info.spend, cost, 'the key is charged once');
      const rows = (await admin('GET', '/spend/logs')).data.filter((r) => r.batch_id === batch.id);
      assert.equal(rows.length, 1, 'one spend log row');
      const owned = (await listAll(client.files.list())).filter((f) => f.purpose === 'batch_output');
      assert.deepEqual(owned.map((f) => f.id), [batch.output_file_id], 'one output file registered');
    });
});
