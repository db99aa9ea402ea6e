/**
 * @packageDocumentation
 * `@uvmkit/cli` — `uvmctl`, a command line for utility VMs built only on the public uvmkit
 * packages: list, inspect, create, lifecycle verbs, rm, the resource managers (scsi, nic, share,
 * vpmem, mem, cpu), guest mount/unmount, `exec` (a process in the utility VM, stdio attached, its
 * exit code propagated, `-t` for a terminal), `logs` (the guest's log stream), `hcsd` (the
 * emulator), `--trace`, shell completion.
 *
 * The programmatic entry is {@link main} (what the executable runs); {@link ExitCode} is the exit
 * code contract. Does not own: any HCS call, document or validation (the packages it drives).
 */
export { CliError, ExitCode, errorJson, exitCodeOf } from './errors.js';
export { main, type RunIo } from './program.js';
export { VERSION } from './version.js';
