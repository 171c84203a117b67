// The official AWS SDK for JavaScript (@aws-sdk/client-bedrock) against bedrock-emulator: Create/Get/
// List (paginator)/Stop must parse, and every error must arrive as the SDK's modelled exception with its
// HTTP status (spec/bedrock-batch.md §3-§7). No S3 here: jobs fail in Validating, which is all this needs.
// @aws-sdk/client-bedrock-runtime's InvokeModelCommand drives InvokeModel for the four emulated families.
//
// usage: node aws_sdk_js_check.mjs PATH_TO_BEDROCK_EMULATOR
// The SDKs are resolved from NODE_PATH (tests/e2e/node_modules); exit code 77 (ctest "skipped") without them.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
let sdk;
let runtimeSdk;
let NodeHttpHandler;
try {
  sdk = require('@aws-sdk/client-bedrock');
  runtimeSdk = require('@aws-sdk/client-bedrock-runtime');
  ({ NodeHttpHandler } = require('@smithy/node-http-handler'));
} catch {
  console.log('SKIP: @aws-sdk/client-bedrock(-runtime) is not installed (npm ci in tests/e2e)');
  process.exit(77);
}
const { BedrockRuntimeClient, InvokeModelCommand } = runtimeSdk;
const {
  BedrockClient, CreateModelInvocationJobCommand, GetModelInvocationJobCommand,
  ListModelInvocationJobsCommand, StopModelInvocationJobCommand, paginateListModelInvocationJobs,
} = sdk;

const KEY = { accessKeyId: 'AKIDJSCHECK000000000', secretAccessKey: 'js-check-secret' };
const ROLE = 'arn:aws:iam::123456789012:role/BedrockBatchRole';
const ARN_RE = /^arn:aws:bedrock:us-east-1:123456789012:model-invocation-job\/[a-z0-9]{12}$/;

function startEmulator(path) {
  const child = spawn(path, ['--port', '0', '--access-key-id', KEY.accessKeyId, '--secret-access-key',
    KEY.secretAccessKey, '--submitted-seconds', '0.1', '--validating-seconds', '0.1', '--stopping-seconds', '0.2',
    '--max-concurrent-jobs', '100'], { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once('line', (line) => {
      const match = /^listening on 127\.0\.0\.1:(\d+)$/.exec(line);
      if (!match) reject(new Error(`unexpected first line ${line}`));
      else resolve({ child, endpoint: `http://127.0.0.1:${match[1]}` });
    });
    child.once('error', reject);
  });
}

const client = (endpoint, credentials = KEY) =>
  new BedrockClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

const job = (name, extra = {}) => ({
  jobName: name, roleArn: ROLE, modelId: 'anthropic.claude-3-haiku-20240307-v1:0',
  inputDataConfig: { s3InputDataConfig: { s3Uri: 's3://js-bucket/in/input.jsonl' } },
  outputDataConfig: { s3OutputDataConfig: { s3Uri: 's3://js-bucket/out/' } }, ...extra,
});

async function expectError(name, status, promise) {
  try {
    await promise;
  } catch (error) {
    assert.equal(error.name, name, `expected ${name}, got ${error.name}: ${error.message}`);
    assert.equal(error.$metadata.httpStatusCode, status);
    assert.ok(error.message);
    return error;
  }
  assert.fail(`expected ${name}, the call succeeded`);
}

async function admin(endpoint, body) {
  const response = await fetch(`${endpoint}/_emulator/config`, { method: 'POST', body: JSON.stringify(body) });
  assert.equal(response.status, 200);
}

async function adminGet(endpoint, path) {
  const response = await fetch(`${endpoint}${path}`);
  assert.equal(response.status, 200);
  return response.json();
}

async function waitFor(bedrock, arn, wanted) {
  for (let i = 0; i < 200; i += 1) {
    const got = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: arn }));
    if (wanted.includes(got.status)) return got;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`${arn} never reached ${wanted}`);
}

async function checks(endpoint) {
  const bedrock = client(endpoint);
  const { jobArn } = await bedrock.send(new CreateModelInvocationJobCommand(
    job('js-create', { clientRequestToken: 'js-token-1', timeoutDurationInHours: 24 })));
  assert.match(jobArn, ARN_RE);
  const got = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn }));
  assert.ok(got.submitTime instanceof Date && got.jobExpirationTime instanceof Date);
  assert.equal(got.jobExpirationTime - got.submitTime, 24 * 3600 * 1000);
  const again = await bedrock.send(new CreateModelInvocationJobCommand(job('js-create', { clientRequestToken: 'js-token-1' })));
  assert.equal(again.jobArn, jobArn);
  const byId = await bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: jobArn.split('/').pop() }));
  assert.equal(byId.jobArn, jobArn);
  console.log('ok   create, get by ARN and id, idempotent token');

  const arns = [];
  for (let i = 0; i < 5; i += 1) {
    arns.push((await bedrock.send(new CreateModelInvocationJobCommand(job(`js-page-${i}`)))).jobArn);
  }
  const sizes = [];
  const listed = [];
  for await (const page of paginateListModelInvocationJobs({ client: bedrock, pageSize: 2 }, { nameContains: 'js-page-' })) {
    sizes.push(page.invocationJobSummaries.length);
    listed.push(...page.invocationJobSummaries.map((s) => s.jobArn));
  }
  assert.deepEqual(sizes, [2, 2, 1]);
  assert.deepEqual(listed, [...arns].reverse());
  console.log('ok   list with the paginator, newest first');

  await admin(endpoint, { submittedSeconds: 30 });
  const stopArn = (await bedrock.send(new CreateModelInvocationJobCommand(job('js-stop')))).jobArn;
  await admin(endpoint, { submittedSeconds: 0.1 });
  await bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: stopArn }));
  await waitFor(bedrock, stopArn, ['Stopped']);
  const stopError = await expectError('ValidationException', 400,
    bedrock.send(new StopModelInvocationJobCommand({ jobIdentifier: stopArn })));
  assert.match(stopError.message, /State was: Stopped/);
  console.log('ok   stop, and stop of a terminal job');

  await expectError('ValidationException', 400, bedrock.send(new CreateModelInvocationJobCommand(job('js_bad'))));
  await expectError('ResourceNotFoundException', 404,
    bedrock.send(new GetModelInvocationJobCommand({ jobIdentifier: 'zzzzzzzzzzzz' })));
  await admin(endpoint, { forceQuotaExceeded: true });
  await expectError('ServiceQuotaExceededException', 400,
    bedrock.send(new CreateModelInvocationJobCommand(job('js-quota'))));
  await admin(endpoint, { forceQuotaExceeded: false, throttleRate: 1 });
  await expectError('ThrottlingException', 429, bedrock.send(new ListModelInvocationJobsCommand({})));
  await admin(endpoint, { throttleRate: 0, serverErrorRate: 1 });
  await expectError('InternalServerException', 500, bedrock.send(new ListModelInvocationJobsCommand({})));
  await admin(endpoint, { serverErrorRate: 0 });
  const wrong = client(endpoint, { ...KEY, secretAccessKey: 'wrong' });
  await expectError('InvalidSignatureException', 403, wrong.send(new ListModelInvocationJobsCommand({})));
  console.log('ok   validation, not found, quota, throttling, internal and signature errors');
}

const CLAUDE = 'anthropic.claude-3-haiku-20240307-v1:0';
const claudeBody = (text) => ({
  anthropic_version: 'bedrock-2023-05-31', max_tokens: 64, messages: [{ role: 'user', content: text }],
});
// [model id as a caller names it, modelInput, its input and output token counts from the response body]
const FAMILIES = [
  [CLAUDE, claudeBody('hello claude'), (b) => [b.usage.input_tokens, b.usage.output_tokens]],
  ['us.amazon.nova-lite-v1:0', { messages: [{ role: 'user', content: [{ text: 'hello nova' }] }] },
    (b) => [b.usage.inputTokens, b.usage.outputTokens]],
  ['arn:aws:bedrock:us-east-1::foundation-model/meta.llama3-1-70b-instruct-v1:0', { prompt: 'hello llama' },
    (b) => [b.prompt_token_count, b.generation_token_count]],
  ['amazon.titan-embed-text-v2:0', { inputText: 'embed this', dimensions: 512 }, (b) => [b.inputTextTokenCount, 0]],
];

// A runtime client that keeps the last raw response's headers (the SDK does not return them). The
// bedrock-runtime client defaults to HTTP/2 (for its streaming operations); the emulator speaks HTTP/1.1.
function runtimeClient(endpoint, maxAttempts = 1) {
  const runtime = new BedrockRuntimeClient({
    endpoint, region: 'us-east-1', credentials: KEY, maxAttempts, requestHandler: new NodeHttpHandler(),
  });
  runtime.middlewareStack.add((next) => async (args) => {
    const result = await next(args);
    runtime.lastHeaders = result.response.headers;
    return result;
  }, { step: 'deserialize' });
  return runtime;
}

const invoke = (runtime, modelId, body) => runtime.send(new InvokeModelCommand({
  modelId, body: JSON.stringify(body), contentType: 'application/json', accept: 'application/json',
}));

async function invokeChecks(endpoint) {
  const runtime = runtimeClient(endpoint);
  for (const [modelId, input, tokens] of FAMILIES) {
    const response = await invoke(runtime, modelId, input);
    assert.equal(response.contentType, 'application/json');
    const body = JSON.parse(new TextDecoder().decode(response.body));
    const headers = runtime.lastHeaders;
    assert.deepEqual([Number(headers['x-amzn-bedrock-input-token-count']),
      Number(headers['x-amzn-bedrock-output-token-count'])], tokens(body), modelId);
    assert.ok(response.$metadata.requestId);
  }
  const stats = await adminGet(endpoint, '/_emulator/stats');
  assert.equal(stats.invocations, FAMILIES.length);
  assert.deepEqual(Object.keys(stats.invocationsByModel).sort(), FAMILIES.map(([id]) => id).sort());
  console.log('ok   InvokeModel for the four families, with token headers');

  const bad = await expectError('ValidationException', 400, invoke(runtime, CLAUDE, { ...claudeBody('x'), model: CLAUDE }));
  assert.match(bad.message, /extraneous key \[model\]/);
  await expectError('ValidationException', 400, invoke(runtime, 'cohere.command-r-v1:0', claudeBody('x')));
  await admin(endpoint, { invokeThrottleRate: 1 });
  await expectError('ThrottlingException', 429, invoke(runtime, CLAUDE, claudeBody('x')));
  await admin(endpoint, { invokeThrottleRate: 0, invokeFailureRate: 1 });
  await expectError('ModelErrorException', 424, invoke(runtime, CLAUDE, claudeBody('x')));
  await admin(endpoint, { invokeFailureRate: 0, invokeServerErrorRate: 1 });
  const unavailable = await Promise.allSettled(Array.from({ length: 20 }, () => invoke(runtime, CLAUDE, claudeBody('x'))));
  assert.deepEqual(new Set(unavailable.map((r) => r.reason?.name)),
    new Set(['InternalServerException', 'ServiceUnavailableException']));
  await admin(endpoint, { invokeServerErrorRate: 0 });
  console.log('ok   InvokeModel validation, throttling, model and server errors');

  await fetch(`${endpoint}/_emulator/reset-invocations`, { method: 'POST' });
  await admin(endpoint, { invokeThrottleFirstN: 2 });
  const body = claudeBody('retry me');
  const retried = await invoke(runtimeClient(endpoint, 5), CLAUDE, body);
  await admin(endpoint, { invokeThrottleFirstN: 0 });
  assert.equal(retried.$metadata.attempts, 3);
  const sha = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  assert.deepEqual((await adminGet(endpoint, '/_emulator/invocations')).counts, { [sha]: 1 });
  console.log('ok   InvokeModel retried by the SDK after throttling, run once');
}

const { child, endpoint } = await startEmulator(process.argv[2]);
try {
  await checks(endpoint);
  await invokeChecks(endpoint);
  console.log('all checks passed');
} finally {
  child.kill('SIGTERM');
}
