#!/usr/bin/env node
/**
 * Generates src/api/schema.ts (never edited by hand, not committed) from the backend's OpenAPI
 * schema: `manage.py spectacular` writes the schema, openapi-typescript turns it into types.
 *
 * OPENAPI_SCHEMA=path uses an existing schema file instead of running the backend (the Docker
 * builds make it in a Python stage); otherwise the repository's .venv must exist (make setup).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(FRONTEND, '..');
const OUTPUT = join(FRONTEND, 'src', 'api', 'schema.ts');

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { stdio: ['ignore', 'inherit', 'inherit'], ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    console.error(`api-types: ${command} ${args.join(' ')} exited with ${result.status}`);
    process.exit(result.status ?? 1);
  }
}

let schema = process.env.OPENAPI_SCHEMA;
let scratch = null;
if (!schema) {
  const python = join(REPO, '.venv', 'bin', 'python');
  if (!existsSync(python)) {
    console.error(`api-types: ${python} not found; run \`make setup\` first, or set OPENAPI_SCHEMA.`);
    process.exit(1);
  }
  scratch = mkdtempSync(join(tmpdir(), 'openapi-'));
  schema = join(scratch, 'openapi.yaml');
  run(python, [join(REPO, 'backend', 'manage.py'), 'spectacular', '--file', schema], {
    cwd: REPO,
    env: { ...process.env, DJANGO_SETTINGS_MODULE: 'backend.config.django.local' },
  });
}
try {
  run(join(FRONTEND, 'node_modules', '.bin', 'openapi-typescript'), [schema, '--output', OUTPUT], {
    cwd: FRONTEND,
  });
} finally {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
}
