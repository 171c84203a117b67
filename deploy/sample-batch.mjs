// The sample batch of deploy/quickstart.sh, run with the official OpenAI Node SDK exactly as a user would:
// upload a JSONL file, create a batch, poll it, download the results.
//   BATCHGATE_URL   e.g. http://127.0.0.1:4000
//   BATCHGATE_KEY   a virtual key (sk-…)
//   SAMPLE_LINES    requests in the file (default 120; Bedrock needs ≥ 100 per job)
import { createRequire } from 'node:module';
import { mkdtempSync, writeFileSync, createReadStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// The SDK is installed with the test tooling (tests/e2e, `npm ci` in deploy/install-deps.sh).
const require = createRequire(join(dirname(fileURLToPath(import.meta.url)), '../tests/e2e/package.json'));
const OpenAI = require('openai').default ?? require('openai');

const client = new OpenAI({ baseURL: `${process.env.BATCHGATE_URL}/v1`, apiKey: process.env.BATCHGATE_KEY });
const lines = Number(process.env.SAMPLE_LINES || 120);

const dir = mkdtempSync(join(tmpdir(), 'batchgate-sample-'));
const path = join(dir, 'sample.jsonl');
const requests = [];
for (let i = 0; i < lines; i++) {
  requests.push(JSON.stringify({
    custom_id: `question-${i}`,
    method: 'POST',
    url: '/v1/chat/completions',
    body: {
      model: 'claude-batch',
      messages: [
        { role: 'system', content: 'Answer in one sentence.' },
        { role: 'user', content: `What is ${i} + ${i}?` },
      ],
      max_tokens: 64,
    },
  }));
}
writeFileSync(path, requests.join('\n') + '\n');

const file = await client.files.create({ file: createReadStream(path), purpose: 'batch' });
console.log(`uploaded ${file.filename}: ${file.id} (${file.bytes} bytes, ${lines} requests)`);

let batch = await client.batches.create({
  input_file_id: file.id,
  endpoint: '/v1/chat/completions',
  completion_window: '24h',
  metadata: { source: 'quickstart' },
});
console.log(`created ${batch.id}`);

const terminal = new Set(['completed', 'failed', 'expired', 'cancelled']);
let last = '';
const started = Date.now();
while (true) {
  const counts = batch.request_counts ?? {};
  const line = `status ${batch.status} (completed ${counts.completed ?? 0}/${counts.total ?? 0}, failed ${counts.failed ?? 0})`;
  if (line !== last) console.log(`  ${((Date.now() - started) / 1000).toFixed(1).padStart(5)} s  ${line}`);
  last = line;
  if (terminal.has(batch.status)) break;
  if (Date.now() - started > 300_000) throw new Error('the batch did not finish within 5 minutes');
  await new Promise((r) => setTimeout(r, 1000));
  batch = await client.batches.retrieve(batch.id);
}

if (batch.status !== 'completed') {
  console.error(`batch ended ${batch.status}: ${JSON.stringify(batch.errors)}`);
  process.exit(1);
}
const output = await (await client.files.content(batch.output_file_id)).text();
const outLines = output.trim().split('\n');
console.log(`\noutput file ${batch.output_file_id}: ${outLines.length} lines; the first three:`);
for (const l of outLines.slice(0, 3)) {
  const row = JSON.parse(l);
  console.log(`  ${row.custom_id}: ${JSON.stringify(row.response.body.choices[0].message.content).slice(0, 100)}`);
}
if (batch.error_file_id) {
  const errors = (await (await client.files.content(batch.error_file_id)).text()).trim().split('\n');
  console.log(`error file ${batch.error_file_id}: ${errors.length} lines`);
}
const u = batch.usage ?? {};
console.log(`usage: ${u.input_tokens} input + ${u.output_tokens} output tokens`);
