/**
 * The annotation workspace in the browser (run by run.mjs; E2E_ONLY=workspace runs it alone):
 *
 * - a 1080p video whose frames show their own index as a code (framecode_video.py) is uploaded;
 *   a manager gives an annotator a task on it;
 * - the annotator's workspace at 1280x720 fits the window (no page scroll); the annotator makes a
 *   masklet from the keyboard and clicks only: label hotkey 1, a click on the frame (a new object
 *   of that label, in its colour), F (propagate), Shift+→ to another frame and a correction click,
 *   "," and "." (previous / next keyframe), Z (undo), Ctrl+Shift+Z (redo), then "Submit for review";
 * - scrubbing on the 1080p video at 1920x1080: an arrow key held for 3 s (repeats every 33 ms,
 *   as a keyboard's auto-repeat), then jumps to frames far apart. Prints the figures (distinct
 *   frames drawn per second, jump latency p50/p95, the longest main-thread task) and checks
 *   frame accuracy all along: the code read back from the frame canvas must be the frame whose
 *   masks the overlay draws.
 *
 * Figures are printed, not asserted (the machine is shared and busy); correctness is asserted.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';

import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';

const VIDEO_NAME = 'framecode_1080p.mp4';
const VIDEO_FRAMES = 180;
const HOLD_MS = 3000;
const REPEAT_MS = 33; // a typical keyboard auto-repeat: 30 presses a second
const JUMPS = 16;
// The code strip of framecode_video.py, in frame pixels.
const CODE = { cell: 40, step: 44, x0: 16, y0: 16, bits: 10, width: 1920, height: 1080 };

/** Installed in every page: long main-thread tasks, and the frame code read from the frame canvas. */
function installProbes(code) {
  window.__longtasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch {
    /* no longtask support: the figure says so */
  }
  /** The index the frame canvas shows, or null when its code strip is not readable. */
  window.__frameCode = () => {
    const canvas = document.querySelector('.annotate-stage .viewer-canvas');
    if (!canvas) return null;
    const ctx = canvas.getContext('2d');
    const scale = Math.min(canvas.width / code.width, canvas.height / code.height);
    const ox = (canvas.width - code.width * scale) / 2;
    const oy = (canvas.height - code.height * scale) / 2;
    // One read of the strip's middle row (each read makes the canvas finish its drawing).
    const y = Math.round(oy + (code.y0 + code.cell / 2) * scale);
    const x0 = Math.floor(ox + code.x0 * scale);
    const width = Math.ceil((code.step * (code.bits + 2)) * scale);
    const row = ctx.getImageData(x0, y, width, 1).data;
    const bit = (i) => {
      const cx = Math.round(ox + (code.x0 + i * code.step + code.cell / 2) * scale) - x0;
      let sum = 0;
      for (let dx = -1; dx <= 1; dx += 1) {
        const k = (cx + dx) * 4;
        sum += (row[k] + row[k + 1] + row[k + 2]) / 3;
      }
      return sum / 3 > 128 ? 1 : 0;
    };
    if (bit(0) !== 1 || bit(code.bits + 1) !== 0) return null;
    let value = 0;
    for (let i = 0; i < code.bits; i += 1) value |= bit(i + 1) << i;
    return value;
  };
}

function makeVideo(ctx, dir) {
  const out = join(dir, VIDEO_NAME);
  return new Promise((resolve, reject) => {
    const child = spawn(ctx.PYTHON, [join(ctx.ROOT, 'tests', 'e2e', 'framecode_video.py'), out, String(VIDEO_FRAMES)], {
      cwd: ctx.ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    child.on('error', reject);
    child.on('exit', (status) => (status === 0 ? resolve(out) : reject(new Error(`framecode_video.py: ${output}`))));
  });
}

/**
 * CPU time (ms) used so far by the browser this test started: its processes are this node
 * process's descendants (Linux /proc). The machine is shared, so frames per second say as much
 * about the other load as about the page; CPU per frame says what the page itself costs.
 */
function browserCpuMs() {
  const tick = 10; // ms per clock tick (CLK_TCK = 100 on Linux)
  const stats = [];
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      stats.push({ pid: Number(pid), ppid: Number(fields[1]), cpu: (Number(fields[11]) + Number(fields[12])) * tick });
    } catch {
      /* gone meanwhile */
    }
  }
  const mine = new Set([process.pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const s of stats) {
      if (!mine.has(s.pid) && mine.has(s.ppid)) {
        mine.add(s.pid);
        grew = true;
      }
    }
  }
  mine.delete(process.pid);
  // The platform (python) is also a child; only the browser's processes count.
  const browser = stats.filter((s) => mine.has(s.pid) && isBrowser(s.pid));
  return browser.reduce((n, s) => n + s.cpu, 0);
}

function isBrowser(pid) {
  try {
    return /chrom/i.test(readFileSync(`/proc/${pid}/comm`, 'utf8'));
  } catch {
    return false;
  }
}

const percentile = (values, p) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
};

/** The label the key 1 picks: the one with hotkey 1, else (no hotkeys set) the first in order. */
function labelOfKey1(labels) {
  if (labels.some((l) => l.hotkey !== null)) return labels.find((l) => l.hotkey === 1);
  return [...labels].sort((a, b) => a.order - b.order || a.id - b.id)[0];
}

/** Nothing scrolls: the page is exactly the window, and the main regions lie inside it. */
async function checkFits(page) {
  const fit = await page.evaluate(() => {
    const el = document.scrollingElement;
    const inside = (selector) => {
      const r = document.querySelector(selector)?.getBoundingClientRect();
      return r && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight + 1 && r.right <= innerWidth + 1 && r.height > 0;
    };
    return {
      scrollHeight: el.scrollHeight,
      scrollWidth: el.scrollWidth,
      innerHeight,
      innerWidth,
      regions: Object.fromEntries(
        ['.annotate-stage', '.viewer-controls', '.status-line', '.timeline', '.annotate-side', '.label-bar'].map((s) => [
          s,
          inside(s),
        ]),
      ),
      stage: document.querySelector('.annotate-stage')?.getBoundingClientRect().height,
    };
  });
  if (fit.scrollHeight > fit.innerHeight + 1 || fit.scrollWidth > fit.innerWidth + 1)
    throw new Error(`The page scrolls: ${fit.scrollWidth}x${fit.scrollHeight} in a ${fit.innerWidth}x${fit.innerHeight} window.`);
  const outside = Object.entries(fit.regions).filter(([, ok]) => !ok);
  if (outside.length > 0) throw new Error(`Not (wholly) in the window: ${outside.map(([s]) => s).join(', ')}.`);
  return `page ${fit.scrollWidth}x${fit.scrollHeight} = window, stage ${Math.round(fit.stage)} px high`;
}

async function openWorkspace(page, base, videoId) {
  await page.goto(`${base}/videos/${videoId}/annotate`);
  await page.getByText('Live updates: on').waitFor({ timeout: 30_000 });
  await page.waitForFunction(() => {
    const s = window.sam2Workspace?.stats();
    return s && s.playhead === s.frame && s.masksReady;
  });
}

/** Frame shown, its code read back, and whether the overlay's masks are decoded for it. */
const frameCheck = (page) =>
  page.evaluate(() => {
    const s = window.sam2Workspace.stats();
    return { frame: s.frame, playhead: s.playhead, code: window.__frameCode(), masksReady: s.masksReady };
  });

export async function workspaceFlow(ctx) {
  const { browser, platform, step, log, waitFor, sleep, api, createUsers, installHelpers, loginTo } = ctx;
  /** The window as the person sees it (not the full page: nothing may lie below it). */
  const screenshotTo = (page, name) => page.screenshot({ path: join(ctx.ARTIFACTS, `${name}.png`) });
  const { base, credentials } = platform;
  const tag = `${process.pid}-${Date.now()}`;
  const annotator = { username: 'ws-annotator', password: `ws-${tag}` };
  const dir = mkdtempSync(join(tmpdir(), 'sam2-ws-e2e-'));
  const contexts = [];
  const newPage = async (who, viewport) => {
    const c = await browser.newContext({ viewport });
    await c.addInitScript(installHelpers);
    await c.addInitScript(installProbes, CODE);
    contexts.push(c);
    const p = await c.newPage();
    p.on('pageerror', (error) => ctx.consoleErrors.push(`${who}: ${error.message}`));
    return p;
  };
  const manager = await newPage('ws-manager', { width: 1920, height: 1080 });
  let video = null;
  let project = null;
  let label = null;
  let annPage = null;

  try {
    const ready = await step('workspace-setup', manager, async () => {
      const [path] = await Promise.all([makeVideo(ctx, dir), createUsers(platform, [annotator])]);
      await loginTo(manager, base, credentials, 'Sample project');
      project = (await api(manager, 'GET', 'projects/')).body.results.find((p) => p.name === 'Sample project');
      const added = await api(manager, 'POST', `projects/${project.id}/members/add/`, {
        username: annotator.username,
        role: 'annotator',
      });
      if (added.status !== 201) throw new Error(`Adding the annotator answered ${added.status}.`);
      await manager.goto(`${base}/projects/${project.id}`);
      await manager.locator('input[type="file"]').setInputFiles(path);
      await manager.getByRole('button', { name: 'Upload', exact: true }).click();
      await manager.locator('tr', { hasText: VIDEO_NAME }).getByRole('link', { name: 'Annotate' }).waitFor({ timeout: 300_000 });
      video = (await api(manager, 'GET', `projects/${project.id}/videos/`)).body.results.find((v) => v.name === VIDEO_NAME);
      const task = await api(manager, 'POST', `projects/${project.id}/tasks/create/`, {
        video_id: video.id,
        assignee: annotator.username,
      });
      if (task.status !== 201) throw new Error(`Creating the task answered ${task.status}: ${JSON.stringify(task.body)}`);
      label = labelOfKey1((await api(manager, 'GET', `projects/${project.id}/labels/`)).body.results);
      return `video #${video.id} (${video.width}x${video.height}, ${video.frame_count} frames, chunks of ${video.chunk_size}); task #${task.body.id} for ${annotator.username}; key 1 = "${label.name}"`;
    });

    annPage = ready ? await newPage('ws-annotator', { width: 1280, height: 720 }) : null;
    const fits = await step(
      'workspace-fits-1280x720',
      annPage ?? manager,
      async () => {
        await loginTo(annPage, base, annotator, 'Sample project');
        await openWorkspace(annPage, base, video.id);
        const summary = await checkFits(annPage);
        await screenshotTo(annPage, 'workspace-1280x720');
        return summary;
      },
      { needs: ready },
    );

    const annotated = await step(
      'workspace-keyboard-masklet',
      annPage ?? manager,
      async () => {
        const p = annPage;
        const stage = await p.locator('[data-testid="mask-overlay"]').boundingBox();
        const at = (u, v) => ({ x: stage.x + stage.width / 2 + (u - 0.5) * stage.width * 0.9, y: stage.y + stage.height * v });
        const frame = async () => Number(/frame (\d+)/.exec(await p.locator('[data-testid="frame-counter"]').innerText())[1]);
        const masklets = async () => (await api(p, 'GET', `videos/${video.id}/masklets/`)).body.results;
        const prompts = async (id) => (await api(p, 'GET', `masklets/${id}/prompts/`)).body.results;
        const frameRow = async (id, f) =>
          (await api(p, 'GET', `masklets/${id}/frames/?start=${f}&end=${f + 1}`)).body.results[0] ?? null;

        // 1, then a click: a new object of that label, in its colour.
        await p.keyboard.press('1');
        await p.getByText(`Click or paint on the frame to add a ${label.name}`).waitFor({ timeout: 5_000 });
        const car = at(0.5, 0.62);
        await p.mouse.click(car.x, car.y);
        const row = p.locator('[data-testid="object-row"]').first();
        await row.getByText(/1 frame/).waitFor({ timeout: 60_000 });
        const [made] = await masklets();
        if (made.label !== label.id) throw new Error(`The new object has label ${made.label}, not ${label.id}.`);
        const swatch = await row.locator('.swatch').evaluate((el) => getComputedStyle(el).backgroundColor);
        const rgb = [1, 3, 5].map((i) => parseInt(label.color.slice(i, i + 2), 16));
        if (swatch !== `rgb(${rgb.join(', ')})`) throw new Error(`The object's swatch is ${swatch}, its label ${label.color}.`);

        // F: propagate forward from frame 0 to the end.
        await p.keyboard.press('f');
        await p.locator('[data-testid="propagation"][data-status="done"]').waitFor({ timeout: 300_000 });
        // Shift+→ six times: frame 60; a correction click there makes it a keyframe.
        for (let i = 0; i < 6; i += 1) await p.keyboard.press('Shift+ArrowRight');
        await waitFor('frame 60 on screen', async () => (await frameCheck(p)).frame === 60, 20_000);
        await p.mouse.click(car.x + 20, car.y - 10);
        // Its answer is on screen (and on the undo stack) once the Undo button names it.
        await p.getByRole('button', { name: 'Undo click on frame 60' }).waitFor({ timeout: 60_000 });
        if ((await prompts(made.id)).length !== 2) throw new Error('The correction click was not stored.');
        // "," and ".": previous and next keyframe.
        await p.keyboard.press(',');
        await waitFor('the previous keyframe (0)', async () => (await frame()) === 0, 10_000);
        await p.keyboard.press('.');
        await waitFor('the next keyframe (60)', async () => (await frame()) === 60, 10_000);
        // Z: the correction is undone (the propagated mask is back); Ctrl+Shift+Z: done again.
        await p.keyboard.press('z');
        await waitFor(
          'the undo',
          async () => (await prompts(made.id)).length === 1 && (await frameRow(made.id, 60))?.origin === 'propagated',
          30_000,
        );
        await p.keyboard.press('Control+Shift+Z');
        await waitFor(
          'the redo',
          async () => (await prompts(made.id)).length === 2 && (await frameRow(made.id, 60))?.origin === 'click',
          60_000,
        );
        // The only click of the mouse that is not on the frame: submit.
        await p.locator('[data-testid="review-panel"]').getByRole('button', { name: 'Submit for review' }).click();
        await waitFor('the submission', async () => (await masklets())[0].status === 'submitted', 15_000);
        const frames = (await api(p, 'GET', `masklets/${made.id}/frames/?page_size=500`)).body.count;
        return `"${made.name}" (label ${label.name}, ${label.color}): clicked, propagated to ${frames} frames, corrected on 60, keyframes 0 ⇄ 60, undo and redo through the API, submitted`;
      },
      { needs: fits },
    );

    // The scrubbing figures count the browser's CPU: the annotator's page must not add to it.
    await annPage?.context().close();
    const opened = await step(
      'workspace-fits-1920x1080',
      manager,
      async () => {
        await openWorkspace(manager, base, video.id);
        const summary = await checkFits(manager);
        await screenshotTo(manager, 'workspace-1920x1080');
        return summary;
      },
      { needs: ready },
    );

    await step(
      'workspace-scrubbing',
      manager,
      async () => {
        const p = manager;
        await p.keyboard.press('0'); // the whole frame: the code strip is where the probe looks
        await p.evaluate(() => window.sam2Workspace.jump(0));
        await waitFor('frame 0 on screen', async () => (await frameCheck(p)).code === 0, 20_000);
        // Read the code back while scrubbing, a few times a second, against the frame the page says.
        await p.evaluate(() => {
          window.__accuracy = { samples: 0, wrong: [] };
          const sample = () => {
            if (!window.__accuracy) return;
            const s = window.sam2Workspace.stats();
            const code = window.__frameCode();
            window.__accuracy.samples += 1;
            if (code !== s.frame) window.__accuracy.wrong.push({ shown: s.frame, code });
            setTimeout(() => requestAnimationFrame(sample), 300);
          };
          requestAnimationFrame(sample);
          window.__longtasks.length = 0;
          window.sam2Workspace.trace.start();
        });
        // A held key: the browser repeats it every REPEAT_MS whether or not the page keeps up
        // (the repeats queue), so the presses are sent without waiting for each to be handled.
        const keys = await p.context().newCDPSession(p);
        const key = { key: 'ArrowRight', code: 'ArrowRight', windowsVirtualKeyCode: 39, nativeVirtualKeyCode: 39 };
        const sent = [];
        const cpu0 = browserCpuMs();
        const t0 = Date.now();
        for (let repeat = false; Date.now() - t0 < HOLD_MS; repeat = true) {
          sent.push(keys.send('Input.dispatchKeyEvent', { type: 'keyDown', autoRepeat: repeat, ...key }));
          await sleep(REPEAT_MS);
        }
        const holdMs = Date.now() - t0;
        sent.push(keys.send('Input.dispatchKeyEvent', { type: 'keyUp', ...key }));
        await Promise.all(sent);
        const cpuMs = browserCpuMs() - cpu0;
        await waitFor(
          'the playhead frame on screen',
          async () => {
            const s = await frameCheck(p);
            return s.frame === s.playhead;
          },
          20_000,
        );
        const scrub = await p.evaluate(() => {
          const trace = window.sam2Workspace.trace.stop();
          const accuracy = window.__accuracy;
          window.__accuracy = null;
          return { trace, accuracy, longest: Math.max(0, ...window.__longtasks.map((t) => t.duration)) };
        });
        const shown = scrub.trace.shown;
        const last = await frameCheck(p);
        const inHold = shown.filter((s) => s.t - shown[0].t <= holdMs);
        const distinct = new Set(inHold.map((s) => s.frame)).size;
        const fps = distinct / (holdMs / 1000);
        const cpuPerFrame = distinct > 0 ? cpuMs / distinct : NaN;

        // Jumps to frames far apart, most never shown yet.
        const targets = Array.from({ length: JUMPS }, (_, i) => (37 + i * 71) % VIDEO_FRAMES);
        const latencies = [];
        const jumpsWrong = [];
        await p.evaluate(() => (window.__longtasks.length = 0));
        for (const target of targets) {
          latencies.push(await p.evaluate((f) => window.sam2Workspace.jump(f), target));
          const c = await frameCheck(p);
          if (c.code !== target || c.frame !== target) jumpsWrong.push({ target, ...c });
          await sleep(150);
        }
        const jumpLongest = await p.evaluate(() => Math.max(0, ...window.__longtasks.map((t) => t.duration)));
        if (scrub.accuracy.wrong.length > 0 || jumpsWrong.length > 0 || last.code !== last.frame)
          throw new Error(
            `Frame accuracy: while scrubbing ${JSON.stringify(scrub.accuracy.wrong.slice(0, 5))}, after jumps ${JSON.stringify(jumpsWrong.slice(0, 5))}, at rest ${JSON.stringify(last)}.`,
          );
        const p50 = percentile(latencies, 50);
        const p95 = percentile(latencies, 95);
        const longest = Math.max(scrub.longest, jumpLongest);
        const mark = (ok) => (ok ? 'meets' : 'MISSES');
        log(
          `FIGURES scrubbing (1080p, held → ${(holdMs / 1000).toFixed(1)} s): ${fps.toFixed(1)} distinct frames/s drawn ` +
            `(${distinct} frames, playhead reached ${last.playhead}; target ≥ 20: ${mark(fps >= 20)}; ` +
            `browser CPU ${cpuPerFrame.toFixed(0)} ms per frame drawn, load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores); ` +
            `jump latency p50 ${p50.toFixed(0)} ms, p95 ${p95.toFixed(0)} ms over ${JUMPS} jumps (target p95 ≤ 150: ${mark(p95 <= 150)}); ` +
            `longest main-thread task ${longest.toFixed(0)} ms (target ≤ 50: ${mark(longest <= 50)})`,
        );
        return `${fps.toFixed(1)} frames/s drawn, jumps p50 ${p50.toFixed(0)} / p95 ${p95.toFixed(0)} ms, longest task ${longest.toFixed(0)} ms; the code read on the canvas matched the frame shown in ${scrub.accuracy.samples} samples while scrubbing and after every jump`;
      },
      { needs: opened },
    );
    return annotated;
  } finally {
    for (const c of contexts) await c.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
}
