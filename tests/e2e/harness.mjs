/**
 * What every flow of the end-to-end test shares: where things are (the repository, the
 * screenshots folder test-artifacts/e2e/, the test video, the virtual environment's Python), the
 * timed log, waiting for a condition, and steps: each step records a pass or a failure in
 * `results` (run.mjs reports them last) and saves a numbered screenshot.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');
export const VIDEO = join(ROOT, 'tests', 'fixtures', 'videos', '08_driving.mp4');
export const PYTHON = join(ROOT, '.venv', 'bin', 'python');

const started = Date.now();
export const log = (message) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, check, timeoutMs, intervalMs = 250) {
  const deadline = Date.now() + timeoutMs;
  let last;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `Timed out after ${timeoutMs / 1000} s waiting for ${what}${last ? ` (last error: ${last.message})` : ''}`,
  );
}

// ---- steps ----------------------------------------------------------------------------------------

export const results = [];
let shotIndex = 0;

export async function screenshot(page, name) {
  shotIndex += 1;
  const path = join(ARTIFACTS, `${String(shotIndex).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path, fullPage: true }).catch(() => undefined);
  return path;
}

/** Run a step; after a failure, the steps that need it are reported as failed without running. */
export async function step(name, page, fn, { needs = true } = {}) {
  if (!needs) {
    results.push({
      name,
      ok: false,
      message: 'skipped: an earlier step failed',
    });
    log(`SKIP ${name}`);
    return false;
  }
  const t0 = Date.now();
  try {
    const detail = await fn();
    const shot = await screenshot(page, name);
    results.push({ name, ok: true });
    log(`PASS ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)${detail ? ` — ${detail}` : ''} [${shot}]`);
    return true;
  } catch (error) {
    const shot = await screenshot(page, `${name}-FAILED`);
    results.push({ name, ok: false, message: error.message });
    log(`FAIL ${name}: ${error.message} [${shot}]`);
    return false;
  }
}
