/** modifyResource / withContext: the shape every manager call takes. Real path through hcsd. */
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import { InvalidArgumentError, ScsiControllerGuids, scsiAttachmentPath } from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ClosedError, HcsError, HRESULT, isAlreadyExists, isNotFound, withContext } from '../src/errors.js';
import { modifyResource } from '../src/modify-resource.js';
import { systemOf, UtilityVM } from '../src/utility-vm.js';
import { rejection, startDaemon, uniqueId, vmConfig } from './helpers/env.js';

let hcsd: HcsdProcess;
beforeAll(async () => {
  hcsd = await startDaemon();
});
afterAll(async () => {
  await hcsd.stop();
});

const attach = (controller: number, lun: number) => () => ({
  ResourcePath: scsiAttachmentPath(controller, lun),
  RequestType: 'Add',
  Settings: { Type: 'VirtualDisk', Path: '/d.vhdx' },
});

it('sends the built request, and wraps HCS failures with what was being done', async () => {
  const id = uniqueId();
  await using vm = await UtilityVM.create(id, vmConfig());
  await systemOf(vm).start();
  await modifyResource(vm, 'addDisk', 'add disk 0:1', attach(0, 1));
  expect(await hcsd.control.modifyLog(id)).toEqual([
    {
      ResourcePath: `VirtualMachine/Devices/Scsi/${ScsiControllerGuids[0]}/Attachments/1`,
      RequestType: 'Add',
      Settings: { Type: 'VirtualDisk', Path: '/d.vhdx' },
    },
  ]);

  const occupied = await rejection<HcsError>(modifyResource(vm, 'addDisk', 'add disk 0:1', attach(0, 1)));
  expect(occupied.code).toBe('ERROR_ALREADY_EXISTS');
  expect(occupied.hresult).toBe(HRESULT.ERROR_ALREADY_EXISTS);
  expect(isAlreadyExists(occupied)).toBe(true);
  expect(occupied.message).toMatch(
    /^failed to add disk 0:1: HcsModifyComputeSystem .* failed with ERROR_ALREADY_EXISTS/,
  );
  expect(occupied.id).toBe(id);
  expect(occupied.cause).toBeInstanceOf(HcsError);

  const noController = await rejection<HcsError>(modifyResource(vm, 'addDisk', 'add disk 1:0', attach(1, 0)));
  expect(noController.code).toBe('ERROR_DEV_NOT_EXIST');
  expect(isNotFound(noController)).toBe(true);
});

it('a builder that rejects an argument is InvalidArgument with nothing sent', async () => {
  const id = uniqueId();
  await using vm = await UtilityVM.create(id, vmConfig());
  await systemOf(vm).start();
  const err = await rejection<HcsError>(modifyResource(vm, 'addDisk', 'add disk 0:64', attach(0, 64)));
  expect(err.code).toBe('InvalidArgument');
  expect(err.op).toBe('addDisk');
  expect(err.message).toMatch(/^failed to add disk 0:64: /);
  expect(err.cause).toBeInstanceOf(InvalidArgumentError);
  expect((err.cause as InvalidArgumentError).argument).toBe('lun');
  expect(await hcsd.control.modifyLog(id)).toEqual([]);
});

it('withContext passes ClosedError and foreign errors through unchanged', () => {
  const closed = new ClosedError('utility VM "x"');
  expect(withContext(closed, 'add disk')).toBe(closed);
  const plain = new Error('boom');
  expect(withContext(plain, 'add disk')).toBe(plain);
  const inner = HcsError.fromHresult(HRESULT.HCS_E_INVALID_STATE, 'HcsModifyComputeSystem', { id: 'vm' });
  const outer = withContext(inner, 'add disk', { op: 'addDisk' }) as HcsError;
  expect(outer.code).toBe('HCS_E_INVALID_STATE');
  expect(outer.op).toBe('HcsModifyComputeSystem');
  expect(outer.id).toBe('vm');
  expect(outer.message).toBe(`failed to add disk: ${inner.message}`);
});
