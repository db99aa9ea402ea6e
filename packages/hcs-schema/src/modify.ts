/**
 * Typed ModifySettingRequests (`modifySettingRequest`: built from a path builder's descriptor, so
 * the Settings type follows the kind) and whole-request validation against the resource path's
 * spec (`checkModifySettingRequest`: a typed request is checked against its descriptor's spec; an
 * untyped one has its `ResourcePath` parsed first).
 */
import { Kind } from '@sinclair/typebox';
import { InvalidArgumentError, type ValidationIssue } from './errors.js';
import {
  isResourcePathDescriptor,
  parseResourcePath,
  type ResourceKind,
  type ResourceKindMap,
  type ResourcePathDescriptor,
  type ResourcePathMatch,
} from './paths.js';
import { ModifySettingRequest, type RequestType } from './schema/modify.js';
import { check, prefixIssues } from './validate.js';

/**
 * The key under which a typed request carries its {@link ResourcePathDescriptor}: a symbol
 * (`Symbol.for('@uvmkit/hcs-schema.requestResource')`) on a non-enumerable property, so the
 * request serialises as the plain HCS document.
 */
export const REQUEST_RESOURCE: unique symbol = Symbol.for('@uvmkit/hcs-schema.requestResource') as never;

/** The type of `Settings` for resource kind `K` (`never` = none; `unknown` = undocumented). */
export type ResourceSettings<K extends ResourceKind> = ResourceKindMap[K]['settings'];

/** The RequestTypes resource kind `K` accepts. */
export type ResourceRequestType<K extends ResourceKind> = ResourceKindMap[K]['requestTypes'];

/**
 * `RequestType` and `Settings` of a request for kind `K`, one alternative per accepted
 * RequestType `R`: Add/Update carry `Settings` of the kind's type (none for a kind without
 * Settings; optional when undocumented); an Update may leave `RequestType` out (HCS reads that
 * as Update); a Remove carries `Settings` only when the kind identifies the resource by them
 * (`settingsOnRemove`).
 */
export type ModifyRequestBody<
  K extends ResourceKind,
  R extends ResourceRequestType<K> = ResourceRequestType<K>,
> = R extends 'Remove'
  ? ResourceKindMap[K]['settingsOnRemove'] extends true
    ? { readonly RequestType: 'Remove'; readonly Settings: ResourceSettings<K> }
    : { readonly RequestType: 'Remove'; readonly Settings?: undefined }
  : (R extends 'Update' ? { readonly RequestType?: 'Update' } : { readonly RequestType: R }) &
      ([ResourceSettings<K>] extends [never]
        ? { readonly Settings?: undefined }
        : unknown extends ResourceSettings<K>
          ? { readonly Settings?: unknown }
          : { readonly Settings: ResourceSettings<K> });

/**
 * A ModifySettingRequest for a resource of kind `K`, made by {@link modifySettingRequest}: the
 * wire document (`ResourcePath` = the descriptor's path, then `RequestType` and `Settings` as
 * given) plus, under {@link REQUEST_RESOURCE}, the descriptor it was built from. Frozen.
 */
export type TypedModifySettingRequest<K extends ResourceKind = ResourceKind> = {
  readonly ResourcePath: string;
  readonly [REQUEST_RESOURCE]: ResourcePathDescriptor<K>;
} & ModifyRequestBody<K>;

/**
 * Build a typed ModifySettingRequest for `resource` (a path builder's descriptor). The type of
 * `body` follows the kind: an SCSI attachment Add must be given an `Attachment`, a mapped pipe
 * no Settings, a RequestType the kind does not accept does not compile. Nothing is validated
 * here beyond the two arguments' shapes (`InvalidArgumentError` `resource` / `request`);
 * {@link checkModifySettingRequest} checks the request against the descriptor's spec.
 */
export function modifySettingRequest<K extends ResourceKind>(
  resource: ResourcePathDescriptor<K>,
  body: NoInfer<ModifyRequestBody<K>>,
): TypedModifySettingRequest<K> {
  if (typeof resource !== 'object' || resource === null || typeof resource.path !== 'string') {
    throw new InvalidArgumentError(
      'resource',
      resource,
      "must be a resource path descriptor (a path builder's result)",
    );
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidArgumentError('request', body, 'must be an object { RequestType?, Settings? }');
  }
  const request: Record<string | symbol, unknown> = { ResourcePath: resource.path };
  const { RequestType, Settings } = body as { RequestType?: unknown; Settings?: unknown };
  if (RequestType !== undefined) request.RequestType = RequestType;
  if (Settings !== undefined) request.Settings = Settings;
  Object.defineProperty(request, REQUEST_RESOURCE, { value: resource });
  return Object.freeze(request) as TypedModifySettingRequest<K>;
}

/** The descriptor `value` carries, when it is one of this copy's builders' and matches `path`. */
function carriedDescriptor(value: object, path: unknown): ResourcePathDescriptor | undefined {
  const carried = (value as { [REQUEST_RESOURCE]?: unknown })[REQUEST_RESOURCE];
  return isResourcePathDescriptor(carried) && carried.path === path ? carried : undefined;
}

/** The outcome of {@link checkModifySettingRequest}. */
export interface ModifySettingRequestCheck {
  /** `[]` when the request is acceptable. Paths are dotted from the request root (`Settings.Path`). */
  readonly issues: ValidationIssue[];
  /** The addressed resource; `undefined` for a guest-only request or an unknown/invalid path. */
  readonly match: ResourcePathMatch | undefined;
  /** The effective RequestType (an absent one means `Update`). */
  readonly requestType: RequestType;
}

/**
 * Validate a ModifySettingRequest the way hcsd routes it: the envelope, then the resource path
 * (a typed request's descriptor, when it is this package's and its `path` is the request's
 * `ResourcePath`: no parse; otherwise `parseResourcePath`), the RequestType against the spec
 * (absent = Update), and `Settings` against the spec's schema. Settings are required on Add/Update (and on Remove when
 * `spec.settingsOnRemove`), ignored on other Removes, and must be absent when the spec has none.
 * A request without `ResourcePath` is guest-only and needs `GuestRequest`.
 */
export function checkModifySettingRequest(value: unknown): ModifySettingRequestCheck {
  const envelope = check(ModifySettingRequest, value);
  const doc = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  const rt = doc.RequestType;
  const requestType: RequestType = rt === 'Add' || rt === 'Remove' || rt === 'Update' ? rt : 'Update';
  if (envelope.length > 0) return { issues: envelope, match: undefined, requestType };

  const path = doc.ResourcePath;
  if (path === undefined) {
    const issues: ValidationIssue[] =
      doc.GuestRequest === undefined
        ? [{ path: 'ResourcePath', message: 'is required unless GuestRequest is given' }]
        : [];
    return { issues, match: undefined, requestType };
  }
  const match = carriedDescriptor(doc, path) ?? parseResourcePath(path as string);
  if (match === undefined) {
    return {
      issues: [{ path: 'ResourcePath', message: `unknown or invalid resource path ${JSON.stringify(path)}` }],
      match,
      requestType,
    };
  }
  const { spec } = match;
  if (spec.requestTypes !== 'any' && !spec.requestTypes.includes(requestType)) {
    return {
      issues: [
        {
          path: 'RequestType',
          message: `${match.kind} accepts ${spec.requestTypes.join(', ')}, got ${rt === undefined ? 'none (Update)' : JSON.stringify(rt)}`,
        },
      ],
      match,
      requestType,
    };
  }
  const settings = doc.Settings;
  if (spec.settings === undefined) {
    const issues: ValidationIssue[] =
      settings === undefined ? [] : [{ path: 'Settings', message: `${match.kind} takes no Settings` }];
    return { issues, match, requestType };
  }
  if (requestType === 'Remove' && !spec.settingsOnRemove) return { issues: [], match, requestType };
  // Undocumented settings (Licensing): anything, including nothing.
  if (spec.settings[Kind] === 'Unknown') return { issues: [], match, requestType };
  if (settings === undefined) {
    return { issues: [{ path: 'Settings', message: 'is required' }], match, requestType };
  }
  return { issues: prefixIssues('Settings', check(spec.settings, settings)), match, requestType };
}
