// The official AWS SDK for JavaScript (@aws-sdk/client-bedrock) against bedrock-emulator: Create/Get/
// List (paginator)/Stop must parse, and every error must arrive as the SDK's modelled exception with its
// HTTP status (spec/bedrock-batch.md §3-§7). No S3 here: jobs fail in Validating, which is all this needs.
//
// usage: node aws_sdk_js_check.mjs PATH_TO_BEDROCK_EMULATOR
// The SDK is resolved from NODE_PATH (tests/e2e/node_modules); exit code 77 (ctest "skipped") without it.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';

const require = createRequire(import.meta.url);
let sdk;
try {
  sdk = require('@aws-sdk/client-bedrock');
} catch {
  console.log('SKIP: @aws-sdk/client-bedrock is not installed (npm ci in tests/e2e)');
  process.exit(77);
}
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

const { child, endpoint } = await startEmulator(process.argv[2]);
try {
  await checks(endpoint);
  console.log('all checks passed');
} finally {
  child.kill('SIGTERM');
}
