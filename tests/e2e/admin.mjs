/**
 * Running a project from the browser only (issue 14, item 1). A new manager, made staff by the
 * sample staff user on the Users page, creates accounts (one invited by a one-time link the
 * invitee opens in their own browser, one with a password, one deactivated), a project with its
 * settings, members, labels with hotkeys and their order, a video, tasks for two annotators
 * (split, bulk-assigned, reassigned, a stage changed), an import (a valid YouTube-VIS file and a malformed one
 * whose error is shown in words) and an export (followed to the end, downloaded, its zip read).
 * Every screen is shot at 1280x720 and 1920x1080 (test-artifacts/e2e/admin-*.png).
 *
 * run.mjs calls adminFlow() with its harness; `E2E_ONLY=admin node run.mjs` runs only this.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SIZES = [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
];
const PROJECT = 'Admin flow project';

/** The screen as a person sees it, at both window sizes (viewport only, not the whole page). */
async function shoot(page, artifacts, name) {
  const original = page.viewportSize();
  for (const size of SIZES) {
    await page.setViewportSize(size);
    await page.waitForTimeout(150);
    await page.screenshot({ path: join(artifacts, `admin-${name}-${size.width}x${size.height}.png`) });
  }
  if (original) await page.setViewportSize(original);
}

async function logIn(page, base, username, password, { expectProjects = true } = {}) {
  await page.goto(`${base}/login`);
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: /log in/i }).click();
  if (!expectProjects) return;
  // The login page returns to where the last session was; start from the project list.
  await page.getByRole('button', { name: 'Log out' }).waitFor({ timeout: 20_000 });
  await page.goto(`${base}/`);
  await page.getByRole('heading', { name: 'Projects' }).waitFor({ timeout: 20_000 });
}

async function logOut(page) {
  await page.getByRole('button', { name: 'Log out' }).click();
  await page.getByRole('button', { name: /log in/i }).waitFor({ timeout: 15_000 });
}

/** Column-major (COCO) run lengths of a filled rectangle [x0, x1) x [y0, y1) in a w x h frame. */
function rectangleRle(w, h, [x0, y0, x1, y1]) {
  const counts = [];
  let value = 0;
  let run = 0;
  for (let x = 0; x < w; x += 1) {
    for (let y = 0; y < h; y += 1) {
      const inside = x >= x0 && x < x1 && y >= y0 && y < y1 ? 1 : 0;
      if (inside === value) run += 1;
      else {
        counts.push(run);
        value = inside;
        run = 1;
      }
    }
  }
  counts.push(run);
  return { size: [h, w], counts };
}

/** A YouTube-VIS file with one "car" on frames 0, 5 and 10 of a w x h video. */
function ytvisFile(video) {
  const frames = [0, 5, 10];
  const { width: w, height: h } = video;
  const box = [Math.round(w * 0.3), Math.round(h * 0.4), Math.round(w * 0.6), Math.round(h * 0.7)];
  return JSON.stringify({
    videos: [
      { id: 1, width: w, height: h, length: frames.length, file_names: frames.map((f) => `clip/${String(f).padStart(5, '0')}.jpg`) },
    ],
    categories: [{ id: 7, name: 'car' }],
    annotations: [{ id: 1, video_id: 1, category_id: 7, segmentations: frames.map(() => rectangleRle(w, h, box)) }],
  });
}

/** Entry names and the parsed JSON files of a zip, read by Python's zipfile (independent of the app). */
function readZip(python, path) {
  const code =
    'import json, sys, zipfile\n' +
    'z = zipfile.ZipFile(sys.argv[1])\n' +
    'print(json.dumps({"names": z.namelist(), "json": {n: json.loads(z.read(n)) for n in z.namelist() if n.endswith(".json")}}))\n';
  const result = spawnSync(python, ['-c', code, path], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`reading the zip failed: ${result.stderr.slice(-800)}`);
  return JSON.parse(result.stdout);
}

export async function adminFlow({ browser, platform, step, waitFor, log, consoleErrors, artifacts, python, videoPath }) {
  const { base, credentials } = platform;
  const tag = `${process.pid}`;
  const lead = { username: 'lead', password: `lead-pass-${tag}-x` };
  const ann1 = { username: 'ann1', password: `ann1-pass-${tag}-x` };
  const ann2 = { username: 'ann2', password: `ann2-pass-${tag}-x` };
  const contexts = [];
  const newPage = async (who) => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 720 }, acceptDownloads: true });
    contexts.push(context);
    const page = await context.newPage();
    page.on('pageerror', (error) => consoleErrors.push(`${who}: ${error.message}`));
    return page;
  };
  const page = await newPage('manager');
  const scratch = mkdtempSync(join(tmpdir(), 'sam2-admin-e2e-'));
  let inviteLink = null;
  let projectId = null;
  let video = null;

  try {
    const staffMade = await step('admin: the sample staff user makes a new manager (staff)', page, async () => {
      await logIn(page, base, credentials.username, credentials.password);
      await page.getByRole('link', { name: 'Users' }).click();
      const form = page.getByRole('form', { name: 'New user' });
      await form.getByLabel('Username').fill(lead.username);
      await form.getByLabel('Set a password now').check();
      await form.getByLabel('Password', { exact: true }).fill(lead.password);
      await form.getByLabel('Staff (may manage users)').check();
      await form.getByRole('button', { name: 'Create user' }).click();
      await page.getByText(`Created ${lead.username}`).waitFor({ timeout: 15_000 });
      await logOut(page);
      await logIn(page, base, lead.username, lead.password);
    });

    const usersMade = await step(
      'admin: the new manager creates users (invite link, password, deactivated)',
      page,
      async () => {
        await page.getByRole('link', { name: 'Users' }).click();
        const form = page.getByRole('form', { name: 'New user' });
        // ann1: a one-time invite link
        await form.getByLabel('Username').fill(ann1.username);
        await form.getByLabel('One-time invite link (they choose a password)').check();
        await form.getByRole('button', { name: 'Create user' }).click();
        const linkBox = page.getByRole('region', { name: 'Invite link' });
        await linkBox.waitFor({ timeout: 15_000 });
        inviteLink = await linkBox.getByLabel('Invite link').inputValue();
        if (!inviteLink.startsWith(`${base}/invite#`)) throw new Error(`unexpected invite link ${inviteLink}`);
        await shoot(page, artifacts, 'users-invite');
        await linkBox.getByRole('button', { name: 'Done' }).click();
        // ann2: a password set now
        await form.getByLabel('Username').fill(ann2.username);
        await form.getByLabel('Set a password now').check();
        await form.getByLabel('Password', { exact: true }).fill(ann2.password);
        await form.getByRole('button', { name: 'Create user' }).click();
        await page.getByText(`Created ${ann2.username}`).waitFor({ timeout: 15_000 });
        // temp: created, then deactivated
        await form.getByLabel('Username').fill('temp');
        await form.getByLabel('Set a password now').check();
        await form.getByLabel('Password', { exact: true }).fill(`temp-pass-${tag}-x`);
        await form.getByRole('button', { name: 'Create user' }).click();
        await page.getByText('Created temp').waitFor({ timeout: 15_000 });
        const row = page.getByRole('table', { name: 'Users' }).getByRole('row').filter({ hasText: 'temp' });
        await row.getByRole('button', { name: 'Deactivate' }).click();
        await row.getByText('Deactivated').waitFor({ timeout: 15_000 });
        await shoot(page, artifacts, 'users');
      },
      { needs: staffMade },
    );

    await step(
      'admin: the invitee opens the link, chooses a password and is logged in; temp cannot log in',
      page,
      async () => {
        const invitee = await newPage('ann1');
        await invitee.goto(inviteLink);
        await invitee.getByText(`Welcome, ${ann1.username}`).waitFor({ timeout: 15_000 });
        await shoot(invitee, artifacts, 'invite');
        await invitee.getByLabel('Password', { exact: true }).fill(ann1.password);
        await invitee.getByLabel('Password again').fill(ann1.password);
        await invitee.getByRole('button', { name: 'Set password and log in' }).click();
        await invitee.getByRole('heading', { name: 'Projects' }).waitFor({ timeout: 15_000 });
        const name = await invitee.locator('.user-name').innerText();
        if (name !== ann1.username) throw new Error(`logged in as ${name}`);
        // the link works once
        await invitee.context().clearCookies();
        await invitee.goto(inviteLink);
        await invitee.getByText('already used').waitFor({ timeout: 15_000 });
        // the deactivated account is refused
        await logIn(invitee, base, 'temp', `temp-pass-${tag}-x`, { expectProjects: false });
        await invitee.getByText('Invalid username or password.').waitFor({ timeout: 15_000 });
      },
      { needs: usersMade },
    );

    const projectMade = await step(
      'admin: the manager creates a project with its settings and adds two annotators',
      page,
      async () => {
        await page.getByRole('link', { name: 'Projects' }).click();
        await page.getByRole('button', { name: 'New project' }).click();
        const form = page.getByRole('form', { name: 'New project' });
        await form.getByLabel('Name').fill(PROJECT);
        await form.getByLabel('Annotate every Nth frame').fill('2');
        await form.getByLabel('Annotation guidelines').fill('Outline every car; stop at the wheels.');
        await form.getByRole('button', { name: 'Create project' }).click();
        await page.getByRole('form', { name: 'Add a member' }).waitFor({ timeout: 15_000 });
        projectId = Number(/projects\/(\d+)\//.exec(page.url())[1]);
        const add = page.getByRole('form', { name: 'Add a member' });
        for (const user of [ann1, ann2]) {
          await add.getByLabel('Username').fill(user.username);
          await add.getByLabel('Role').selectOption('annotator');
          await add.getByRole('button', { name: 'Add member' }).click();
          await add.getByText(`${user.username} joined as annotator.`).waitFor({ timeout: 15_000 });
        }
        const members = page.getByRole('table', { name: 'Members' });
        await members.getByRole('row').filter({ hasText: ann2.username }).waitFor({ timeout: 15_000 });
        await shoot(page, artifacts, 'members');
      },
      { needs: usersMade },
    );

    await step(
      'admin: labels with colours, hotkeys and an order',
      page,
      async () => {
        await page.getByRole('link', { name: 'Labels' }).click();
        const form = page.getByRole('form', { name: 'New label' });
        for (const [name, color, hotkey] of [
          ['car', '#e6194b', '1'],
          ['sign', '#4363d8', '2'],
        ]) {
          await form.getByLabel('Name').fill(name);
          await form.getByLabel('Colour').fill(color);
          await form.getByLabel('Hotkey').selectOption(hotkey);
          await form.getByRole('button', { name: 'Add label' }).click();
          await page.getByRole('table', { name: 'Labels' }).getByLabel(`Name of ${name}`).waitFor({ timeout: 15_000 });
        }
        // the taken key cannot be picked again
        const taken = await form.getByLabel('Hotkey').locator('option[value="1"]').isDisabled();
        if (!taken) throw new Error('hotkey 1 is offered although "car" has it');
        await page.getByRole('button', { name: 'Move sign up' }).click();
        await waitFor(
          'the label order sign, car',
          async () => {
            const names = await page
              .getByRole('table', { name: 'Labels' })
              .locator('input[aria-label^="Name of"]')
              .evaluateAll((inputs) => inputs.map((i) => i.value));
            return names.join(',') === 'sign,car';
          },
          15_000,
        );
        const labels = await page.evaluate(async (id) => (await (await fetch(`/api/v1/projects/${id}/labels/`)).json()).results, projectId);
        const summary = labels.map((l) => `${l.name}:${l.hotkey}:${l.color}:${l.order}`).join(' ');
        if (summary !== 'sign:2:#4363d8:0 car:1:#e6194b:1') throw new Error(`labels are ${summary}`);
        await shoot(page, artifacts, 'labels');
        return summary;
      },
      { needs: projectMade },
    );

    const uploaded = await step(
      'admin: the manager uploads a video',
      page,
      async () => {
        await page.goto(`${base}/projects/${projectId}`);
        await page.locator('input[type="file"]').setInputFiles(videoPath);
        await page.getByRole('button', { name: 'Upload', exact: true }).click();
        await waitFor(
          'the video to be ready',
          async () => {
            const list = await page.evaluate(async (id) => (await (await fetch(`/api/v1/projects/${id}/videos/`)).json()).results, projectId);
            video = list[0];
            return video?.status === 'ready';
          },
          300_000,
          1000,
        );
      },
      { needs: projectMade },
    );

    await step(
      'admin: tasks split between two annotators, bulk-assigned and reassigned, with progress',
      page,
      async () => {
        await page.goto(`${base}/projects/${projectId}/manage/tasks`);
        const form = page.getByRole('form', { name: 'New tasks' });
        await form.getByLabel(ann1.username).check();
        await form.getByLabel(ann2.username).check();
        await form.getByRole('status').waitFor();
        await shoot(page, artifacts, 'tasks-split');
        await form.getByRole('button', { name: 'Create 2 tasks' }).click();
        await form.getByText('Created 2 tasks').waitFor({ timeout: 15_000 });
        const table = page.getByRole('table', { name: 'Tasks' });
        await table.getByRole('row').nth(2).waitFor({ timeout: 15_000 });
        const assignees = async () =>
          table.locator('select[aria-label^="Assignee of task"]').evaluateAll((s) => s.map((e) => e.value));
        if ((await assignees()).join(',') !== `${ann1.username},${ann2.username}`) {
          throw new Error(`split gave ${(await assignees()).join(',')}`);
        }
        // bulk: both to ann2, then the first back to ann1
        await table.getByLabel('Select all tasks').check();
        await page.getByLabel('Assign selected to').selectOption(ann2.username);
        await page.getByRole('button', { name: 'Assign selected' }).click();
        await waitFor('both tasks with ann2', async () => (await assignees()).every((a) => a === ann2.username), 15_000);
        await table.locator('select[aria-label^="Assignee of task"]').first().selectOption(ann1.username);
        await waitFor('the first task back with ann1', async () => (await assignees())[0] === ann1.username, 15_000);
        await table.locator('select[aria-label^="Stage of task"]').last().selectOption('review');
        await waitFor(
          'the second task in review',
          async () =>
            (await table.locator('select[aria-label^="Stage of task"]').evaluateAll((s) => s.map((e) => e.value))).join() ===
            'annotation,review',
          15_000,
        );
        const tasks = await page.evaluate(async (id) => (await (await fetch(`/api/v1/projects/${id}/tasks/`)).json()).results, projectId);
        const parts = tasks.map((t) => `${t.assignee.username}:${t.frame_start}-${t.frame_end}:${t.progress.frames_total}`);
        const half = Math.ceil(video.frame_count / 2);
        const total = Math.ceil(video.frame_count / 2); // frame step 2
        if (tasks.length !== 2 || tasks[0].frame_end !== tasks[1].frame_start || tasks[1].frame_end !== video.frame_count) {
          throw new Error(`tasks are ${parts.join(' ')}`);
        }
        if (tasks[0].progress.frames_total + tasks[1].progress.frames_total !== total) {
          throw new Error(`progress totals ${parts.join(' ')} do not add up to ${total}`);
        }
        await table.getByText(/0 of \d+ frames/).first().waitFor();
        await shoot(page, artifacts, 'tasks');
        return `${parts.join(' ')} (video ${video.frame_count} frames, half ${half})`;
      },
      { needs: uploaded },
    );

    await step(
      'admin: project settings changed (verifications, guidelines)',
      page,
      async () => {
        await page.getByRole('link', { name: 'Settings' }).click();
        const form = page.getByRole('form', { name: 'Project settings' });
        await form.getByLabel('Verifications per masklet').fill('2');
        await form.getByLabel('Annotation guidelines').fill('Outline every car and sign; stop at the wheels.');
        await form.getByRole('button', { name: 'Save settings' }).click();
        await form.getByText('Saved.').waitFor({ timeout: 15_000 });
        const project = await page.evaluate(async (id) => (await fetch(`/api/v1/projects/${id}/`)).json(), projectId);
        if (project.verifications_required !== 2 || project.frame_step !== 2 || !project.guidelines.includes('sign')) {
          throw new Error(`settings are ${JSON.stringify(project)}`);
        }
        await shoot(page, artifacts, 'settings');
      },
      { needs: projectMade },
    );

    const imported = await step(
      'admin: import a YouTube-VIS file, and a malformed one whose error is shown in words',
      page,
      async () => {
        const good = join(scratch, 'cars.json');
        const bad = join(scratch, 'broken.json');
        writeFileSync(good, ytvisFile(video));
        writeFileSync(bad, '{"videos": [ {"id": 1,');
        await page.goto(`${base}/projects/${projectId}/import`);
        const form = page.getByRole('form', { name: 'Import masklets' });
        await form.getByLabel('Format').selectOption('ytvis');
        await form.getByLabel('File', { exact: true }).setInputFiles(bad);
        await form.getByRole('button', { name: 'Import' }).click();
        const error = form.getByRole('alert');
        await error.waitFor({ timeout: 15_000 });
        const message = await error.innerText();
        if (!/broken\.json is not valid JSON/.test(message)) throw new Error(`the error reads: ${message}`);
        await shoot(page, artifacts, 'import-error');
        await form.getByLabel('File', { exact: true }).setInputFiles(good);
        await form.getByRole('button', { name: 'Import' }).click();
        await page.getByRole('heading', { name: `Imported 1 masklet onto ${video.name}` }).waitFor({ timeout: 30_000 });
        await shoot(page, artifacts, 'import');
        const masklets = await page.evaluate(async (id) => (await (await fetch(`/api/v1/videos/${id}/masklets/`)).json()).results, video.id);
        if (masklets.length !== 1 || masklets[0].frame_count !== 3) {
          throw new Error(`imported ${JSON.stringify(masklets)}`);
        }
        return `error shown: "${message.trim()}"`;
      },
      { needs: uploaded },
    );

    await step(
      'admin: export (format and filters), followed to the end, downloaded and its zip read',
      page,
      async () => {
        await page.goto(`${base}/projects/${projectId}/export`);
        const form = page.getByRole('form', { name: 'New export' });
        await form.getByLabel('Format').selectOption('ytvis');
        await form.getByLabel(/Include masklets not yet accepted/).check();
        await form.getByRole('checkbox', { name: 'car' }).check();
        await form.getByRole('button', { name: 'Start export' }).click();
        const table = page.getByRole('table', { name: 'Exports' });
        const download = table.getByRole('link', { name: 'Download' }).first();
        await download.waitFor({ timeout: 180_000 });
        await shoot(page, artifacts, 'export');
        const [file] = await Promise.all([page.waitForEvent('download'), download.click()]);
        const path = join(scratch, file.suggestedFilename());
        await file.saveAs(path);
        const zip = readZip(python, path);
        const documents = Object.values(zip.json);
        const annotations = documents.flatMap((d) => d.annotations ?? []);
        const categories = documents.flatMap((d) => d.categories ?? []).map((c) => c.name);
        if (annotations.length !== 1 || !categories.includes('car')) {
          throw new Error(`the zip holds ${zip.names.join(', ')} with ${annotations.length} annotations`);
        }
        return `${file.suggestedFilename()}: ${zip.names.length} entries`;
      },
      { needs: imported },
    );

    await step(
      'admin: an annotator sees their task; the manage screens are the manager\'s',
      page,
      async () => {
        const annotator = await newPage('ann2');
        await logIn(annotator, base, ann2.username, ann2.password);
        await annotator.getByRole('link', { name: PROJECT }).click();
        await annotator.getByRole('heading', { name: PROJECT }).waitFor({ timeout: 15_000 });
        if (await annotator.getByRole('link', { name: 'Manage' }).count()) throw new Error('an annotator is offered Manage');
        if (await annotator.getByRole('link', { name: 'Users' }).count()) throw new Error('a non-staff user is offered Users');
        await annotator.getByRole('cell', { name: ann2.username }).first().waitFor({ timeout: 15_000 });
        await annotator.goto(`${base}/projects/${projectId}/manage/labels`);
        await annotator.getByText("Only the project's managers").waitFor({ timeout: 15_000 });
      },
      { needs: projectMade },
    );
  } finally {
    for (const context of contexts) await context.close().catch(() => undefined);
    rmSync(scratch, { recursive: true, force: true });
    log('admin flow done');
  }
}
