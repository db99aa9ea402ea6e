/** ServiceDisconnect: hcsd killed (SIGKILL) while calls are pending. */
import { describe, expect, it } from 'vitest';
import { ComputeSystem } from '../src/compute-system.js';
import { HcsError, isServiceDisconnect } from '../src/errors.js';
import { Operation } from '../src/operation.js';
import { startDaemon, uniqueId, vmConfig } from './helpers/env.js';

describe('service disconnect', () => {
  it('rejects pending calls with HCS_E_SERVICE_DISCONNECT and fires serviceDisconnect', async () => {
    const hcsd = await startDaemon();
    const cs = await ComputeSystem.create(uniqueId(), vmConfig());
    await cs.start();
    const disconnects: unknown[] = [];
    cs.events.on('serviceDisconnect', (p) => disconnects.push(p));
    await hcsd.control.delay({ method: 'GetProperties', ms: 30_000 });
    await hcsd.control.delay({ method: 'Pause', ms: 30_000 });
    const pending = [cs.getProperties(), cs.pause()].map((p) =>
      p.then(
        () => {
          throw new Error('should not resolve');
        },
        (err: unknown) => err as HcsError,
      ),
    );
    const exit = cs.waitForExit().catch((err: unknown) => err as HcsError);
    for (let i = 0; i < 200 && (await hcsd.control.pending()).length < 2; i++) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await hcsd.kill();
    const errors = await Promise.all(pending);
    for (const err of errors) {
      expect(err).toBeInstanceOf(HcsError);
      expect(err.code).toBe('HCS_E_SERVICE_DISCONNECT');
      expect(err.hresult).toBe(0x8037011e);
      expect(isServiceDisconnect(err)).toBe(true);
    }
    const exitErr = (await exit) as HcsError;
    expect(exitErr.code).toBe('HCS_E_SERVICE_DISCONNECT');
    expect(disconnects).toEqual([undefined]);
    expect(cs.disconnected).toBe(true);
    // later calls fail fast with the same typed error; close still works
    const late = await cs.getProperties().catch((err: unknown) => err as HcsError);
    expect(isServiceDisconnect(late)).toBe(true);
    await cs.close();
    expect(Operation.pendingCount).toBe(0);
  });
});
