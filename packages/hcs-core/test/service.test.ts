/** HcsService: synchronous service exports run off the JS thread. */
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { HcsError } from '../src/errors.js';
import { HcsService } from '../src/service.js';
import { startDaemon } from './helpers/env.js';

let hcsd: HcsdProcess;
beforeAll(async () => {
  hcsd = await startDaemon();
});
afterAll(async () => {
  await hcsd.stop();
});

it('getProperties(Basic) answers the supported schema versions', async () => {
  const props = await HcsService.getProperties({ PropertyTypes: ['Basic'] });
  const basic = (props.Properties as { SupportedSchemaVersions: { Major: number; Minor: number }[] }[])[0]!;
  expect(basic.SupportedSchemaVersions.some((v) => v.Major === 2)).toBe(true);
});

it('the JS thread keeps running while a service call is held by hcsd', async () => {
  await hcsd.control.delay({ method: 'GetServiceProperties', ms: 200, count: 1 });
  let ticks = 0;
  const timer = setInterval(() => ticks++, 10);
  await HcsService.getProperties({ PropertyTypes: ['Basic'] });
  clearInterval(timer);
  expect(ticks).toBeGreaterThanOrEqual(5);
});

it('bad input and aborted signals: typed errors, nothing sent', async () => {
  const bad = (await HcsService.getProperties('x' as never).catch((e: unknown) => e)) as HcsError;
  expect(bad.code).toBe('InvalidArgument');
  const aborted = (await HcsService.getProperties(undefined, { signal: AbortSignal.abort() }).catch(
    (e: unknown) => e,
  )) as HcsError;
  expect(aborted.code).toBe('Aborted');
  const failed = (await HcsService.modifySettings({ Settings: {} }).catch((e: unknown) => e)) as HcsError;
  expect(failed.code).toBe('ERROR_INVALID_PARAMETER');
  expect(failed.hresult).toBe(0x80070057);
  expect(failed.hcsMessage).toBe('invalid ModificationRequest: PropertyType: is required');
});
