/**
 * Page helpers the flows share: logging in, API calls from inside a page (its session and CSRF
 * token), where a frame point is drawn (fitted, or under zoom and pan), the mask overlay's pixels
 * and their agreement with the server's RLE (decoded independently of the app's code, by
 * installHelpers, installed in every page), seeking, the review pin's head, painting a rectangle
 * with the brush.
 */
import { sleep, waitFor } from './harness.mjs';

/** Pixels of the mask overlay canvas: colour at a point and how many pixels are drawn. */
export function overlayProbe(page, point) {
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
export async function stagePoint(page, video, u, v) {
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
export function installHelpers() {
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
export function maskAgreement(page, videoId, frame, around) {
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

export const hexToRgb = (hex) => [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
export const closeTo = (rgb, target, tolerance = 40) => rgb.every((c, i) => Math.abs(c - target[i]) <= tolerance);

export async function currentFrame(page) {
  const text = await page.locator('[data-testid="frame-counter"]').innerText();
  return Number(/frame (\d+)/.exec(text)[1]);
}

export async function seekTo(page, frame) {
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
export function api(page, method, path, body) {
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

export async function login(page, base, username, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: /log in/i }).click();
  await page.getByRole('link', { name: 'Sample project' }).waitFor({ timeout: 15_000 });
}

/** The colour of the overlay at a CSS point (relative to the overlay), `[r, g, b, a]`. */
export async function overlayPixel(page, x, y) {
  return (await overlayProbe(page, { x, y })).at;
}

/** Where a review pin's head is drawn for a pin at CSS point (x, y): above it (see drawPins). */
export const pinHead = (p, active) => ({ x: p.x + (active ? 6 : 4), y: p.y - (active ? 11 : 8) * 1.9 });
export const PIN_ACTIVE_RGB = [0xf7, 0x90, 0x09];

/**
 * Where the normalised frame point (u, v) is drawn under the workspace's zoom and pan (CSS px,
 * relative to the overlay, and on the page), worked out here from the view the page reports
 * (`zoom` times the fitted size, centred on frame point `cx`, `cy`), independently of its code.
 */
export function viewPoint(page, video, u, v) {
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

/** Log in on a fresh page; the home page then lists `project` (the user's only project, maybe). */
export async function loginTo(page, base, user, project) {
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
export async function brushRectangle(page, video, [u0, v0, u1, v1], radius = 16) {
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
