/** @uvmkit/hcs-core/hvsocket: SOCKADDR_HV bytes, the emulator path mapping, listen/accept/dial. */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { HcsError } from '../src/errors.js';
import {
  decodeSockaddrHv,
  dial,
  encodeSockaddrHv,
  guidFromBytes,
  guidToBytes,
  HvSocketIds,
  hvsocketDir,
  hvsocketPath,
  listen,
  normalizeGuid,
  runtimeDir,
  vsockServiceId,
} from '../src/hvsocket/index.js';
import { linuxOnlyDescribe } from './helpers/platform.js';

const dir = mkdtempSync(join(tmpdir(), 'hvsock-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const VM = '6ba7b810-9dad-11d1-80b4-00c04fd430c8';
let n = 0;
const service = () => vsockServiceId(0x50000000 + ++n);

async function rejection(p: Promise<unknown>): Promise<HcsError> {
  try {
    await p;
  } catch (err) {
    return err as HcsError;
  }
  throw new Error('expected a rejection');
}

function readAll(s: Duplex): Promise<string> {
  return new Promise((resolve) => {
    let out = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => {
      out += d;
    });
    s.on('end', () => resolve(out));
    s.resume();
  });
}

describe('SOCKADDR_HV', () => {
  it('encodes Family, Reserved and both GUIDs in Windows mixed-endian order (36 bytes)', () => {
    const b = encodeSockaddrHv({ vmId: VM, serviceId: HvSocketIds.LinuxGcs });
    expect(b.length).toBe(36);
    expect(b.toString('hex')).toBe(
      [
        '2200', // AF_HYPERV = 34, little-endian
        '0000', // Reserved
        '10b8a76b' + 'ad9d' + 'd111' + '80b4' + '00c04fd430c8', // VmId
        '00000040' + 'cbfa' + 'e611' + 'bd58' + '64006a7986d3', // ServiceId
      ].join(''),
    );
    expect(decodeSockaddrHv(b)).toEqual({ vmId: VM, serviceId: HvSocketIds.LinuxGcs });
  });

  it('accepts braces and upper case, rejects non-GUIDs with InvalidArgument', () => {
    const a = encodeSockaddrHv({ vmId: `{${VM.toUpperCase()}}`, serviceId: HvSocketIds.Parent });
    expect(decodeSockaddrHv(a).vmId).toBe(VM);
    const err = (() => {
      try {
        encodeSockaddrHv({ vmId: 'nope', serviceId: HvSocketIds.Parent });
      } catch (e) {
        return e as HcsError;
      }
      throw new Error('no throw');
    })();
    expect(err).toBeInstanceOf(HcsError);
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toContain('vmId');
    expect(() => normalizeGuid('{6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toThrow(/GUID/);
    expect(() => decodeSockaddrHv(Buffer.alloc(35))).toThrow(/36 bytes/);
    const wrongFamily = Buffer.from(a);
    wrongFamily.writeUInt16LE(2, 0);
    expect(() => decodeSockaddrHv(wrongFamily)).toThrow(/AF_HYPERV/);
  });

  it('guid bytes round-trip; vsock ports map into Data1', () => {
    expect(guidToBytes(HvSocketIds.Loopback).toString('hex')).toBe('9761e1e056dd104a91955ee7a155a838');
    expect(guidFromBytes(guidToBytes(HvSocketIds.WindowsGcs))).toBe(HvSocketIds.WindowsGcs);
    expect(vsockServiceId(0x40000001)).toBe('40000001-facb-11e6-bd58-64006a7986d3');
    expect(vsockServiceId(109)).toBe('0000006d-facb-11e6-bd58-64006a7986d3');
    expect(() => vsockServiceId(-1)).toThrow(/port/);
    expect(() => vsockServiceId(2 ** 32)).toThrow(/port/);
  });
});

/** The emulator's Unix-socket mapping, and the `unix` transport built on it. */
const unixMapping = linuxOnlyDescribe(
  "the emulator's Unix-socket mapping of HvSocket addresses; Windows uses AF_HYPERV (test-windows/winsock.test.ts), and Windows Node has no AF_UNIX under Wine",
);

unixMapping('emulator path', () => {
  it('is <dir>/<vmId>-<serviceId>.sock, lower-case, from UVMKIT_HVSOCK_DIR or <runtime dir>/hvsock', () => {
    expect(hvsocketDir({ UVMKIT_HVSOCK_DIR: '/x/y' })).toBe('/x/y');
    expect(hvsocketDir({ XDG_RUNTIME_DIR: '/run/user/1000' })).toBe('/run/user/1000/uvmkit/hvsock');
    expect(runtimeDir({}, 0)).toBe('/run/uvmkit');
    expect(runtimeDir({}, 1000)).toBe(join(tmpdir(), 'uvmkit-1000'));
    expect(hvsocketPath({ vmId: VM.toUpperCase(), serviceId: `{${HvSocketIds.LinuxGcs}}` }, '/d')).toBe(
      `/d/${VM}-40000000-facb-11e6-bd58-64006a7986d3.sock`,
    );
  });
});

unixMapping('listen / accept / dial (unix transport)', () => {
  it('accepts exactly once, then closes the listener and removes the socket file', async () => {
    const serviceId = service();
    const l = await listen({ vmId: VM, serviceId, dir, transport: 'unix' });
    expect(l.path).toBe(join(dir, `${VM}-${serviceId}.sock`));
    expect(existsSync(l.path as string)).toBe(true);
    const client = await dial({ vmId: VM, serviceId, dir, transport: 'unix' });
    const host = await l.accept();
    expect(l.closed).toBe(true);
    await l.close(); // while the accepted connection is still open
    expect(existsSync(l.path as string)).toBe(false);
    client.end('hello from the guest');
    expect(await readAll(host)).toBe('hello from the guest');
    const again = await rejection(l.accept());
    expect(again.code).toBe('AlreadyAccepted');
    const late = await rejection(dial({ vmId: VM, serviceId, dir, transport: 'unix' }));
    expect(late.code).toBe('ConnectFailed');
    host.destroy();
  });

  it('a connection that arrives before accept() is kept (paused) and nothing is lost', async () => {
    const serviceId = service();
    const l = await listen({ vmId: VM, serviceId, dir, transport: 'unix' });
    const client = await dial({ vmId: VM, serviceId, dir, transport: 'unix' });
    client.end('early bytes');
    await new Promise((r) => setTimeout(r, 50));
    const host = await l.accept();
    expect(await readAll(host)).toBe('early bytes');
  });

  it('the directory is created with mode 0700', async () => {
    const sub = join(dir, 'n');
    const l = await listen({ vmId: VM, serviceId: service(), dir: sub, transport: 'unix' });
    expect(statSync(sub).mode & 0o777).toBe(0o700);
    await l.close();
  });

  it('accept rejects with HCS_E_UNEXPECTED_EXIT when the VM exits first (vm or exited), and closes', async () => {
    let exit!: (status: unknown) => void;
    const exited = new Promise((r) => {
      exit = r;
    });
    const l = await listen({ vmId: VM, serviceId: service(), dir, transport: 'unix' });
    const p = l.accept({ vm: { exited } });
    exit({ Status: 'Exited' });
    const err = await rejection(p);
    expect(err.code).toBe('HCS_E_UNEXPECTED_EXIT');
    expect(err.hresult).toBe(0x80370106);
    expect(err.cause).toEqual({ Status: 'Exited' });
    expect(l.closed).toBe(true);
    expect(existsSync(l.path as string)).toBe(false);

    const l2 = await listen({ vmId: VM, serviceId: service(), dir, transport: 'unix' });
    const closedErr = new Error('handle closed');
    const err2 = await rejection(l2.accept({ exited: Promise.reject(closedErr) }));
    expect(err2).toBe(closedErr);
  });

  it('accept rejects with Aborted (cause = reason) on signal, Timeout on timeout, Closed on close()', async () => {
    const ac = new AbortController();
    const l = await listen({ vmId: VM, serviceId: service(), dir, transport: 'unix' });
    const p = l.accept({ signal: ac.signal });
    ac.abort('stop');
    const err = await rejection(p);
    expect(err.code).toBe('Aborted');
    expect(err.cause).toBe('stop');

    const l2 = await listen({ vmId: VM, serviceId: service(), dir, transport: 'unix' });
    const t0 = Date.now();
    const err2 = await rejection(l2.accept({ timeout: 60 }));
    expect(err2.code).toBe('Timeout');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);

    const l3 = await listen({ vmId: VM, serviceId: service(), dir, transport: 'unix' });
    const p3 = rejection(l3.accept());
    await l3.close();
    expect((await p3).code).toBe('Closed');

    const ac4 = new AbortController();
    const l4 = await listen({ vmId: VM, serviceId: service(), dir, transport: 'unix', signal: ac4.signal });
    const p4 = l4.accept();
    ac4.abort(new Error('listener signal'));
    expect((await rejection(p4)).code).toBe('Aborted');
    expect(l4.closed).toBe(true);
  });

  it('a second live listener on the same address is AddressInUse; a stale file is replaced', async () => {
    const serviceId = service();
    const l = await listen({ vmId: VM, serviceId, dir, transport: 'unix' });
    const err = await rejection(listen({ vmId: VM, serviceId, dir, transport: 'unix' }));
    expect(err.code).toBe('AddressInUse');
    await l.close();

    const staleService = service();
    const stale = join(dir, `${VM}-${staleService}.sock`);
    const server = createServer();
    await new Promise<void>((r) => server.listen(stale, r));
    // simulate a crashed owner: the file stays, nobody listens
    await new Promise<void>((r) => {
      (server as unknown as { _handle: { close(): void } })._handle.close();
      server.unref();
      r();
    });
    const l2 = await listen({ vmId: VM, serviceId: staleService, dir, transport: 'unix' });
    const c = await dial({ vmId: VM, serviceId: staleService, dir, transport: 'unix' });
    const h = await l2.accept();
    c.destroy();
    h.destroy();
  });

  it('a live listener is detected without connecting to it (its accept is not fed a probe)', async () => {
    const serviceId = service();
    const l = await listen({ vmId: VM, serviceId, dir, transport: 'unix' });
    expect((await rejection(listen({ vmId: VM, serviceId, dir, transport: 'unix' }))).code).toBe(
      'AddressInUse',
    );
    const accepted = l.accept({ timeout: 80 });
    expect((await rejection(accepted)).code).toBe('Timeout');
  });

  it('a socket path over 107 bytes is refused (it would be truncated silently)', async () => {
    const long = join(dir, 'x'.repeat(40));
    const err = await rejection(listen({ vmId: VM, serviceId: service(), dir: long, transport: 'unix' }));
    expect(err.code).toBe('InvalidArgument');
    expect(err.message).toContain('longer than 107 bytes');
    expect((await rejection(dial({ vmId: VM, serviceId: service(), dir: long }))).code).toBe(
      'InvalidArgument',
    );
  });

  it('bad arguments reject with InvalidArgument before anything is created', async () => {
    expect((await rejection(listen({ vmId: 'x', serviceId: service(), dir }))).code).toBe('InvalidArgument');
    expect((await rejection(dial({ vmId: VM, serviceId: 'y', dir }))).code).toBe('InvalidArgument');
    const l = await listen({ vmId: VM, serviceId: service(), dir, transport: 'unix' });
    expect((await rejection(l.accept({ timeout: -1 }))).code).toBe('InvalidArgument');
    await l.close();
  });
});

describe('dial (default transport)', () => {
  it('dial honours signal and timeout when nobody listens', async () => {
    const ac = new AbortController();
    ac.abort('early');
    expect((await rejection(dial({ vmId: VM, serviceId: service(), dir, signal: ac.signal }))).code).toBe(
      'Aborted',
    );
  });
});
