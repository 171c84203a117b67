// The adversarial suite: every route of the API in one table, attacked two ways.
//  1. Bad bytes in every field: the path's id, each query parameter, a header, each string (and key) of a JSON
//     body, each form field and the file name of an upload — as raw invalid UTF-8 and as a lone surrogate
//     escape. Each request gets a 4xx with OpenAI's error envelope (never a 5xx, never a dropped connection)
//     and leaves nothing behind: no key, file, batch or S3 object.
//  2. Another key against one key's file, batch and output on every route, with and without /v1: it sees what it
//     would see for an id that does not exist, changes nothing, and the owner still has all of it.
// New routes and fields go into `routes` below.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { OpenAI, s3sdk } from './lib/deps.mjs';
import { waitForBatch } from './lib/batches.mjs';
import { chatLines } from './lib/jsonl.mjs';
import { multipart, rawRequest } from './lib/raw_http.mjs';
import { createKey, startStack } from './lib/stack.mjs';

const { ListObjectsV2Command } = s3sdk;
const kBad = Buffer.from([0xff, 0xfe, 0x41]);  // never valid UTF-8
const kSurrogate = '\\udc00';                  // a lone low surrogate, as a JSON escape

let stack;
let port;
let owner;  // {key, client, file, batch}
let other;

// Every route: its method and path ({file}, {batch} are the owner's ids), who calls it, and the fields a client
// fills: `query` parameters with a valid value, a `json` body, or `form` fields of an upload.
function routes() {
  const fileBody = Buffer.from(`${JSON.stringify(chatLines(1, 'claude-batch').next().value)}\n`);
  return [
    { method: 'GET', path: '/v1/files', query: { limit: '2', after: owner.file.id, order: 'asc', purpose: 'batch' } },
    { method: 'POST', path: '/v1/files', form: { purpose: 'batch', target_model_names: 'claude-batch',
      'expires_after[anchor]': 'created_at', 'expires_after[seconds]': '3600' }, file: fileBody },
    { method: 'GET', path: '/v1/files/{file}' },
    { method: 'GET', path: '/v1/files/{file}/content' },
    { method: 'DELETE', path: '/v1/files/{file}' },
    { method: 'GET', path: '/v1/batches', query: { limit: '2', after: owner.batch.id } },
    { method: 'POST', path: '/v1/batches', json: { input_file_id: owner.file.id, endpoint: '/v1/chat/completions',
      completion_window: '24h', metadata: { purpose: 'adversarial' } } },
    { method: 'GET', path: '/v1/batches/{batch}' },
    { method: 'POST', path: '/v1/batches/{batch}/cancel' },
    { method: 'GET', path: '/v1/models' },
    { method: 'GET', path: '/model_group/info' },
    { method: 'GET', path: '/spend/logs', query: { api_key: owner.key, user_id: 'u', start_date: '2026-01-01' } },
    { method: 'POST', path: '/key/generate', master: true, json: { models: ['claude-batch'], key_alias: 'probe',
      user_id: 'u', team_id: 't', duration: '1h', metadata: { team: 'x' } } },
    { method: 'GET', path: '/key/info', master: true, query: { key: owner.key } },
    { method: 'GET', path: '/key/list', master: true },
    { method: 'POST', path: '/key/update', master: true, json: { key: other.key, key_alias: 'renamed' } },
    { method: 'POST', path: '/key/delete', master: true, json: { keys: [other.key] } },
    { method: 'POST', path: '/key/block', master: true, json: { key: other.key } },
    { method: 'POST', path: '/key/unblock', master: true, json: { key: other.key } },
    { method: 'GET', path: '/health' },
    { method: 'GET', path: '/health/readiness' },
  ];
}

const fill = (path) => path.replace('{file}', owner.file.id).replace('{batch}', owner.batch.id);
const queryOf = (query) => Object.entries(query ?? {}).map(([k, v]) => `${k}=${v}`).join('&');
const target = (route, path = fill(route.path)) => (route.query ? `${path}?${queryOf(route.query)}` : path);

// One raw request: `target` (string or Buffer), extra header lines (Buffers), a body (Buffer) and its type.
function send(route, { target: t = target(route), headers = [], body, type }) {
  const key = route.master ? stack.masterKey : owner.key;
  const head = [Buffer.concat([Buffer.from(`${route.method} `), Buffer.from(t, 'latin1'), Buffer.from(' HTTP/1.1')]),
    Buffer.from('Host: x'), Buffer.from(`Authorization: Bearer ${key}`), ...headers];
  if (body) head.push(Buffer.from(`Content-Type: ${type}`), Buffer.from(`Content-Length: ${body.length}`));
  else if (route.method === 'POST') head.push(Buffer.from('Content-Length: 0'));
  return rawRequest(port, Buffer.concat(head.flatMap((h, i) => (i ? [Buffer.from('\r\n'), h] : [h]))), body);
}

// A JSON text with the string at `at` (a path of keys/indices, or {key: path} for an object key) replaced by
// `replacement`, raw bytes between the quotes.
function jsonWith(value, at, replacement) {
  const marker = 'XMARKX';
  const copy = structuredClone(value);
  const path = at.key ?? at;
  let o = copy;
  for (const k of path.slice(0, -1)) o = o[k];
  const last = path.at(-1);
  if (at.key) {
    o[marker] = o[last];
    delete o[last];
  } else {
    o[last] = marker;
  }
  const text = JSON.stringify(copy);
  const i = text.indexOf(`"${marker}"`);
  return Buffer.concat([Buffer.from(text.slice(0, i + 1)), replacement, Buffer.from(text.slice(i + 1 + marker.length))]);
}

// Every string leaf of a JSON value: paths for its values and {key: path} for its object keys.
function stringLeaves(value, path = []) {
  if (typeof value === 'string') return [path];
  if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => [{ key: [...path, k] }, ...stringLeaves(v, [...path, k])]);
  }
  return [];
}

// Every hostile variant of a route's request, as [description, request].
function* attacks(route) {
  yield ['a header value', { headers: [Buffer.concat([Buffer.from('X-Probe: '), kBad])] }];
  if (route.path.includes('{')) {
    yield ['the id in the path, %-encoded', { target: target(route, fill(route.path).replace(/(file|batch)[-_][^/]*/,
      '$1-%FF%FE')) }];
  }
  for (const name of Object.keys(route.query ?? {})) {
    yield [`query ${name}`, { target: target({ ...route, query: { ...route.query, [name]: '%FF%FE' } }) }];
  }
  if (route.json) {
    for (const at of stringLeaves(route.json)) {
      const where = at.key ? `the key ${at.key.join('.')}` : at.join('.');
      for (const [kind, bytes] of [['raw bytes', kBad], ['a lone surrogate', Buffer.from(kSurrogate)]]) {
        yield [`JSON ${where} (${kind})`, { body: jsonWith(route.json, at, bytes), type: 'application/json' }];
      }
    }
    yield ['a JSON body cut short', { body: Buffer.from(JSON.stringify(route.json).slice(0, -3)),
      type: 'application/json' }];
  }
  if (route.form) {
    for (const name of Object.keys(route.form)) {
      const fields = Object.entries(route.form).map(([k, v]) => [k, k === name ? kBad : v]);
      const form = multipart(fields, { name: Buffer.from('a.jsonl'), content: route.file });
      yield [`form field ${name}`, { body: form.body, type: form.type }];
    }
    const form = multipart(Object.entries(route.form), { name: kBad, content: route.file });
    yield ['the file name', { body: form.body, type: form.type }];
  }
}

function assertRefused(res, what) {
  const shown = `${what}: ${res.raw.toString('latin1').slice(0, 400)}`;
  assert.ok(res.status >= 400 && res.status < 500, shown);
  const err = JSON.parse(res.body).error;
  assert.equal(typeof err.message, 'string', shown);
  assert.equal(typeof err.type, 'string', shown);
  assert.ok('param' in err && 'code' in err, shown);
}

// What the store and S3 hold, as the master key sees it.
async function everything() {
  const get = async (path) => {
    const res = await fetch(`${stack.baseURL}${path}`, { headers: { Authorization: `Bearer ${stack.masterKey}` } });
    assert.equal(res.status, 200, path);
    return res.json();
  };
  const objects = await stack.s3.send(new ListObjectsV2Command({ Bucket: stack.bucket }));
  const keys = await get('/key/list');
  return {
    files: (await get('/v1/files?limit=100')).data.map((f) => f.id).sort(),
    batches: (await get('/v1/batches?limit=100')).data.map((b) => `${b.id}:${b.status}`).sort(),
    keys: JSON.stringify(keys),
    objects: (objects.Contents ?? []).map((o) => o.Key).sort(),
  };
}

describe('adversarial', () => {
  before(async () => {
    stack = await startStack();
    port = Number(new URL(stack.baseURL).port);
    const client = (key) => new OpenAI({ baseURL: `${stack.baseURL}/v1`, apiKey: key, maxRetries: 0 });
    const ownerKey = (await createKey(stack, { models: ['claude-batch'], key_alias: 'owner', user_id: 'alice',
      team_id: 'red' })).key;
    const otherKey = (await createKey(stack, { models: ['claude-batch'], key_alias: 'other' })).key;
    owner = { key: ownerKey, client: client(ownerKey) };
    other = { key: otherKey, client: client(otherKey) };
    const text = [...chatLines(100, 'claude-batch')].map((l) => `${JSON.stringify(l)}\n`).join('');
    owner.file = await owner.client.files.create({ file: new File([text], 'owned.jsonl'), purpose: 'batch' });
    const created = await owner.client.batches.create({ input_file_id: owner.file.id,
      endpoint: '/v1/chat/completions', completion_window: '24h' });
    owner.batch = (await waitForBatch(owner.client, created.id, { logTail: stack.stderr })).batch;
    assert.equal(owner.batch.status, 'completed');
  });
  after(async () => stack?.stop());

  test('bad bytes in every field of every route get a 4xx and leave nothing behind', async (t) => {
    const before = await everything();
    let sent = 0;
    for (const route of routes()) {
      for (const [what, request] of attacks(route)) {
        assertRefused(await send(route, request), `${route.method} ${route.path}, ${what}`);
        sent += 1;
      }
    }
    t.diagnostic(`${sent} hostile requests, each refused with a 4xx`);
    assert.ok(sent > 60, `the table covers every field (${sent} requests)`);
    assert.deepEqual(await everything(), before, 'no key, file, batch or object was added or changed');
    // And every route still answers its valid request.
    const health = await send({ method: 'GET', path: '/health' }, {});
    assert.equal(health.status, 200);
  });

  test('another key sees nothing of a key\'s file, batch and output on any route, and changes nothing',
    async () => {
      const before = await everything();
      const ids = { file: owner.file.id, output: owner.batch.output_file_id, batch: owner.batch.id };
      const unknown = { file: 'file-0000000000000000deadbeef', batch: 'batch_0000000000000000deadbeef' };
      const as = (key) => async (method, path, body) => {
        const res = await fetch(`${stack.baseURL}${path}`, { method, body: body && JSON.stringify(body),
          headers: { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' } });
        return { status: res.status, text: await res.text() };
      };
      const otherCall = as(other.key);
      // [method, path with ID, body with ID]: each asked for the owner's id and for an unknown one.
      const probes = [];
      for (const prefix of ['/v1', '', '/bedrock/v1']) {
        for (const id of [ids.file, ids.output]) {
          probes.push(['GET', `${prefix}/files/ID`, undefined, id, unknown.file],
            ['GET', `${prefix}/files/ID/content`, undefined, id, unknown.file],
            ['DELETE', `${prefix}/files/ID`, undefined, id, unknown.file]);
        }
        probes.push(['GET', `${prefix}/batches/ID`, undefined, ids.batch, unknown.batch],
          ['POST', `${prefix}/batches/ID/cancel`, undefined, ids.batch, unknown.batch],
          ['POST', `${prefix}/batches`, { input_file_id: 'ID', endpoint: '/v1/chat/completions',
            completion_window: '24h' }, ids.file, unknown.file]);
      }
      for (const [method, path, body, mine, none] of probes) {
        const withId = (id) => [method, path.replace('ID', id), body && JSON.parse(JSON.stringify(body).replace('ID', id))];
        const foreign = await otherCall(...withId(mine));
        const missing = await otherCall(...withId(none));
        assert.equal(foreign.status, 404, `${method} ${path} on the owner's ${mine}: ${foreign.text}`);
        assert.equal(foreign.text.replaceAll(mine, 'ID'), missing.text.replaceAll(none, 'ID'),
          `${method} ${path}: the owner's id answers exactly as an unknown one`);
      }
      // Pages after the owner's id look like pages after an unknown id (nothing of the owner's listed).
      for (const [list, mine, none] of [['/v1/files', ids.file, unknown.file], ['/v1/batches', ids.batch, unknown.batch]]) {
        const foreign = await otherCall('GET', `${list}?after=${mine}`);
        const missing = await otherCall('GET', `${list}?after=${none}`);
        assert.equal(foreign.status, missing.status, list);
        assert.equal(foreign.text.replaceAll(mine, 'ID'), missing.text.replaceAll(none, 'ID'), list);
        assert.deepEqual(JSON.parse((await otherCall('GET', list)).text).data, [], `${list}: nothing of the owner's`);
      }
      // Spend: only its own rows, and naming the owner's key is refused.
      assert.deepEqual(JSON.parse((await otherCall('GET', '/spend/logs')).text).data, []);
      const spy = await otherCall('GET', `/spend/logs?api_key=${encodeURIComponent(owner.key)}`);
      assert.equal(spy.status, 403, spy.text);
      // The admin routes refuse a virtual key, whatever it names.
      for (const [method, path, body] of [['GET', `/key/info?key=${encodeURIComponent(owner.key)}`],
        ['GET', '/key/list'], ['POST', '/key/update', { key: owner.key, max_budget: 0 }],
        ['POST', '/key/delete', { keys: [owner.key] }], ['POST', '/key/block', { key: owner.key }],
        ['POST', '/key/generate', { models: ['claude-batch'] }]]) {
        const res = await otherCall(method, path, body);
        assert.ok(res.status === 401 || res.status === 403, `${method} ${path}: ${res.status} ${res.text}`);
      }

      assert.deepEqual(await everything(), before, 'nothing was added, deleted or changed');
      // The owner still has all of it, and its key works.
      const ownerCall = as(owner.key);
      assert.equal((await ownerCall('GET', `/v1/files/${ids.file}`)).status, 200);
      assert.equal((await ownerCall('GET', `/v1/files/${ids.output}/content`)).status, 200);
      const batch = JSON.parse((await ownerCall('GET', `/v1/batches/${ids.batch}`)).text);
      assert.equal(batch.status, 'completed');
      const spend = JSON.parse((await ownerCall('GET', `/spend/logs?api_key=${encodeURIComponent(owner.key)}`)).text);
      assert.deepEqual(spend.data.map((r) => r.batch_id), [ids.batch]);
    });

  test('/spend/logs filters by key, user, team and dates, and refuses what it does not know', async () => {
    const master = async (query) => {
      const res = await fetch(`${stack.baseURL}/spend/logs?${query}`,
        { headers: { Authorization: `Bearer ${stack.masterKey}` } });
      return { status: res.status, body: await res.json() };
    };
    const ids = async (query) => {
      const res = await master(query);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      return res.body.data.map((r) => r.batch_id);
    };
    const today = new Date().toISOString().slice(0, 10);
    assert.deepEqual(await ids(`api_key=${encodeURIComponent(owner.key)}`), [owner.batch.id]);
    assert.deepEqual(await ids(`api_key=${encodeURIComponent(other.key)}`), []);
    assert.deepEqual(await ids(`start_date=${today}&end_date=${today}`), [owner.batch.id]);
    assert.deepEqual(await ids('end_date=2020-01-01'), []);
    assert.deepEqual(await ids('start_date=2999-01-01'), []);
    assert.deepEqual(await ids('user_id=alice'), [owner.batch.id]);
    assert.deepEqual(await ids('team_id=red&user_id=alice'), [owner.batch.id]);
    assert.deepEqual(await ids('user_id=nobody'), []);
    assert.deepEqual(await ids('team_id=nobody'), []);
    assert.equal((await master('api_key=sk-unknown')).status, 404);
    for (const [query, param] of [['start_date=yesterday', 'start_date'], ['end_date=2026-02-30', 'end_date'],
      ['summarize=true', 'summarize']]) {
      const res = await master(query);
      assert.equal(res.status, 400, query);
      assert.equal(res.body.error.param, param, query);
    }
  });
});
