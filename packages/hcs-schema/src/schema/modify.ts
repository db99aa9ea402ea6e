/** The `HcsModifyComputeSystem` request envelope. */
import { type Static, Type } from '@sinclair/typebox';
import { literals, strict } from './common.js';

export const RequestTypeSchema = literals('Add', 'Remove', 'Update');
export type RequestType = Static<typeof RequestTypeSchema>;

/**
 * `ModifySettingRequest`. The envelope is strict; `Settings` and `GuestRequest` accept any JSON
 * (HCS interprets Settings per resource path: validate it with `resourcePathSpecs` /
 * `checkModifySettingRequest`). An absent `RequestType` means Update.
 */
export const ModifySettingRequest = strict(
  {
    ResourcePath: Type.Optional(Type.String({ minLength: 1 })),
    RequestType: Type.Optional(RequestTypeSchema),
    Settings: Type.Optional(Type.Unknown()),
    GuestRequest: Type.Optional(Type.Unknown()),
  },
  'ModifySettingRequest',
);
export type ModifySettingRequest = Static<typeof ModifySettingRequest>;
