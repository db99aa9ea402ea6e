/**
 * The one shape of a manager call (hcsshim's vmmanager methods): build a `ModifySettingRequest`,
 * send it with `vm.modify` (which validates it first), and say what was being done when it fails.
 */
import { InvalidArgumentError } from '@uvmkit/hcs-schema';
import { HcsError, LocalCode, withContext } from './errors.js';
import type { CallOptions } from './options.js';
import type { UtilityVM } from './utility-vm.js';

/**
 * Build the request and send it. A builder that rejects an argument (hcs-schema's
 * `InvalidArgumentError`, e.g. a path builder given `../` as a GUID) becomes an `InvalidArgument`
 * HcsError with that error as `cause` (its `argument` names the parameter) and nothing is sent.
 * Any failure of the call reads `failed to <what>: …` and keeps its code and HRESULT
 * ({@link withContext}).
 *
 * @param op the manager method, e.g. `'addSCSIDisk'` (the error's `op` when the core gave none)
 * @param what a phrase for messages, e.g. `'add SCSI disk at controller 0 LUN 3'`
 */
export async function modifyResource(
  vm: UtilityVM,
  op: string,
  what: string,
  build: () => object,
  options?: CallOptions,
): Promise<void> {
  let request: object;
  try {
    request = build();
  } catch (err) {
    if (!(err instanceof InvalidArgumentError)) throw err;
    throw new HcsError(LocalCode.InvalidArgument, `failed to ${what}: ${err.message}`, {
      op,
      id: vm.id,
      cause: err,
    });
  }
  try {
    await vm.modify(request, options);
  } catch (err) {
    throw withContext(err, what, { op, id: vm.id });
  }
}
