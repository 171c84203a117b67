// The bedrock-emulator's unsigned admin endpoints (deploy/bedrock-emulator/README.md, "Knobs"): tests change
// its behaviour (failure injection, speed, quotas) and read how many jobs it created.

async function call(stack, method, path, body) {
  const res = await fetch(`${stack.emulatorURL}${path}`, {
    method,
    headers: body ? { 'Content-Type': 'application/json' } : {},
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text);
}

// POST /_emulator/config: changes the named knobs (e.g. {recordFailureRate: 0.2}); resolves with all knobs.
export function setKnobs(stack, knobs) {
  return call(stack, 'POST', '/_emulator/config', knobs);
}

// GET /_emulator/config: the current knobs.
export function knobs(stack) {
  return call(stack, 'GET', '/_emulator/config');
}

// GET /_emulator/stats: {jobsCreated, activeJobs, peakActiveJobs, createCalls, stopCalls, jobsByStatus}.
export function emulatorStats(stack) {
  return call(stack, 'GET', '/_emulator/stats');
}

// GET /_emulator/invocations: InvokeModel calls by the SHA-256 (hex) of their body.
export async function invocationCounts(stack) {
  return (await call(stack, 'GET', '/_emulator/invocations')).counts;
}

// POST /_emulator/reset-invocations: the invocation counters back to zero.
export function resetInvocations(stack) {
  return call(stack, 'POST', '/_emulator/reset-invocations');
}

// Sets `changes`, runs fn(), and puts the changed knobs back to their previous values even if fn throws.
export async function withKnobs(stack, changes, fn) {
  const before = await knobs(stack);
  const restore = Object.fromEntries(Object.keys(changes).map((k) => [k, before[k]]));
  await setKnobs(stack, changes);
  try {
    return await fn();
  } finally {
    await setKnobs(stack, restore);
  }
}
