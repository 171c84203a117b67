// Starts the whole local stack for one test file: moto_server (S3, SigV4 checked) and bedrock-emulator through
// deploy/local/up.sh in a private state directory, then the batchgate binary with deploy/config.example.yaml on
// a free port. Everything started here is stopped by stop(), or by the process exit hook if a test file dies.
//
// Environment:
//   BATCHGATE_BUILD_DIR  build tree holding server/batchgate and deploy/bedrock-emulator/bedrock-emulator
//                        (default: build, relative to the source root)
//   BATCHGATE_E2E_KEEP   set to keep the temporary directory (logs, database) after stop()
import { execFile, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

import { s3sdk } from './deps.mjs';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

const execFileAsync = promisify(execFile);
const kStartTimeoutMs = 20_000;
const kStopTimeoutMs = 10_000;
const kLogTailBytes = 16 * 1024;

function buildDir() {
  return resolve(root, process.env.BATCHGATE_BUILD_DIR || 'build');
}

function requireExecutable(path, target) {
  if (!existsSync(path)) {
    throw new Error(`${path} does not exist: build it with cmake --build ${buildDir()} --target ${target}` +
      ' (or point BATCHGATE_BUILD_DIR at the build tree that has it)');
  }
  return path;
}

// stack.env holds `export NAME=value` lines (deploy/local/up.sh).
function readStackEnv(path) {
  const env = {};
  for (const line of readFileSync(path, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2];
  }
  for (const name of ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'S3_ENDPOINT_URL', 'BEDROCK_ENDPOINT_URL',
    'BATCHGATE_BUCKET']) {
    if (!env[name]) throw new Error(`${path} does not set ${name}`);
  }
  return env;
}

// Resolves with the port once batchgate prints `listening on 127.0.0.1:PORT` on stderr.
function waitListening(child, logTail) {
  return new Promise((resolvePort, reject) => {
    let seen = '';
    const timer = setTimeout(() => finish(new Error(
      `batchgate did not print "listening on" within ${kStartTimeoutMs} ms; stderr:\n${logTail()}`)), kStartTimeoutMs);
    const onData = (chunk) => {
      seen += chunk.toString();
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(seen);
      if (m) finish(null, Number(m[1]));
    };
    const onExit = (code, signal) => finish(new Error(
      `batchgate exited (code ${code}, signal ${signal}) before listening; stderr:\n${logTail()}`));
    function finish(err, port) {
      clearTimeout(timer);
      child.stderr.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err); else resolvePort(port);
    }
    child.stderr.on('data', onData);
    child.once('exit', onExit);
  });
}

function waitExit(child, timeoutMs) {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  return new Promise((resolveExit) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolveExit({ code, signal });
    });
  });
}

// Returns {baseURL, masterKey, env, bucket, s3, dir, stderr(), stop()}. stop() resolves with batchgate's exit
// {code, signal}: a clean SIGTERM shutdown exits with code 0.
export async function startStack() {
  const dir = mkdtempSync(join(tmpdir(), 'batchgate-e2e-'));
  const localDir = join(dir, 'local');
  const upEnv = {
    ...process.env,
    BATCHGATE_LOCAL_DIR: localDir,
    BEDROCK_EMULATOR_BIN: requireExecutable(join(buildDir(), 'deploy/bedrock-emulator/bedrock-emulator'),
      'bedrock-emulator'),
  };
  const batchgateBin = requireExecutable(join(buildDir(), 'server/batchgate'), 'batchgate');

  let child = null;
  let stopped = false;
  const downSync = () => spawnSync('bash', [join(root, 'deploy/local/down.sh')], { env: upEnv, stdio: 'ignore' });
  // A test file that throws or is interrupted must not leave moto_server, the emulator or batchgate behind.
  const onExit = () => {
    if (stopped) return;
    stopped = true;
    if (child && child.exitCode === null) child.kill('SIGKILL');
    downSync();
  };
  const onSignal = (signal) => {
    onExit();
    process.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  process.once('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);

  try {
    await execFileAsync('bash', [join(root, 'deploy/local/up.sh')], { env: upEnv, timeout: 60_000 });
  } catch (err) {
    onExit();
    throw new Error(`deploy/local/up.sh failed: ${err.stderr || err.message}`);
  }
  const stackEnv = readStackEnv(join(localDir, 'stack.env'));
  const masterKey = `sk-master-${randomBytes(16).toString('hex')}`;
  const env = {
    ...process.env,
    ...stackEnv,
    BATCHGATE_MASTER_KEY: masterKey,
    BATCHGATE_DB: join(dir, 'batchgate.db'),
  };

  let tail = '';
  const logFile = createWriteStream(join(dir, 'batchgate.log'));
  child = spawn(batchgateBin, ['--config', join(root, 'deploy/config.example.yaml'), '--port', '0'], {
    cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'],
  });
  child.stderr.on('data', (chunk) => {
    logFile.write(chunk);
    tail = (tail + chunk.toString()).slice(-kLogTailBytes);
  });
  const stderr = () => tail;

  let port;
  try {
    port = await waitListening(child, stderr);
  } catch (err) {
    onExit();
    logFile.end();
    throw err;
  }

  const s3 = new s3sdk.S3Client({
    endpoint: stackEnv.S3_ENDPOINT_URL,
    region: stackEnv.AWS_REGION || 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: stackEnv.AWS_ACCESS_KEY_ID, secretAccessKey: stackEnv.AWS_SECRET_ACCESS_KEY },
    // moto verifies SigV4; keep requests to the plain signed shape it knows.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });

  async function stop() {
    if (stopped) return { code: child.exitCode, signal: child.signalCode };
    child.kill('SIGTERM');
    const exit = await waitExit(child, kStopTimeoutMs);
    stopped = true;
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    s3.destroy();
    downSync();
    await new Promise((done) => logFile.end(done));
    if (exit.code !== 0) console.error(`batchgate exited with ${JSON.stringify(exit)}; stderr tail:\n${tail}`);
    if (process.env.BATCHGATE_E2E_KEEP) console.error(`kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
    return exit;
  }

  return {
    baseURL: `http://127.0.0.1:${port}`,
    masterKey,
    env,
    bucket: stackEnv.BATCHGATE_BUCKET,
    s3,
    dir,
    stderr,
    stop,
  };
}

// POST /key/generate with the master key; resolves with the response body (its `key` is the new sk-… key).
export async function createKey(stack, body = {}) {
  const res = await fetch(`${stack.baseURL}/key/generate`, {
    method: 'POST',
    headers: { Authorization: `Bearer ${stack.masterKey}`, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`/key/generate answered ${res.status}: ${text}`);
  const info = JSON.parse(text);
  if (typeof info.key !== 'string' || !info.key.startsWith('sk-')) {
    throw new Error(`/key/generate returned no sk- key: ${text}`);
  }
  return info;
}
