/**
 * Type test (compiled by `pnpm typecheck`, never run): a manager's request is typed by its
 * resource kind. `modifyResource` takes only a typed request (hcs-schema's
 * `modifySettingRequest` over a path builder's descriptor), whose Settings type and RequestType
 * follow the kind; each `@ts-expect-error` below is a mistake that must not compile.
 */
import type { UtilityVM } from '@uvmkit/hcs-core';
import { modifyResource } from '@uvmkit/hcs-core/manager';
import {
  type Attachment,
  mappedPipePath,
  memorySizePath,
  modifySettingRequest,
  type NetworkAdapter,
  networkAdapterPath,
  REQUEST_RESOURCE,
  type ResourcePathDescriptor,
  scsiAttachmentPath,
  type TypedModifySettingRequest,
} from '@uvmkit/hcs-schema';

declare const vm: UtilityVM;
declare const disk: Attachment;
declare const nic: NetworkAdapter;
const scsi = scsiAttachmentPath(0, 1);
const pipe = mappedPipePath('\\\\.\\pipe\\p');
const nicPath = networkAdapterPath('7e3c9a10-52b4-4c1d-9f0e-1a2b3c4d5e6f');

// What compiles: the descriptor is typed by its kind, and so is the request built from it.
const descriptor: ResourcePathDescriptor<'ScsiAttachment'> = scsi;
const lun: number = descriptor.params.lun;
const controller: string = descriptor.params.controller;
const add: TypedModifySettingRequest<'ScsiAttachment'> = modifySettingRequest(scsi, {
  RequestType: 'Add',
  Settings: disk,
});
const carried: ResourcePathDescriptor<'ScsiAttachment'> = add[REQUEST_RESOURCE];
void [lun, controller, carried];
void modifyResource(vm, 'addSCSIDisk', 'add', () => add);
void modifyResource(vm, 'removeSCSIDisk', 'remove', () =>
  modifySettingRequest(scsi, { RequestType: 'Remove' }),
);
void modifyResource(vm, 'updateMemory', 'resize', () =>
  modifySettingRequest(memorySizePath(), { Settings: 4096 }),
);
void modifyResource(vm, 'addPipe', 'add', () => modifySettingRequest(pipe, { RequestType: 'Add' }));
void modifyResource(vm, 'removeNIC', 'remove', () =>
  modifySettingRequest(nicPath, { RequestType: 'Remove', Settings: nic }),
);

// A wrong Settings type for the kind: an SCSI attachment Add takes an Attachment.
// @ts-expect-error a NetworkAdapter is not an Attachment
const wrongSettings = modifySettingRequest(scsi, { RequestType: 'Add', Settings: nic });
const floppy = { Type: 'Floppy', Path: 'x' } as const;
// @ts-expect-error Settings.Type is a closed set
const wrongField = modifySettingRequest(scsi, { RequestType: 'Add', Settings: floppy });
// @ts-expect-error an Add needs its Settings
const noSettings = modifySettingRequest(scsi, { RequestType: 'Add' });
// @ts-expect-error memory takes a number of MB
const memoryString = modifySettingRequest(memorySizePath(), { Settings: '4096' });
// @ts-expect-error a mapped pipe takes no Settings
const pipeSettings = modifySettingRequest(pipe, { RequestType: 'Add', Settings: {} });
// @ts-expect-error an SCSI Remove carries no Settings (HCS ignores them)
const removeSettings = modifySettingRequest(scsi, { RequestType: 'Remove', Settings: disk });
// @ts-expect-error a NIC Remove identifies the adapter by its Settings
const nicRemove = modifySettingRequest(nicPath, { RequestType: 'Remove' });
void [wrongSettings, wrongField, noSettings, memoryString, pipeSettings, removeSettings, nicRemove];

// A RequestType the kind does not accept.
// @ts-expect-error SCSI attachments accept Add and Remove
const update = modifySettingRequest(scsi, { RequestType: 'Update', Settings: disk });
void update;

// A request typed for one kind is not one of another.
// @ts-expect-error a NIC request is not an SCSI attachment request
const crossed: TypedModifySettingRequest<'ScsiAttachment'> = modifySettingRequest(nicPath, {
  RequestType: 'Add',
  Settings: nic,
});
void crossed;

// modifyResource takes only typed requests: not a raw document, not a path string.
// @ts-expect-error an untyped document has no descriptor
void modifyResource(vm, 'addSCSIDisk', 'add', () => ({ ResourcePath: scsi.path, RequestType: 'Add' }));
// @ts-expect-error a builder's descriptor, not its rendered path
void modifySettingRequest(scsi.path, { RequestType: 'Remove' });
const handMade = {
  ResourcePath: scsi.path,
  RequestType: 'Add',
  Settings: nic,
  [REQUEST_RESOURCE]: scsi,
} as const;
// @ts-expect-error a hand-made object with the descriptor still has to match the kind
void modifyResource(vm, 'addSCSIDisk', 'add', () => handMade);
