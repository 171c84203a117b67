// Hostile bytes and exhausted resources, sent as raw HTTP over TCP (no client library repairs them): every
// request gets an OpenAI-style answer, nothing is stored for a refused upload, and running out of connections
// or file descriptors degrades gracefully (no spin, bounded logs, /health still answers).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';

import { s3sdk } from './lib/deps.mjs';
import { chatLines, chatRequest } from './lib/jsonl.mjs';
import { assertOpenAIError, multipart, rawRequest } from './lib/raw_http.mjs';
import { createKey, startStack } from './lib/stack.mjs';

const { CreateMultipartUploadCommand, ListMultipartUploadsCommand, ListObjectsV2Command } = s3sdk;

const cpuSeconds = (pid) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
};

describe('hostile bytes', () => {
  let stack;
  let port;
  let auth;
  const jsonl = [...chatLines(3, 'claude-batch')].map((l) => `${JSON.stringify(l)}\n`).join('');

  before(async () => {
    stack = await startStack({ settings: { max_connections: 40 } });
    port = Number(new URL(stack.baseURL).port);
    auth = `Authorization: Bearer ${stack.masterKey}`;
  });
  after(async () => stack?.stop());

  async function storedObjects() {
    const page = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket }));
    return (page.Contents ?? []).length;
  }

  test('a non-UTF-8 file name is refused, stores nothing, and listing keeps working', async () => {
    const before = await storedObjects();
    const form = multipart([['purpose', 'batch']], { name: Buffer.from([0xff, 0xfe, 0x2e, 0x6a]), content: jsonl });
    const res = await rawRequest(port, `POST /v1/files HTTP/1.1\r\nHost: x\r\n${auth}\r\n` +
      `Content-Type: ${form.type}\r\nContent-Length: ${form.body.length}`, form.body);
    const err = assertOpenAIError(res, 400, 'invalid_utf8');
    assert.equal(err.param, 'file');
    assert.equal(await storedObjects(), before, 'no S3 object left behind');
    const list = await rawRequest(port, `GET /v1/files HTTP/1.1\r\nHost: x\r\n${auth}`);
    assert.equal(list.status, 200);
    assert.equal(JSON.parse(list.body).data.length, 0);
  });

  test('a valid 20 MB first line is accepted: the line limit (32 MiB) holds from the first line on', async () => {
    const big = `${JSON.stringify(chatRequest('big-1', 'claude-batch', { pad: 20 << 20 }))}\n`;
    const content = big + jsonl;
    const form = multipart([['purpose', 'batch']], { name: Buffer.from('big.jsonl'), content });
    const res = await rawRequest(port, `POST /v1/files HTTP/1.1\r\nHost: x\r\n${auth}\r\n` +
      `Content-Type: ${form.type}\r\nContent-Length: ${form.body.length}`, form.body, 60_000);
    assert.equal(res.status, 200, res.body.slice(0, 500));
    assert.equal(JSON.parse(res.body).bytes, Buffer.byteLength(content));
    const del = await rawRequest(port, `DELETE /v1/files/${JSON.parse(res.body).id} HTTP/1.1\r\nHost: x\r\n${auth}`);
    assert.equal(del.status, 200);
  });

  test('non-UTF-8 form fields are refused with the field named', async () => {
    for (const [name, value] of [['purpose', Buffer.from([0x62, 0xff])], ['target_model_names', Buffer.from([0xc3])]]) {
      const form = multipart([[name, value]], { name: Buffer.from('a.jsonl'), content: jsonl });
      const res = await rawRequest(port, `POST /v1/files HTTP/1.1\r\nHost: x\r\n${auth}\r\n` +
        `Content-Type: ${form.type}\r\nContent-Length: ${form.body.length}`, form.body);
      assert.equal(assertOpenAIError(res, 400, 'invalid_utf8').param, name);
    }
  });

  test('bad bytes in the target and the headers get a 400, never a 500 or a dropped connection', async () => {
    // [request line, header, the error code expected] — a raw 0xFF in the target may already be refused by the
    // HTTP parser as a malformed request: any OpenAI-style 400 is right there.
    const cases = [
      ['GET /v1/files/file-%FF HTTP/1.1', auth, 'invalid_utf8'],
      ['GET /v1/batches/batch_%FF%FE HTTP/1.1', auth, 'invalid_utf8'],
      ['GET /key/info?key=%FF HTTP/1.1', auth, 'invalid_utf8'],
      ['GET /v1/files/\xff HTTP/1.1', auth, undefined],
      ['GET /v1/files HTTP/1.1', Buffer.from('Authorization: Bearer sk-\xff\xfe', 'latin1'), 'invalid_utf8'],
      ['GET /v1/files HTTP/1.1', Buffer.concat([Buffer.from(`${auth}\r\nUser-Agent: `), Buffer.from([0xff, 0x41])]),
        'invalid_utf8'],
    ];
    for (const [line, header, code] of cases) {
      const head = Buffer.concat([Buffer.from(line, 'latin1'), Buffer.from('\r\nHost: x\r\n'),
        Buffer.isBuffer(header) ? header : Buffer.from(header)]);
      const res = await rawRequest(port, head);
      assertOpenAIError(res, 400, code);
    }
  });

  test('numbers and windows are parsed strictly', async () => {
    const form = multipart([['purpose', 'batch'], ['expires_after[anchor]', 'created_at'],
      ['expires_after[seconds]', '3600abc']], { name: Buffer.from('a.jsonl'), content: jsonl });
    const res = await rawRequest(port, `POST /v1/files HTTP/1.1\r\nHost: x\r\n${auth}\r\n` +
      `Content-Type: ${form.type}\r\nContent-Length: ${form.body.length}`, form.body);
    assertOpenAIError(res, 400);
    for (const window of [' 24h', '+24h', '24 h']) {
      const body = JSON.stringify({ input_file_id: 'file-x', endpoint: '/v1/chat/completions', completion_window: window });
      const r = await rawRequest(port, `POST /v1/batches HTTP/1.1\r\nHost: x\r\n${auth}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}`, Buffer.from(body));
      assert.equal(assertOpenAIError(r, 400).param, 'completion_window', window);
    }
    const limit = await rawRequest(port, `GET /v1/batches?limit=5x HTTP/1.1\r\nHost: x\r\n${auth}`);
    assert.equal(assertOpenAIError(limit, 400).param, 'limit');
  });

  test('Expect: 100-continue is answered 100 only after the key was accepted', async () => {
    const firstLine = (key) => new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1');
      let got = '';
      socket.on('data', (d) => {
        got += d.toString('latin1');
        if (got.includes('\r\n')) {
          socket.destroy();
          resolve(got.split('\r\n')[0]);
        }
      });
      socket.on('error', reject);
      socket.write(`POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\n` +
        'Content-Type: multipart/form-data; boundary=b\r\nContent-Length: 100000\r\nExpect: 100-continue\r\n\r\n');
    });
    assert.match(await firstLine('sk-not-a-key'), /^HTTP\/1\.1 401/);
    assert.match(await firstLine(stack.masterKey), /^HTTP\/1\.1 100/);
  });

  test('past max_connections idle connections make room and /health still answers', async () => {
    const idle = [];
    for (let i = 0; i < 70; i += 1) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      idle.push(s);
    }
    await sleep(500);
    const res = await rawRequest(port, 'GET /health/liveliness HTTP/1.1\r\nHost: x');
    assert.equal(res.status, 200, res.body);
    for (const s of idle) s.destroy();
    // The key routes still work for a client with a fresh connection.
    const key = await createKey(stack, {});
    assert.ok(key.key.startsWith('sk-'));
  });
});

describe('out of file descriptors', () => {
  let stack;
  before(async () => {
    // max_connections above what the descriptor limit (lowered below, after start) allows: accept fails.
    stack = await startStack({ settings: { max_connections: 5000 } });
  });
  after(async () => stack?.stop());

  test('accept backs off instead of spinning, logs a bounded number of lines, and recovers', async () => {
    const pid = stack.pid();
    const open = readFileSync(`/proc/${pid}/limits`, 'utf8');
    assert.match(open, /Max open files/);
    const inUse = Number(execFileSync('bash', ['-c', `ls /proc/${pid}/fd | wc -l`]).toString().trim());
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${inUse + 20}:${inUse + 20}`]);
    const port = Number(new URL(stack.baseURL).port);
    const sockets = [];
    for (let i = 0; i < 60; i += 1) {
      const s = net.connect(port, '127.0.0.1');
      s.on('error', () => {});
      sockets.push(s);
    }
    await sleep(500);
    const logBefore = stack.stderr().length;
    const cpuBefore = cpuSeconds(pid);
    await sleep(3000);
    const cpu = cpuSeconds(pid) - cpuBefore;
    assert.ok(cpu < 0.5, `batchgate used ${cpu} CPU-seconds in 3 s while out of descriptors`);
    const logged = stack.stderr().slice(logBefore);
    assert.ok(logged.split('\n').length <= 4, `log lines while out of descriptors:\n${logged.slice(0, 2000)}`);
    for (const s of sockets) s.destroy();
    await sleep(1500);  // the pause before the next accept is at most 1 s
    const res = await rawRequest(port, 'GET /health/liveliness HTTP/1.1\r\nHost: x');
    assert.equal(res.status, 200);
  });
});

describe('crash leftovers', () => {
  let stack;
  before(async () => {
    stack = await startStack({ settings: { abandoned_upload_age: '2s', abandoned_upload_sweep: '1s' } });
  });
  after(async () => stack?.stop());

  const openUploads = async () => {
    const r = await stack.s3.send(new ListMultipartUploadsCommand({ Bucket: stack.bucket }));
    return (r.Uploads ?? []).map((u) => u.Key).sort();
  };

  test('multipart uploads left open by a SIGKILL mid-upload are aborted; Bedrock\'s own are left', async () => {
    // Bedrock writes its output itself: an open upload there is not batchgate's to abort.
    const bedrockKey = 'batches/batch_x/bedrock/job/input.jsonl.out';
    await stack.s3.send(new CreateMultipartUploadCommand({ Bucket: stack.bucket, Key: bedrockKey }));
    const port = Number(new URL(stack.baseURL).port);
    const socket = net.connect(port, '127.0.0.1');
    socket.on('error', () => {});
    const boundary = 'crashboundary';
    socket.write(`POST /v1/files HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${stack.masterKey}\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nTransfer-Encoding: chunked\r\n\r\n`);
    const chunk = (data) => socket.write(`${Buffer.byteLength(data).toString(16)}\r\n${data}\r\n`);
    chunk(`--${boundary}\r\nContent-Disposition: form-data; name="purpose"\r\n\r\nbatch\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.jsonl"\r\n\r\n`);
    // ~12 MB of lines: more than two 5 MiB parts of the original, so S3 holds open multipart uploads.
    const line = `${JSON.stringify(chatLines(1, 'claude-batch').next().value).replace('req-1', 'req-IDX')}\n`;
    let block = '';
    for (let i = 0; i < 40_000; i += 1) block += line.replace('IDX', String(i)).replace('?', `?${'x'.repeat(100)}`);
    chunk(block);
    let open = [];
    for (let i = 0; i < 100 && open.filter((k) => k.startsWith('files/')).length === 0; i += 1) {
      await sleep(100);
      open = await openUploads();
    }
    assert.ok(open.some((k) => k.startsWith('files/')), `an upload is open mid-file: ${open}`);
    await stack.restart();  // SIGKILL: no abort is sent; the restarted process finds them
    socket.destroy();
    let left = [];
    for (let i = 0; i < 100; i += 1) {
      left = await openUploads();
      if (left.every((k) => k === bedrockKey)) break;
      await sleep(200);
    }
    assert.deepEqual(left, [bedrockKey]);
    assert.match(stack.stderr(), /uploads: aborted \d+ multipart upload\(s\) left open/);
  });
});

describe('storage down', () => {
  let stack;
  before(async () => {
    stack = await startStack();
  });
  after(async () => stack?.stop());

  test('with S3 down, readiness says so and a download answers 503 with Retry-After, not a 200 cut short',
    async () => {
    const port = Number(new URL(stack.baseURL).port);
    const auth = `Authorization: Bearer ${stack.masterKey}`;
    const jsonl = [...chatLines(3, 'claude-batch')].map((l) => `${JSON.stringify(l)}\n`).join('');
    const form = multipart([['purpose', 'batch']], { name: Buffer.from('a.jsonl'), content: jsonl });
    const up = await rawRequest(port, `POST /v1/files HTTP/1.1\r\nHost: x\r\n${auth}\r\n` +
      `Content-Type: ${form.type}\r\nContent-Length: ${form.body.length}`, form.body);
    assert.equal(up.status, 200, up.body);
    const id = JSON.parse(up.body).id;
    const ok = await rawRequest(port, `GET /v1/files/${id}/content HTTP/1.1\r\nHost: x\r\n${auth}`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body, jsonl);
    const ready = await rawRequest(port, 'GET /health/readiness HTTP/1.1\r\nHost: x');
    assert.equal(ready.status, 200);
    assert.equal(JSON.parse(ready.body).storage, 'reachable');
    // S3 goes away (the stand-in is killed; connections are refused).
    const s3Pid = Number(readFileSync(join(stack.dir, 'local', 'moto.pid'), 'utf8'));
    process.kill(s3Pid, 'SIGKILL');
    const unready = await rawRequest(port, 'GET /health/readiness HTTP/1.1\r\nHost: x', undefined, 60_000);
    assert.equal(unready.status, 503);
    assert.equal(JSON.parse(unready.body).storage, 'unreachable');
    const down = await rawRequest(port, `GET /v1/files/${id}/content HTTP/1.1\r\nHost: x\r\n${auth}`);
    assert.equal(down.status, 503, down.raw.toString('latin1').slice(0, 300));
    assert.equal(down.headers['retry-after'], '1');
    assert.equal(JSON.parse(down.body).error.code, 'storage_unavailable');
  });
});

describe('upload memory', () => {
  let stack;
  before(async () => {
    // Room for 4 uploads at once (21 MiB each).
    stack = await startStack({ settings: { max_upload_memory: 4 * 21 * 1048576 } });
  });
  after(async () => stack?.stop());

  test('parallel uploads past the budget wait or get 503 with Retry-After; memory stays bounded', async () => {
    const port = Number(new URL(stack.baseURL).port);
    const keys = await Promise.all(Array.from({ length: 12 }, () => createKey(stack, {})));
    // ~5 MB files of valid lines.
    const lines = [];
    let size = 0;
    for (const l of chatLines(20_000, 'claude-batch', { pad: 200 })) {
      const text = `${JSON.stringify(l)}\n`;
      if (size + text.length > 5_000_000) break;
      lines.push(text);
      size += text.length;
    }
    const form = multipart([['purpose', 'batch']], { name: Buffer.from('five.jsonl'), content: lines.join('') });
    const results = await Promise.all(keys.map((k) => rawRequest(port, `POST /v1/files HTTP/1.1\r\nHost: x\r\n` +
      `Authorization: Bearer ${k.key}\r\nContent-Type: ${form.type}\r\nContent-Length: ${form.body.length}`,
    form.body, 120_000)));
    let ok = 0;
    for (const r of results) {
      if (r.status === 200) {
        ok += 1;
        continue;
      }
      assert.equal(r.status, 503, r.body);
      assert.equal(r.headers['retry-after'], '5');
      assert.equal(JSON.parse(r.body).error.code, 'uploads_busy');
    }
    assert.ok(ok >= 4, `${ok} of 12 uploads succeeded`);
    const peakKb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${stack.pid()}/status`, 'utf8'))[1]);
    assert.ok(peakKb < 256 * 1024, `batchgate peaked at ${peakKb} kB`);
  });
});
