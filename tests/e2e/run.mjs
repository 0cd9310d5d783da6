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
 *   reload) -> brush edit (+ undo) -> draw benchmark (1080p, 10 objects) -> stop the platform.
 *
 * Every step saves a screenshot under test-artifacts/e2e/. Prints "N passed, M failed" last and
 * exits non-zero on any failure. Needs frontend/dist (make frontend) and .venv (make setup).
 *
 * Environment: CHROMIUM (default /usr/bin/chromium), E2E_KEEP_VAR=1 keeps the VAR_DIR.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const ARTIFACTS = join(ROOT, 'test-artifacts', 'e2e');
const VIDEO = join(ROOT, 'tests', 'fixtures', 'videos', '08_driving.mp4');
const MICRO = join(ROOT, 'tests', 'fixtures', 'sam2ref', 'micro');
const PYTHON = join(ROOT, '.venv', 'bin', 'python');
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
const PROPAGATE_FRAMES = 20;
const started = Date.now();
const log = (message) => console.log(`[${((Date.now() - started) / 1000).toFixed(1).padStart(5)}s] ${message}`);

function freePort() {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolvePort(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what, check, timeoutMs, intervalMs = 250) {
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

// ---- the platform ---------------------------------------------------------------------------------

async function startPlatform() {
  for (const [path, hint] of [
    [join(ROOT, 'frontend', 'dist', 'index.html'), 'build the frontend first: make frontend'],
    [PYTHON, 'create the virtual environment first: make setup'],
    [VIDEO, 'the test video is missing'],
  ]) {
    if (!existsSync(path)) throw new Error(`${path} not found: ${hint}`);
  }
  const varDir = mkdtempSync(join(tmpdir(), 'sam2-e2e-'));
  const port = await freePort();
  const brokerPort = await freePort();
  // The platform runs on its embedded defaults, as `make run` does on a fresh machine: its
  // own SQLite, media folder and broker in VAR_DIR. CI exports a PostgreSQL and a Redis for
  // the Python suites; a data base shared between runs would leak one run's data into the next.
  const inherited = { ...process.env };
  for (const name of ['DATABASE_URL', 'CELERY_BROKER_URL', 'REDIS_URL', 'MEDIA_ROOT', 'STATIC_ROOT',
    'DJANGO_SETTINGS_MODULE', 'VIDEO_IMPORT_DIRS']) {
    delete inherited[name];
  }
  const env = {
    ...inherited,
    VAR_DIR: varDir,
    RUN_PORT: String(port),
    EMBEDDED_BROKER_PORT: String(brokerPort),
    SAM2_CONFIG: join(MICRO, 'config.json'),
    SAM2_CHECKPOINT: join(MICRO, 'checkpoint.pt'),
    PYTHONUNBUFFERED: '1',
  };
  log(`starting the platform on port ${port} (VAR_DIR ${varDir})`);
  // Own process group, so stopping it reaches the web server, the workers and the broker.
  const child = spawn(PYTHON, ['backend/run.py'], {
    cwd: ROOT,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk) => {
    output += chunk.toString();
    if (output.length > 200_000) output = output.slice(-100_000);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise((r) => child.on('exit', (code, signal) => r({ code, signal })));
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      'the platform to answer /api/v1/health/',
      async () => {
        if (child.exitCode !== null) throw new Error(`backend/run.py exited with ${child.exitCode}`);
        const response = await fetch(`${base}/api/v1/health/`);
        return response.ok && output.includes('SAM 2 annotation platform');
      },
      120_000,
      500,
    );
  } catch (error) {
    console.error(output.slice(-4000));
    await stopPlatform({ child, exited, varDir });
    throw error;
  }
  const credentials = JSON.parse(readFileSync(join(varDir, 'sample_credentials.json'), 'utf8'));
  log(`platform up at ${base}`);
  return { child, exited, varDir, base, credentials, output: () => output };
}

async function stopPlatform(platform) {
  const { child, exited, varDir } = platform;
  if (child.exitCode === null && child.signalCode === null) {
    try {
      process.kill(-child.pid, 'SIGINT'); // as Ctrl-C: run.py stops its children and the broker
    } catch {
      /* already gone */
    }
    const result = await Promise.race([exited, sleep(30_000).then(() => null)]);
    if (result === null) {
      log('the platform did not stop within 30 s after Ctrl-C; killing its process group');
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        /* already gone */
      }
      await exited;
    }
  }
  if (!process.env.E2E_KEEP_VAR) rmSync(varDir, { recursive: true, force: true });
}

// ---- steps ----------------------------------------------------------------------------------------

const results = [];
let shotIndex = 0;

async function screenshot(page, name) {
  shotIndex += 1;
  const path = join(ARTIFACTS, `${String(shotIndex).padStart(2, '0')}-${name}.png`);
  await page.screenshot({ path, fullPage: true }).catch(() => undefined);
  return path;
}

/** Run a step; after a failure, the steps that need it are reported as failed without running. */
async function step(name, page, fn, { needs = true } = {}) {
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

/** Pixels of the mask overlay canvas: colour at a point and how many pixels are drawn. */
function overlayProbe(page, point) {
  return page.evaluate((p) => {
    const canvas = document.querySelector('[data-testid="mask-overlay"]');
    const ctx = canvas.getContext('2d');
    const ratio = canvas.width / canvas.clientWidth;
    const all = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 3; i < all.length; i += 4) if (all[i] > 0) drawn += 1;
    let at = null;
    if (p) {
      const d = ctx.getImageData(Math.round(p.x * ratio), Math.round(p.y * ratio), 1, 1).data;
      at = [d[0], d[1], d[2], d[3]];
    }
    return { drawn, at };
  }, point ?? null);
}

/** A point (CSS px, relative to the overlay) at normalised frame coordinates (u, v). */
async function stagePoint(page, video, u, v) {
  const box = await page.locator('[data-testid="mask-overlay"]').boundingBox();
  const scale = Math.min(box.width / video.width, box.height / video.height);
  const w = video.width * scale;
  const h = video.height * scale;
  const x = (box.width - w) / 2 + u * w;
  const y = (box.height - h) / 2 + v * h;
  return { x, y, pageX: box.x + x, pageY: box.y + y };
}

/** Installed in every page: the first object's mask on a frame as the server stores it, decoded
 * here (independently of the app's code) from its COCO RLE. */
function installHelpers() {
  window.__e2e = {
    async serverMask(videoId, frame) {
      const masklets = (await (await fetch(`/api/v1/videos/${videoId}/masklets/`)).json()).results;
      const url = `/api/v1/masklets/${masklets[0].id}/frames/?start=${frame}&end=${frame + 1}`;
      const rows = (await (await fetch(url)).json()).results;
      if (rows.length === 0) return { error: `the server has no mask on frame ${frame}` };
      const { size, counts } = rows[0].rle;
      const [h, w] = size;
      const runs = [];
      for (let p = 0; p < counts.length;) {
        let x = 0;
        let k = 0;
        let more = 1;
        while (more) {
          const c = counts.charCodeAt(p) - 48;
          x += (c & 0x1f) * 2 ** (5 * k);
          more = c & 0x20;
          p += 1;
          k += 1;
          if (!more && c & 0x10) x -= 2 ** (5 * k);
        }
        if (runs.length > 2) x += runs[runs.length - 2];
        runs.push(x);
      }
      const mask = new Uint8Array(h * w);
      let pos = 0;
      runs.forEach((r, i) => {
        if (i % 2) mask.fill(1, pos, pos + r);
        pos += r;
      });
      return { h, w, mask, area: rows[0].area, origin: rows[0].origin };
    },
    /** A normalised point whose square neighbourhood (half-size `half` frame px) is all `value`. */
    async findSpot(videoId, frame, value, half) {
      const { h, w, mask, error } = await this.serverMask(videoId, frame);
      if (error) return null;
      for (let gy = 1; gy < 12; gy += 1) {
        for (let gx = 1; gx < 16; gx += 1) {
          const cx = Math.floor((gx / 16) * w);
          const cy = Math.floor((gy / 12) * h);
          let ok = true;
          for (let x = cx - half; ok && x <= cx + half; x += 1) {
            for (let y = cy - half; y <= cy + half; y += 1) {
              if (x < 0 || y < 0 || x >= w || y >= h || mask[x * h + y] !== value) {
                ok = false;
                break;
              }
            }
          }
          if (ok) return { u: (cx + 0.5) / w, v: (cy + 0.5) / h };
        }
      }
      return null;
    },
  };
}

/**
 * Compare the overlay's pixels with the server's mask of the first object on `frame`: on a grid
 * over the frame (and on a ring just outside the click marker), a pixel must be drawn in the
 * object's colour exactly where the server's RLE says the mask is. Returns counts; the RLE is
 * decoded here independently of the app's code.
 */
function maskAgreement(page, videoId, frame, around) {
  return page.evaluate(
    async ({ videoId, frame, around }) => {
      const server = await window.__e2e.serverMask(videoId, frame);
      if (server.error) return server;
      const { h, w, mask } = server;
      const canvas = document.querySelector('[data-testid="mask-overlay"]');
      const ctx = canvas.getContext('2d');
      const pixels = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
      const scale = Math.min(canvas.width / w, canvas.height / h);
      const ox = (canvas.width - w * scale) / 2;
      const oy = (canvas.height - h * scale) / 2;
      const ratio = canvas.width / canvas.clientWidth;
      const inMask = (fx, fy) => mask[Math.floor(fx) * h + Math.floor(fy)] === 1;
      const drawn = (fx, fy) =>
        pixels[(Math.floor(oy + fy * scale) * canvas.width + Math.floor(ox + fx * scale)) * 4 + 3] > 0;
      // Edges are anti-aliased by the scaling: skip points whose neighbourhood is mixed.
      const interior = (fx, fy) => {
        const v = inMask(fx, fy);
        for (const [dx, dy] of [
          [-2, 0],
          [2, 0],
          [0, -2],
          [0, 2],
        ]) {
          const x = fx + dx,
            y = fy + dy;
          if (x < 0 || y < 0 || x >= w || y >= h || inMask(x, y) !== v) return false;
        }
        return true;
      };
      let checked = 0,
        agree = 0,
        inside = 0;
      const check = (fx, fy) => {
        if (fx < 0 || fy < 0 || fx >= w || fy >= h || !interior(fx, fy)) return;
        checked += 1;
        if (inMask(fx, fy)) inside += 1;
        if (inMask(fx, fy) === drawn(fx, fy)) agree += 1;
      };
      for (let gy = 0.5; gy < 24; gy += 1) for (let gx = 0.5; gx < 32; gx += 1) check((gx / 32) * w, (gy / 24) * h);
      let clickInside = null,
        ring = { checked: 0, agree: 0 };
      if (around) {
        // The click in frame pixels, and a ring 12 CSS px around it (outside the marker).
        const cx = (around.x * ratio - ox) / scale,
          cy = (around.y * ratio - oy) / scale;
        clickInside = inMask(cx, cy);
        const r = (12 * ratio) / scale;
        for (let a = 0; a < 16; a += 1) {
          const before = checked,
            agreedBefore = agree;
          check(cx + r * Math.cos((a * Math.PI) / 8), cy + r * Math.sin((a * Math.PI) / 8));
          ring.checked += checked - before;
          ring.agree += agree - agreedBefore;
        }
      }
      return { checked, agree, inside, clickInside, ring, area: server.area };
    },
    { videoId, frame, around },
  );
}

const hexToRgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
const closeTo = (rgb, target, tolerance = 40) => rgb.every((c, i) => Math.abs(c - target[i]) <= tolerance);

async function currentFrame(page) {
  const text = await page.locator('[data-testid="frame-counter"]').innerText();
  return Number(/frame (\d+)/.exec(text)[1]);
}

async function seekTo(page, frame) {
  await page.fill('#annotate-jump', String(frame));
  await page.press('#annotate-jump', 'Enter');
  await waitFor(`frame ${frame}`, async () => (await currentFrame(page)) === frame, 10_000);
  await waitFor(
    `masks of frame ${frame} decoded and drawn`,
    () =>
      page.evaluate((f) => {
        const s = window.sam2Workspace?.stats();
        return s && s.frame === f && s.masksReady;
      }, frame),
    10_000,
  );
  await sleep(100); // one animation frame for the draw
}

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
    const { base, credentials } = platform;
    let video = null;
    let clickPoint = null;
    let objectColor = null;

    const loggedIn = await step('login', page, async () => {
      await page.goto(`${base}/login`);
      await page.getByLabel('Username').fill(credentials.username);
      await page.getByLabel('Password').fill(credentials.password);
      await page.getByRole('button', { name: /log in/i }).click();
      await page.getByRole('link', { name: 'Sample project' }).waitFor({ timeout: 15_000 });
    });

    const uploaded = await step(
      'upload',
      page,
      async () => {
        await page.getByRole('link', { name: 'Sample project' }).click();
        await page.locator('input[type="file"]').setInputFiles(VIDEO);
        await page.getByRole('button', { name: 'Upload', exact: true }).click();
        await page.getByText('Uploaded 08_driving.mp4').waitFor({ timeout: 60_000 });
      },
      { needs: loggedIn },
    );

    const ingested = await step(
      'ingest',
      page,
      async () => {
        const row = page.locator('tr', { hasText: '08_driving.mp4' });
        await row.getByRole('link', { name: 'Annotate' }).waitFor({ timeout: 120_000 });
        const href = await row.getByRole('link', { name: 'Annotate' }).getAttribute('href');
        const id = Number(/videos\/(\d+)/.exec(href)[1]);
        video = await page.evaluate(async (videoId) => (await fetch(`/api/v1/videos/${videoId}/`)).json(), id);
        return `video #${video.id}: ${video.width}x${video.height}, ${video.frame_count} frames`;
      },
      { needs: uploaded },
    );

    const opened = await step(
      'open-workspace',
      page,
      async () => {
        await page.locator('tr', { hasText: '08_driving.mp4' }).getByRole('link', { name: 'Annotate' }).click();
        await page.getByText('Live updates: on').waitFor({ timeout: 20_000 });
        await waitFor('frame 0 on screen', async () => !(await page.getByText(/Loading frame/).isVisible()), 20_000);
        const banner = await page.locator('[data-testid="sam2-banner"]').count();
        if (banner > 0)
          throw new Error('The SAM 2 banner says SAM 2 is unavailable, but the micro model is configured.');
      },
      { needs: ingested },
    );

    // A second browser (its own session) on the same video, to see live updates arrive.
    const context2 = await browser.newContext({
      viewport: { width: 1200, height: 900 },
    });
    await context2.addInitScript(installHelpers);
    const page2 = await context2.newPage();
    const secondOpen = await step(
      'second-browser-open',
      page2,
      async () => {
        await page2.goto(`${base}/login`);
        await page2.getByLabel('Username').fill(credentials.username);
        await page2.getByLabel('Password').fill(credentials.password);
        await page2.getByRole('button', { name: /log in/i }).click();
        await page2.getByRole('link', { name: 'Sample project' }).waitFor({ timeout: 15_000 });
        await page2.goto(`${base}/videos/${video.id}/annotate`);
        await page2.getByText('Live updates: on').waitFor({ timeout: 20_000 });
      },
      { needs: opened },
    );

    const added = await step(
      'add-object',
      page,
      async () => {
        await page.getByRole('button', { name: 'Add object' }).click();
        await page.getByRole('form', { name: 'Add an object' }).getByLabel('Name').fill('car');
        await page.getByRole('button', { name: 'Create' }).click();
        await page.locator('[data-testid="object-row"]', { hasText: 'car' }).waitFor({ timeout: 10_000 });
        const masklets = await page.evaluate(
          async (id) => (await (await fetch(`/api/v1/videos/${id}/masklets/`)).json()).results,
          video.id,
        );
        objectColor = masklets[0].color;
        return `masklet #${masklets[0].id}, colour ${objectColor}`;
      },
      { needs: opened },
    );

    const clicked = await step(
      'click-object',
      page,
      async () => {
        // The car ahead, in the lower middle of the driving clip.
        const p = await stagePoint(page, video, 0.5, 0.62);
        clickPoint = p;
        await page.keyboard.press('1');
        await page.mouse.click(p.pageX, p.pageY);
        await waitFor(
          'the clicked mask',
          async () => (await page.locator('[data-testid="object-row"]', { hasText: '1 frame' }).count()) > 0,
          60_000,
        );
        await seekTo(page, 0);
        const probe = await overlayProbe(page);
        if (probe.drawn === 0) throw new Error('No mask pixel on the overlay after the click.');
        const m = await maskAgreement(page, video.id, 0, p);
        if (m.error) throw new Error(m.error);
        if (m.agree < m.checked * 0.98 || m.checked < 100) {
          throw new Error(`The overlay matches the server's mask at only ${m.agree} of ${m.checked} sample points.`);
        }
        if (m.ring.agree !== m.ring.checked) {
          throw new Error(
            `Around the click the overlay differs from the server's mask (${m.ring.agree}/${m.ring.checked}).`,
          );
        }
        // The colour where the mask is drawn: the object's (blended over nothing, at the layer opacity).
        const coloured = await page.evaluate((hex) => {
          const canvas = document.querySelector('[data-testid="mask-overlay"]');
          const d = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
          const t = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
          let drawn = 0,
            right = 0;
          for (let i = 0; i < d.length; i += 4) {
            if (d[i + 3] === 0) continue;
            drawn += 1;
            if (Math.abs(d[i] - t[0]) < 40 && Math.abs(d[i + 1] - t[1]) < 40 && Math.abs(d[i + 2] - t[2]) < 40)
              right += 1;
          }
          return right / drawn;
        }, objectColor);
        if (coloured < 0.9)
          throw new Error(`Only ${(coloured * 100).toFixed(0)}% of the drawn pixels have the object's colour.`);
        const near = m.clickInside
          ? `the clicked point is inside the mask and the ring around it is drawn`
          : `the micro model's mask (random weights) does not cover the clicked point; the overlay shows it exactly`;
        return `${m.agree}/${m.checked} sample points agree with the server's RLE (area ${m.area} px); ${near}`;
      },
      { needs: added },
    );

    let laterFrame = null;
    const propagated = await step(
      'propagate',
      page,
      async () => {
        // 20 frames keep the test short on 2 cores (the micro model takes ~1 s a frame there).
        await page.locator('input[name="propagation-limit"]').fill(String(PROPAGATE_FRAMES));
        await page.getByRole('button', { name: 'Forward ▶' }).click();
        const job = page.locator('[data-testid="propagation"]');
        await job.waitFor({ timeout: 10_000 });
        await waitFor(
          'the propagation to finish',
          async () => {
            const status = await job.getAttribute('data-status');
            if (status === 'failed' || status === 'cancelled')
              throw new Error(`propagation ${status}: ${await job.innerText()}`);
            return status === 'done';
          },
          150_000,
          500,
        );
        await waitFor(
          'the timeline to show the propagated frames',
          async () => Number(await page.locator('.timeline-track').first().getAttribute('data-present')) > 1,
          15_000,
        );
        // The micro model (random weights) leaves some frames empty: take the last propagated
        // frame the server has a non-empty mask for.
        laterFrame = await page.evaluate(async (id) => {
          const masklets = (await (await fetch(`/api/v1/videos/${id}/masklets/`)).json()).results;
          const rows = (await (await fetch(`/api/v1/masklets/${masklets[0].id}/frames/?page_size=500`)).json()).results;
          const later = rows.filter((r) => r.frame_index > 0 && r.area > 0 && r.origin === 'propagated');
          return later.length > 0 ? later[later.length - 1].frame_index : null;
        }, video.id);
        if (laterFrame === null) throw new Error('The server has no non-empty propagated mask.');
        await seekTo(page, laterFrame);
        // The last propagated frames may still be on their way (events -> fetch -> worker decode).
        await waitFor(`a mask drawn on frame ${laterFrame}`, async () => (await overlayProbe(page)).drawn > 0, 15_000);
        const m = await maskAgreement(page, video.id, laterFrame, null);
        if (m.error || m.agree < m.checked * 0.98) {
          throw new Error(
            m.error ??
              `Frame ${laterFrame}: the overlay matches the server's mask at ${m.agree} of ${m.checked} points.`,
          );
        }
        const present = await page.locator('.timeline-track').first().getAttribute('data-present');
        return `frame ${laterFrame}: ${m.agree}/${m.checked} sample points match the server's mask; object present on ${present} frames`;
      },
      { needs: clicked },
    );

    await step(
      'second-browser-live',
      page2,
      async () => {
        // No reload: the propagated masks came over the websocket.
        await waitFor(
          'the propagated frames in the second browser',
          async () => Number(await page2.locator('.timeline-track').first().getAttribute('data-present')) > 1,
          20_000,
        );
        await seekTo(page2, laterFrame);
        await waitFor(
          `a mask on frame ${laterFrame} in the second browser`,
          async () => (await overlayProbe(page2)).drawn > 0,
          15_000,
        );
        const probe = await overlayProbe(page2);
        const present = await page2.locator('.timeline-track').first().getAttribute('data-present');
        return `present on ${present} frames, ${probe.drawn} mask pixels on frame ${laterFrame}, without reloading`;
      },
      { needs: propagated && secondOpen },
    );

    let brushPoint = null;
    const brushed = await step(
      'brush-edit',
      page,
      async () => {
        await page.keyboard.press('b');
        // A short stroke where the object's mask is empty (the micro model's blobs are random).
        const spot = await page.evaluate(([id, f]) => window.__e2e.findSpot(id, f, 0, 40), [video.id, laterFrame]);
        if (spot === null) throw new Error(`No empty spot on frame ${laterFrame} to brush on.`);
        const a = await stagePoint(page, video, spot.u - 0.01, spot.v);
        const b = await stagePoint(page, video, spot.u + 0.01, spot.v);
        brushPoint = await stagePoint(page, video, spot.u, spot.v);
        const before = await overlayProbe(page, brushPoint);
        if (before.at[3] !== 0)
          throw new Error(`The overlay is drawn at an empty spot of the mask: rgba(${before.at.join(',')}).`);
        await page.mouse.move(a.pageX, a.pageY);
        await page.mouse.down();
        for (let i = 1; i <= 10; i += 1) {
          await page.mouse.move(a.pageX + ((b.pageX - a.pageX) * i) / 10, a.pageY + ((b.pageY - a.pageY) * i) / 10);
        }
        await page.mouse.up();
        await page.mouse.move(5, 5); // the brush cursor would be drawn over the probed pixels
        await waitFor(
          'the edited frame on the timeline',
          async () => (await page.locator('.timeline-seg.mark-edited').count()) > 0,
          15_000,
        );
        await seekTo(page, laterFrame);
        const after = await overlayProbe(page, brushPoint);
        if (after.at[3] === 0 || !closeTo(after.at.slice(0, 3), hexToRgb(objectColor))) {
          throw new Error(`The brushed spot is rgba(${after.at.join(',')}), not the object's colour.`);
        }
        const frames = await page.evaluate(
          async ([id, f]) => {
            const masklets = (await (await fetch(`/api/v1/videos/${id}/masklets/`)).json()).results;
            const frame = (
              await (await fetch(`/api/v1/masklets/${masklets[0].id}/frames/?start=${f}&end=${f + 1}`)).json()
            ).results[0];
            return frame.origin;
          },
          [video.id, laterFrame],
        );
        if (frames !== 'edited')
          throw new Error(`The server has origin "${frames}" for the brushed frame, not "edited".`);
        return `brushed spot rgba(${after.at.join(',')}), saved with origin "edited"`;
      },
      { needs: propagated },
    );

    await step(
      'undo',
      page,
      async () => {
        await page.keyboard.press('z');
        await waitFor(
          'the brush stroke to disappear',
          async () => (await overlayProbe(page, brushPoint)).at[3] === 0,
          10_000,
        );
        const origin = await waitFor(
          'the server to have the propagated mask back',
          () =>
            page.evaluate(
              async ([id, f]) => {
                const masklets = (await (await fetch(`/api/v1/videos/${id}/masklets/`)).json()).results;
                const frame = (
                  await (await fetch(`/api/v1/masklets/${masklets[0].id}/frames/?start=${f}&end=${f + 1}`)).json()
                ).results[0];
                return frame.origin === 'propagated' ? frame.origin : null;
              },
              [video.id, laterFrame],
            ),
          10_000,
        );
        return `frame ${laterFrame} is "${origin}" again`;
      },
      { needs: brushed },
    );

    await step(
      'offline-edit-kept',
      page,
      async () => {
        // Network loss: the stroke stays on screen, the page says it will be saved, and it is
        // saved once the connection is back.
        // Let the live refetch that the undo's own event triggers land first: a refetch that
        // answers after a local stroke still replaces it (known race, noted in issue #5).
        await page.waitForTimeout(1500);
        const spot = await page.evaluate(([id, f]) => window.__e2e.findSpot(id, f, 0, 40), [video.id, laterFrame]);
        if (spot === null) throw new Error(`No empty spot on frame ${laterFrame} to brush on.`);
        const p = await stagePoint(page, video, spot.u, spot.v);
        await context.setOffline(true);
        await page.mouse.move(p.pageX - 8, p.pageY);
        await page.mouse.down();
        await page.mouse.move(p.pageX + 8, p.pageY, { steps: 5 });
        await page.mouse.up();
        await page.mouse.move(5, 5);
        await page.locator('[data-testid="pending-banner"]').waitFor({ timeout: 10_000 });
        const kept = await overlayProbe(page, p);
        if (kept.at[3] === 0) throw new Error('The stroke vanished from the canvas while offline.');
        await screenshot(page, 'offline-edit-pending');
        await context.setOffline(false);
        await page.locator('[data-testid="pending-banner"]').waitFor({ state: 'detached', timeout: 20_000 });
        const origin = await page.evaluate(
          async ([id, f]) => (await window.__e2e.serverMask(id, f)).origin,
          [video.id, laterFrame],
        );
        if (origin !== 'edited') throw new Error(`After reconnecting the server has origin "${origin}", not "edited".`);
        return 'banner shown while offline, stroke kept on screen, saved after reconnecting';
      },
      { needs: brushed },
    );

    await step(
      'draw-benchmark',
      page,
      async () => {
        const result = await page.evaluate(() => window.sam2Workspace.benchmark(10, 60));
        console.log(
          `DRAW TIME: ${result.frameWidth}x${result.frameHeight} frame + ${result.objects} objects on a ` +
            `${result.canvasWidth}x${result.canvasHeight} canvas: median ${result.medianMs.toFixed(2)} ms, ` +
            `p95 ${result.p95Ms.toFixed(2)} ms, max ${result.maxMs.toFixed(2)} ms over ${result.iterations} draws ` +
            `(mask decode in the worker: ${result.decodeMs.toFixed(1)} ms for all ${result.objects}, once per frame)`,
        );
        // The median is the judge: on a shared 2-core machine a few draws are preempted.
        if (result.medianMs >= 16)
          throw new Error(`Drawing takes ${result.medianMs.toFixed(2)} ms (median), over the 16 ms budget.`);
        return `median ${result.medianMs.toFixed(2)} ms < 16 ms`;
      },
      { needs: opened },
    );

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
