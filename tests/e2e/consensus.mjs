/**
 * Consensus mode (run.mjs calls consensusFlow(); `E2E_ONLY=consensus node run.mjs` runs only
 * this): a second project with consensus_k = 2, two annotators and two reviewers; the video is
 * given to both annotators (assignment form), each brushes their own objects without seeing the
 * other's, the manager compares them (J, F, J&F as the API), keeps one version, marks it ground
 * truth (scores as the API), two reviewers claim at once (different masklets) and accept, the
 * dashboard counts them.
 */
import { screenshot, step, VIDEO, waitFor } from './harness.mjs';
import { api, brushRectangle, installHelpers, loginTo } from './helpers.mjs';
import { createUsers } from './platform.mjs';

// ---- consensus mode: a manager, two annotators and two reviewers ---------------------------------

const CONSENSUS_PROJECT = 'Consensus project';

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
 * The check, kept short: one project in consensus mode (k = 2) with a ground-truth video,
 * a manager (the sample user), two annotators and two reviewers, each in their own browser
 * context. Annotator 1 makes "car A"; annotator 2 makes "car B" (the same object, shifted a
 * little) and "sign B" (an object annotator 1 missed).
 */
export async function consensusFlow({ browser, platform, consoleErrors }) {
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
