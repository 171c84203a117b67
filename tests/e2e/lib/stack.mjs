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
import { createWriteStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

// deploy/config.example.yaml with some batchgate_settings values replaced (e.g. {poll_interval_min: '1s'});
// a key the example does not have is added at the top of the block.
export function configWithSettings(settings) {
  const lines = readFileSync(join(root, 'deploy/config.example.yaml'), 'utf8').split('\n');
  const start = lines.findIndex((l) => /^batchgate_settings:/.test(l));
  if (start < 0) throw new Error('deploy/config.example.yaml has no batchgate_settings block');
  const missing = new Set(Object.keys(settings));
  for (let i = start + 1; i < lines.length && !/^\S/.test(lines[i]); i++) {
    const m = /^(\s+)([A-Za-z0-9_]+):\s*[^#]*?(\s*#.*)?$/.exec(lines[i]);
    if (!m || !(m[2] in settings)) continue;
    lines[i] = `${m[1]}${m[2]}: ${settings[m[2]]}${m[3] ?? ''}`;
    missing.delete(m[2]);
  }
  lines.splice(start + 1, 0, ...[...missing].map((k) => `  ${k}: ${settings[k]}`));
  return lines.join('\n');
}

// Returns {baseURL, pid(), masterKey, env, bucket, s3, dir, emulatorURL, configPath, stderr(), exitStatus(),
// restart(), stop()}. stop() resolves with batchgate's exit {code, signal}: a clean SIGTERM shutdown exits with
// code 0. exitStatus() is null while batchgate runs, else how it ended ({code, signal}), e.g. after a crash.
// pid() is batchgate's process id (its /proc entry: memory, open files).
//
// Options (all optional):
//   settings       batchgate_settings values to override in a copy of deploy/config.example.yaml, e.g.
//                  {poll_interval_min: '1s', poll_interval_max: '2s'}
//   emulatorArgs   extra bedrock-emulator flags (BEDROCK_EMULATOR_ARGS of up.sh)
//   config         batchgate's whole config.yaml instead (settings is then ignored): a function of the local
//                  stack's variables (stack.env of up.sh, with dir) returning its text
//   env            a function of the environment batchgate would get, returning the one it gets instead (e.g.
//                  without any AWS_* variable)
//   masterKey      the master key the config gives, when it is not BATCHGATE_MASTER_KEY (e.g. 'sk-1234')
// restart() SIGKILLs batchgate (no shutdown of any kind, as a crash) and starts it again on the same database,
// config and port; it resolves with the killed process's {code, signal} once the new one listens. It also
// brings back a batchgate that has already died.
export async function startStack({ settings, emulatorArgs, config, env: adjustEnv, masterKey: givenKey } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'batchgate-e2e-'));
  const localDir = join(dir, 'local');
  const upEnv = {
    ...process.env,
    BATCHGATE_LOCAL_DIR: localDir,
    BEDROCK_EMULATOR_BIN: requireExecutable(join(buildDir(), 'deploy/bedrock-emulator/bedrock-emulator'),
      'bedrock-emulator'),
  };
  if (emulatorArgs) upEnv.BEDROCK_EMULATOR_ARGS = emulatorArgs;
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
  const masterKey = givenKey ?? `sk-master-${randomBytes(16).toString('hex')}`;
  let env = {
    ...process.env,
    ...stackEnv,
    BATCHGATE_MASTER_KEY: masterKey,
    BATCHGATE_DB: join(dir, 'batchgate.db'),
  };
  if (adjustEnv) env = adjustEnv(env);

  let configPath = join(root, 'deploy/config.example.yaml');
  if (config) {
    configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, config({ ...stackEnv, dir }));
  } else if (settings) {
    configPath = join(dir, 'config.yaml');
    writeFileSync(configPath, configWithSettings(settings));
  }

  let tail = '';
  const logFile = createWriteStream(join(dir, 'batchgate.log'));
  const stderr = () => tail;
  const launch = (port) => {
    child = spawn(batchgateBin, ['--config', configPath, '--port', String(port)], {
      cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr.on('data', (chunk) => {
      logFile.write(chunk);
      tail = (tail + chunk.toString()).slice(-kLogTailBytes);
    });
    return waitListening(child, stderr);
  };

  let port;
  try {
    port = await launch(0);
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

  async function restart() {
    if (stopped) throw new Error('restart() after stop()');
    child.kill('SIGKILL');
    const killed = await waitExit(child, kStopTimeoutMs);
    logFile.write('\n--- restarted after SIGKILL ---\n');
    try {
      await launch(port);
    } catch (err) {
      onExit();
      throw err;
    }
    return killed;
  }

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
    pid: () => child.pid,
    masterKey,
    env,
    bucket: stackEnv.BATCHGATE_BUCKET,
    s3,
    dir,
    emulatorURL: stackEnv.BEDROCK_ENDPOINT_URL,
    configPath,
    stderr,
    exitStatus: () => (child.exitCode === null && child.signalCode === null ? null
      : { code: child.exitCode, signal: child.signalCode }),
    restart,
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
