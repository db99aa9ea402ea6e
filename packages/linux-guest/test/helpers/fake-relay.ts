/**
 * A fake uvmkit-relay for host tests. It serves the relay's guest-side API on a Unix socket —
 * per connection `CONNECT <service-guid>\n`, answered `OK\n` (then raw bytes both ways) or
 * `ERR <code> <text>\n` — and joins each stream to the emulator's HvSocket path
 * `<hvsockDir>/<vmId>-<guid>.sock`, where hcs-core's `listen()` (or a test's own server) listens.
 * A half-close (end) is passed on in both directions. `dials` records every requested GUID.
 * `hold(guid)`, when given, may return a promise: that CONNECT is answered once it settles (a
 * host slow to take a stream).
 */
import { rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';

export interface FakeRelay {
  readonly path: string;
  /** Every CONNECT, in order: the GUID and whether it was answered OK. */
  readonly dials: { guid: string; ok: boolean }[];
  close(): Promise<void>;
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export async function startFakeRelay(options: {
  path: string;
  hvsockDir: string;
  vmId: string;
  hold?: (guid: string) => Promise<void> | undefined;
}): Promise<FakeRelay> {
  const dials: { guid: string; ok: boolean }[] = [];
  const sockets = new Set<Socket>();
  const track = (s: Socket): Socket => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
    return s;
  };
  const server = createServer({ allowHalfOpen: true }, (guest) => {
    track(guest);
    let head = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = Buffer.concat([head, chunk]);
      const nl = head.indexOf(0x0a);
      if (nl < 0) {
        if (head.length > 256) guest.destroy();
        return;
      }
      guest.off('data', onData);
      guest.pause();
      const line = head.subarray(0, nl).toString('latin1');
      const rest = head.subarray(nl + 1);
      const m = /^CONNECT (\S+)$/.exec(line);
      const guid = m?.[1]?.toLowerCase() ?? '';
      if (!GUID.test(guid)) {
        dials.push({ guid: line, ok: false });
        guest.end('ERR 22 bad CONNECT header\n');
        return;
      }
      const join_ = (): void => {
        const host = track(
          connect({ path: join(options.hvsockDir, `${options.vmId}-${guid}.sock`), allowHalfOpen: true }),
        );
        host.once('error', (err: NodeJS.ErrnoException) => {
          dials.push({ guid, ok: false });
          guest.end(`ERR ${err.code === 'ENOENT' ? 2 : 111} ${err.code ?? err.message}\n`);
        });
        host.once('connect', () => {
          dials.push({ guid, ok: true });
          guest.write('OK\n');
          if (rest.length > 0) host.write(rest);
          guest.pipe(host);
          host.pipe(guest);
          guest.resume();
        });
      };
      const held = options.hold?.(guid);
      if (held === undefined) join_();
      else void held.then(join_);
    };
    guest.on('data', onData);
  });
  rmSync(options.path, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.path, () => resolve());
  });
  return {
    path: options.path,
    dials,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
