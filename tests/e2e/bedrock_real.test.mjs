// What real Bedrock does that the emulator's defaults do not (the emulator's knobs produce each one,
// deploy/bedrock-emulator/README.md): output objects under other names or without the job folder, output that
// disagrees with manifest.json.out, a job that fails after processing half of its records, and a Stop answered
// with ConflictException. spec/bedrock-batch.md §6 and §8.2. The knobs are global: the tests run one by one.
import assert from 'node:assert/strict';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { assertEachRequestOnce, assertLineEnvelope, assertSuccessLine, closeTo, fileLines, kTerminal,
  waitForBatch as waitFor } from './lib/batches.mjs';
import { OpenAI } from './lib/deps.mjs';
import { emulatorStats, withKnobs } from './lib/emulator.mjs';
import { chatLines, chatRequest, writeJsonl } from './lib/jsonl.mjs';
import { configWithSettings, createKey, startStack } from './lib/stack.mjs';

// Two models on Claude Sonnet 4.5, which caps output at 64,000 tokens and takes temperature or top_p, not both
// (translators/model_rules.cpp defaults; the emulator enforces the same, deploy/bedrock-emulator/model_limits.cpp):
// one as configured, one with drop_params.
function sonnetModel(name, dropParams) {
  return `  - model_name: ${name}
    litellm_params:
      model: bedrock/us.anthropic.claude-sonnet-4-5-20250929-v1:0
      aws_region_name: us-east-1
      s3_bucket_name: os.environ/BATCHGATE_BUCKET
      s3_endpoint_url: os.environ/S3_ENDPOINT_URL
      aws_batch_role_arn: arn:aws:iam::123456789012:role/BedrockBatchRole
      aws_bedrock_endpoint: os.environ/BEDROCK_ENDPOINT_URL
      aws_access_key_id: os.environ/AWS_ACCESS_KEY_ID
      aws_secret_access_key: os.environ/AWS_SECRET_ACCESS_KEY
      drop_params: ${dropParams}
    model_info:
      mode: batch
      input_cost_per_token: 0.000003
      output_cost_per_token: 0.000015
`;
}

function config() {
  const text = configWithSettings({ poll_interval_min: '1s', poll_interval_max: '1s' });
  return text.replace(/^model_list:\n/m,
    `model_list:\n${sonnetModel('sonnet-batch', false)}${sonnetModel('sonnet-clamped', true)}`);
}

// deploy/config.example.yaml: claude-batch's batch prices default to half its on-demand prices.
const kClaudeBatchPrice = { input: 0.00000025 / 2, output: 0.00000125 / 2 };

let stack;
let tmp;

const range = (n) => Array.from({ length: n }, (_, i) => i + 1);

async function newClient(alias) {
  const info = await createKey(stack, { key_alias: alias });
  return { key: info.key, client: new OpenAI({ baseURL: `${stack.baseURL}/v1`, apiKey: info.key, maxRetries: 0 }) };
}

async function upload(client, name, lines) {
  const path = join(tmp, `${name}.jsonl`);
  await writeJsonl(path, lines);
  return client.files.create({ file: createReadStream(path), purpose: 'batch' });
}

async function submit(client, prefix, count = 100) {
  const file = await upload(client, prefix, chatLines(count, 'claude-batch', { prefix }));
  return client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
}

function waitForBatch(client, id, options = {}) {
  return waitFor(client, id, { logTail: stack.stderr, ...options });
}

async function keySpend(key) {
  const res = await fetch(`${stack.baseURL}/key/info?key=${encodeURIComponent(key)}`,
    { headers: { Authorization: `Bearer ${stack.masterKey}` } });
  assert.equal(res.status, 200);
  return (await res.json()).info.spend;
}

before(async () => {
  stack = await startStack({ config });
  tmp = mkdtempSync(join(tmpdir(), 'batchgate-e2e-bedrock-real-'));
});

after(async () => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  if (!stack) return;
  assert.deepEqual(await stack.stop(), { code: 0, signal: null }, 'batchgate stops cleanly on SIGTERM');
});

for (const layout of ['renamed', 'flat']) {
  test(`outputs written ${layout === 'flat' ? 'without the job folder' : 'under another file name'} are found:`
    + ' the batch completes with every answer', async () => {
    const { client } = await newClient(`layout-${layout}`);
    const batch = await withKnobs(stack, { outputLayout: layout }, async () => {
      const created = await submit(client, layout);
      return (await waitForBatch(client, created.id)).batch;
    });
    assert.equal(batch.status, 'completed');
    assert.equal(batch.errors, null, `no errors: ${JSON.stringify(batch.errors)}`);
    assert.deepEqual(batch.request_counts, { total: 100, completed: 100, failed: 0 });
    const out = await fileLines(client, batch.output_file_id);
    assertEachRequestOnce(out, [], range(100).map((i) => `${layout}-${i}`));
    for (const line of out) assertSuccessLine(line);
    assert.equal(batch.error_file_id, null);
    assert.match(stack.stderr(), /does not exist; reading the job's output from/, 'the fallback is logged');
  });
}

test('output that holds fewer records than manifest.json.out counts is reported in the batch errors', async () => {
  const { client } = await newClient('lost');
  const batch = await withKnobs(stack, { outputLostFraction: 0.2 }, async () => {
    const created = await submit(client, 'lost');
    return (await waitForBatch(client, created.id)).batch;
  });
  assert.equal(batch.status, 'completed');
  const out = await fileLines(client, batch.output_file_id);
  const err = await fileLines(client, batch.error_file_id);
  assertEachRequestOnce(out, err, range(100).map((i) => `lost-${i}`));
  assert.ok(err.length > 0 && err.length < 100, `some records were lost: ${err.length}`);
  for (const line of err) assert.equal(line.error.code, 'missing_output');
  assert.ok(batch.errors && Array.isArray(batch.errors.data), `the batch has errors: ${JSON.stringify(batch)}`);
  const mismatch = batch.errors.data.find((e) => e.code === 'output_mismatch');
  assert.ok(mismatch, `an output_mismatch error: ${JSON.stringify(batch.errors)}`);
  assert.match(mismatch.message, /manifest counts 100 processed records/);
  assert.match(mismatch.message, new RegExp(`holds ${out.length} of them`));
  assert.match(stack.stderr(), /manifest counts 100 processed records/, 'the disagreement is logged');
});

test('a job that fails after half of its records: their answers and spend, the rest batch_failed', async () => {
  const { key, client } = await newClient('half');
  const batch = await withKnobs(stack, { failAfterFraction: 0.5 }, async () => {
    const created = await submit(client, 'half');
    return (await waitForBatch(client, created.id)).batch;
  });
  assert.equal(batch.status, 'failed');
  assert.ok(Number.isInteger(batch.failed_at));
  const out = await fileLines(client, batch.output_file_id);
  const err = await fileLines(client, batch.error_file_id);
  assertEachRequestOnce(out, err, range(100).map((i) => `half-${i}`));
  assert.equal(out.length, 50, 'the 50 answers Bedrock wrote before failing');
  for (const line of out) assertSuccessLine(line);
  assert.equal(err.length, 50);
  for (const line of err) {
    assertLineEnvelope(line);
    assert.equal(line.response, null);
    assert.equal(line.error.code, 'batch_failed');
  }
  assert.deepEqual(batch.request_counts, { total: 100, completed: 50, failed: 50 });
  const failure = batch.errors.data.find((e) => e.code === 'bedrock_job_failed');
  assert.ok(failure, JSON.stringify(batch.errors));
  assert.match(failure.message, /after processing 50 of 100 records/);
  const inputTokens = out.reduce((s, l) => s + l.response.body.usage.prompt_tokens, 0);
  const outputTokens = out.reduce((s, l) => s + l.response.body.usage.completion_tokens, 0);
  assert.equal(batch.usage.input_tokens, inputTokens);
  assert.equal(batch.usage.output_tokens, outputTokens);
  closeTo(await keySpend(key), inputTokens * kClaudeBatchPrice.input + outputTokens * kClaudeBatchPrice.output,
    'the processed records are billed');
});

test('a Stop answered with ConflictException is sent once and the batch ends cancelled', async () => {
  const { client } = await newClient('conflict');
  const before = (await emulatorStats(stack)).stopCalls;
  const batch = await withKnobs(stack, { stopConflict: true, recordsPerSecond: 5, stoppingSeconds: 4 },
    async () => {
      const created = await submit(client, 'conflict');
      await waitForBatch(client, created.id,
        { until: (b) => b.request_counts.completed > 0 || kTerminal.has(b.status) });
      assert.equal((await client.batches.cancel(created.id)).status, 'cancelling');
      return (await waitForBatch(client, created.id)).batch;
    });
  assert.equal(batch.status, 'cancelled');
  assert.equal((await emulatorStats(stack)).stopCalls - before, 1, 'one StopModelInvocationJob');
  const out = await fileLines(client, batch.output_file_id);
  const err = await fileLines(client, batch.error_file_id);
  assertEachRequestOnce(out, err, range(100).map((i) => `conflict-${i}`));
  for (const line of err) assert.equal(line.error.code, 'batch_cancelled');
});

// Lines that break Sonnet 4.5's limits: max_tokens above its cap, and temperature with top_p.
function overLimitLines(model, count) {
  return range(count).map((i) => {
    const line = chatRequest(`over-${i}`, model);
    if (i % 2 === 0) line.body.max_tokens = 100_000;
    else Object.assign(line.body, { temperature: 0.5, top_p: 0.9 });
    return line;
  });
}

test('lines over the model\'s output-token cap or with temperature and top_p together are refused at upload',
  async () => {
    const { client } = await newClient('rules');
    const lines = [chatRequest('ok-1', 'sonnet-batch'), ...overLimitLines('sonnet-batch', 2)];
    let err;
    try {
      await upload(client, 'rules', lines);
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof OpenAI.BadRequestError, `400 expected, got ${err}`);
    assert.deepEqual(err.error.errors.data.map(({ line, code, param }) => ({ line, code, param })), [
      { line: 2, code: 'unsupported_parameter', param: 'body.top_p' },
      { line: 3, code: 'invalid_value', param: 'body.max_tokens' },
    ]);
    const [sampling, cap] = err.error.errors.data;
    assert.match(cap.message, /above the 64000 output tokens/);
    assert.match(cap.message, /drop_params/);
    assert.match(sampling.message, /cannot both be set/);
  });

test('with drop_params the same lines are clamped and the emulator, which enforces the limits, answers them all',
  async () => {
    const { client } = await newClient('clamped');
    const file = await upload(client, 'clamped', overLimitLines('sonnet-clamped', 100));
    const created = await client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions',
      completion_window: '24h' });
    const { batch } = await waitForBatch(client, created.id);
    assert.equal(batch.status, 'completed');
    const out = await fileLines(client, batch.output_file_id);
    const err = await fileLines(client, batch.error_file_id);
    assert.equal(err.length, 0, `no per-record 400s: ${JSON.stringify(err[0])}`);
    assertEachRequestOnce(out, err, range(100).map((i) => `over-${i}`));
  });

test('a job still queued at Bedrock (Scheduled) near its deadline is flagged in the batch errors, then expires',
  async () => {
    const { client } = await newClient('queued');
    // 24 h of job timeout pass in 2.4 s while Bedrock keeps the job Scheduled for 6 s.
    const { flagged, batch } = await withKnobs(stack, { secondsPerTimeoutHour: 0.1, scheduledSeconds: 6 },
      async () => {
        const created = await submit(client, 'queued');
        const seen = await waitForBatch(client, created.id, { until: (b) => kTerminal.has(b.status)
          || (b.errors?.data ?? []).some((e) => e.code === 'bedrock_queued_near_deadline') });
        return { flagged: seen.batch, batch: (await waitForBatch(client, created.id)).batch };
      });
    assert.equal(flagged.status, 'in_progress', 'flagged while still running');
    const warning = flagged.errors.data.find((e) => e.code === 'bedrock_queued_near_deadline');
    assert.match(warning.message, /Scheduled, not started/);
    assert.match(stack.stderr(), /still holds the batch's job in its queue/, 'the warning is logged');
    assert.equal(batch.status, 'expired');
    assert.equal(batch.errors, null, 'the warning goes once the job has ended');
  });
