/** SecurityPolicy (once) and SecurityPolicyFragment. */
import { GHR, gfail } from '../protocol.js';
import type { Fields } from '../settings.js';
import type { ModifyContext, RequestType } from './common.js';

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

export function securityPolicy(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const enforcer = s.string('EnforcerType');
  const policy = s.string('EncodedSecurityPolicy');
  const uvmRef = s.string('EncodedUVMReference');
  const envelope = s.string('EncodedUVMHashEnvelopeReference');
  if (!BASE64.test(policy)) gfail(GHR.E_FAIL, 'EncodedSecurityPolicy is not base64');
  if (ctx.table.securityPolicy !== null) gfail(GHR.E_FAIL, 'a security policy has already been set');
  ctx.table.securityPolicy = {
    EnforcerType: enforcer,
    EncodedSecurityPolicy: policy,
    EncodedUVMReference: uvmRef,
    EncodedUVMHashEnvelopeReference: envelope,
  };
}

export function securityPolicyFragment(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const fragment = s.string('Fragment');
  const mediaType = s.string('MediaType');
  if (fragment === '') gfail(GHR.E_INVALIDARG, 'Fragment is required');
  if (!BASE64.test(fragment)) gfail(GHR.E_FAIL, 'Fragment is not base64');
  if (mediaType !== '' && mediaType !== 'application/cose-x509+rego')
    gfail(GHR.E_FAIL, `unsupported fragment media type ${JSON.stringify(mediaType)}`);
  // The Linux GCS verifies a COSE_Sign1 envelope (§10: a junk fragment fails "COSE validation").
  // The emulation checks its shape: CBOR tag 18 (0xD2, optional) then an array of 4 (0x84).
  const bytes = Buffer.from(fragment, 'base64');
  const body = bytes[0] === 0xd2 ? bytes.subarray(1) : bytes;
  if (body.length < 2 || body[0] !== 0x84)
    gfail(GHR.E_FAIL, 'COSE validation failed: the fragment is not a COSE_Sign1 document');
  ctx.table.policyFragments.push({
    Fragment: fragment,
    MediaType: mediaType === '' ? 'application/cose-x509+rego' : mediaType,
  });
}
