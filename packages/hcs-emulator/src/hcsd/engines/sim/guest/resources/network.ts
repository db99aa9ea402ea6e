/** Network (LCOW adapters in namespaces, WCOW PreAdd/Add/Remove) and NetworkNamespace (WCOW). */
import { GHR, gfail } from '../protocol.js';
import { type Fields, isGuid } from '../settings.js';
import type { ModifyContext, RequestType } from './common.js';

export function networkLinux(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const nsId = s.string('NamespaceID');
  const id = s.string('ID');
  s.string('MacAddress');
  s.string('DNSSuffix');
  s.string('DNSServerList');
  s.u16('EncapOverhead');
  const vpciAssigned = s.bool('VPCIAssigned');
  for (const ip of s.array('IPConfigs')) {
    ip.string('IPAddress');
    ip.u8('PrefixLength');
  }
  for (const r of s.array('Routes')) {
    r.string('NextHop');
    r.string('DestinationPrefix');
    r.u16('Metric');
  }
  s.bool('PolicyBasedRouting');
  s.bool('EnableLowMetric');
  if (id === '') gfail(GHR.E_INVALIDARG, 'ID (the adapter id) is required');
  const t = ctx.table;
  const key = id.toLowerCase();
  if (rt === 'Add') {
    if (nsId === '') gfail(GHR.E_INVALIDARG, 'NamespaceID is required');
    if (!vpciAssigned && ctx.host.networkAdapter(id) === undefined)
      gfail(GHR.ERROR_NOT_FOUND, `no network adapter ${id} was added to this VM`);
    if (t.adapters.has(key)) gfail(GHR.ERROR_ALREADY_EXISTS, `network adapter ${id} is already configured`);
    if (!t.namespaces.has(nsId)) t.namespaces.set(nsId, { ID: nsId });
    t.adapters.set(key, { NamespaceID: nsId, ID: id, settings: structuredClone(s.raw), preAddedOnly: false });
    return;
  }
  // Remove of an adapter that is not there succeeds on the Linux GCS (§10)
  const a = t.adapters.get(key);
  if (a === undefined || a.NamespaceID !== nsId) return;
  t.adapters.delete(key);
}

export function networkWindows(ctx: ModifyContext, _rt: RequestType, s: Fields): void {
  const id = s.string('AdapterId');
  const inner = s.string('RequestType');
  const settings = s.object('Settings');
  if (!isGuid(id)) gfail(GHR.E_INVALIDARG, `AdapterId ${JSON.stringify(id)} is not a GUID`);
  const t = ctx.table;
  const key = id.toLowerCase();
  const existing = t.adapters.get(key);
  switch (inner) {
    case 'PreAdd':
      if (existing !== undefined)
        gfail(GHR.ERROR_ALREADY_EXISTS, `network adapter ${id} is already configured`);
      t.adapters.set(key, {
        NamespaceID: '',
        ID: id,
        settings: structuredClone(settings?.raw ?? {}),
        preAddedOnly: true,
      });
      return;
    case 'Add':
    case '':
      if (ctx.host.networkAdapter(id) === undefined)
        gfail(GHR.ERROR_NOT_FOUND, `no network adapter ${id} was added to this VM`);
      if (existing !== undefined && !existing.preAddedOnly)
        gfail(GHR.ERROR_ALREADY_EXISTS, `network adapter ${id} is already configured`);
      t.adapters.set(key, {
        NamespaceID: '',
        ID: id,
        settings: structuredClone(settings?.raw ?? existing?.settings ?? {}),
        preAddedOnly: false,
      });
      return;
    case 'Remove':
      if (existing === undefined) gfail(GHR.ERROR_NOT_FOUND, `network adapter ${id} is not configured`);
      t.adapters.delete(key);
      return;
    default:
      gfail(GHR.E_FAIL, `invalid NetworkModifyRequest RequestType ${JSON.stringify(inner)}`);
  }
}

export function networkNamespace(ctx: ModifyContext, rt: RequestType, s: Fields): void {
  const id = s.has('ID') ? s.string('ID') : s.string('Id');
  if (id === '') gfail(GHR.E_INVALIDARG, 'the namespace ID is required');
  const t = ctx.table;
  if (rt === 'Add') {
    if (t.namespaces.has(id)) gfail(GHR.ERROR_ALREADY_EXISTS, `network namespace ${id} already exists`);
    t.namespaces.set(id, structuredClone(s.raw));
    return;
  }
  if (!t.namespaces.has(id)) gfail(GHR.ERROR_NOT_FOUND, `network namespace ${JSON.stringify(id)} not found`);
  t.namespaces.delete(id);
}
