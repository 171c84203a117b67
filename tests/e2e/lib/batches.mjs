// Batch helpers for the end-to-end tests: waiting on a batch, reading its result files and Bedrock manifest, and
// the shapes a client relies on — the Batch object (spec/openai-batch.md §3.5), output and error lines (§5.1),
// chat.completion (§6) and embeddings (§7) bodies.
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';

import { s3sdk } from './deps.mjs';

const { GetObjectCommand, ListObjectsV2Command } = s3sdk;

// Every key of the Batch object (spec §3.5); `usage` is optional and checked where a batch has finished.
export const kBatchKeys = ['id', 'object', 'endpoint', 'model', 'errors', 'input_file_id', 'completion_window',
  'status', 'output_file_id', 'error_file_id', 'created_at', 'in_progress_at', 'expires_at', 'finalizing_at',
  'completed_at', 'failed_at', 'expired_at', 'cancelling_at', 'cancelled_at', 'request_counts', 'metadata'];
export const kTerminal = new Set(['completed', 'failed', 'cancelled', 'expired']);
// The order a completing batch moves through (spec §3.6); polls may skip states but never go back.
const kCompletingOrder = ['validating', 'in_progress', 'finalizing', 'completed'];

// Polls batches.retrieve until `until(batch)` holds (default: a terminal status); resolves with the last batch
// and the distinct statuses seen in order. `logTail()` (e.g. stack.stderr) is quoted when the wait times out.
export async function waitForBatch(client, id,
  { until = (b) => kTerminal.has(b.status), timeoutMs = 60_000, logTail = () => '' } = {}) {
  const statuses = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (statuses.at(-1) !== batch.status) statuses.push(batch.status);
    if (until(batch)) return { batch, statuses };
    if (Date.now() > deadline) {
      assert.fail(`batch ${id} still ${batch.status} after ${timeoutMs} ms (seen ${statuses.join(' → ')}); ` +
        `batchgate stderr:\n${logTail().slice(-3000)}`);
    }
    await sleep(200);
  }
}

export async function fileLines(client, fileId) {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  assert.ok(text === '' || text.endsWith('\n'), 'every line ends with a newline');
  return text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
}

// The emulator's manifest.json.out of the batch's Bedrock job (spec bedrock-batch.md §8):
// batches/<batch_id>/bedrock/<jobId>/manifest.json.out.
export async function bedrockManifest(stack, batchId) {
  const prefix = `batches/${batchId}/bedrock/`;
  // moto_server rejects the signature of a ListObjectsV2 whose prefix holds an encoded '/' (getmoto/moto#5948,
  // see deploy/bedrock-emulator/README.md): list by the batch id's leading segment and filter here.
  const keys = [];
  let token;
  do {
    const page = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket, Prefix: 'batches',
      ContinuationToken: token }));
    for (const o of page.Contents ?? []) {
      if (o.Key.startsWith(prefix) && o.Key.endsWith('/manifest.json.out')) keys.push(o.Key);
    }
    token = page.NextContinuationToken;
  } while (token);
  assert.equal(keys.length, 1, `one Bedrock manifest under ${prefix}: ${keys}`);
  const got = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: keys[0] }));
  return JSON.parse(await got.Body.transformToString());
}

export function assertBatchKeys(b) {
  for (const k of kBatchKeys) assert.ok(k in b, `the Batch object has "${k}": ${JSON.stringify(b)}`);
  assert.equal(b.object, 'batch');
  assert.match(b.id, /^batch_[A-Za-z0-9]+$/);
  assert.deepEqual(Object.keys(b.request_counts).sort(), ['completed', 'failed', 'total']);
}

// Checks the batch just returned by batches.create (spec §3.1).
export function assertNewBatch(b, { fileId, endpoint, metadata, model, startedAt }) {
  assertBatchKeys(b);
  assert.equal(b.status, 'validating');
  assert.equal(b.endpoint, endpoint);
  assert.equal(b.input_file_id, fileId);
  assert.equal(b.completion_window, '24h');
  assert.equal(b.model, model);
  assert.deepEqual(b.metadata, metadata ?? null);
  assert.equal(b.errors, null);
  assert.equal(b.output_file_id, null);
  assert.equal(b.error_file_id, null);
  assert.ok(Number.isInteger(b.created_at) && b.created_at >= Math.floor(startedAt) &&
    b.created_at <= Math.ceil(Date.now() / 1000), `created_at ${b.created_at} is the creation time`);
  assert.equal(b.expires_at, b.created_at + 86_400, 'expires_at is 24 h after created_at');
  for (const k of ['in_progress_at', 'finalizing_at', 'completed_at', 'failed_at', 'expired_at', 'cancelling_at',
    'cancelled_at']) {
    assert.equal(b[k], null, `${k} is null on a new batch`);
  }
  assert.equal(b.request_counts.completed, 0);
  assert.equal(b.request_counts.failed, 0);
}

export function assertCompletingProgression(statuses) {
  const ranks = statuses.map((s) => kCompletingOrder.indexOf(s));
  assert.ok(ranks.every((r, i) => r >= 0 && (i === 0 || r > ranks[i - 1])),
    `statuses move forward through ${kCompletingOrder.join(' → ')}: seen ${statuses.join(' → ')}`);
  assert.equal(statuses.at(-1), 'completed');
}

export function assertCompletedTimestamps(b) {
  assert.ok(Number.isInteger(b.in_progress_at) && Number.isInteger(b.finalizing_at) &&
    Number.isInteger(b.completed_at), `in_progress_at, finalizing_at, completed_at set: ${JSON.stringify(b)}`);
  assert.ok(b.created_at <= b.in_progress_at && b.in_progress_at <= b.finalizing_at &&
    b.finalizing_at <= b.completed_at, 'created ≤ in_progress ≤ finalizing ≤ completed');
  for (const k of ['failed_at', 'expired_at', 'cancelling_at', 'cancelled_at']) assert.equal(b[k], null, k);
}

// One output/error line (spec §5.1): {id, custom_id, response, error}.
export function assertLineEnvelope(line) {
  assert.deepEqual(Object.keys(line).sort(), ['custom_id', 'error', 'id', 'response']);
  assert.match(line.id, /^batch_req_[A-Za-z0-9]+$/);
  assert.equal(typeof line.custom_id, 'string');
}

export function assertSuccessLine(line) {
  assertLineEnvelope(line);
  assert.equal(line.error, null);
  assert.equal(line.response.status_code, 200);
  assert.match(line.response.request_id, /^req_[A-Za-z0-9]+$/);
  assert.equal(typeof line.response.body, 'object');
}

// spec §6: the body of a successful /v1/chat/completions line.
export function assertChatCompletion(body, model) {
  assert.equal(body.object, 'chat.completion');
  assert.match(body.id, /^chatcmpl-[A-Za-z0-9]+$/);
  assert.equal(body.model, model);
  assert.ok(Number.isInteger(body.created));
  assert.equal(body.choices.length, 1);
  const [choice] = body.choices;
  assert.equal(choice.index, 0);
  assert.equal(choice.logprobs, null);
  assert.ok(['stop', 'length', 'tool_calls', 'content_filter'].includes(choice.finish_reason), choice.finish_reason);
  assert.equal(choice.message.role, 'assistant');
  assert.equal(typeof choice.message.content, 'string');
  assert.ok(choice.message.content.length > 0);
  assert.equal(choice.message.refusal, null);
  const u = body.usage;
  assert.ok(Number.isInteger(u.prompt_tokens) && u.prompt_tokens > 0, `prompt_tokens ${u.prompt_tokens}`);
  assert.ok(Number.isInteger(u.completion_tokens) && u.completion_tokens > 0);
  assert.equal(u.total_tokens, u.prompt_tokens + u.completion_tokens);
}

// spec §7: the body of a successful /v1/embeddings line with `inputs` inputs.
export function assertEmbeddingList(body, model, inputs) {
  assert.equal(body.object, 'list');
  assert.equal(body.model, model);
  assert.equal(body.data.length, inputs);
  body.data.forEach((d, i) => {
    assert.equal(d.object, 'embedding');
    assert.equal(d.index, i);
    assert.ok(Array.isArray(d.embedding) && d.embedding.length > 0);
    assert.ok(d.embedding.every((x) => typeof x === 'number'));
  });
  assert.equal(body.data[0].embedding.length, body.data.at(-1).embedding.length);
  assert.ok(Number.isInteger(body.usage.prompt_tokens) && body.usage.prompt_tokens > 0);
  assert.equal(body.usage.total_tokens, body.usage.prompt_tokens);
}

// Every custom_id appears exactly once across the output and error files.
export function assertEachRequestOnce(out, err, customIds) {
  const seen = [...out, ...err].map((l) => l.custom_id);
  assert.equal(seen.length, customIds.length, 'one line per request across output and error files');
  assert.equal(new Set(seen).size, seen.length, 'no custom_id twice');
  assert.deepEqual([...seen].sort(), [...customIds].sort());
}

export function closeTo(actual, expected, what) {
  assert.ok(Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)),
    `${what}: ${actual} ≈ ${expected}`);
}
