/** Run the built `uvmctl` as a subprocess against a given hcsd socket. */
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { lcowDocument } from '@uvmkit/hcs-emulator/testing';

/** The executable under test (the built bin). */
export const UVMCTL = fileURLToPath(new URL('../dist/main.js', import.meta.url));

/** What one run produced. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run `uvmctl args…` with `UVMKIT_HCSD_SOCKET=socket`. */
export function uvmctl(
  socket: string,
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      process.execPath,
      [UVMCTL, ...args],
      { env: { ...process.env, UVMKIT_HCSD_SOCKET: socket, ...env }, timeout: 60_000 },
      (err, stdout, stderr) => {
        if (err !== null && typeof err.code !== 'number') return reject(err);
        resolve({ code: child.exitCode ?? -1, stdout, stderr });
      },
    );
  });
}

/** Spawned, for commands that run until signalled (`uvmctl hcsd`). */
export { spawn };

let n = 0;
/** Write `doc` to a fresh JSON file and return its path. */
export function writeConfig(doc: unknown): string {
  const path = join(tmpdir(), `uvmctl-test-${process.pid}-${++n}.json`);
  writeFileSync(path, typeof doc === 'string' ? doc : JSON.stringify(doc));
  return path;
}

/** An LCOW document that keeps the VM when uvmctl's handle closes. */
export function keptDocument(): ReturnType<typeof lcowDocument> {
  return lcowDocument({ owner: 'uvmctl-test', terminateOnLastHandleClosed: false });
}
