/** Helpers of the attack tests and the attack bench: RSS of a process, raw connections, refusals. */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createConnection, type Socket } from 'node:net';
import { decodeResponseBody, FrameDecoder, FrameKind } from '../../src/hcsd/codec.js';
import { hcsdCliPath } from '../../src/paths.js';

/** Resident set size of `pid` in MiB (from /proc/<pid>/status). */
export function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m === null ? Number.NaN : Number(m[1]) / 1024;
}

/** Connect a raw socket (resolves once connected). */
export function rawConnect(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createConnection(path);
    s.once('connect', () => resolve(s));
    s.once('error', reject);
  });
}

/** The first response frame on `s`, or `null` when it closes without one. */
export function firstResponse(
  s: Socket,
  ms = 5000,
): Promise<{ id: number; hresult: number; message: string } | null> {
  return new Promise((resolve) => {
    const d = new FrameDecoder();
    let done = false;
    const finish = (v: { id: number; hresult: number; message: string } | null): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), ms);
    s.on('data', (chunk: Buffer) => {
      d.push(chunk, (f) => {
        if (f.kind !== FrameKind.Response) return;
        const r = decodeResponseBody(f.body);
        let message = '';
        try {
          message = (JSON.parse(r.document ?? '{}') as { ErrorMessage?: string }).ErrorMessage ?? '';
        } catch {}
        finish({ id: f.id, hresult: r.hresult, message });
      });
    });
    s.on('close', () => finish(null));
    s.on('error', () => {});
  });
}

/** Run the hcsd CLI directly (not through startHcsd); resolves with its exit code and stderr. */
export function runCli(
  args: string[],
  env: Record<string, string>,
  ms = 15_000,
): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [hcsdCliPath(), ...args], {
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    let stdout = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
      if (stdout.includes('hcsd ready')) child.kill('SIGTERM');
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), ms);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr, stdout });
    });
  });
}
