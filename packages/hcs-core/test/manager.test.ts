/** modifyResource / withContext: the shape every manager call takes. Real path through hcsd. */
import type { HcsdProcess } from '@uvmkit/hcs-emulator';
import {
  type Attachment,
  Attachment as AttachmentSchema,
  check,
  InvalidArgumentError,
  modifySettingRequest,
  SchemaValidationError,
  ScsiControllerGuids,
  scsiAttachmentPath,
} from '@uvmkit/hcs-schema';
import { afterAll, beforeAll, expect, it } from 'vitest';
import {
  ClosedError,
  HcsError,
  HRESULT,
  isAlreadyExists,
  isInvalidArgument,
  isNotFound,
  withContext,
} from '../src/errors.js';
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

const disk: Attachment = { Type: 'VirtualDisk', Path: '/d.vhdx' };
const attach = (controller: number, lun: number) => () =>
  modifySettingRequest(scsiAttachmentPath(controller, lun), { RequestType: 'Add', Settings: disk });

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

/** The fields of a refusal that make its shape. */
function shapeOf(err: unknown) {
  const e = err as HcsError;
  return {
    isHcsError: e instanceof HcsError,
    invalidArgument: isInvalidArgument(e),
    code: e.code,
    op: e.op,
    id: e.id,
    hresult: e.hresult,
    message: e.message,
    cause: e.cause instanceof InvalidArgumentError ? 'InvalidArgumentError' : e.cause?.constructor.name,
    issues: (e.cause as { issues?: unknown } | undefined)?.issues,
  };
}

it('one error shape for every refusal of a manager call: bad argument, bad Settings, wrong RequestType; nothing sent', async () => {
  const id = uniqueId();
  await using vm = await UtilityVM.create(id, vmConfig());
  await systemOf(vm).start();
  const what = 'add SCSI disk at controller 0 LUN 1';
  const call = (build: Parameters<typeof modifyResource>[3]) =>
    modifyResource(vm, 'addSCSIDisk', what, build);
  const badArgument = await rejection(
    call(() => modifySettingRequest(scsiAttachmentPath(0, 64), { RequestType: 'Add', Settings: disk })),
  );
  const badSettings = await rejection(
    call(() =>
      modifySettingRequest(scsiAttachmentPath(0, 1), {
        RequestType: 'Add',
        Settings: { Type: 'Floppy', Path: '/d.vhdx' } as never,
      }),
    ),
  );
  const wrongRequestType = await rejection(
    call(() =>
      modifySettingRequest(scsiAttachmentPath(0, 1), { RequestType: 'Update' as never, Settings: disk }),
    ),
  );
  const same = {
    isHcsError: true,
    invalidArgument: true,
    code: 'InvalidArgument',
    op: 'addSCSIDisk',
    id,
    hresult: undefined,
  };
  expect(shapeOf(badArgument)).toEqual({
    ...same,
    message: `failed to ${what}: invalid argument lun (64): must be in 0..63`,
    cause: 'InvalidArgumentError',
    issues: [{ path: 'lun', message: 'must be in 0..63' }],
  });
  const typeIssue = check(AttachmentSchema, { Type: 'Floppy', Path: '/d.vhdx' })[0]!;
  expect(typeIssue.path).toBe('Type');
  expect(shapeOf(badSettings)).toEqual({
    ...same,
    message: `failed to ${what}: invalid ModifySettingRequest: Settings.Type: ${typeIssue.message}`,
    cause: 'SchemaValidationError',
    issues: [{ path: 'Settings.Type', message: typeIssue.message }],
  });
  expect(shapeOf(wrongRequestType)).toEqual({
    ...same,
    message: `failed to ${what}: invalid ModifySettingRequest: RequestType: ScsiAttachment accepts Add, Remove, got "Update"`,
    cause: 'SchemaValidationError',
    issues: [{ path: 'RequestType', message: 'ScsiAttachment accepts Add, Remove, got "Update"' }],
  });
  expect((badSettings as HcsError).cause).toBeInstanceOf(SchemaValidationError);
  // an untyped request is refused the same way
  const untyped = await rejection(
    call(
      () => ({ ResourcePath: scsiAttachmentPath(0, 1).path, RequestType: 'Add', Settings: disk }) as never,
    ),
  );
  expect(shapeOf(untyped)).toMatchObject({ ...same, cause: 'InvalidArgumentError' });
  expect(await hcsd.control.modifyLog(id)).toEqual([]);

  // raw vm.modify validates what it is given, and keeps its own op
  const raw = await rejection(
    vm.modify({ ResourcePath: scsiAttachmentPath(0, 1).path, RequestType: 'Update', Settings: disk }),
  );
  expect(shapeOf(raw)).toEqual({
    ...same,
    op: 'UtilityVM.modify',
    id: undefined,
    message:
      'UtilityVM.modify: invalid ModifySettingRequest: RequestType: ScsiAttachment accepts Add, Remove, got "Update"',
    cause: 'SchemaValidationError',
    issues: [{ path: 'RequestType', message: 'ScsiAttachment accepts Add, Remove, got "Update"' }],
  });
  expect(await hcsd.control.modifyLog(id)).toEqual([]);
});

/** `target` behind a proxy that counts reads of its string keys. */
function counted<T extends object>(target: T): { value: T; reads: () => number } {
  let reads = 0;
  const value = new Proxy(target, {
    get(t, key, receiver) {
      if (typeof key === 'string') reads++;
      return Reflect.get(t, key, receiver) as unknown;
    },
  });
  return { value, reads: () => reads };
}

it('a typed request is validated once: modifyResource reads Settings as often as one validation plus the send', async () => {
  const id = uniqueId();
  await using vm = await UtilityVM.create(id, vmConfig());
  await systemOf(vm).start();
  const once = counted({ ...disk });
  expect(check(AttachmentSchema, once.value)).toEqual([]);
  const serialised = counted({ ...disk });
  JSON.stringify(serialised.value);
  const expected = once.reads() + serialised.reads();
  expect(once.reads()).toBeGreaterThan(0);

  const typed = counted({ ...disk });
  await modifyResource(vm, 'addDisk', 'add disk 0:2', () =>
    modifySettingRequest(scsiAttachmentPath(0, 2), { RequestType: 'Add', Settings: typed.value }),
  );
  const raw = counted({ ...disk });
  await vm.modify({ ResourcePath: scsiAttachmentPath(0, 3).path, RequestType: 'Add', Settings: raw.value });
  // a typed request handed to vm.modify directly (not through modifyResource) is validated there
  const direct = counted({ ...disk });
  await vm.modify(
    modifySettingRequest(scsiAttachmentPath(0, 4), { RequestType: 'Add', Settings: direct.value }),
  );
  expect({ typed: typed.reads(), raw: raw.reads(), direct: direct.reads() }).toEqual({
    typed: expected,
    raw: expected,
    direct: expected,
  });
  expect(await hcsd.control.modifyLog(id)).toEqual(
    [2, 3, 4].map((lun) => ({
      ResourcePath: `VirtualMachine/Devices/Scsi/${ScsiControllerGuids[0]}/Attachments/${lun}`,
      RequestType: 'Add',
      Settings: disk,
    })),
  );
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
