#!/usr/bin/env node
/**
 * The `uvmctl` executable: run the command line, Ctrl-C cancels the call in flight (then exit 130).
 */
import { main } from './program.js';

const controller = new AbortController();
process.once('SIGINT', () => controller.abort(new Error('interrupted')));
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
});
