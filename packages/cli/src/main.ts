#!/usr/bin/env node
/**
 * The `uvmctl` executable: run the command line, Ctrl-C cancels the call in flight (then exit 130;
 * `exec` passes it on to the guest process instead).
 */
import { main } from './program.js';

const controller = new AbortController();
// `exec` takes SIGINT over while a guest process is attached (it passes it on).
let intercept: (() => void) | undefined;
const onSigint = (): void => {
  if (intercept !== undefined) {
    intercept();
    return;
  }
  process.off('SIGINT', onSigint); // a second Ctrl-C while the cancel is in flight ends uvmctl
  controller.abort(new Error('interrupted'));
};
process.on('SIGINT', onSigint);
// `uvmctl … | head`: a reader that went away is not a crash (exec and logs act on it themselves).
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EPIPE') throw err;
  });
}
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  signal: controller.signal,
  stdin: process.stdin,
  interceptSigint: (fn) => {
    intercept = fn;
  },
});
