/** Whole-request validation of a ModifySettingRequest against its resource path's spec. */
import { Kind } from '@sinclair/typebox';
import type { ValidationIssue } from './errors.js';
import { parseResourcePath, type ResourcePathMatch } from './paths.js';
import { ModifySettingRequest, type RequestType } from './schema/modify.js';
import { check, prefixIssues } from './validate.js';

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
 * (`parseResourcePath`), the RequestType against the spec (absent = Update), and `Settings`
 * against the spec's schema. Settings are required on Add/Update (and on Remove when
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
  const match = parseResourcePath(path as string);
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
