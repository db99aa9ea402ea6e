/**
 * The one shape of a manager call (hcsshim's vmmanager methods): build a typed
 * `ModifySettingRequest` from a path builder's descriptor, validate it once against the
 * descriptor's spec, send it with `vm.modify` (which does not validate it again), and say what
 * was being done when it fails.
 */
import {
  checkModifySettingRequest,
  InvalidArgumentError,
  REQUEST_RESOURCE,
  type ResourceKind,
  SchemaValidationError,
  type TypedModifySettingRequest,
} from '@uvmkit/hcs-schema';
import { HcsError, LocalCode, withContext } from './errors.js';
import type { CallOptions } from './options.js';
import type { UtilityVM } from './utility-vm.js';
import { markValidated } from './validated-request.js';

/**
 * Build the request, validate it, and send it. Every refusal of the input is one shape: an
 * `HcsError` with code `InvalidArgument`, `op` = `op`, `id` = the VM's id, a message reading
 * `failed to <what>: …` that names the field, and nothing sent. Its `cause` carries the details
 * as `issues` (`{path, message}`):
 * - the builder refused an argument (hcs-schema's `InvalidArgumentError`, e.g. a path builder
 *   given `../` as a GUID): `cause` is that error (`argument` names the parameter);
 * - the request fails its resource's spec (`Settings` against the kind's schema, a RequestType the
 *   kind does not accept): `cause` is a `SchemaValidationError` (issue paths such as
 *   `Settings.Path`, `RequestType`).
 *
 * The request is validated here, against the spec of the descriptor it carries (no parse of its
 * `ResourcePath`), and `vm.modify` sends it without validating it again. Any failure of the call
 * itself reads `failed to <what>: …` and keeps its code and HRESULT ({@link withContext}).
 *
 * @param op the manager method, e.g. `'addSCSIDisk'` (the error's `op` when the core gave none)
 * @param what a phrase for messages, e.g. `'add SCSI disk at controller 0 LUN 3'`
 * @param build makes the request, e.g.
 *   `() => modifySettingRequest(scsiAttachmentPath(0, 3), { RequestType: 'Add', Settings: attachment })`
 */
export async function modifyResource<K extends ResourceKind>(
  vm: UtilityVM,
  op: string,
  what: string,
  build: () => TypedModifySettingRequest<K>,
  options?: CallOptions,
): Promise<void> {
  const refuse = (detail: string, cause: unknown) =>
    new HcsError(LocalCode.InvalidArgument, `failed to ${what}: ${detail}`, { op, id: vm.id, cause });
  let built: TypedModifySettingRequest<K>;
  try {
    built = build();
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    throw refuse(err.message, err);
  }
  if (typeof built !== 'object' || built === null || !(REQUEST_RESOURCE in built)) {
    const err = new InvalidArgumentError('request', built, 'must be a typed request (modifySettingRequest)');
    throw refuse(err.message, err);
  }
  const { issues } = checkModifySettingRequest(built);
  if (issues.length > 0) {
    const err = new SchemaValidationError('ModifySettingRequest', issues);
    throw refuse(err.message, err);
  }
  // What was validated, as a frozen copy only this call holds (the wire document: the descriptor
  // is not enumerable), marked so `modify` sends it without validating it again.
  const request = Object.freeze({ ...built });
  markValidated(request);
  try {
    await vm.modify(request, options);
  } catch (err) {
    throw withContext(err, what, { op, id: vm.id });
  }
}
