/**
 * The guest manager against the REAL guest agent (uvmkit-gcs, dialling the host's GCS listener
 * through the HvSocket relay) on hcsd's qemu engine, through the public API only, in ONE VM for
 * the whole file (booted once in beforeAll): the shared agent suite (../agent/suite.ts, the same
 * tests as against the emulated agent in ../agent.test.ts), then what only a real guest shows:
 * a process reads the marker file from the disk the host hot-added, the guest no longer sees the
 * device after both removes, a host file read through a Plan 9 share, and a NIC that reaches the
 * user-mode network's gateway (which forwards to a server on the host's loopback).
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { realAgent } from '../agent/real.js';
import { agentSuite, run } from '../agent/suite.js';

const t = realAgent();
agentSuite(t);

const sh = (script: string) => run(t.guest, ['/bin/sh', '-c', script]);

describe('only a real guest shows', () => {
  it('a process reads the marker from the hot-added disk; after both removes the guest no longer sees the device', async () => {
    const { vm, guest } = t;
    await vm.addSCSIDisk({ Type: 'VirtualDisk', Path: t.diskPath() }, 0, 2);
    const mount = { MountPath: '/run/gq-disk', Controller: 0, Lun: 2, ReadOnly: true };
    await guest.addMappedVirtualDisk(mount, { timeout: 60_000 });
    expect(await sh('cat /run/gq-disk/marker')).toEqual({ stdout: t.marker, stderr: '', code: 0 });
    const dev = (await sh('awk \'$2 == "/run/gq-disk" { print $1 }\' /proc/mounts')).stdout.trim();
    expect(dev).toMatch(/^\/dev\/sd[a-z]+$/);
    await guest.removeMappedVirtualDisk(mount, { timeout: 60_000 });
    await guest.removeSCSIDevice({ Controller: 0, Lun: 2 }, { timeout: 60_000 });
    await vm.removeSCSIDisk(0, 2);
    const gone = await sh(
      `test -e /run/gq-disk/marker && echo mounted; test -e ${dev} && echo device; exit 0`,
    );
    expect(gone).toEqual({ stdout: '', stderr: '', code: 0 });
  });

  it('a host file read through a Plan 9 share; a NIC that reaches the gateway', async () => {
    const { vm, guest, nic } = t;
    const shared = t.sharePath('gqshare');
    writeFileSync(join(shared, 'hello.txt'), `from the host ${process.pid}\n`);
    const server = createServer((_req, res) => res.end(`gateway ${process.pid}\n`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const share = { Name: 'gqshare', AccessName: 'gqshare', Path: shared, Port: 564, Flags: 0 };
      await vm.addPlan9(share);
      const dirMount = { MountPath: '/run/gq-share', ShareName: 'gqshare', ReadOnly: true };
      await guest.addMappedDirectory(dirMount, { timeout: 60_000 });
      expect(await sh('cat /run/gq-share/hello.txt')).toEqual({
        stdout: `from the host ${process.pid}\n`,
        stderr: '',
        code: 0,
      });
      await guest.removeMappedDirectory(dirMount, { timeout: 60_000 });
      await vm.removePlan9(share);

      const host = { EndpointId: nic.endpointId, MacAddress: nic.mac };
      await vm.addNIC(nic.id, host);
      const adapter = {
        NamespaceID: '00000000-0000-0000-0000-000000000001',
        ID: nic.id,
        MacAddress: nic.mac,
        IPConfigs: [{ IPAddress: '10.0.2.15', PrefixLength: 24 }],
        Routes: [{ NextHop: '10.0.2.2', DestinationPrefix: '0.0.0.0/0' }],
      };
      await guest.addNetworkInterface(adapter, { timeout: 60_000 });
      // the gateway answers ping, and forwards a TCP connection to the host's loopback server
      // (busybox nc: Debian's static busybox wget crashes in this guest)
      expect((await sh('ping -c 1 -W 5 10.0.2.2 >/dev/null; echo ping=$?')).stdout).toBe('ping=0\n');
      const got = await sh(`printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc 10.0.2.2 ${port}`);
      expect(got.code).toBe(0);
      expect(got.stdout).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
      expect(got.stdout.endsWith(`\r\n\r\ngateway ${process.pid}\n`)).toBe(true);
      await guest.removeNetworkInterface(
        { NamespaceID: adapter.NamespaceID, ID: nic.id },
        { timeout: 60_000 },
      );
      await vm.removeNIC(nic.id, host);
    } finally {
      server.close();
    }
  });
});
