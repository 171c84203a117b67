// The job queue at a model's job quota, as a developer sees it through the OpenAI Node SDK: with
// max_concurrent_jobs: 1 three batches from two keys all complete, one Bedrock job at a time (the emulator's
// high-water mark of active jobs), the second key's batch before the first key's second one, each waiting one
// showing its queue_position; a queued batch whose completion window passes ends expired saying why; and
// Bedrock's ServiceQuotaExceededException keeps a batch waiting (not failed) until it runs, with one job.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { fileLines, waitForBatch } from './lib/batches.mjs';
import { OpenAI } from './lib/deps.mjs';
import { emulatorStats, withKnobs } from './lib/emulator.mjs';
import { chatLines, writeJsonl } from './lib/jsonl.mjs';
import { configWithSettings, createKey, startStack } from './lib/stack.mjs';

let stack;
let tmp;
let files = 0;

// deploy/config.example.yaml with 1–2 s polls and max_concurrent_jobs: 1 on claude-batch.
function queueConfig() {
  const lines = configWithSettings({ poll_interval_min: '1s', poll_interval_max: '2s' }).split('\n');
  const model = lines.findIndex((l) => /model_name: claude-batch/.test(l));
  const mode = lines.findIndex((l, i) => i > model && /^\s+mode: batch/.test(l));
  lines.splice(mode + 1, 0, '      max_concurrent_jobs: 1');
  return lines.join('\n');
}

async function client(alias) {
  const { key } = await createKey(stack, { key_alias: alias });
  return new OpenAI({ baseURL: `${stack.baseURL}/v1`, apiKey: key, maxRetries: 0 });
}

// A 100-request batch (Bedrock's batch-job minimum, so it runs as a Bedrock job).
async function startBatch(sdk, prefix) {
  const path = join(tmp, `in-${++files}.jsonl`);
  await writeJsonl(path, chatLines(100, 'claude-batch', { prefix }));
  const file = await sdk.files.create({ file: createReadStream(path), purpose: 'batch' });
  return sdk.batches.create({ input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h' });
}

// Polls every batch until all are terminal; returns the last of each and every queue_position seen per batch.
async function waitAll(batches, timeoutMs = 60_000) {
  const positions = new Map(batches.map(({ batch }) => [batch.id, []]));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const now = await Promise.all(batches.map(({ sdk, batch }) => sdk.batches.retrieve(batch.id)));
    for (const b of now) {
      if (b.queue_position !== undefined) {
        assert.equal(b.status, 'validating', 'queue_position only while waiting');
        positions.get(b.id).push(b.queue_position);
      }
    }
    if (now.every((b) => ['completed', 'failed', 'cancelled', 'expired'].includes(b.status))) return { now, positions };
    assert.ok(Date.now() < deadline, `still running: ${now.map((b) => b.status)}\n${stack.stderr().slice(-3000)}`);
    await sleep(250);
  }
}

describe('the job queue at the job quota', () => {
  before(async () => {
    stack = await startStack({ config: queueConfig });
    tmp = join(stack.dir, 'work');
    mkdirSync(tmp);
  });

  after(async () => {
    if (stack) await stack.stop();
  });

  test('max_concurrent_jobs 1: three batches of two keys complete one job at a time, keys taking turns',
    async () => {
      const [alice, bob] = [await client('alice'), await client('bob')];
      const before = await emulatorStats(stack);
      const { now, positions } = await withKnobs(stack, { recordsPerSecond: 100 }, async () => {
        const a1 = await startBatch(alice, 'a1');
        const a2 = await startBatch(alice, 'a2');
        const b1 = await startBatch(bob, 'b1');
        return waitAll([{ sdk: alice, batch: a1 }, { sdk: alice, batch: a2 }, { sdk: bob, batch: b1 }]);
      });
      const [a1, a2, b1] = now;
      for (const [b, sdk] of [[a1, alice], [a2, alice], [b1, bob]]) {
        assert.equal(b.status, 'completed', JSON.stringify(b.errors));
        assert.deepEqual(b.request_counts, { total: 100, completed: 100, failed: 0 });
        assert.equal(b.queue_position, undefined);
        assert.equal((await fileLines(sdk, b.output_file_id)).length, 100);
      }
      const after = await emulatorStats(stack);
      assert.equal(after.jobsCreated, before.jobsCreated + 3);
      assert.equal(after.peakActiveJobs, 1, 'never more than one Bedrock job at once');
      assert.equal(after.createCalls, before.createCalls + 3, 'no create was tried while the model was full');
      assert.ok(a1.in_progress_at < b1.in_progress_at && b1.in_progress_at < a2.in_progress_at,
        `start order a1, b1, a2: ${[a1, b1, a2].map((b) => b.in_progress_at)}`);
      assert.ok(positions.get(a2.id).includes(2), `a2 waited second in line: ${positions.get(a2.id)}`);
      assert.ok(positions.get(b1.id).includes(1), `b1 waited first in line: ${positions.get(b1.id)}`);
      assert.ok(positions.get(a2.id).includes(1), 'a2 moved up once a1 ended');
    });

  // The window passing is brought forward by moving the stored deadline (expires_at) into the past.
  test('a batch whose completion window passes while queued ends expired, saying it never started', async () => {
    const sdk = await client('expiry');
    await withKnobs(stack, { recordsPerSecond: 5 }, async () => {
      const running = await startBatch(sdk, 'long');
      await waitForBatch(sdk, running.id, { until: (b) => b.status === 'in_progress', logTail: stack.stderr });
      const queued = await startBatch(sdk, 'late');
      const waiting = await waitForBatch(sdk, queued.id, { until: (b) => b.queue_position === 1, logTail: stack.stderr });
      assert.equal(waiting.batch.status, 'validating');
      execFileSync('sqlite3', ['-cmd', '.timeout 5000', stack.env.BATCHGATE_DB,
        `UPDATE batches SET expires_at = strftime('%s','now') - 1 WHERE id = '${queued.id}'`]);
      const { batch } = await waitForBatch(sdk, queued.id, { logTail: stack.stderr, timeoutMs: 20_000 });
      assert.equal(batch.status, 'expired');
      assert.ok(Number.isInteger(batch.expired_at));
      assert.equal(batch.in_progress_at, null);
      assert.equal(batch.output_file_id, null);
      assert.equal(batch.queue_position, undefined);
      const [error] = batch.errors.data;
      assert.equal(error.code, 'job_quota_full');
      assert.match(error.message, /never started/);
      assert.match(error.message, /max_concurrent_jobs: 1/);
      await sdk.batches.cancel(running.id);
      await waitForBatch(sdk, running.id, { logTail: stack.stderr });
    });
  });

  test('Bedrock answering ServiceQuotaExceededException: the batch waits, then completes with one job',
    async () => {
      const sdk = await client('quota');
      const before = await emulatorStats(stack);
      const { batch, statuses } = await withKnobs(stack, { quotaExceededFirstN: 3 }, async () => {
        const created = await startBatch(sdk, 'q');
        return waitForBatch(sdk, created.id, { logTail: stack.stderr });
      });
      assert.equal(batch.status, 'completed', JSON.stringify(batch.errors));
      assert.ok(!statuses.includes('failed'), `statuses: ${statuses}`);
      assert.equal(batch.errors, null);
      assert.deepEqual(batch.request_counts, { total: 100, completed: 100, failed: 0 });
      const after = await emulatorStats(stack);
      assert.equal(after.createCalls, before.createCalls + 4, 'three refusals, then the job');
      assert.equal(after.jobsCreated, before.jobsCreated + 1, 'one Bedrock job for the retried submits');
    });
});
