// Batch input files (spec/openai-batch.md §4) written to disk, so the SDK uploads them from a read stream.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';

// One /v1/chat/completions request line as an object. `pad` lengthens the user message by that many characters.
export function chatRequest(customId, model, { pad = 0, url = '/v1/chat/completions' } = {}) {
  return {
    custom_id: customId,
    method: 'POST',
    url,
    body: {
      model,
      messages: [
        { role: 'system', content: 'Answer with one number.' },
        { role: 'user', content: `What is ${customId.length} + 1?${' '.repeat(pad)}` },
      ],
      max_tokens: 16,
    },
  };
}

// Writes lines (objects are serialised, strings written as they are) one per line, streaming so that
// 50,000-line files never sit in memory as one string. Resolves with the number of bytes written.
export async function writeJsonl(path, lines) {
  const out = createWriteStream(path);
  let bytes = 0;
  for (const line of lines) {
    const text = `${typeof line === 'string' ? line : JSON.stringify(line)}\n`;
    bytes += Buffer.byteLength(text);
    if (!out.write(text)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return bytes;
}

// Generator of `count` valid chat lines for `model`, custom_ids `${prefix}-1` … `${prefix}-count`.
export function* chatLines(count, model, { prefix = 'req', pad = 0 } = {}) {
  for (let i = 1; i <= count; i++) yield chatRequest(`${prefix}-${i}`, model, { pad });
}
