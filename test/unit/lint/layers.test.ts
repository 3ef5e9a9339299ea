// Proves the lint rules of DESIGN.md bite: planted violations are reported, allowed code is not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(
  new URL('../../../', import.meta.url).pathname.replace(/\/(dist|\.build\/[^/]+)\/$/, '/'),
);
const eslint = new ESLint({ cwd: root });

async function problems(file: string, code: string): Promise<string[]> {
  const [res] = await eslint.lintText(code, { filePath: path.join(root, file) });
  return (res?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

test('imports may not point up the layer list', async () => {
  const up = await problems(
    'src/raft/core.ts',
    "import { x } from '../agent/agent.js';\nexport const y = x;\n",
  );
  assert.ok(
    up.some((p) => p.startsWith('proconsul/layering')),
    up.join('\n'),
  );
  const platform = await problems(
    'src/http/a.ts',
    "import { x } from '../platform/node/disk.js';\nexport const y = x;\n",
  );
  assert.ok(
    platform.some((p) => p.startsWith('proconsul/layering')),
    platform.join('\n'),
  );
  const down = await problems(
    'src/agent/a.ts',
    "import { assert } from '../lib/assert.js';\nassert(true);\n",
  );
  assert.deepEqual(down, []);
});

test('clocks, timers, randomness, process and Node I/O stay in platform/ and main.ts', async () => {
  const cases = [
    'export const t = Date.now();\n',
    'export const r = Math.random();\n',
    'setTimeout(() => {}, 1);\n',
    'export const d = new Date();\n',
    'export const e = process.env;\n',
    "import { readFileSync } from 'node:fs';\nexport const f = readFileSync;\n",
    "import { randomBytes } from 'node:crypto';\nexport const b = randomBytes;\n",
  ];
  for (const code of cases) {
    assert.notDeepEqual(await problems('src/agent/a.ts', code), [], code);
    assert.deepEqual(await problems('src/platform/node/a.ts', code), [], code);
  }
  // Hashing is pure: node:crypto's createHash is allowed everywhere.
  assert.deepEqual(
    await problems(
      'src/agent/a.ts',
      "import { createHash } from 'node:crypto';\nexport const h = createHash;\n",
    ),
    [],
  );
});
