#!/usr/bin/env node
// The `consul` / `proconsul` binary: runs the compiled composition root.
import { main } from '../dist/src/main.js';

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
