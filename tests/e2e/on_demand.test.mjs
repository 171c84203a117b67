// Batches below a model's min_batch_records (Bedrock's 100-record batch-job minimum) run on demand: record by
// record through InvokeModel on the bedrock-emulator, behind the same Batch API. The OpenAI Node SDK checks
// what a user sees; the emulator's invocation counters (by the SHA-256 of each body) check that every record
// was invoked once, that throttled calls were retried, and that a SIGKILL and restart re-invoke no answered
// record.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  assertCompletedTimestamps, assertCompletingProgression, assertEachRequestOnce, assertSuccessLine, fileLines,
  waitForBatch,
} from './lib/batches.mjs';
import { OpenAI } from './lib/deps.mjs';
import { emulatorStats, invocationCounts, resetInvocations, withKnobs } from './lib/emulator.mjs';
import { writeJsonl } from './lib/jsonl.mjs';
import { createKey, startStack } from './lib/stack.mjs';

// deploy/config.example.yaml's on-demand prices for claude-batch.
const kPrice = { input: 0.00000025, output: 0.00000125 };

let stack;
let tmp;
let client;

// `count` requests whose bodies all differ ("question <prefix>-<i>").
function lines(count, prefix) {
  return Array.from({ length: count }, (_, i) => ({
    custom_id: `${prefix}-${i + 1}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: { model: 'claude-batch', max_tokens: 32, messages: [{ role: 'user', content: `question ${prefix}-${i + 1}` }] },
  }));
}

async function run(name, requests) {
  const path = join(tmp, `${name}.jsonl`);
  await writeJsonl(path, requests);
  const file = await client.files.create({ file: createReadStream(path), purpose: 'batch' });
  return client.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
}

const sha256 = (text) => createHash('sha256').update(text).digest('hex');

// The bodies batchgate stored answers for so far (its SQLite file, read while it runs).
function answeredBodies(batchId) {
  const out = execFileSync('sqlite3', [stack.env.BATCHGATE_DB,
    `SELECT line FROM record_results WHERE batch_id = '${batchId}'`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l).map((l) => JSON.stringify(JSON.parse(l).modelInput));
}

describe('small batches run on demand', () => {
  before(async () => {
    // Operational logs as JSON lines (log_format: json), checked by the last test.
    stack = await startStack({ settings: { poll_interval_min: '1s', poll_interval_max: '2s', log_format: 'json' } });
    tmp = join(stack.dir, 'work');
    mkdirSync(tmp);
    client = new OpenAI({ baseURL: `${stack.baseURL}/v1`, apiKey: (await createKey(stack, {})).key, maxRetries: 0 });
  });

  after(async () => {
    if (stack) await stack.stop();
  });

  test('a 5-request batch completes through InvokeModel, each record invoked once, at the on-demand price',
    async () => {
      await resetInvocations(stack);
      const jobsBefore = (await emulatorStats(stack)).jobsCreated;
      const batch = await run('five', lines(5, 'five'));
      const { batch: done, statuses } = await waitForBatch(client, batch.id, { logTail: stack.stderr });
      assertCompletingProgression(statuses);
      assertCompletedTimestamps(done);
      assert.deepEqual(done.request_counts, { total: 5, completed: 5, failed: 0 });
      const output = await fileLines(client, done.output_file_id);
      assertEachRequestOnce(output, [], Array.from({ length: 5 }, (_, i) => `five-${i + 1}`));
      for (const line of output) assertSuccessLine(line);
      assert.equal(done.error_file_id, null);
      assert.equal((await emulatorStats(stack)).jobsCreated, jobsBefore, 'no Bedrock batch job');
      const counts = Object.values(await invocationCounts(stack));
      assert.deepEqual(counts, [1, 1, 1, 1, 1]);
      const spend = await (await fetch(`${stack.baseURL}/spend/logs`, {
        headers: { Authorization: `Bearer ${stack.masterKey}` } })).json();
      const row = spend.data.find((r) => r.batch_id === batch.id);
      assert.equal(row.pricing, 'on_demand');
      const expected = done.usage.input_tokens * kPrice.input + done.usage.output_tokens * kPrice.output;
      assert.ok(Math.abs(row.spend - expected) < 1e-12, `spend ${row.spend}, expected ${expected}`);
    });

  test('throttled invocations are retried; a record failing for good lands in the error file', async () => {
    await resetInvocations(stack);
    const done = await withKnobs(stack, { invokeThrottleFirstN: 2, invokeFailureRate: 0.3, invokeFailureCode: 400 },
      async () => {
        const batch = await run('flaky', lines(20, 'flaky'));
        return (await waitForBatch(client, batch.id, { logTail: stack.stderr, timeoutMs: 90_000 })).batch;
      });
    assert.equal(done.status, 'completed');
    assert.equal(done.request_counts.total, 20);
    assert.ok(done.request_counts.failed > 0 && done.request_counts.completed > 0,
      `some records fail for good, the rest succeed: ${JSON.stringify(done.request_counts)}`);
    const output = await fileLines(client, done.output_file_id);
    const errors = await fileLines(client, done.error_file_id);
    assertEachRequestOnce(output, errors, Array.from({ length: 20 }, (_, i) => `flaky-${i + 1}`));
    for (const line of errors) assert.equal(line.response.status_code, 400);
    // Throttled calls are not counted by the emulator: each body reached the model once, after two throttles.
    const counts = Object.values(await invocationCounts(stack));
    assert.equal(counts.length, 20);
    for (const n of counts) assert.equal(n, 1);
  });

  test('SIGKILL during the run, restart: the batch completes and no answered record is invoked again',
    async () => {
      await resetInvocations(stack);
      const kRecords = 40;
      const batch = await withKnobs(stack, { invokeLatencyMs: 250 }, async () => {
        const created = await run('killed', lines(kRecords, 'killed'));
        for (let i = 0; i < 200 && answeredBodies(created.id).length < 8; i++) await sleep(50);
        const answered = answeredBodies(created.id);
        assert.ok(answered.length >= 8 && answered.length < kRecords, `killed mid-run (${answered.length} answered)`);
        assert.equal((await stack.restart()).signal, 'SIGKILL');
        return { created, answered };
      });
      const { batch: done } = await waitForBatch(client, batch.created.id, { logTail: stack.stderr });
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.request_counts, { total: kRecords, completed: kRecords, failed: 0 });
      const output = await fileLines(client, done.output_file_id);
      assertEachRequestOnce(output, [], Array.from({ length: kRecords }, (_, i) => `killed-${i + 1}`));
      const counts = await invocationCounts(stack);
      for (const body of batch.answered) assert.equal(counts[sha256(body)], 1, `answered before the kill: ${body}`);
      const total = Object.values(counts).reduce((a, b) => a + b, 0);
      // deploy/config.example.yaml runs at most 4 calls at once per model: those in flight at the kill may run twice.
      assert.ok(total <= kRecords + 4, `${total} invocations for ${kRecords} records`);
    });

  test('with log_format: json every operational log line is a JSON object naming its batch', async () => {
    const lines = stack.stderr().split('\n').filter((l) => l.trim() !== '');
    assert.ok(lines.length > 5, `log lines: ${lines.length}`);
    const parsed = lines.map((l) => {
      try {
        return JSON.parse(l);
      } catch {
        return assert.fail(`not a JSON line: ${l}`);
      }
    });
    for (const p of parsed) {
      assert.equal(typeof p.time, 'string');
      assert.match(p.level, /^(trace|debug|info|warning|error|critical)$/);
      assert.equal(typeof p.message, 'string');
    }
    const withBatch = parsed.filter((p) => /^batch_[0-9A-Za-z]{24}$/.test(p.batch_id ?? ''));
    assert.ok(withBatch.length > 0, 'some lines name their batch in batch_id');
    assert.ok(withBatch.every((p) => p.message.includes(p.batch_id)));
  });
});
