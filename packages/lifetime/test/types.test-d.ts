/**
 * Type test (compiled by `pnpm typecheck`, never run): a consumer importing the PUBLIC specifiers
 * sees the lifetime methods on UtilityVM, with types derived from the implementation.
 */
import { type SystemExitStatus, UtilityVM } from '@uvmkit/hcs-core';
import type { Properties } from '@uvmkit/hcs-schema';
import { type LifetimeMethods, lifetime } from '@uvmkit/lifetime';

declare const vm: UtilityVM;

UtilityVM.use(lifetime);

// positive: the methods exist with the `vm` parameter dropped
const started: Promise<void> = vm.start();
const startedWithSignal: Promise<void> = vm.start({ signal: AbortSignal.timeout(10), timeout: 5 });
const shut: Promise<SystemExitStatus> = vm.shutdown();
const term: Promise<SystemExitStatus> = vm.terminate({ timeout: 1000 });
const paused: Promise<void> = vm.pause({ SuspensionLevel: 'Suspend' });
const resumed: Promise<void> = vm.resume();
const saved: Promise<void> = vm.save({ SaveType: 'ToFile', SaveStateFilePath: 'C:\\x.vmrs' });
const crashed: Promise<void> = vm.crash();
const waited: Promise<SystemExitStatus> = vm.wait({ signal: new AbortController().signal });
const props: Promise<Properties> = vm.properties(['Memory', 'Statistics']);
const propsV3: Promise<Properties> = vm.propertiesV3({ PropertyTypes: ['Memory'] });
const when: Date | undefined = vm.startedTime();
const stopped: Date | undefined = vm.stoppedTime();
const exitErr = vm.exitError();
const lm: Promise<void> = vm.initializeLiveMigrationOnSource({});
const fromType: LifetimeMethods['start'] = vm.start;
void [
  started,
  startedWithSignal,
  shut,
  term,
  paused,
  resumed,
  saved,
  crashed,
  waited,
  props,
  propsV3,
  when,
  stopped,
  exitErr,
  lm,
  fromType,
];

// negative: wrong usage fails to compile
// @ts-expect-error the vm parameter is dropped: start takes options, not a VM
vm.start(vm);
// @ts-expect-error unknown property type
vm.properties(['NotAPropertyType']);
// @ts-expect-error SaveType must be one of the schema's values
vm.save({ SaveType: 'Sideways' });
// @ts-expect-error startedTime returns a Date, not a promise
vm.startedTime().then(() => {});
// @ts-expect-error no such method
vm.reboot();
// @ts-expect-error terminate resolves with the exit status, not a string
const wrong: Promise<string> = vm.terminate();
void wrong;
