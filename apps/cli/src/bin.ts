#!/usr/bin/env node
// The `myelin` command. Exits explicitly: a backend (Dawn, tfjs-node) may keep handles open.
import { main } from './cli.js';

// `myelin train | head`: a closed pipe ends the output, not with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw error;
  });
}

process.exitCode = await main(process.argv);
process.exit();
