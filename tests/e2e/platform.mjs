/**
 * The platform under test: started as `make run` does (backend/run.py) on its own VAR_DIR and
 * free ports, with the micro SAM 2 model of tests/fixtures/sam2ref/micro, and stopped as Ctrl-C
 * would; user accounts made with `manage.py shell` on its database.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { log, PYTHON, ROOT, sleep, VIDEO, waitFor } from './harness.mjs';

const MICRO = join(ROOT, 'tests', 'fixtures', 'sam2ref', 'micro');

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

// ---- the platform ---------------------------------------------------------------------------------

export async function startPlatform() {
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

export async function stopPlatform(platform) {
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

// ---- user accounts ---------------------------------------------------------------------------------

/** User accounts made in one `manage.py shell` run (each run costs seconds on a busy machine). */
export function createUsers(platform, users) {
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

/** A user account made with Django's own `manage.py shell`, on the running platform's database. */
export function createUser(platform, username, password) {
  return createUsers(platform, [{ username, password }]);
}
