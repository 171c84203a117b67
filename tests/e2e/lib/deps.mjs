// The npm dependencies of the end-to-end tests, loaded only after checking they are installed: a bare
// `import 'openai'` would fail with ERR_MODULE_NOT_FOUND before any test code could explain what to do.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const e2eDir = join(dirname(fileURLToPath(import.meta.url)), '..');

for (const name of ['openai', '@aws-sdk/client-s3']) {
  if (!existsSync(join(e2eDir, 'node_modules', name, 'package.json'))) {
    throw new Error(
      `tests/e2e/node_modules/${name} is missing: run deploy/install-deps.sh (it runs npm ci in tests/e2e)`);
  }
}

const openai = await import('openai');
export const OpenAI = openai.default;
export const s3sdk = await import('@aws-sdk/client-s3');
