/** Confidential UVMs: the security policy and policy fragments (gcs-protocol.md §5, §6.1 step 8). */
import type { CallOptions } from '@uvmkit/hcs-core';
import { invalidArgument } from '@uvmkit/hcs-core/manager';
import type { Guest } from '../guest.js';
import { GuestResources, send } from './send.js';
import * as v from './validate.js';

/** `ConfidentialOptions`. */
export interface ConfidentialOptions {
  EnforcerType?: string;
  EncodedSecurityPolicy?: string;
  EncodedUVMReference?: string;
  EncodedUVMHashEnvelopeReference?: string;
}

/** `SecurityPolicyFragment` (`MediaType` empty means `application/cose-x509+rego`). */
export interface SecurityPolicyFragment {
  Fragment: string;
  MediaType?: string;
}

export async function addSecurityPolicy(
  guest: Guest,
  policy: ConfidentialOptions,
  options?: CallOptions,
): Promise<void> {
  const op = 'addSecurityPolicy';
  v.object(op, 'policy', policy);
  for (const k of [
    'EnforcerType',
    'EncodedSecurityPolicy',
    'EncodedUVMReference',
    'EncodedUVMHashEnvelopeReference',
  ] as const) {
    if (policy[k] !== undefined && typeof policy[k] !== 'string')
      throw invalidArgument(op, `policy.${k} must be a string`);
  }
  await send(guest, GuestResources.SecurityPolicy, 'Add', v.defined({ ...policy }), options);
}

export async function injectPolicyFragment(
  guest: Guest,
  fragment: SecurityPolicyFragment,
  options?: CallOptions,
): Promise<void> {
  const op = 'injectPolicyFragment';
  v.object(op, 'fragment', fragment);
  v.str(op, 'fragment.Fragment', fragment.Fragment);
  if (fragment.MediaType !== undefined && typeof fragment.MediaType !== 'string')
    throw invalidArgument(op, 'fragment.MediaType must be a string');
  await send(
    guest,
    GuestResources.SecurityPolicyFragment,
    'Add',
    v.defined({ Fragment: fragment.Fragment, MediaType: fragment.MediaType }),
    options,
  );
}
