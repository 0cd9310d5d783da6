/**
 * Review (verification) of the object annotateFlow() made: it is submitted (read-only while under
 * review), a reviewer (second user, own browser context) claims it from the queue, rejects it with
 * a comment pinned to a point of a frame, the annotator sees the comment, jumps to its frame (pin
 * on the canvas), fixes it with the brush and resubmits, the reviewer gives it back once and then
 * accepts; the final status and history are checked through the API.
 */
import { screenshot, sleep, step, waitFor } from './harness.mjs';
import {
  api,
  closeTo,
  currentFrame,
  installHelpers,
  login,
  overlayPixel,
  overlayProbe,
  PIN_ACTIVE_RGB,
  pinHead,
  seekTo,
  stagePoint,
} from './helpers.mjs';
import { createUser } from './platform.mjs';

export async function reviewFlow({ browser, platform, consoleErrors, context, page, video, laterFrame, clicked }) {
  const { base } = platform;

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
}
