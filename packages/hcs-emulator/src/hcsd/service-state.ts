/** Service-wide state: the systems by id, the connected clients, and service-level settings (CPU groups). */
import { cpus } from 'node:os';
import { ServicePropertyQuery } from '@uvmkit/hcs-schema';
import { fail, HR } from './errors.js';
import { isObj, type Obj } from './json.js';
import type { ClientSession } from './session.js';
import type { ComputeSystemRecord } from './system.js';
import { optionalDocument } from './validate.js';

export class ServiceState {
  /** Live systems by id (a torn-down system is removed). */
  readonly systems = new Map<string, ComputeSystemRecord>();
  readonly clients = new Set<ClientSession>();
  /** Recently torn-down systems (for `modifyLog` after teardown), oldest first, at most 256. */
  readonly retired = new Map<string, ComputeSystemRecord>();

  retire(sys: ComputeSystemRecord): void {
    this.retired.delete(sys.id);
    this.retired.set(sys.id, sys);
    if (this.retired.size > 256) this.retired.delete(this.retired.keys().next().value as string);
  }
  /** Host CPU groups created through HcsModifyServiceSettings. */
  readonly cpuGroups = new Map<string, Obj>();

  /** HcsGetServiceProperties: `{Properties:[…]}`, one entry per requested type (absent query = Basic). */
  serviceProperties(query: string | null | undefined): Obj {
    const q = optionalDocument<{ PropertyTypes: string[] }>(
      query,
      ServicePropertyQuery,
      'ServicePropertyQuery',
    );
    const types = q?.PropertyTypes ?? ['Basic'];
    const n = cpus().length || 1;
    const out = types.map((t): unknown => {
      switch (t) {
        case 'Basic':
          return { SupportedSchemaVersions: [{ Major: 2, Minor: 6 }] };
        case 'CpuGroup':
          return { CpuGroups: [...this.cpuGroups.values()] };
        case 'ProcessorTopology':
          return {
            LogicalProcessorCount: n,
            LogicalProcessors: Array.from({ length: n }, (_, i) => ({
              LpIndex: i,
              NodeNumber: 0,
              PackageId: 0,
              CoreId: i,
            })),
          };
        case 'QoSCapabilities':
          return { ProcessorQoSSupported: true };
        default:
          return {};
      }
    });
    return { Properties: out };
  }

  /** HcsModifyServiceSettings with a `ModificationRequest` (CpuGroup Create/Delete/SetProperty). */
  modifyServiceSettings(doc: unknown): void {
    if (!isObj(doc) || typeof doc.PropertyType !== 'string') {
      fail(HR.E_INVALIDARG, 'invalid ModificationRequest: PropertyType: is required');
    }
    if (doc.PropertyType !== 'CpuGroup') return;
    const settings = isObj(doc.Settings)
      ? doc.Settings
      : fail(HR.E_INVALIDARG, 'invalid ModificationRequest: Settings: is required');
    const details = isObj(settings.OperationDetails) ? settings.OperationDetails : {};
    const groupId = typeof details.GroupId === 'string' ? details.GroupId : undefined;
    switch (settings.Operation) {
      case 'CreateGroup':
        if (groupId === undefined)
          fail(
            HR.E_INVALIDARG,
            'invalid ModificationRequest: Settings.OperationDetails.GroupId: is required',
          );
        if (this.cpuGroups.has(groupId.toLowerCase()))
          fail(HR.ERROR_ALREADY_EXISTS, `CPU group ${groupId} already exists`);
        this.cpuGroups.set(groupId.toLowerCase(), {
          GroupId: groupId,
          Affinity: {
            LogicalProcessorCount: Array.isArray(details.LogicalProcessors)
              ? details.LogicalProcessors.length
              : 0,
            LogicalProcessors: details.LogicalProcessors ?? [],
          },
          GroupProperties: [],
        });
        return;
      case 'DeleteGroup':
        if (groupId === undefined || !this.cpuGroups.delete(groupId.toLowerCase())) {
          fail(HR.ERROR_NOT_FOUND, `CPU group ${groupId} does not exist`);
        }
        return;
      case 'SetProperty':
        return;
      default:
        fail(
          HR.E_INVALIDARG,
          'invalid ModificationRequest: Settings.Operation: must be CreateGroup, DeleteGroup or SetProperty',
        );
    }
  }
}
