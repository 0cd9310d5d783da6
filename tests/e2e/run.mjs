#!/usr/bin/env node
/**
 * End-to-end test of the annotation workspace in real headless Chromium (Debian's, driven by
 * playwright-core). Starts the platform itself as `make run` does (backend/run.py), on its own
 * VAR_DIR and free ports, with the micro SAM 2 model of tests/fixtures/sam2ref/micro (random
 * weights: blob-shaped masks, but real SAM 2 computations), then acts as a person would:
 *
 *   log in -> upload 08_driving.mp4 -> wait for ingest -> open the workspace (and a second
 *   browser on the same video) -> add an object -> click on it (mask pixels on the canvas where
 *   clicked) -> propagate forward (masks on later frames, also in the second browser without a
 *   reload) -> brush edit (+ undo) -> a stroke kept offline -> a late live refetch does not undo
 *   a stroke -> a stale write (409) shown in words and re-applied -> zoom and pan (wheel, middle
 *   and Space drags, keys) -> draw benchmark (1080p, 10 objects) -> review: the object is
 *   submitted, a reviewer (second user, own browser context) claims it from the queue, rejects
 *   it with a comment pinned to a point of a frame, the annotator sees the comment, jumps to its
 *   frame (pin on the canvas), fixes it with the brush and resubmits, the reviewer accepts; the
 *   final status and history are checked through the API -> consensus: a second project with
 *   consensus_k = 2, two annotators and two reviewers; the video is given to both annotators
 *   (assignment form), each brushes their own objects without seeing the other's, the manager
 *   compares them (J, F, J&F as the API), keeps one version, marks it ground truth (scores as the
 *   API), two reviewers claim at once (different masklets) and accept, the dashboard counts them
 *   -> stop the platform.
 *
 * Every step saves a screenshot under test-artifacts/e2e/. Prints "N passed, M failed" last and
 * exits non-zero on any failure. Needs frontend/dist (make frontend) and .venv (make setup).
 *
 * Environment: CHROMIUM (default /usr/bin/chromium), E2E_KEEP_VAR=1 keeps the VAR_DIR,
 * E2E_ONLY=consensus runs only the consensus flow, E2E_ONLY=admin only the administration flow
 * (admin.mjs: users, project, members, labels, tasks, import and export, all through the app),
 * E2E_ONLY=workspace only the workspace's own flow (workspace.mjs: fit to the window, a masklet
 * from the keyboard, scrubbing figures), E2E_ONLY=automask only auto-annotation (automask.mjs: a
 * manager starts it and follows it, a reviewer verifies, the dashboard counts it).
 *
 * This file only orchestrates: it starts the platform (platform.mjs), runs the flows in order
 * (annotate.mjs, editing.mjs, review.mjs, consensus.mjs, admin.mjs, workspace.mjs, automask.mjs)
 * with the shared harness (harness.mjs: paths, log, steps and screenshots; helpers.mjs: page
 * helpers), checks that no page threw, stops the platform and reports.
 */
import { mkdirSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { adminFlow } from './admin.mjs';
import { annotateFlow } from './annotate.mjs';
import { automaskFlow } from './automask.mjs';
import { consensusFlow } from './consensus.mjs';
import { editingFlow } from './editing.mjs';
import { ARTIFACTS, log, PYTHON, results, ROOT, screenshot, sleep, step, VIDEO, waitFor } from './harness.mjs';
import { api, installHelpers, loginTo } from './helpers.mjs';
import { createUsers, startPlatform, stopPlatform } from './platform.mjs';
import { reviewFlow } from './review.mjs';
import { workspaceFlow } from './workspace.mjs';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

// ---- the scenario ---------------------------------------------------------------------------------

async function main() {
  mkdirSync(ARTIFACTS, { recursive: true });
  const platform = await startPlatform();
  activePlatform = platform;
  let browser;
  try {
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: CHROMIUM_ARGS,
      headless: true,
    });
    const context = await browser.newContext({
      viewport: { width: 1440, height: 1000 },
    });
    await context.addInitScript(installHelpers);
    const page = await context.newPage();
    const consoleErrors = [];
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    const admin = () =>
      adminFlow({ browser, platform, step, waitFor, log, consoleErrors, artifacts: ARTIFACTS, python: PYTHON, videoPath: VIDEO });
    const workspace = () =>
      workspaceFlow({ browser, platform, consoleErrors, step, log, waitFor, sleep, api, createUsers, installHelpers, loginTo, PYTHON, ROOT, ARTIFACTS });
    const automask = () =>
      automaskFlow({ browser, platform, consoleErrors, step, api, createUsers, installHelpers, loginTo, screenshot, videoPath: VIDEO });
    const only = { admin, workspace, automask }[process.env.E2E_ONLY];
    if (process.env.E2E_ONLY === 'consensus' || only !== undefined) {
      // One flow alone (none needs the steps before it): quicker to iterate on.
      await (only ? only() : consensusFlow({ browser, platform, consoleErrors }));
      const ok = consoleErrors.length === 0;
      results.push({ name: 'no-page-errors', ok, message: consoleErrors.join(' | ') });
      log(`${ok ? 'PASS' : 'FAIL'} no-page-errors${ok ? '' : `: ${consoleErrors.join(' | ')}`}`);
      return;
    }
    const session = { browser, platform, consoleErrors, context, page };
    const annotated = await annotateFlow(session);
    const { context2 } = annotated;
    await editingFlow({ ...session, ...annotated });
    await reviewFlow({ ...session, ...annotated });

    await consensusFlow({ browser, platform, consoleErrors });
    await admin();
    await workspace();
    await automask();

    if (consoleErrors.length > 0) {
      results.push({
        name: 'no-page-errors',
        ok: false,
        message: consoleErrors.join(' | '),
      });
      log(`FAIL no-page-errors: ${consoleErrors.join(' | ')}`);
    } else {
      results.push({ name: 'no-page-errors', ok: true });
      log('PASS no-page-errors');
    }
    await context2.close();
    await context.close();
  } finally {
    await browser?.close().catch(() => undefined);
    const t0 = Date.now();
    await stopPlatform(platform);
    const stopped = platform.child.exitCode !== null || platform.child.signalCode !== null;
    results.push({
      name: 'stop-platform',
      ok: stopped,
      message: stopped ? undefined : 'still running',
    });
    log(`${stopped ? 'PASS' : 'FAIL'} stop-platform (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  }
}

// Ctrl-C or a CI timeout on the test must not leave the platform running.
let activePlatform = null;
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`${signal}: stopping the platform`);
    const done = activePlatform ? stopPlatform(activePlatform) : Promise.resolve();
    void done.finally(() => process.exit(130));
  });
}

try {
  await main();
} catch (error) {
  results.push({ name: 'setup', ok: false, message: error.message });
  log(`FAIL setup: ${error.stack ?? error.message}`);
}
const failed = results.filter((r) => !r.ok);
for (const r of failed) console.log(`  failed: ${r.name}: ${r.message}`);
console.log(`Screenshots: ${ARTIFACTS}`);
console.log(`${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length === 0 ? 0 : 1);
