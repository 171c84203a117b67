// LiteLLM's "Bedrock Batches" walkthrough (docs.litellm.ai/docs/providers/bedrock_batches) with the official
// OpenAI Node SDK against batchgate, as a LiteLLM user would run it: their model_list entry (S3 keys only as
// s3_access_key_id / s3_secret_access_key from os.environ/, no aws_region_name), `master_key: sk-1234` used as
// the client's key, the litellm_settings / router_settings / environment_variables blocks a LiteLLM config
// carries, a baseURL without /v1, the file uploaded with target_model_names, batches.create with metadata,
// retrieve until completed, files.content with their custom-llm-provider header. batchgate gets no AWS_*
// variable and no ~/.aws: its config alone gives it credentials, for S3 and (by fallback) for Bedrock.
//
// Also here, because the walkthrough's client meets them: errors answered before an upload's body is read
// reach the SDK as OpenAI errors (never "Connection error"), and a 100 MB upload whose target_model_names comes
// after the file part is spooled to disk and translated with flat memory, leaving nothing behind.
import assert from 'node:assert/strict';
import {
  createReadStream, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import {
  assertBatchKeys, assertChatCompletion, assertCompletedTimestamps, assertCompletingProgression, assertEachRequestOnce,
  assertNewBatch, assertSuccessLine, waitForBatch,
} from './lib/batches.mjs';
import { OpenAI, s3sdk } from './lib/deps.mjs';
import { invocationCounts } from './lib/emulator.mjs';
import { chatRequest, writeJsonl } from './lib/jsonl.mjs';
import { startStack } from './lib/stack.mjs';

const { GetObjectCommand } = s3sdk;

// Requests in the walkthrough's batch file, as theirs: below Bedrock's 100-record batch-job minimum, so the
// batch runs on demand (InvokeModel per record, at the on-demand price).
const kRequests = 2;
// LiteLLM prices models from its own cost map; batchgate has none, so the entry names the price.
const kInputPrice = 0.000003;
const kOutputPrice = 0.000015;
const kModel = 'bedrock-batch-claude';
const kMasterKey = 'sk-1234';
const kBigUploadBytes = 100 * 1000 * 1000;
// What the 100 MB spooled upload may add to batchgate's peak RSS: S3 part buffers, the spool's memory part,
// the checker's per-line state — not the file.
const kFlatMemoryBytes = 64 * 1024 * 1024;

// Their config.yaml, with the values the local stack needs. Differences from the walkthrough, each needed to
// run it here: the S3 keys come from variables not named AWS_* (the test proves no AWS_* variable is used);
// the bucket comes from environment_variables (proving the block is applied before os.environ/ is read);
// s3_region_name is the local stack's region; s3_endpoint_url and aws_bedrock_endpoint point at the stand-ins.
function walkthroughConfig(stackEnv) {
  mkdirSync(join(stackEnv.dir, 'spool'));
  return `
model_list:
  - model_name: "${kModel}"
    litellm_params:
      model: bedrock/us.anthropic.claude-3-5-sonnet-20240620-v1:0
      #########################################################
      ########## batch specific params ########################
      s3_bucket_name: os.environ/WALKTHROUGH_BUCKET
      s3_region_name: ${stackEnv.AWS_REGION}
      s3_access_key_id: os.environ/WALKTHROUGH_S3_ACCESS_KEY_ID
      s3_secret_access_key: os.environ/WALKTHROUGH_S3_SECRET_ACCESS_KEY
      aws_batch_role_arn: arn:aws:iam::888602223428:role/service-role/AmazonBedrockExecutionRoleForAgents_BB9HNW6V4CV
      # The local stand-ins for S3 and Bedrock.
      s3_endpoint_url: os.environ/S3_ENDPOINT_URL
      aws_bedrock_endpoint: os.environ/BEDROCK_ENDPOINT_URL
    model_info:
      mode: batch # 👈 SPECIFY MODE AS BATCH, to tell user this is a batch model
      input_cost_per_token: ${kInputPrice}
      output_cost_per_token: ${kOutputPrice}

general_settings:
  master_key: ${kMasterKey}
  database_path: os.environ/BATCHGATE_DB

litellm_settings:
  drop_params: true
  set_verbose: false

router_settings:
  routing_strategy: simple-shuffle

environment_variables:
  WALKTHROUGH_BUCKET: ${stackEnv.BATCHGATE_BUCKET}

batchgate_settings:
  port: 0
  poll_interval_min: 1s
  poll_interval_max: 2s
  spool_dir: ${join(stackEnv.dir, 'spool')}
`;
}

// batchgate's environment: no AWS_* variable at all and a HOME without ~/.aws, the S3 keys under other names.
function walkthroughEnv(env) {
  const out = Object.fromEntries(Object.entries(env).filter(([name]) => !name.startsWith('AWS_')));
  out.HOME = join(env.BATCHGATE_DB, '..', 'home');
  mkdirSync(out.HOME, { recursive: true });
  out.WALKTHROUGH_S3_ACCESS_KEY_ID = env.AWS_ACCESS_KEY_ID;
  out.WALKTHROUGH_S3_SECRET_ACCESS_KEY = env.AWS_SECRET_ACCESS_KEY;
  return out;
}

// A line of their bedrock_batch_completions.jsonl.
function walkthroughLine(i, model = kModel) {
  return {
    custom_id: `request-${i}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: {
      model,
      messages: [
        { role: 'system', content: i % 2 ? 'You are a helpful assistant.' : 'You are an unhelpful assistant.' },
        { role: 'user', content: 'Hello world!' },
      ],
      max_tokens: 1000,
    },
  };
}

let stack;
let spoolDir;

function sdk(baseURL = stack.baseURL, apiKey = kMasterKey) {
  return new OpenAI({ baseURL, apiKey, maxRetries: 0 });
}

async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('the request was expected to fail');
}

// Descriptors batchgate holds on files in the spool directory (unlinked spool files read "… (deleted)").
function openSpoolFiles() {
  const fdDir = `/proc/${stack.pid()}/fd`;
  const open = [];
  for (const fd of readdirSync(fdDir)) {
    try {
      const target = readlinkSync(join(fdDir, fd));
      if (target.startsWith(`${spoolDir}/`)) open.push(target);
    } catch {
      // closed while listing
    }
  }
  return open;
}

async function assertSpoolLeftEmpty() {
  const deadline = Date.now() + 5000;
  while (openSpoolFiles().length > 0 && Date.now() < deadline) await sleep(50);
  assert.deepEqual(openSpoolFiles(), [], 'no spool file is open any more');
  assert.deepEqual(readdirSync(spoolDir), [], 'the spool directory is empty');
}

function memoryKb(field) {
  const status = readFileSync(`/proc/${stack.pid()}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)[1]);
}

async function objectHead(key, bytes = 65536) {
  const r = await stack.s3.send(new GetObjectCommand({ Bucket: stack.bucket, Key: key, Range: `bytes=0-${bytes - 1}` }));
  return r.Body.transformToString();
}

describe('LiteLLM Bedrock Batches walkthrough', () => {
  let tmp;

  before(async () => {
    stack = await startStack({ config: walkthroughConfig, env: walkthroughEnv, masterKey: kMasterKey });
    assert.ok(!Object.keys(stack.env).some((name) => name.startsWith('AWS_')), 'batchgate runs without AWS_*');
    tmp = join(stack.dir, 'work');
    mkdirSync(tmp);
    spoolDir = join(stack.dir, 'spool');
  });

  after(async () => {
    if (stack) await stack.stop();
  });

  test('their config starts batchgate with one warning per block or key it does not use', () => {
    const log = stack.stderr();
    assert.match(log, /config: router_settings: not used by batchgate; ignored/);
    assert.match(log, /config: litellm_settings\.set_verbose: not used by batchgate; ignored/);
    assert.match(log, /config: general_settings\.master_key: only 7 characters/);
    assert.doesNotMatch(log, /litellm_settings\.drop_params/, 'drop_params is used');
    assert.doesNotMatch(log, /warning config: environment_variables/, 'environment_variables is used');
    assert.match(log, /config: environment_variables set 1 variable\(s\)/);
    assert.doesNotMatch(log, /s3_access_key_id|s3_secret_access_key/, 'the s3_* keys are used');
  });

  test('upload with target_model_names, create with metadata, retrieve until completed, download', async () => {
    const client = sdk();  // baseURL without /v1, as in the walkthrough
    const models = [];
    for await (const m of client.models.list()) models.push(m.id);
    assert.deepEqual(models, [kModel]);

    const path = join(tmp, 'bedrock_batch_completions.jsonl');
    await writeJsonl(path, Array.from({ length: kRequests }, (_, i) => walkthroughLine(i + 1)));
    const input = await client.files.create({ file: createReadStream(path), purpose: 'batch',
      target_model_names: kModel });
    assert.equal(input.object, 'file');
    assert.equal(input.purpose, 'batch');
    assert.equal(input.bytes, statSync(path).size);

    const startedAt = Date.now() / 1000;
    const batch = await client.batches.create({ input_file_id: input.id, endpoint: '/v1/chat/completions',
      completion_window: '24h', metadata: { description: 'Test batch job' } });
    assertNewBatch(batch, { fileId: input.id, endpoint: '/v1/chat/completions',
      metadata: { description: 'Test batch job' }, model: kModel, startedAt });

    const { batch: done, statuses } = await waitForBatch(client, batch.id, { logTail: stack.stderr });
    assertBatchKeys(done);
    assertCompletingProgression(statuses);
    assertCompletedTimestamps(done);
    assert.deepEqual(done.request_counts, { total: kRequests, completed: kRequests, failed: 0 });
    assert.deepEqual(done.metadata, { description: 'Test batch job' });

    // Their download: files.content with the custom-llm-provider header.
    const result = await client.files.content(done.output_file_id, { headers: { 'custom-llm-provider': 'bedrock' } });
    const lines = (await result.text()).trimEnd().split('\n').map((l) => JSON.parse(l));
    assertEachRequestOnce(lines, [], Array.from({ length: kRequests }, (_, i) => `request-${i + 1}`));
    for (const line of lines) {
      assertSuccessLine(line);
      assertChatCompletion(line.response.body, kModel);
    }
    assert.equal(done.error_file_id, null);

    // Run on demand: each record invoked once, spent at the model's on-demand price (not the batch price).
    const counts = await invocationCounts(stack);
    const bodies = Object.values(counts);
    assert.equal(bodies.length, kRequests, `one body per request: ${JSON.stringify(counts)}`);
    for (const n of bodies) assert.equal(n, 1);
    const spend = await (await fetch(`${stack.baseURL}/spend/logs`, {
      headers: { Authorization: `Bearer ${kMasterKey}` } })).json();
    const row = spend.data.find((r) => r.batch_id === batch.id);
    assert.ok(row, `a spend row for ${batch.id}: ${JSON.stringify(spend)}`);
    assert.equal(row.pricing, 'on_demand');
    assert.ok(done.usage.input_tokens > 0 && done.usage.output_tokens > 0);
    const expected = done.usage.input_tokens * kInputPrice + done.usage.output_tokens * kOutputPrice;
    assert.ok(Math.abs(row.spend - expected) < 1e-9, `spend ${row.spend}, expected ${expected}`);

    // The same batch through /v1 and through LiteLLM's x-litellm-api-key header.
    assert.deepEqual(await sdk(`${stack.baseURL}/v1`).batches.retrieve(batch.id), done);
    const viaHeader = await fetch(`${stack.baseURL}/batches/${batch.id}`, { headers: { 'x-litellm-api-key': kMasterKey } });
    assert.equal(viaHeader.status, 200);
    assert.deepEqual(await viaHeader.json(), done);
  });

  test('their curl upload: purpose, file, then extra_body with target_model_names', async () => {
    const form = new FormData();
    form.append('purpose', 'batch');
    const text = Array.from({ length: 3 }, (_, i) => JSON.stringify(walkthroughLine(i + 1, 'gpt-4o-mini'))).join('\n');
    form.append('file', new Blob([`${text}\n`]), 'bedrock_batch_completions.jsonl');
    form.append('extra_body', JSON.stringify({ target_model_names: kModel }));
    const res = await fetch(`${stack.baseURL}/v1/files`, { method: 'POST', body: form,
      headers: { Authorization: `Bearer ${kMasterKey}` } });
    const file = await res.json();
    assert.equal(res.status, 200, JSON.stringify(file));
    const record = JSON.parse((await objectHead(`files/${file.id}/input.jsonl`)).split('\n')[0]);
    assert.equal(record.modelInput.anthropic_version, 'bedrock-2023-05-31', 'translated for the target model');

    const bad = new FormData();
    bad.append('purpose', 'batch');
    bad.append('file', new Blob([`${text}\n`]), 'b.jsonl');
    bad.append('extra_body', JSON.stringify({ target_model_names: kModel, temperature: 0 }));
    const refused = await fetch(`${stack.baseURL}/files`, { method: 'POST', body: bad,
      headers: { Authorization: `Bearer ${kMasterKey}` } });
    assert.equal(refused.status, 400);
    assert.equal((await refused.json()).error.param, 'extra_body.temperature');
  });

  test('an upload to a route that does not exist gets the 404 error object, not a connection error', async () => {
    for (const [name, count] of [['small.jsonl', 3], ['large.jsonl', 40_000]]) {
      const path = join(tmp, `wrong-route-${name}`);
      await writeJsonl(path, Array.from({ length: count }, (_, i) => walkthroughLine(i + 1)));
      const err = await rejection(sdk(`${stack.baseURL}/v2`).files.create({ file: createReadStream(path),
        purpose: 'batch', target_model_names: kModel }));
      assert.ok(err instanceof OpenAI.NotFoundError, `${name} (${statSync(path).size} bytes): 404 expected, got ${err}`);
      assert.equal(err.code, 'unknown_route');
      assert.match(err.message, /POST \/v2\/files/);
    }
  });

  test('an unauthenticated upload gets the 401 error object, not a connection error', async () => {
    for (const [name, count] of [['small.jsonl', 3], ['large.jsonl', 40_000]]) {
      const path = join(tmp, `no-key-${name}`);
      await writeJsonl(path, Array.from({ length: count }, (_, i) => walkthroughLine(i + 1)));
      const err = await rejection(sdk(stack.baseURL, 'sk-not-a-key').files.create({ file: createReadStream(path),
        purpose: 'batch', target_model_names: kModel }));
      assert.ok(err instanceof OpenAI.AuthenticationError,
        `${name} (${statSync(path).size} bytes): 401 expected, got ${err}`);
      assert.equal(err.code, 'invalid_api_key');
    }
  });

  test('100 MB whose lines name an unconfigured model, target_model_names after the file part: spooled, flat memory',
    async () => {
      const path = join(tmp, 'big-gpt.jsonl');
      // 50,000 lines (the most a file may hold) of ~2,000 bytes.
      const lines = 50_000;
      const pad = Math.floor(kBigUploadBytes / lines) - Buffer.byteLength(JSON.stringify(chatRequest('g-00001',
        'gpt-4o-mini'))) - 1;
      const bytes = await writeJsonl(path, (function* gen() {
        for (let i = 1; i <= lines; i++) yield chatRequest(`g-${String(i).padStart(5, '0')}`, 'gpt-4o-mini', { pad });
      })());
      assert.ok(Math.abs(bytes - kBigUploadBytes) < lines, `${bytes} bytes`);

      // Peak RSS from here: /proc/<pid>/clear_refs resets VmHWM to the current RSS.
      writeFileSync(`/proc/${stack.pid()}/clear_refs`, '5');
      const rssBefore = memoryKb('VmRSS');
      let sawSpoolFile = false;
      let uploading = true;
      const watch = (async () => {
        while (uploading) {
          if (openSpoolFiles().some((f) => f.endsWith('(deleted)'))) sawSpoolFile = true;
          assert.deepEqual(readdirSync(spoolDir), [], 'the spool file never has a name in the directory');
          await sleep(100);
        }
      })();
      const started = Date.now();
      let file;
      try {
        // The Node SDK sends the file part first, then purpose, then target_model_names.
        file = await sdk().files.create({ file: createReadStream(path), purpose: 'batch', target_model_names: kModel });
      } finally {
        uploading = false;
        await watch;
      }
      const seconds = (Date.now() - started) / 1000;
      const peakKb = memoryKb('VmHWM');
      console.log(`100 MB spooled upload: ${seconds.toFixed(1)} s, batchgate RSS ${(rssBefore / 1024).toFixed(1)} MiB ` +
        `before, peak ${(peakKb / 1024).toFixed(1)} MiB (+${((peakKb - rssBefore) / 1024).toFixed(1)} MiB)`);
      assert.ok(sawSpoolFile, 'the upload waited in an (unlinked) spool file');
      assert.ok((peakKb - rssBefore) * 1024 < kFlatMemoryBytes,
        `peak RSS grew by ${((peakKb - rssBefore) / 1024).toFixed(1)} MiB for a 100 MB upload`);

      assert.equal(file.bytes, bytes);
      const record = JSON.parse((await objectHead(`files/${file.id}/input.jsonl`)).split('\n')[0]);
      assert.equal(record.modelInput.anthropic_version, 'bedrock-2023-05-31', 'translated for the target model');
      await assertSpoolLeftEmpty();
      await sdk().files.delete(file.id);
    });

  test('a spooled upload refused or abandoned leaves nothing behind', async () => {
    const path = join(tmp, 'spooled-8mb.jsonl');
    await writeJsonl(path, Array.from({ length: 4000 }, (_, i) => chatRequest(`s-${i}`, 'gpt-4o-mini', { pad: 2000 })));
    const unknown = await rejection(sdk().files.create({ file: createReadStream(path), purpose: 'batch',
      target_model_names: 'no-such-model' }));
    assert.ok(unknown instanceof OpenAI.BadRequestError, `400 expected, got ${unknown}`);
    assert.equal(unknown.param, 'target_model_names');
    assert.equal(unknown.code, 'model_not_found');
    await assertSpoolLeftEmpty();

    const none = await rejection(sdk().files.create({ file: createReadStream(path), purpose: 'batch' }));
    assert.ok(none instanceof OpenAI.BadRequestError, `400 expected, got ${none}`);
    assert.equal(none.code, 'model_not_found');
    assert.match(none.message, /target_model_names/);
    await assertSpoolLeftEmpty();

    // The client goes away part way through.
    const abort = new AbortController();
    const gone = sdk().files.create({ file: createReadStream(path), purpose: 'batch', target_model_names: kModel },
      { signal: abort.signal });
    const deadline = Date.now() + 10_000;
    while (!openSpoolFiles().length && Date.now() < deadline) await sleep(5);
    abort.abort();
    await rejection(gone);
    await assertSpoolLeftEmpty();
  });
});
