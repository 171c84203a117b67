// Raw HTTP over TCP for the hostile-input tests: bytes no client library would send (or would repair), and the
// OpenAI-style error every such request must still get.
import assert from 'node:assert/strict';
import net from 'node:net';

// Sends `head` (a Buffer or string, the request line and headers without the final CRLF) and `body`; resolves
// with {status, headers, body, raw} once the server closes or a full response with Content-Length arrived.
export function rawRequest(port, head, body = Buffer.alloc(0), timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer to ${String(head).split('\r\n')[0]}`));
    }, timeoutMs);
    const parse = () => {
      const raw = Buffer.concat(chunks);
      const end = raw.indexOf('\r\n\r\n');
      if (end < 0) return null;
      const lines = raw.subarray(0, end).toString('latin1').split('\r\n');
      const headers = {};
      for (const l of lines.slice(1)) headers[l.slice(0, l.indexOf(':')).toLowerCase()] = l.slice(l.indexOf(':') + 1).trim();
      const length = Number(headers['content-length'] ?? -1);
      const rest = raw.subarray(end + 4);
      if (length >= 0 && rest.length < length) return null;
      return { status: Number(lines[0].split(' ')[1]), headers, body: rest.toString('utf8'), raw };
    };
    socket.on('data', (d) => {
      chunks.push(d);
      const got = parse();
      if (got) {
        clearTimeout(timer);
        socket.destroy();
        resolve(got);
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const got = parse();
      if (got) resolve(got);
      else reject(new Error(`connection closed without an answer to ${String(head).split('\r\n')[0]}`));
    });
    socket.write(Buffer.concat([Buffer.isBuffer(head) ? head : Buffer.from(head, 'latin1'), Buffer.from('\r\n\r\n'),
      body]));
  });
}

export function assertOpenAIError(res, status, code) {
  assert.equal(res.status, status, res.raw.toString('latin1').slice(0, 500));
  const err = JSON.parse(res.body).error;
  assert.equal(typeof err.message, 'string');
  assert.equal(err.type, 'invalid_request_error');
  if (code) assert.equal(err.code, code);
  return err;
}

export function multipart(fields, file) {
  const boundary = 'hostileboundary';
  const parts = [];
  for (const [name, value] of fields) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n`, 'latin1'),
      Buffer.isBuffer(value) ? value : Buffer.from(value), Buffer.from('\r\n'));
  }
  if (file) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="`, 'latin1'),
      file.name, Buffer.from('"\r\nContent-Type: application/jsonl\r\n\r\n'), Buffer.from(file.content),
      Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}
