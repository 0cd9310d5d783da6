/**
 * Auto-annotation in the browser (run by run.mjs; E2E_ONLY=automask runs it alone):
 *
 * - a manager uploads 08_driving.mp4 and, on the video's page, starts auto-annotation from the
 *   Auto-annotation panel (key frame 0, a small grid, thresholds and box NMS off so that the micro
 *   model's random masks get through, at most 2 masklets); the panel shows the job waiting or running with a
 *   progress bar and a cancel button, then "Done" with the auto masklets in the review queue;
 * - a reviewer opens the review queue, starts verifying, and gives the first auto masklet a
 *   satisfactory verdict and the second an unsatisfactory one; the API then shows one accepted
 *   auto masklet and one manual masklet in a new task (the unsatisfactory -> manual task path);
 * - the QA dashboard's "Automatic pipeline" card counts them.
 */

const AUTOMASK_PROJECT = 'Auto-annotation project';

export async function automaskFlow(ctx) {
  const { browser, platform, step, api, createUsers, installHelpers, loginTo, videoPath, screenshot } = ctx;
  const { base, credentials } = platform;
  const reviewer = { username: 'am-reviewer', password: `am-${process.pid}-${Date.now()}` };
  const contexts = [];
  const newPage = async (who) => {
    const c = await browser.newContext({ viewport: { width: 1440, height: 1000 } });
    await c.addInitScript(installHelpers);
    contexts.push(c);
    const p = await c.newPage();
    p.on('pageerror', (error) => ctx.consoleErrors.push(`${who}: ${error.message}`));
    return p;
  };
  const manager = await newPage('am-manager');
  let project = null;
  let video = null;
  let auto = [];

  try {
    const ready = await step('automask-setup', manager, async () => {
      await createUsers(platform, [reviewer]);
      await loginTo(manager, base, credentials, 'Sample project');
      // A project of its own: the review queue then holds only this flow's auto masklets
      // (the whole run's other flows submit masklets to the sample project).
      const created = await api(manager, 'POST', 'projects/create/', { name: AUTOMASK_PROJECT });
      if (created.status !== 201)
        throw new Error(`Creating the project answered ${created.status}: ${JSON.stringify(created.body)}`);
      project = created.body;
      const added = await api(manager, 'POST', `projects/${project.id}/members/add/`, {
        username: reviewer.username,
        role: 'reviewer',
      });
      if (added.status !== 201) throw new Error(`Adding the reviewer answered ${added.status}.`);
      await manager.goto(`${base}/projects/${project.id}`);
      await manager.locator('input[type="file"]').setInputFiles(videoPath);
      await manager.getByRole('button', { name: 'Upload', exact: true }).click();
      await manager
        .locator('tr', { hasText: '08_driving' })
        .first()
        .getByRole('link', { name: 'Annotate' })
        .waitFor({ timeout: 300_000 });
      const videos = (await api(manager, 'GET', `projects/${project.id}/videos/`)).body.results;
      video = videos.filter((v) => v.name.startsWith('08_driving')).sort((a, b) => b.id - a.id)[0];
      return `video #${video.id}, ${video.frame_count} frames`;
    });

    const done = await step(
      'automask-start-and-follow',
      manager,
      async () => {
        await manager.goto(`${base}/videos/${video.id}`);
        const panel = manager.getByRole('region', { name: 'Auto-annotation' });
        await panel.getByLabel('Key frames').selectOption('listed');
        await panel.getByLabel('Frames', { exact: true }).fill('0');
        await panel.getByLabel('Points per side').fill('8');
        await panel.getByLabel('Predicted IoU threshold').fill('0');
        await panel.getByLabel('Stability threshold').fill('0');
        // Box NMS off: the job's own de-duplication (IoU 0.5) keeps distinct masks apart.
        await panel.getByLabel('Box overlap kept (NMS threshold)').fill('1');
        await panel.getByLabel('At most masklets').fill('2');
        await panel.getByRole('button', { name: 'Start auto-annotation' }).click();
        // Waiting or running: the progress bar and a cancel button while it works.
        await panel.getByLabel('Auto-annotation progress').waitFor({ timeout: 30_000 });
        await panel.getByRole('button', { name: 'Cancel' }).waitFor({ timeout: 5_000 });
        await screenshot(manager, 'automask-running');
        await panel.getByText('Done', { exact: true }).waitFor({ timeout: 600_000 });
        await screenshot(manager, 'automask-done');
        const [job] = (await api(manager, 'GET', `videos/${video.id}/automask/`)).body.results;
        if (job.counts.submitted < 2) throw new Error(`Only ${job.counts.submitted} auto masklets were submitted.`);
        const masklets = (await api(manager, 'GET', `videos/${video.id}/masklets/`)).body.results;
        auto = masklets.filter((m) => m.source === 'auto');
        if (auto.some((m) => m.status !== 'submitted')) throw new Error('An auto masklet is not in the review queue.');
        return `job #${job.id}: ${job.counts.proposed} proposed, ${job.counts.submitted} in the review queue`;
      },
      { needs: ready },
    );

    const reviewPage = done ? await newPage('am-reviewer') : null;
    const verified = await step(
      'automask-review',
      reviewPage ?? manager,
      async () => {
        await loginTo(reviewPage, base, reviewer, AUTOMASK_PROJECT);
        for (const verdict of ['Satisfactory', 'Unsatisfactory']) {
          await reviewPage.goto(`${base}/projects/${project.id}/review`);
          // After a verdict the review page claims the next masklet itself; leaving it gives
          // that one back, but the queue may be read before the release arrives: then it
          // offers to continue with it (the review page takes it again).
          await reviewPage.getByRole('button', { name: /^(Start|Continue) verifying/ }).click();
          await reviewPage.waitForURL(/\/review\/\d+$/, { timeout: 15_000 });
          await reviewPage.getByTestId('send-verdict').waitFor({ timeout: 15_000 });
          await reviewPage.getByRole('radio', { name: verdict, exact: true }).click();
          if (verdict === 'Unsatisfactory') {
            await reviewPage.getByLabel('Overall comment').fill('The mask leaks into the road.');
          }
          // Saved: the page says so, or has already moved on to the next masklet it claimed.
          const judging = reviewPage.url();
          await reviewPage.getByTestId('send-verdict').click();
          await Promise.any([
            reviewPage.locator('[data-testid="verdict-saved"]').waitFor({ timeout: 15_000 }),
            reviewPage.waitForURL((url) => url.toString() !== judging, { timeout: 15_000 }),
          ]);
        }
        await screenshot(reviewPage, 'automask-reviewed');
        const masklets = (await api(manager, 'GET', `videos/${video.id}/masklets/`)).body.results;
        const judged = masklets.filter((m) => auto.some((a) => a.id === m.id));
        const accepted = judged.filter((m) => m.status === 'accepted' && m.source === 'auto');
        const manual = judged.filter((m) => m.status === 'rejected' && m.source === 'manual' && m.task !== null);
        if (accepted.length !== 1 || manual.length !== 1) {
          throw new Error(`After the verdicts: ${JSON.stringify(judged.map((m) => [m.id, m.status, m.source, m.task]))}`);
        }
        return `masklet #${accepted[0].id} accepted; #${manual[0].id} is now manual in task #${manual[0].task}`;
      },
      { needs: done },
    );

    await step(
      'automask-dashboard',
      manager,
      async () => {
        await manager.goto(`${base}/projects/${project.id}/quality`);
        const card = manager.getByRole('region', { name: 'Automatic pipeline' });
        await card.waitFor({ timeout: 15_000 });
        const text = await card.innerText();
        if (!/Rejected \(manual tasks\)\s*1/.test(text)) throw new Error(`The card reads: ${text}`);
        await screenshot(manager, 'automask-dashboard');
        return text.replace(/\s+/g, ' ');
      },
      { needs: verified },
    );
  } finally {
    for (const c of contexts) await c.close();
  }
}
