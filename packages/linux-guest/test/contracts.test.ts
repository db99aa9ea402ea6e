/**
 * The C agent keeps its own copies of the GCS contracts (it cannot import TypeScript): the
 * bridge, entropy and log ports (gcs.h), the vsock service-id template (dial.c) and the frame
 * limits (gcsframe.h). Their one home is `@uvmkit/hcs-schema`; test-contracts (test/c/contracts.c,
 * built by `make host`) prints the C values and this test checks each against the home.
 */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import {
  ENTROPY_PORT,
  GCS_HEADER_SIZE,
  GCS_MAX_FRAME,
  GcsServiceIds,
  LINUX_GCS_PORT,
  LOG_PORT,
  vsockServiceIdOf,
} from '@uvmkit/hcs-schema';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildHost, PACKAGE_DIR } from './helpers/agent.js';

let table: Map<string, string>;
let vsock: [number, string][];

beforeAll(() => {
  buildHost();
  const out = execFileSync(join(PACKAGE_DIR, 'build/host/test-contracts'), ['--table'], { encoding: 'utf8' });
  const lines = out.trim().split('\n');
  table = new Map(lines.filter((l) => !l.startsWith('vsock ')).map((l) => l.split(' ') as [string, string]));
  vsock = lines
    .filter((l) => l.startsWith('vsock '))
    .map((l) => {
      const [, port, guid] = l.split(' ');
      return [Number(port), guid as string];
    });
}, 120_000);

describe('the C agent agrees with the GCS contracts of @uvmkit/hcs-schema', () => {
  it('ports: bridge 0x40000000, entropy 1, log 109', () => {
    expect(table.get('GCS_PORT')).toBe(String(LINUX_GCS_PORT));
    expect(table.get('ENTROPY_PORT')).toBe(String(ENTROPY_PORT));
    expect(table.get('LOG_PORT')).toBe(String(LOG_PORT));
  });

  it('frame header and limit (gcsframe.h)', () => {
    expect(table.get('GCS_HEADER_SIZE')).toBe(String(GCS_HEADER_SIZE));
    expect(table.get('GCS_MAX_FRAME')).toBe(String(GCS_MAX_FRAME));
  });

  it('vsock_service_guid of dial.c = vsockServiceIdOf on a table of ports, the GCS one included', () => {
    expect(vsock.map(([p]) => p)).toEqual([0, 1, 109, 0x40000000, 0x40000001, 0x7fffffff, 0xffffffff]);
    for (const [port, guid] of vsock) expect(guid, String(port)).toBe(vsockServiceIdOf(port));
    expect(vsock.find(([p]) => p === LINUX_GCS_PORT)?.[1]).toBe(GcsServiceIds.LinuxGcs);
  });
});
