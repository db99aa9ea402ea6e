/**
 * Who is on the other end of an accepted Unix socket. Node has no SO_PEERCRED API, so hcsd runs
 * the tiny helper `uvmkit-peercred` (native/peercred/peercred.c) with the connection's socket as
 * its fd 3: it calls getsockopt(SO_PEERCRED) and prints `uid gid pid`. The kernel took those
 * credentials at connect() time: the peer cannot forge them, and nothing is read from /proc for
 * the uid. One short-lived process per accepted connection (shim clients keep one connection per
 * process), with a deadline; a helper that fails or times out refuses the connection.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { Socket } from 'node:net';

export interface PeerCredentials {
  readonly uid: number;
  readonly gid: number;
  readonly pid: number;
}

/** Who may connect: the daemon's uid, root, and (main socket only) members of `group`. */
export interface AccessPolicy {
  readonly uid: number;
  readonly group: number | undefined;
}

/** The peer of `socket` (rejects when the helper fails or takes longer than `timeoutMs`). */
export function peerCredentials(socket: Socket, helper: string, timeoutMs = 5000): Promise<PeerCredentials> {
  return new Promise((resolve, reject) => {
    const child = spawn(helper, [], { stdio: ['ignore', 'pipe', 'pipe', socket] });
    let out = '';
    let err = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`peer-credential helper did not answer within ${timeoutMs} ms`));
    }, timeoutMs);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      if (out.length < 256) out += d;
    });
    child.stderr?.setEncoding('utf8').on('data', (d: string) => {
      if (err.length < 1024) err += d;
    });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new Error(`cannot run the peer-credential helper ${helper}: ${e.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const m = /^(\d+) (\d+) (-?\d+)\n$/.exec(out);
      if (code !== 0 || m === null) {
        reject(new Error(`peer-credential helper failed (${code}): ${err.trim() || out.trim()}`));
        return;
      }
      resolve({ uid: Number(m[1]), gid: Number(m[2]), pid: Number(m[3]) });
    });
  });
}

/** Supplementary groups of process `pid` (empty when it is gone or unreadable). */
function groupsOf(pid: number): number[] {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const line = /^Groups:\s*(.*)$/m.exec(status)?.[1] ?? '';
    return line
      .split(/\s+/)
      .filter((g) => g !== '')
      .map(Number);
  } catch {
    return [];
  }
}

/** `undefined` when `peer` may connect, else why not. */
export function refusal(peer: PeerCredentials, policy: AccessPolicy): string | undefined {
  if (peer.uid === policy.uid || peer.uid === 0) return undefined;
  const g = policy.group;
  if (g !== undefined && (peer.gid === g || (peer.pid > 0 && groupsOf(peer.pid).includes(g))))
    return undefined;
  return `uid ${peer.uid} (pid ${peer.pid}) may not use this hcsd: it serves uid ${policy.uid}, root${g === undefined ? '' : ` and group ${g}`}`;
}
