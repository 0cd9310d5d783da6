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
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { adminFlow } from './admin.mjs';
import { automaskFlow } from './automask.mjs';
import { workspaceFlow } from './workspace.mjs';

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
  return { child, exited, varDir, base, credentials, env, output: () => output };
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
    /** Like findSpot for empty spots, but the one nearest the middle of the frame. */
    async findSpotNearCentre(videoId, frame, half) {
      const { h, w, mask, error } = await this.serverMask(videoId, frame);
      if (error) return null;
      const candidates = [];
      for (let gy = 1; gy < 24; gy += 1) for (let gx = 1; gx < 32; gx += 1) candidates.push([gx / 32, gy / 24]);
      candidates.sort((a, b) => Math.hypot(a[0] - 0.5, a[1] - 0.5) - Math.hypot(b[0] - 0.5, b[1] - 0.5));
      for (const [fu, fv] of candidates) {
        const cx = Math.floor(fu * w);
        const cy = Math.floor(fv * h);
        let ok = true;
        for (let x = cx - half; ok && x <= cx + half; x += 1) {
          for (let y = cy - half; y <= cy + half; y += 1) {
            if (x < 0 || y < 0 || x >= w || y >= h || mask[x * h + y] !== 0) {
              ok = false;
              break;
            }
          }
        }
        if (ok) return { u: (cx + 0.5) / w, v: (cy + 0.5) / h };
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

/** One API call from inside the page (its session cookie and CSRF token): `{ status, body }`. */
function api(page, method, path, body) {
  return page.evaluate(
    async ({ method, path, body }) => {
      const cookie = document.cookie
        .split(';')
        .map((part) => part.trim())
        .find((part) => part.startsWith('csrftoken='));
      const headers = { Accept: 'application/json' };
      if (body !== undefined) headers['Content-Type'] = 'application/json';
      if (cookie) headers['X-CSRFToken'] = decodeURIComponent(cookie.slice('csrftoken='.length));
      const response = await fetch(`/api/v1/${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        credentials: 'same-origin',
      });
      const text = await response.text();
      let parsed = null;
      try {
        parsed = text ? JSON.parse(text) : null;
      } catch {
        parsed = text.slice(0, 300);
      }
      return { status: response.status, body: parsed };
    },
    { method, path, body },
  );
}

/** A user account made with Django's own `manage.py shell`, on the running platform's database. */
function createUser(platform, username, password) {
  return createUsers(platform, [{ username, password }]);
}

async function login(page, base, username, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: /log in/i }).click();
  await page.getByRole('link', { name: 'Sample project' }).waitFor({ timeout: 15_000 });
}

/** The colour of the overlay at a CSS point (relative to the overlay), `[r, g, b, a]`. */
async function overlayPixel(page, x, y) {
  return (await overlayProbe(page, { x, y })).at;
}

/** Where a review pin's head is drawn for a pin at CSS point (x, y): above it (see drawPins). */
const pinHead = (p, active) => ({ x: p.x + (active ? 6 : 4), y: p.y - (active ? 11 : 8) * 1.9 });
const PIN_ACTIVE_RGB = [0xf7, 0x90, 0x09];

/**
 * Where the normalised frame point (u, v) is drawn under the workspace's zoom and pan (CSS px,
 * relative to the overlay, and on the page), worked out here from the view the page reports
 * (`zoom` times the fitted size, centred on frame point `cx`, `cy`), independently of its code.
 */
function viewPoint(page, video, u, v) {
  return page.evaluate(
    ([u, v, fw, fh]) => {
      const canvas = document.querySelector('[data-testid="mask-overlay"]');
      const { view } = window.sam2Workspace.stats();
      const cw = canvas.clientWidth;
      const ch = canvas.clientHeight;
      const scale = Math.min(cw / fw, ch / fh) * view.zoom;
      const x = cw / 2 + (u - view.cx) * fw * scale;
      const y = ch / 2 + (v - view.cy) * fh * scale;
      const box = canvas.getBoundingClientRect();
      return { x, y, pageX: box.left + x, pageY: box.top + y, zoom: view.zoom };
    },
    [u, v, video.width, video.height],
  );
}

// ---- consensus mode: a manager, two annotators and two reviewers ---------------------------------

const CONSENSUS_PROJECT = 'Consensus project';

/** User accounts made in one `manage.py shell` run (each run costs seconds on a busy machine). */
function createUsers(platform, users) {
  const list = JSON.stringify(users.map((u) => [u.username, u.password]));
  const code =
    'import json\nfrom backend.accounts.models import User\n' +
    `for name, password in json.loads(${JSON.stringify(list)}):\n` +
    '    User.objects.filter(username=name).exists() or User.objects.create_user(name, password=password)\n';
  return new Promise((resolveUsers, reject) => {
    const child = spawn(PYTHON, ['backend/manage.py', 'shell', '-c', code], {
      cwd: ROOT,
      env: platform.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolveUsers() : reject(new Error(`manage.py shell exited with ${code}: ${output.slice(-1500)}`)),
    );
  });
}

/** Log in on a fresh page; the home page then lists `project` (the user's only project, maybe). */
async function loginTo(page, base, user, project) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: /log in/i }).click();
  await page.getByRole('link', { name: project }).waitFor({ timeout: 15_000 });
}

/**
 * Paint a filled rectangle of the selected object on the current frame with the brush, as one
 * stroke sweeping back and forth: frame rectangle [u0, u1] x [v0, v1] (normalised).
 */
async function brushRectangle(page, video, [u0, v0, u1, v1], radius = 16) {
  await page.getByRole('radiogroup', { name: 'Tool' }).getByRole('radio', { name: 'Brush', exact: true }).click();
  await page
    .locator('label.slider-row', { hasText: /^Brush \d+px/ })
    .locator('input[type="range"]')
    .fill(String(radius));
  const left = u0 + radius / video.width;
  const right = u1 - radius / video.width;
  const rows = [];
  for (let y = v0 * video.height + radius; y <= v1 * video.height - radius + 0.5; y += radius)
    rows.push(y / video.height);
  let p = await stagePoint(page, video, left, rows[0]);
  await page.mouse.move(p.pageX, p.pageY);
  await page.mouse.down();
  for (let i = 0; i < rows.length; i += 1) {
    const [from, to] = i % 2 === 0 ? [left, right] : [right, left];
    p = await stagePoint(page, video, from, rows[i]);
    await page.mouse.move(p.pageX, p.pageY, { steps: 2 });
    p = await stagePoint(page, video, to, rows[i]);
    await page.mouse.move(p.pageX, p.pageY, { steps: 4 });
  }
  await page.mouse.up();
  await page.mouse.move(5, 5);
}

/** Text of the `dd` after each `dt` of a `dl.facts` inside `scope`. */
function facts(scope) {
  return scope
    .locator('dl.facts')
    .evaluate((dl) =>
      Object.fromEntries(
        [...dl.querySelectorAll(':scope > div')].map((d) => [
          d.querySelector('dt').textContent.trim(),
          d.querySelector('dd').textContent.trim(),
        ]),
      ),
    );
}

const score3 = (x) => (x === null || !Number.isFinite(x) ? '—' : x.toFixed(3));

/**
 * The issue's check, kept short: one project in consensus mode (k = 2) with a ground-truth video,
 * a manager (the sample user), two annotators and two reviewers, each in their own browser
 * context. Annotator 1 makes "car A"; annotator 2 makes "car B" (the same object, shifted a
 * little) and "sign B" (an object annotator 1 missed).
 */
async function consensusFlow({ browser, platform, consoleErrors }) {
  const { base, credentials } = platform;
  const tag = `${process.pid}-${Date.now()}`;
  const ann = [1, 2].map((i) => ({ username: `annotator${i}`, password: `ann${i}-${tag}` }));
  const rev = [1, 2].map((i) => ({ username: `verifier${i}`, password: `rev${i}-${tag}` }));
  const contexts = [];
  const newPage = async (who) => {
    const ctx = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    await ctx.addInitScript(installHelpers);
    contexts.push(ctx);
    const p = await ctx.newPage();
    p.on('pageerror', (error) => consoleErrors.push(`${who}: ${error.message}`));
    return p;
  };
  const manager = await newPage('manager');
  let project = null;
  let video = null;
  const ids = {}; // masklet ids by object name
  const annPages = [];

  try {
    const setUp = await step('consensus-setup', manager, async () => {
      await createUsers(platform, [...ann, ...rev]);
      await loginTo(manager, base, credentials, 'Sample project');
      const created = await api(manager, 'POST', 'projects/create/', {
        name: CONSENSUS_PROJECT,
        description: 'Each video is labelled by two annotators.',
        consensus_k: 2,
      });
      if (created.status !== 201)
        throw new Error(`Creating the project answered ${created.status}: ${JSON.stringify(created.body)}`);
      project = created.body;
      if (project.consensus_k !== 2) throw new Error(`The new project has consensus_k ${project.consensus_k}.`);
      for (const [user, role] of [...ann.map((u) => [u, 'annotator']), ...rev.map((u) => [u, 'reviewer'])]) {
        const added = await api(manager, 'POST', `projects/${project.id}/members/add/`, {
          username: user.username,
          role,
        });
        if (added.status !== 201)
          throw new Error(`Adding ${user.username} answered ${added.status}: ${JSON.stringify(added.body)}`);
      }
      await manager.goto(`${base}/projects/${project.id}`);
      await manager.locator('input[type="file"]').setInputFiles(VIDEO);
      await manager.getByRole('button', { name: 'Upload', exact: true }).click();
      const row = manager.locator('tr', { hasText: '08_driving.mp4' });
      await row.getByRole('link', { name: 'Annotate' }).waitFor({ timeout: 180_000 });
      const listed = (await api(manager, 'GET', `projects/${project.id}/videos/`)).body.results;
      video = listed[0];
      return `project #${project.id} (k = 2), 2 annotators and 2 reviewers (manage.py shell), video #${video.id} ingested`;
    });

    const assigned = await step(
      'consensus-assign',
      manager,
      async () => {
        const form = manager.getByRole('form', { name: 'Consensus assignment' });
        await form.locator('select').selectOption(String(video.id));
        await form.getByLabel(/Let me pick/).check();
        for (const u of ann) await form.getByLabel(u.username, { exact: true }).check();
        await form.getByRole('button', { name: 'Assign' }).click();
        await form
          .getByText(`08_driving.mp4 assigned to ${ann.map((u) => u.username).join(', ')}.`)
          .waitFor({ timeout: 10_000 });
        const tasks = (await api(manager, 'GET', `projects/${project.id}/tasks/`)).body.results.filter(
          (t) => t.video === video.id,
        );
        const owners = tasks.map((t) => t.assignee?.username).sort();
        if (tasks.length !== 2 || owners.join() !== ann.map((u) => u.username).join())
          throw new Error(`The video's tasks are ${JSON.stringify(tasks)}.`);
        return `tasks #${tasks.map((t) => t.id).join(', #')} for ${owners.join(' and ')}`;
      },
      { needs: setUp },
    );

    // Annotator i's objects on frame 0: [name, normalised rectangle].
    const work = [
      [['car A', [0.3, 0.36, 0.46, 0.6]]],
      [
        ['car B', [0.31, 0.375, 0.47, 0.615]],
        ['sign B', [0.7, 0.12, 0.8, 0.28]],
      ],
    ];
    let annotated = assigned;
    for (const [i, user] of ann.entries()) {
      if (assigned) annPages[i] = await newPage(user.username);
      annotated =
        (await step(
          `consensus-annotate-${i + 1}`,
          annPages[i] ?? manager,
          async () => {
            const p = annPages[i];
            await loginTo(p, base, user, CONSENSUS_PROJECT);
            await p.goto(`${base}/videos/${video.id}/annotate`);
            await p.getByText('Live updates: on').waitFor({ timeout: 20_000 });
            await waitFor('frame 0 on screen', async () => !(await p.getByText(/Loading frame/).isVisible()), 20_000);
            for (const [name, rect] of work[i]) {
              await p.getByRole('button', { name: 'Add object' }).click();
              const form = p.getByRole('form', { name: 'Add an object' });
              await form.getByLabel('Name').fill(name);
              await form.getByRole('button', { name: 'Create' }).click();
              const row = p.locator('[data-testid="object-row"]', { hasText: name });
              await row.waitFor({ timeout: 10_000 });
              await brushRectangle(p, video, rect);
              await row.getByText('1 frame').waitFor({ timeout: 15_000 });
            }
            const mine = (await api(p, 'GET', `videos/${video.id}/masklets/`)).body.results;
            for (const m of mine) {
              ids[m.name] = m.id;
              const rows = (await api(p, 'GET', `masklets/${m.id}/frames/?start=0&end=1`)).body.results;
              if (rows.length !== 1 || rows[0].area < 1000)
                throw new Error(`${m.name} has ${JSON.stringify(rows.map((r) => r.area))} on frame 0.`);
            }
            const names = mine.map((m) => m.name).sort();
            const expected = work[i].map(([name]) => name).sort();
            if (names.join() !== expected.join())
              throw new Error(`${user.username} is listed masklets ${names.join(', ')} by the API.`);
            return `${expected.join(' and ')} brushed on frame 0 (areas from the API)`;
          },
          { needs: annotated },
        )) && annotated;
    }

    await step(
      'consensus-independent',
      annPages[0] ?? manager,
      async () => {
        // Neither sees the other's objects: not live, not after a reload, not through the API.
        for (const [i, p] of annPages.entries()) {
          const others = work[1 - i].map(([name]) => name);
          await p.reload();
          await p.getByText('Live updates: on').waitFor({ timeout: 20_000 });
          await p.locator('[data-testid="object-row"]', { hasText: work[i][0][0] }).waitFor({ timeout: 10_000 });
          const rows = await p.locator('[data-testid="object-row"]').allInnerTexts();
          if (rows.length !== work[i].length || rows.some((r) => others.some((o) => r.includes(o))))
            throw new Error(`${ann[i].username} sees the objects ${JSON.stringify(rows)}.`);
          const other = await api(p, 'GET', `masklets/${ids[others[0]]}/`);
          if (other.status !== 404)
            throw new Error(`${ann[i].username} reading ${others[0]} answered ${other.status}.`);
        }
        await screenshot(annPages[1], 'consensus-annotator-2');
        return "each lists only their own objects; the other annotator's masklet is a 404 for them";
      },
      { needs: annotated },
    );

    let consensus = null;
    const compared = await step(
      'consensus-compare',
      manager,
      async () => {
        await manager.goto(`${base}/videos/${video.id}/consensus`);
        const pair = manager.locator('[data-testid="consensus-pair"]');
        await pair.waitFor({ timeout: 20_000 });
        await manager.locator('[data-testid="mask-preview"]').first().waitFor({ timeout: 20_000 });
        consensus = (await api(manager, 'GET', `videos/${video.id}/consensus/`)).body;
        const apiPair = consensus.pairs[0];
        if (consensus.pairs.length !== 1 || apiPair.matches.length !== 1)
          throw new Error(`The API's consensus: ${JSON.stringify(consensus.pairs)}`);
        const match = apiPair.matches[0];
        if (match.masklet_a !== ids['car A'] || match.masklet_b !== ids['car B'])
          throw new Error(`The API matched ${JSON.stringify(match)}, not car A with car B.`);
        if (apiPair.unmatched_b.join() !== String(ids['sign B']))
          throw new Error(`Unmatched: ${JSON.stringify(apiPair)}`);
        if (!(match.j > 0.4 && match.j < 0.95)) throw new Error(`J of the two shifted rectangles is ${match.j}.`);
        const shown = await facts(pair);
        const expected = {
          J: score3(apiPair.j),
          F: score3(apiPair.f),
          'J&F': score3(apiPair.jf),
          Matched: '1',
          Disagreements: '1',
        };
        for (const [key, value] of Object.entries(expected)) {
          if (shown[key] !== value) throw new Error(`The page shows ${key} ${shown[key]}, the API ${value}.`);
        }
        const cells = await pair.locator('tbody tr', { hasText: 'car A' }).locator('td.cell-number').allInnerTexts();
        if (cells.join() !== [match.j, match.f, match.jf].map(score3).join())
          throw new Error(`The matched row shows ${cells.join(', ')}; the API has ${JSON.stringify(match)}.`);
        await pair.locator('tr.row-disagreement', { hasText: 'sign B' }).waitFor({ timeout: 5_000 });
        return `${ann[0].username} vs ${ann[1].username}: J ${shown.J}, F ${shown.F}, J&F ${shown['J&F']} (as the API); "sign B" shown as a disagreement`;
      },
      { needs: annotated },
    );

    const resolved = await step(
      'consensus-resolve',
      manager,
      async () => {
        await screenshot(manager, 'consensus-before-resolve');
        await manager
          .getByRole('button', { name: new RegExp(`^Choose this version: car A \\(#${ids['car A']}\\)`) })
          .click();
        await manager.getByText(`Resolved: car A (#${ids['car A']})`).waitFor({ timeout: 10_000 });
        const discarded = (await api(manager, 'GET', `masklets/${ids['car B']}/`)).body;
        const kept = (await api(manager, 'GET', `masklets/${ids['car A']}/`)).body;
        if (discarded.consensus_discarded !== true || kept.consensus_discarded !== false)
          throw new Error(
            `After resolving: car B discarded ${discarded.consensus_discarded}, car A ${kept.consensus_discarded}.`,
          );
        const group = (await api(manager, 'GET', `videos/${video.id}/consensus/`)).body.groups.find((g) =>
          g.masklets.includes(ids['car A']),
        );
        if (group.resolved !== ids['car A']) throw new Error(`The API's group: ${JSON.stringify(group)}.`);
        return `car A kept; the API has car B consensus_discarded and the group resolved to #${group.resolved}`;
      },
      { needs: compared },
    );

    const truthMarked = await step(
      'consensus-ground-truth',
      manager,
      async () => {
        const form = manager.getByRole('form', { name: 'Ground truth masklets' });
        await form.locator('li', { hasText: 'car A' }).getByRole('checkbox').check();
        await form.getByRole('button', { name: 'Save ground truth' }).click();
        await form.getByText('Saved: 1 masklet is the ground truth.').waitFor({ timeout: 10_000 });
        const table = manager.locator('[data-testid="ground-truth-scores"]');
        await table.waitFor({ timeout: 15_000 });
        const scores = (await api(manager, 'GET', `videos/${video.id}/ground-truth/scores/`)).body;
        const rows = await table
          .locator('tbody tr')
          .evaluateAll((trs) => trs.map((tr) => [...tr.cells].map((c) => c.textContent.trim())));
        const expected = scores.map((s) => [
          s.user.username,
          String(s.matched),
          String(s.missed),
          String(s.extra),
          score3(s.j),
          score3(s.f),
          score3(s.jf),
        ]);
        if (JSON.stringify(rows) !== JSON.stringify(expected))
          throw new Error(
            `The page's scores ${JSON.stringify(rows)} differ from the API's ${JSON.stringify(expected)}.`,
          );
        // Annotator 2's car B against the ground truth (car A) is the consensus pair's match.
        const second = scores.find((s) => s.user.username === ann[1].username);
        const match = consensus.pairs[0].matches[0];
        if (
          !second ||
          second.matched !== 1 ||
          second.extra !== 1 ||
          Math.abs(second.j - match.j) > 1e-9 ||
          Math.abs(second.f - match.f) > 1e-9
        )
          throw new Error(
            `${ann[1].username}'s ground-truth score ${JSON.stringify(second)} is not the pair's ${JSON.stringify(match)}.`,
          );
        const truth = (await api(manager, 'GET', `masklets/${ids['car A']}/`)).body;
        if (!truth.is_ground_truth) throw new Error('The API does not have car A as ground truth.');
        return rows.map((r) => `${r[0]}: matched ${r[1]}, missed ${r[2]}, extra ${r[3]}, J&F ${r[6]}`).join('; ');
      },
      { needs: resolved },
    );

    const submitted = await step(
      'consensus-submit',
      annPages[1] ?? manager,
      async () => {
        // Annotator 1 submits car A; annotator 2 submits sign B (car B was discarded).
        for (const [i, name] of [
          [0, 'car A'],
          [1, 'sign B'],
        ]) {
          const p = annPages[i];
          await p.locator('[data-testid="object-row"]', { hasText: name }).locator('.object-select').click();
          const panel = p.locator('[data-testid="review-panel"]');
          await panel.getByRole('button', { name: 'Submit for review' }).click();
          await p
            .locator('[data-testid="object-row"]', { hasText: name })
            .locator('[data-testid="status-badge"][data-status="submitted"]')
            .waitFor({ timeout: 10_000 });
        }
        const queue = (await api(manager, 'GET', `projects/${project.id}/review-queue/`)).body;
        if (queue.waiting !== 2) throw new Error(`The queue says ${JSON.stringify(queue)}.`);
        return '2 masklets waiting in the review queue';
      },
      { needs: resolved },
    );

    const reviewPages = [];
    const claimed = await step(
      'consensus-two-reviewers-claim',
      manager,
      async () => {
        for (const [i, user] of rev.entries()) {
          reviewPages[i] = await newPage(user.username);
          await loginTo(reviewPages[i], base, user, CONSENSUS_PROJECT);
          await reviewPages[i].goto(`${base}/projects/${project.id}/review`);
          await waitFor(
            `2 waiting in ${user.username}'s queue`,
            async () => (await reviewPages[i].locator('[data-testid="queue-waiting"]').innerText()) === '2',
            15_000,
          );
        }
        // Both at the same moment.
        await Promise.all(reviewPages.map((p) => p.getByRole('button', { name: 'Start verifying' }).click()));
        await Promise.all(reviewPages.map((p) => p.waitForURL(/\/review\/\d+$/, { timeout: 15_000 })));
        const got = [];
        for (const p of reviewPages)
          got.push((await api(p, 'GET', `projects/${project.id}/review-queue/`)).body.my_assignment);
        const masklets = got.map((a) => a?.masklet?.id);
        if (masklets[0] === masklets[1] || masklets.some((m) => m === undefined))
          throw new Error(`The reviewers got masklets ${masklets.join(' and ')}.`);
        if ([...masklets].sort().join() !== [ids['car A'], ids['sign B']].sort().join())
          throw new Error(`The reviewers got ${masklets.join(', ')}, not car A and sign B.`);
        for (const p of reviewPages) await p.getByTestId('send-verdict').waitFor({ timeout: 15_000 });
        await screenshot(reviewPages[1], 'consensus-reviewer-2');
        return `${rev[0].username} got #${masklets[0]}, ${rev[1].username} got #${masklets[1]}`;
      },
      { needs: submitted },
    );

    const accepted = await step(
      'consensus-accept',
      reviewPages[0] ?? manager,
      async () => {
        await Promise.all(
          reviewPages.map(async (p) => {
            await p.getByRole('radio', { name: 'Satisfactory', exact: true }).click();
            await p.getByTestId('send-verdict').click();
            await p.locator('[data-testid="verdict-saved"] [data-status="accepted"]').waitFor({ timeout: 15_000 });
          }),
        );
        for (const name of ['car A', 'sign B']) {
          const m = (await api(manager, 'GET', `masklets/${ids[name]}/`)).body;
          if (m.status !== 'accepted') throw new Error(`${name} is ${m.status} after both verdicts.`);
        }
        return 'car A and sign B accepted (API)';
      },
      { needs: claimed },
    );

    await step(
      'consensus-dashboard',
      manager,
      async () => {
        await manager.goto(`${base}/projects/${project.id}/quality`);
        const table = manager.locator('[data-testid="annotator-table"]');
        await table.waitFor({ timeout: 20_000 });
        const dashboard = (await api(manager, 'GET', `projects/${project.id}/dashboard/`)).body;
        const found = [];
        for (const user of ann) {
          const row = dashboard.annotators.find((a) => a.user.username === user.username);
          if (!row || row.accepted !== 1)
            throw new Error(`The API's dashboard row of ${user.username}: ${JSON.stringify(row)}`);
          const cells = await table.locator('tbody tr', { hasText: user.username }).locator('td').allInnerTexts();
          // Annotator, Masklets, Accepted, …, Agreement J&F, Ground truth J&F (the last two).
          const shown = {
            masklets: cells[1],
            accepted: cells[2],
            agreement: cells[cells.length - 2],
            truth: cells[cells.length - 1],
          };
          const expected = {
            masklets: String(row.masklets),
            accepted: '1',
            agreement: score3(row.agreement_jf),
            truth: score3(row.ground_truth_jf),
          };
          if (JSON.stringify(shown) !== JSON.stringify(expected))
            throw new Error(
              `${user.username}'s row shows ${JSON.stringify(shown)}; the API ${JSON.stringify(expected)}.`,
            );
          found.push(`${user.username}: ${shown.masklets} masklets, ${shown.accepted} accepted, GT J&F ${shown.truth}`);
        }
        return found.join('; ');
      },
      { needs: accepted },
    );
  } finally {
    for (const ctx of contexts) await ctx.close().catch(() => undefined);
  }
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
        await page.keyboard.press('c'); // the positive click tool (digits pick labels)
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
        // saved once the connection is back. No pause after the undo: the live refetch its own
        // event triggers may answer after this stroke, and must not replace it (pending write wins).
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
      'refetch-race',
      page,
      async () => {
        // A live refetch that answers after a local stroke must not replace it on screen. Made
        // certain here: the second session rewrites the frame (its event makes this page refetch
        // the frame), and that refetch's answer is held back until after the stroke.
        const spot = await page.evaluate(([id, f]) => window.__e2e.findSpot(id, f, 0, 40), [video.id, laterFrame]);
        if (spot === null) throw new Error(`No empty spot on frame ${laterFrame} to brush on.`);
        const p = await stagePoint(page, video, spot.u, spot.v);
        const m = (await api(page2, 'GET', `videos/${video.id}/masklets/`)).body.results[0];
        const row = (await api(page2, 'GET', `masklets/${m.id}/frames/?start=${laterFrame}&end=${laterFrame + 1}`)).body
          .results[0];
        let held = 0;
        let holding = true; // only answers to requests sent before the stroke are held back
        let release;
        const released = new Promise((r) => (release = r));
        const framesUrl = /\/api\/v1\/masklets\/\d+\/frames\/\?/;
        const hold = async (route) => {
          if (route.request().method() !== 'GET' || !holding) return route.continue();
          const response = await route.fetch(); // the server's frame now: without the stroke to come
          held += 1;
          await released;
          return route.fulfill({ response });
        };
        await page.route(framesUrl, hold);
        try {
          const written = await api(page2, 'PUT', `masklets/${m.id}/frames/`, {
            version: m.version,
            frames: [{ frame_index: laterFrame, rle: row.rle, origin: row.origin }],
            delete_frames: [],
          });
          if (written.status !== 200) throw new Error(`The second session's write answered ${written.status}.`);
          await waitFor('this page to refetch the frame after the live event', async () => held > 0, 10_000, 50);
          holding = false;
          await page.keyboard.press('b');
          await page.mouse.move(p.pageX - 8, p.pageY);
          await page.mouse.down();
          await page.mouse.move(p.pageX + 8, p.pageY, { steps: 5 });
          await page.mouse.up();
          await page.mouse.move(5, 5);
          await sleep(500); // saved, and any newer refetch answered: the held answer is the last to land
        } finally {
          release();
          await sleep(500); // the held answer lands and is drawn (or, before the fix, drew over the stroke)
          await page.unroute(framesUrl, hold);
        }
        const shown = await overlayProbe(page, p);
        if (shown.at[3] === 0 || !closeTo(shown.at.slice(0, 3), hexToRgb(objectColor)))
          throw new Error(`The late refetch replaced the stroke on screen: rgba(${shown.at.join(',')}).`);
        const saved = await waitFor(
          'the stroke on the server',
          () =>
            page.evaluate(
              async ([id, f, u, v]) => {
                const s = await window.__e2e.serverMask(id, f);
                return s.mask[Math.floor(u * s.w) * s.h + Math.floor(v * s.h)] === 1 ? s.origin : null;
              },
              [video.id, laterFrame, spot.u, spot.v],
            ),
          10_000,
        );
        return `${held} refetch answer(s) held until after the stroke; the stroke stays drawn rgba(${shown.at.join(',')}) and is saved ("${saved}")`;
      },
      { needs: brushed && secondOpen },
    );

    // A stale write: the second session renames the object while this one cannot hear of it.
    const CONFLICT_NAME = 'car ahead';
    let conflictSpot = null;
    const conflicted = await step(
      'conflict-409',
      page,
      async () => {
        const before = (await api(page2, 'GET', `videos/${video.id}/masklets/`)).body.results[0];
        // An empty spot near the middle of the frame (the zoom step below zooms in on it).
        const spot = await page.evaluate(([id, f]) => window.__e2e.findSpotNearCentre(id, f, 40), [video.id, laterFrame]);
        if (spot === null) throw new Error(`No empty spot on frame ${laterFrame} to brush on.`);
        const p = await stagePoint(page, video, spot.u, spot.v);
        // Offline, no live event tells this page about the new version before it writes.
        await context.setOffline(true);
        const renamed = await api(page2, 'PATCH', `masklets/${before.id}/`, {
          version: before.version,
          name: CONFLICT_NAME,
        });
        if (renamed.status !== 200) throw new Error(`The rename answered ${renamed.status}: ${JSON.stringify(renamed.body)}`);
        await page.keyboard.press('b');
        await page.mouse.move(p.pageX - 8, p.pageY);
        await page.mouse.down();
        await page.mouse.move(p.pageX + 8, p.pageY, { steps: 5 });
        await page.mouse.up();
        await page.mouse.move(5, 5);
        await page.locator('[data-testid="pending-banner"]').waitFor({ timeout: 10_000 });
        await context.setOffline(false);
        // Back online, the kept stroke is sent with the old version: 409, said in plain words.
        const banner = page.locator('[data-testid="conflict-banner"]');
        await banner.waitFor({ timeout: 20_000 });
        const text = (await banner.innerText()).replace(/\s+/g, ' ');
        const expected = /Someone else changed this object first, so your brush stroke on frame \d+ was not saved\./;
        if (!expected.test(text)) throw new Error(`The conflict banner says "${text}".`);
        if ((await overlayProbe(page, p)).at[3] === 0)
          throw new Error('The refused stroke vanished from the canvas before the person chose what to do.');
        await screenshot(page, 'conflict-409-banner');
        await banner.getByRole('button', { name: 'Apply my change on top' }).click();
        await banner.waitFor({ state: 'detached', timeout: 10_000 });
        // Both changes are on the server: the other session's name, and this session's stroke.
        const after = await waitFor(
          'the stroke saved on top of the rename',
          async () => {
            const m = (await api(page, 'GET', `masklets/${before.id}/`)).body;
            return m.version >= before.version + 2 ? m : null;
          },
          15_000,
        );
        if (after.name !== CONFLICT_NAME) throw new Error(`After re-applying, the name is "${after.name}".`);
        const server = await page.evaluate(
          async ([id, f, u, v]) => {
            const s = await window.__e2e.serverMask(id, f);
            return { origin: s.origin, value: s.mask[Math.floor(u * s.w) * s.h + Math.floor(v * s.h)] };
          },
          [video.id, laterFrame, spot.u, spot.v],
        );
        if (server.origin !== 'edited' || server.value !== 1)
          throw new Error(`The server's mask at the stroke is ${server.value} (origin "${server.origin}"), not 1.`);
        await page.locator('[data-testid="object-row"]', { hasText: CONFLICT_NAME }).waitFor({ timeout: 10_000 });
        if ((await page.locator('[data-testid="conflict-banner"]').count()) > 0)
          throw new Error('A second conflict after "Apply my change on top".');
        conflictSpot = spot;
        return `"${text.split('.')[0]}." -> applied on top: version ${before.version} -> ${after.version}, name "${after.name}", stroke saved ("edited")`;
      },
      { needs: brushed && secondOpen },
    );

    await step(
      'zoom-pan',
      page,
      async () => {
        const { u, v } = conflictSpot;
        const rgb = hexToRgb(objectColor);
        const zoomText = () => page.locator('[data-testid="zoom-level"]').innerText();
        const off = (a, b) => Math.hypot(a.x - b.x, a.y - b.y);
        const drawnAt = async (q, what) => {
          const px = (await overlayProbe(page, q)).at;
          if (!closeTo(px.slice(0, 3), rgb) || px[3] === 0)
            throw new Error(`${what}: the stroke is not drawn where the view puts it: rgba(${px.join(',')}).`);
        };
        // Wheel zoom around the pointer (on whole pixels): the frame point under it stays under it,
        // so the stroke's centre, a fraction of a pixel away, moves away from it by that times the zoom.
        const p0 = await viewPoint(page, video, u, v);
        const cursor = { pageX: Math.round(p0.pageX), pageY: Math.round(p0.pageY) };
        const at = { x: cursor.pageX - (p0.pageX - p0.x), y: cursor.pageY - (p0.pageY - p0.y) };
        await page.mouse.move(cursor.pageX, cursor.pageY);
        for (let i = 0; i < 4; i += 1) await page.mouse.wheel(0, -200);
        await waitFor('the wheel to zoom in', async () => (await viewPoint(page, video, u, v)).zoom > 3, 5_000);
        await sleep(150);
        const p1 = await viewPoint(page, video, u, v);
        const k = p1.zoom / p0.zoom;
        const expected1 = { x: at.x + (p0.x - at.x) * k, y: at.y + (p0.y - at.y) * k };
        if (off(p1, expected1) > 0.75)
          throw new Error(`Wheel zoom moved the point under the pointer by ${off(p1, expected1).toFixed(2)} px.`);
        await drawnAt(p1, `zoomed to ${await zoomText()}`);
        // Middle-button drag pans: the stroke follows the pointer, exactly.
        const d1 = { x: -70, y: 40 };
        await page.mouse.down({ button: 'middle' });
        await page.mouse.move(cursor.pageX + d1.x, cursor.pageY + d1.y, { steps: 6 });
        await page.mouse.up({ button: 'middle' });
        await sleep(150);
        const p2 = await viewPoint(page, video, u, v);
        if (off(p2, { x: p1.x + d1.x, y: p1.y + d1.y }) > 1)
          throw new Error(`A middle-button drag of (${d1.x}, ${d1.y}) moved the frame to (${p2.x - p1.x}, ${p2.y - p1.y}).`);
        await drawnAt(p2, 'after a middle-button pan');
        // Space + drag pans too, and that Space does not start playback.
        const d2 = { x: 50, y: -30 };
        await page.keyboard.down('Space');
        await page.mouse.down();
        await page.mouse.move(cursor.pageX + d1.x + d2.x, cursor.pageY + d1.y + d2.y, { steps: 5 });
        await page.mouse.up();
        await page.keyboard.up('Space');
        await sleep(150);
        const p3 = await viewPoint(page, video, u, v);
        if (off(p3, { x: p2.x + d2.x, y: p2.y + d2.y }) > 1)
          throw new Error(`A Space + drag of (${d2.x}, ${d2.y}) moved the frame to (${p3.x - p2.x}, ${p3.y - p2.y}).`);
        await drawnAt(p3, 'after a Space + drag pan');
        if ((await page.getByRole('button', { name: /Pause/ }).count()) > 0) throw new Error('Space + drag started playback.');
        // The brush under zoom paints where the pointer is, in frame pixels: 30 frame px below the stroke.
        const target = { u, v: v + 30 / video.height };
        const q = await viewPoint(page, video, target.u, target.v);
        const valueAt = (t) =>
          page.evaluate(
            async ([id, f, tu, tv]) => {
              const s = await window.__e2e.serverMask(id, f);
              return s.mask[Math.floor(tu * s.w) * s.h + Math.floor(tv * s.h)];
            },
            [video.id, laterFrame, t.u, t.v],
          );
        if ((await valueAt(target)) !== 0) throw new Error('The spot to brush while zoomed is not empty.');
        await page.mouse.move(q.pageX, q.pageY);
        await page.mouse.down();
        await page.mouse.move(q.pageX + 2, q.pageY, { steps: 2 });
        await page.mouse.up();
        await waitFor('the zoomed stroke saved at its frame point', async () => (await valueAt(target)) === 1, 10_000);
        const shown = await zoomText();
        await page.mouse.move(5, 5);
        await sleep(150);
        await screenshot(page, 'zoomed-and-panned');
        // Keys: + zooms in, 0 fits the whole frame again (the next steps expect it).
        await page.keyboard.press('+');
        await waitFor('+ to zoom in', async () => parseInt(await zoomText(), 10) > parseInt(shown, 10), 5_000);
        await page.keyboard.press('0');
        await waitFor('0 to fit the frame', async () => (await zoomText()) === '100%', 5_000);
        return (
          `wheel zoom to ${shown} kept the point under the pointer (${off(p1, expected1).toFixed(2)} px off); ` +
          `middle and Space drags moved it by the drag (±${Math.max(off(p2, { x: p1.x + d1.x, y: p1.y + d1.y }), off(p3, { x: p2.x + d2.x, y: p2.y + d2.y })).toFixed(2)} px); ` +
          'a brush stroke while zoomed landed on its frame point; + and 0 work'
        );
      },
      { needs: conflicted },
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

    await step(
      'quality-dashboard',
      page,
      async () => {
        // The manager annotated the "car" object above, so the dashboard lists them as an annotator.
        const projectId = await page.evaluate(
          async (id) => (await (await fetch(`/api/v1/videos/${id}/`)).json()).project,
          video.id,
        );
        await page.goto(`${base}/projects/${projectId}/quality`);
        const table = page.locator('[data-testid="annotator-table"]');
        await table.waitFor({ timeout: 20_000 });
        const row = table.locator('tbody tr', { hasText: credentials.username });
        await row.waitFor({ timeout: 5_000 });
        const cells = await row.locator('td').allInnerTexts();
        if (Number(cells[1]) < 1) throw new Error(`The annotator row shows ${cells[1]} masklets, expected at least 1.`);
        const charts = await page.locator('svg[role="img"]').count();
        if (charts < 3) throw new Error(`Expected 3 charts on the dashboard, found ${charts}.`);
        // Clicking the annotator filters the page to them.
        await row.getByRole('button', { name: credentials.username }).click();
        await page.getByText(/Showing .* only/).waitFor({ timeout: 5_000 });
        if (!page.url().includes('annotator='))
          throw new Error(`Filtering did not put the annotator in the URL: ${page.url()}`);
        const [download] = await Promise.all([
          page.waitForEvent('download', { timeout: 15_000 }),
          page.getByRole('link', { name: 'Download CSV' }).click(),
        ]);
        const csv = readFileSync(await download.path(), 'utf8');
        const [header, ...lines] = csv.trim().split('\n');
        if (!header.startsWith('user_id,username,')) throw new Error(`The CSV header is "${header}".`);
        if (!lines.some((l) => l.split(',')[1] === credentials.username))
          throw new Error(`The CSV has no row for ${credentials.username}: ${csv.slice(0, 300)}`);
        await page.getByRole('button', { name: 'Show everyone' }).click();
        await table.waitFor({ timeout: 10_000 });
        const name = download.suggestedFilename();
        return `${name}: "${header.slice(0, 60)}…", ${lines.length} row(s); row ${cells.slice(0, 7).join(' | ')}`;
      },
      { needs: added },
    );

    // ---- review: submit, verify in a second session as a reviewer, reject with a comment, fix, accept
    const reviewer = { username: 'reviewer', password: `review-${process.pid}-${Date.now()}` };
    let reviewContext = null;
    let reviewPage = null;
    let maskletId = null;
    let projectId = null;
    let pin = null; // { frame, u, v } where the reviewer pinned the comment
    const PIN_TEXT = 'The mask misses the edge of the car here.';
    const badge = (p, status) =>
      p.locator(`[data-testid="object-row"] [data-testid="status-badge"][data-status="${status}"]`);

    const reviewerAdded = await step(
      'review-add-reviewer',
      page,
      async () => {
        await createUser(platform, reviewer.username, reviewer.password);
        projectId = video.project;
        const added = await api(page, 'POST', `projects/${projectId}/members/add/`, {
          username: reviewer.username,
          role: 'reviewer',
        });
        if (added.status !== 201) throw new Error(`Adding the reviewer answered ${added.status}: ${JSON.stringify(added.body)}`);
        return `user "${reviewer.username}" (made with manage.py shell) is a ${added.body.role} of project #${projectId}`;
      },
      { needs: clicked },
    );

    const submitted = await step(
      'review-submit',
      page,
      async () => {
        await context.setOffline(false); // whatever an earlier step left behind
        await page.goto(`${base}/videos/${video.id}/annotate`);
        await page.getByText('Live updates: on').waitFor({ timeout: 20_000 });
        const row = page.locator('[data-testid="object-row"]', { hasText: 'car' });
        await row.locator('.object-select').click();
        maskletId = (
          await page.evaluate(async (id) => (await (await fetch(`/api/v1/videos/${id}/masklets/`)).json()).results, video.id)
        )[0].id;
        const panel = page.locator('[data-testid="review-panel"]');
        await panel.getByRole('button', { name: 'Submit for review' }).click();
        await badge(page, 'submitted').waitFor({ timeout: 10_000 });
        const message = await panel.locator('[data-testid="review-message"]').innerText();
        if (!/Under review/.test(message)) throw new Error(`The panel says "${message}" after submitting.`);
        // Read-only while under review: a brush stroke changes nothing, on screen or on the server.
        const before = (await api(page, 'GET', `masklets/${maskletId}/`)).body;
        await seekTo(page, laterFrame ?? 0);
        const spot = await page.evaluate(([id, f]) => window.__e2e.findSpot(id, f, 0, 30), [video.id, laterFrame ?? 0]);
        if (spot !== null) {
          await page.keyboard.press('b');
          const p = await stagePoint(page, video, spot.u, spot.v);
          await page.mouse.move(p.pageX - 8, p.pageY);
          await page.mouse.down();
          await page.mouse.move(p.pageX + 8, p.pageY, { steps: 4 });
          await page.mouse.up();
          await page.mouse.move(5, 5);
          await sleep(800);
          const at = await overlayPixel(page, p.x, p.y);
          if (at[3] !== 0) throw new Error(`A stroke on an object under review was drawn: rgba(${at.join(',')}).`);
        }
        const after = (await api(page, 'GET', `masklets/${maskletId}/`)).body;
        if (after.status !== 'submitted' || after.review_round !== 1 || after.version !== before.version) {
          throw new Error(`After submitting the API has ${JSON.stringify(after)}.`);
        }
        // A link to the object and a frame selects it and seeks there; its mask tools say they are off.
        const linkFrame = laterFrame ?? 0;
        await page.goto(`${base}/videos/${video.id}/annotate?masklet=${maskletId}&frame=${linkFrame}`);
        await page.getByText('Live updates: on').waitFor({ timeout: 20_000 });
        await waitFor(`frame ${linkFrame} from the link`, async () => (await currentFrame(page)) === linkFrame, 10_000);
        await page.locator('[data-testid="object-row"][aria-selected="true"]', { hasText: 'car' }).waitFor({ timeout: 10_000 });
        const jumpValue = await page.inputValue('#annotate-jump');
        if (jumpValue !== String(linkFrame)) throw new Error(`"Go to frame" shows ${jumpValue} on frame ${linkFrame}.`);
        const tools = page.getByRole('radiogroup', { name: 'Tool' });
        await badge(page, 'submitted').waitFor({ timeout: 10_000 });
        for (const name of ['Positive click', 'Negative click', 'Box', 'Brush', 'Eraser']) {
          const button = tools.getByRole('radio', { name, exact: true });
          const title = (await button.getAttribute('title')) ?? '';
          if (!(await button.isDisabled()) || !/under review/.test(title)) {
            throw new Error(`The ${name} tool of an object under review: disabled ${await button.isDisabled()}, title "${title}".`);
          }
        }
        if (await tools.getByRole('radio', { name: 'Pan', exact: true }).isDisabled()) {
          throw new Error('Pan is disabled on an object under review.');
        }
        const brushTitle = await tools.getByRole('radio', { name: 'Brush', exact: true }).getAttribute('title');
        return `masklet #${maskletId} submitted (round ${after.review_round}); the panel says "${message}"; a stroke on it is ignored; ?masklet=&frame= selects it on frame ${linkFrame}; tools disabled ("${brushTitle}")`;
      },
      { needs: reviewerAdded },
    );

    if (submitted) {
      reviewContext = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
      await reviewContext.addInitScript(installHelpers);
      reviewPage = await reviewContext.newPage();
      reviewPage.on('pageerror', (error) => consoleErrors.push(`reviewer: ${error.message}`));
    }

    const claimed = await step(
      'review-claim',
      reviewPage ?? page,
      async () => {
        await login(reviewPage, base, reviewer.username, reviewer.password);
        await reviewPage.getByRole('link', { name: 'Sample project' }).click();
        await reviewPage.getByRole('link', { name: 'Review queue' }).click();
        await waitFor(
          'one masklet waiting in the queue',
          async () => (await reviewPage.locator('[data-testid="queue-waiting"]').innerText()) === '1',
          15_000,
        );
        await screenshot(reviewPage, 'review-queue');
        const open = await reviewPage.locator('.masklet-table tr', { hasText: 'car' }).getByRole('link', { name: 'Open' }).getAttribute('href');
        if (open !== `/videos/${video.id}/annotate?masklet=${maskletId}`) {
          throw new Error(`The queue's "Open" link of masklet #${maskletId} goes to ${open}.`);
        }
        await reviewPage.getByRole('button', { name: 'Start verifying' }).click();
        await reviewPage.waitForURL(/\/review\/\d+$/, { timeout: 15_000 });
        await reviewPage.getByRole('heading', { name: 'car' }).waitFor({ timeout: 15_000 });
        await waitFor(
          'the mask drawn on the review screen',
          async () =>
            (await reviewPage.evaluate(() => window.sam2Review?.stats().masksReady)) &&
            (await overlayProbe(reviewPage)).drawn > 0,
          20_000,
        );
        const frame = await currentFrame(reviewPage);
        return `${reviewPage.url().replace(base, '')}: frame ${frame} with the mask drawn`;
      },
      { needs: submitted },
    );

    const rejected = await step(
      'review-reject-with-pin',
      reviewPage ?? page,
      async () => {
        await reviewPage.getByRole('radio', { name: 'Unsatisfactory' }).click();
        // Pin the comment on a later frame, so that the annotator has to jump there.
        const frame = laterFrame ?? 0;
        await reviewPage.fill('#review-jump', String(frame));
        await reviewPage.press('#review-jump', 'Enter');
        await waitFor(`frame ${frame}`, async () => (await currentFrame(reviewPage)) === frame, 10_000);
        // Sending with an empty pin is refused in words.
        const p = await stagePoint(reviewPage, video, 0.3, 0.45);
        await reviewPage.mouse.click(p.pageX, p.pageY);
        const text = reviewPage.getByLabel('Comment at pin 1');
        await text.waitFor({ timeout: 5_000 });
        await reviewPage.getByTestId('send-verdict').click();
        await reviewPage.getByText('Type what is wrong at pin 1').waitFor({ timeout: 5_000 });
        await text.fill(PIN_TEXT);
        await reviewPage.getByLabel('Overall comment').fill('Please fix the edge and send it again.');
        await sleep(200);
        const head = await overlayPixel(reviewPage, pinHead(p, true).x, pinHead(p, true).y);
        if (!closeTo(head.slice(0, 3), PIN_ACTIVE_RGB, 30) || head[3] < 200) {
          throw new Error(`No pin drawn where the reviewer clicked: rgba(${head.join(',')}).`);
        }
        await screenshot(reviewPage, 'review-pin-placed');
        await reviewPage.getByTestId('send-verdict').click();
        const saved = reviewPage.locator('[data-testid="verdict-saved"]');
        await saved.waitFor({ timeout: 15_000 });
        await saved.getByText('Nothing else waits').waitFor({ timeout: 15_000 });
        const m = (await api(reviewPage, 'GET', `masklets/${maskletId}/`)).body;
        const comments = (await api(reviewPage, 'GET', `masklets/${maskletId}/comments/`)).body;
        if (m.status !== 'rejected') throw new Error(`After the verdict the masklet is "${m.status}", not rejected.`);
        const c = comments.find((x) => x.text === PIN_TEXT);
        if (!c || c.frame_index !== frame || Math.abs(c.x - 0.3) > 0.01 || Math.abs(c.y - 0.45) > 0.01) {
          throw new Error(`The pinned comment is stored as ${JSON.stringify(comments)}.`);
        }
        pin = { frame, u: c.x, v: c.y };
        return `rejected; comment pinned at frame ${c.frame_index}, (${c.x}, ${c.y}); pin drawn rgba(${head.join(',')})`;
      },
      { needs: claimed },
    );

    const seen = await step(
      'review-annotator-sees-comment',
      page,
      async () => {
        // Live: the status change arrives over the websocket, without a reload.
        await badge(page, 'rejected').waitFor({ timeout: 20_000 });
        const comment = page.locator('[data-testid="review-comment"]', { hasText: PIN_TEXT });
        await comment.waitFor({ timeout: 10_000 });
        await seekTo(page, 0);
        await comment.getByRole('button', { name: `Go to frame ${pin.frame}` }).click();
        await waitFor(`frame ${pin.frame}`, async () => (await currentFrame(page)) === pin.frame, 10_000);
        await waitFor(
          `"Go to frame" showing ${pin.frame}`,
          async () => (await page.inputValue('#annotate-jump')) === String(pin.frame),
          5_000,
        );
        await sleep(300);
        const p = await stagePoint(page, video, pin.u, pin.v);
        const head = await overlayPixel(page, pinHead(p, true).x, pinHead(p, true).y);
        if (!closeTo(head.slice(0, 3), PIN_ACTIVE_RGB, 30) || head[3] < 200) {
          throw new Error(`The comment's pin is not drawn on frame ${pin.frame}: rgba(${head.join(',')}).`);
        }
        return `badge "rejected", comment listed, "Go to frame" seeks to ${pin.frame}, pin drawn rgba(${head.join(',')})`;
      },
      { needs: rejected },
    );

    const fixed = await step(
      'review-fix-and-resubmit',
      page,
      async () => {
        await page.keyboard.press('b');
        const p = await stagePoint(page, video, pin.u, pin.v);
        await page.mouse.move(p.pageX - 10, p.pageY + 4);
        await page.mouse.down();
        await page.mouse.move(p.pageX + 10, p.pageY + 4, { steps: 6 });
        await page.mouse.up();
        await page.mouse.move(5, 5);
        await badge(page, 'reworked').waitFor({ timeout: 15_000 });
        const origin = await waitFor(
          'the fix saved',
          () => page.evaluate(async ([id, f]) => (await window.__e2e.serverMask(id, f)).origin === 'edited', [video.id, pin.frame]),
          10_000,
        );
        const panel = page.locator('[data-testid="review-panel"]');
        await panel.getByRole('button', { name: 'Mark resolved' }).click();
        await panel.locator('[data-testid="review-comment"].is-resolved').waitFor({ timeout: 10_000 });
        await panel.getByRole('button', { name: 'Resubmit for review' }).click();
        await badge(page, 'submitted').waitFor({ timeout: 10_000 });
        const m = (await api(page, 'GET', `masklets/${maskletId}/`)).body;
        if (m.status !== 'submitted' || m.review_round !== 2)
          throw new Error(`After resubmitting the API has status ${m.status}, round ${m.review_round}.`);
        return `brushed (status went "reworked", frame saved "edited": ${origin}), comment resolved, resubmitted for round ${m.review_round}`;
      },
      { needs: seen },
    );

    const accepted = await step(
      'review-accept',
      reviewPage ?? page,
      async () => {
        await reviewPage.getByRole('link', { name: 'Back to the queue' }).first().click();
        await waitFor(
          'the resubmitted masklet in the queue',
          async () => {
            if ((await reviewPage.locator('[data-testid="queue-waiting"]').innerText()) === '1') return true;
            await reviewPage.reload();
            return false;
          },
          30_000,
          1_000,
        );
        // Leaving without a verdict gives the masklet back at once (no waiting for the lease to end).
        await reviewPage.getByRole('button', { name: 'Start verifying' }).click();
        await reviewPage.waitForURL(/\/review\/\d+$/, { timeout: 15_000 });
        const held = await api(reviewPage, 'GET', `projects/${projectId}/review-queue/`);
        if (held.body.in_review !== 1) throw new Error(`While verifying, the queue says ${JSON.stringify(held.body)}.`);
        await reviewPage.getByRole('button', { name: 'Skip (give it back)' }).click();
        await waitFor(
          'the skipped masklet back in the queue',
          async () => (await reviewPage.locator('[data-testid="queue-waiting"]').innerText()) === '1',
          15_000,
        );
        const released = await api(reviewPage, 'GET', `projects/${projectId}/review-queue/`);
        if (released.body.in_review !== 0 || released.body.my_assignment !== null)
          throw new Error(`After skipping, the queue says ${JSON.stringify(released.body)}.`);
        await reviewPage.getByRole('button', { name: 'Start verifying' }).click();
        await reviewPage.waitForURL(/\/review\/\d+$/, { timeout: 15_000 });
        await reviewPage.getByText(/round 2/).first().waitFor({ timeout: 15_000 });
        await reviewPage.getByRole('radio', { name: 'Satisfactory', exact: true }).click();
        await reviewPage.getByTestId('send-verdict').click();
        await reviewPage.locator('[data-testid="verdict-saved"] [data-status="accepted"]').waitFor({ timeout: 15_000 });
        return 'skipping gave the masklet back to the queue at once; claimed again, round 2 judged satisfactory';
      },
      { needs: fixed },
    );

    await step(
      'review-final-status',
      page,
      async () => {
        await badge(page, 'accepted').waitFor({ timeout: 20_000 });
        const m = (await api(page, 'GET', `masklets/${maskletId}/`)).body;
        const history = (await api(page, 'GET', `masklets/${maskletId}/history/`)).body;
        const reviews = (await api(page, 'GET', `masklets/${maskletId}/reviews/`)).body;
        if (m.status !== 'accepted') throw new Error(`The API says the masklet is "${m.status}", not accepted.`);
        const actions = history.map((h) => h.action).join(' > ');
        const expected = 'submitted > rejected > reworked > resubmitted > accepted';
        if (actions !== expected) throw new Error(`The history is "${actions}", expected "${expected}".`);
        const verdicts = reviews.map((r) => `${r.round}:${r.verdict}:${r.reviewer?.username}`).join(', ');
        if (verdicts !== `1:unsatisfactory:${reviewer.username}, 2:satisfactory:${reviewer.username}`)
          throw new Error(`The verdicts are ${verdicts}.`);
        await page.locator('[data-testid="review-panel"] summary', { hasText: 'History' }).click();
        return `status "${m.status}" (round ${m.review_round}); history ${actions}; verdicts ${verdicts}`;
      },
      { needs: accepted },
    );

    await reviewContext?.close();

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
