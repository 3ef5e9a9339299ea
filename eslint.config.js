// Lint: typescript-eslint's recommended rules plus the two architectural rules of DESIGN.md:
//  1. imports point down the layer list (a local rule, `proconsul/layering`);
//  2. clocks, timers, randomness, process state and Node I/O live only in src/platform/node/ and src/main.ts.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import path from 'node:path';

const SRC = path.resolve('src');

// Which layers each layer may import (besides itself). Everything not listed is an upward or sideways import.
const BASE = ['lib', 'runtime', 'structs'];
const ALLOWED = {
  lib: [],
  runtime: ['lib'],
  structs: ['lib', 'runtime'],
  codec: [...BASE],
  config: [...BASE],
  raft: [...BASE, 'codec'],
  gossip: [...BASE, 'codec'],
  acl: [...BASE, 'codec'],
  state: [...BASE, 'codec', 'acl'],
  fsm: [...BASE, 'codec', 'acl', 'state', 'raft'],
  server: [...BASE, 'codec', 'acl', 'state', 'fsm', 'raft', 'gossip', 'config'],
  client: [...BASE, 'codec', 'acl', 'state', 'gossip', 'config'],
  checks: [...BASE, 'config'],
  agent: [...BASE, 'codec', 'acl', 'state', 'fsm', 'raft', 'gossip', 'config', 'server', 'client', 'checks'],
  http: [...BASE, 'codec', 'acl', 'state', 'config', 'agent', 'ui'],
  dns: [...BASE, 'codec', 'acl', 'state', 'config', 'agent'],
  ui: [...BASE],
  api: [...BASE, 'codec'],
  cli: [...BASE, 'codec', 'config', 'api'],
};

function layerOf(absFile) {
  const rel = path.relative(SRC, absFile);
  if (rel.startsWith('..')) return null;
  const first = rel.split(path.sep)[0];
  if (first === 'platform') return 'platform';
  if (first === 'main.ts') return 'main';
  return first;
}

const layeringRule = {
  meta: {
    type: 'problem',
    schema: [],
    messages: { up: "layer '{{from}}' may not import '{{to}}' (DESIGN.md layers)" },
  },
  create(context) {
    const from = layerOf(context.filename);
    if (from === null || from === 'main') return {};
    function check(node, source) {
      if (typeof source !== 'string' || !source.startsWith('.')) return;
      const to = layerOf(path.resolve(path.dirname(context.filename), source));
      if (to === null || to === from) return;
      const ok =
        from === 'platform'
          ? to !== 'main'
          : to !== 'main' && to !== 'platform' && (ALLOWED[from] ?? []).includes(to);
      if (!ok) context.report({ node, messageId: 'up', data: { from, to } });
    }
    return {
      ImportDeclaration: (n) => check(n, n.source.value),
      ExportNamedDeclaration: (n) => n.source && check(n, n.source.value),
      ExportAllDeclaration: (n) => check(n, n.source.value),
      ImportExpression: (n) => n.source.type === 'Literal' && check(n, n.source.value),
    };
  },
};

const NODE_IO = [
  'fs',
  'fs/promises',
  'net',
  'dgram',
  'child_process',
  'timers',
  'timers/promises',
  'http',
  'https',
  'http2',
  'os',
  'tls',
  'dns',
  'cluster',
  'worker_threads',
  'readline',
];

export default tseslint.config(
  { ignores: ['dist/**', '.build/**', 'node_modules/**', 'test/fixtures/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', Buffer: 'readonly' },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      eqeqeq: ['error', 'always', { null: 'ignore' }],
    },
  },
  {
    // Benchmarks and scripts are plain Node programs.
    files: ['bench/**/*.mjs', 'scripts/**/*.mjs', 'bin/**/*.js'],
    languageOptions: {
      globals: {
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        performance: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
      },
    },
  },
  {
    files: ['src/**/*.ts'],
    ignores: ['src/platform/**', 'src/main.ts'],
    plugins: { proconsul: { rules: { layering: layeringRule } } },
    rules: {
      'proconsul/layering': 'error',
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...NODE_IO.flatMap((m) => [m, `node:${m}`]).map((name) => ({
              name,
              message: 'Node I/O belongs in src/platform/node/ behind a runtime port.',
            })),
            ...['crypto', 'node:crypto'].map((name) => ({
              name,
              importNames: [
                'randomBytes',
                'randomUUID',
                'randomInt',
                'getRandomValues',
                'randomFillSync',
                'randomFill',
                'webcrypto',
              ],
              message: 'Randomness comes from the Rng port.',
            })),
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        ...[
          'setTimeout',
          'setInterval',
          'setImmediate',
          'clearTimeout',
          'clearInterval',
          'clearImmediate',
        ].map((name) => ({
          name,
          message: 'Timers come from the Timers port.',
        })),
        {
          name: 'process',
          message: 'Process state (env, argv, signals, exit) comes in through ports from main.ts.',
        },
        { name: 'fetch', message: 'Network I/O belongs in src/platform/node/.' },
        { name: 'crypto', message: 'Randomness comes from the Rng port.' },
        { name: 'performance', message: 'Time comes from the Clock port.' },
      ],
      'no-restricted-properties': [
        'error',
        { object: 'Date', property: 'now', message: 'Time comes from the Clock port.' },
        { object: 'Math', property: 'random', message: 'Randomness comes from the Rng port.' },
      ],
      'no-restricted-syntax': [
        'error',
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Time comes from the Clock port.',
        },
      ],
    },
  },
);
