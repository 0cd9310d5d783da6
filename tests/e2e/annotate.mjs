/**
 * The annotation basics, as a person does them: log in, upload 08_driving.mp4, wait for the
 * ingest, open the workspace (and a second browser on the same video), add an object, click on it
 * (the overlay's pixels match the server's mask), propagate forward (masks on later frames, also
 * in the second browser without a reload), a brush edit and its undo.
 *
 * run.mjs calls annotateFlow() first; what it returns (the second browser, the video, the
 * object's colour, the propagated frame and which steps passed) is what editingFlow() and
 * reviewFlow() build on.
 */
import { step, VIDEO, waitFor } from './harness.mjs';
import { closeTo, hexToRgb, installHelpers, maskAgreement, overlayProbe, seekTo, stagePoint } from './helpers.mjs';

const PROPAGATE_FRAMES = 20;

export async function annotateFlow({ browser, platform, page }) {
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

  return { context2, page2, video, objectColor, laterFrame, opened, added, clicked, propagated, secondOpen, brushed };
}
