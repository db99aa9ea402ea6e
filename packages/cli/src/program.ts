/**
 * The command tree (commander) and the runner: parse, run one command, print its Result (human
 * or `--json`), map failures to the documented exit codes ({@link ExitCode}).
 */
import type { Writable } from 'node:stream';
import { formatHresult, isHcsError, isNotFound } from '@uvmkit/hcs-core';
import { Command, CommanderError, Option } from 'commander';
import * as devices from './commands/devices.js';
import { type ExecStdin, exec as execCmd } from './commands/exec.js';
import * as guest from './commands/guest.js';
import { ENGINES, runHcsd } from './commands/hcsd.js';
import { logs as logsCmd } from './commands/logs.js';
import { run as runVm } from './commands/run.js';
import * as vm from './commands/vm.js';
import { completionScript, SHELLS } from './completion.js';
import { type Cli, createCli, type GlobalOptions, installManagers } from './context.js';
import { CliError, ExitCode, errorJson, exitCodeOf } from './errors.js';
import type { Result } from './output.js';
import { startTrace } from './trace.js';
import { VERSION } from './version.js';

/** Where a run writes, and how it is interrupted. */
export interface RunIo {
  stdout: Writable;
  stderr: Writable & { isTTY?: boolean };
  /** Aborting cancels the call in flight (Ctrl-C). */
  signal: AbortSignal;
  /** What `exec` copies to the guest process (default: `process.stdin`). */
  stdin?: ExecStdin;
  /**
   * Route Ctrl-C (SIGINT) to `fn` instead of aborting {@link RunIo.signal}; `undefined` restores
   * that. `exec` uses it to pass SIGINT on to the guest process. Without it SIGINT keeps its
   * default role while `exec` runs.
   */
  interceptSigint?: (fn: (() => void) | undefined) => void;
}

const EXIT_CODES_HELP = `
Exit codes:
  0    success
  1    an HCS or guest call failed (other reasons)
  2    usage error (unknown command or option, missing argument)
  3    not found (no compute system with that id, no such device)
  4    invalid input, nothing sent (bad config document or argument)
  5    conflict (wrong VM state, id or device slot already taken)
  6    compute service unavailable (hcsd not running, computecore.dll missing)
  7    timeout (--timeout)
  130  interrupted (Ctrl-C cancels the call in flight)
  exec exits with the guest process's code (0-255; 128+n when signal n killed it); its own
  failures use the codes above and always print "uvmctl: ..." (or {"error":...}) on stderr

Environment:
  UVMKIT_HCSD_SOCKET   hcsd's socket (also --socket); default /tmp/uvmkit-hcsd.sock
  UVMKIT_HCS_LIBRARY   the computecore library to load (default: computecore.dll on Windows,
                       the emulator's libcomputecore.so elsewhere)`;

const EXAMPLES = `
Examples:
  $ uvmctl hcsd --engine sim &                  # the emulator, on /tmp/uvmkit-hcsd.sock
  $ uvmctl create uvm1 --config lcow.json
  $ uvmctl start uvm1
  $ uvmctl list
  $ uvmctl scsi add uvm1 --controller 0 --lun 1 --path /disks/data.vhdx
  $ uvmctl guest mount uvm1 --controller 0 --lun 1 --path /run/mounts/data
  $ uvmctl exec uvm1 -- uname -a                # stdio attached, its exit code is uvmctl's
  $ uvmctl exec -t uvm1 -- sh                   # a terminal in the guest
  $ uvmctl logs -f uvm1                         # the guest's log stream
  $ uvmctl inspect uvm1 --json | jq .properties.State
  $ uvmctl --trace terminate uvm1
  $ source <(uvmctl completion bash)`;

type Action = (cli: Cli, ...args: never[]) => Promise<Result>;

/** Build the program; `run` receives the chosen command's action and its arguments. */
export function buildProgram(
  run: (action: Action, args: unknown[], cmd: Command) => Promise<void>,
  io: RunIo,
): Command {
  const program = new Command('uvmctl')
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .description('Manage Hyper-V utility VMs through the Host Compute Service (or its emulator, hcsd).')
    .version(VERSION, '-V, --version')
    .option('--json', 'print JSON on stdout (errors as JSON on stderr)')
    .option('--trace', 'print every HCS call, Modify, guest request and state change on stderr')
    .option('--socket <path>', 'hcsd socket (sets UVMKIT_HCSD_SOCKET)')
    .option('--timeout <ms>', 'bound each call (milliseconds)', (v) =>
      vm.intOption('--timeout', v, 0, 0xfffffffe),
    )
    .showHelpAfterError('(run uvmctl --help for usage)')
    .addHelpText('after', `${EXAMPLES}\n${EXIT_CODES_HELP}`);

  const bind =
    (action: Action) =>
    async (...args: unknown[]): Promise<void> => {
      const cmd = args[args.length - 1] as Command;
      await run(action, args.slice(0, -1), cmd);
    };

  program
    .command('list')
    .alias('ls')
    .description('list every compute system')
    .action(bind(vm.list as Action));
  program
    .command('inspect <id>')
    .description('properties (V2 and V3) and, on the emulator, the device table')
    .action(bind(vm.inspect as Action));
  program
    .command('create <id>')
    .description('create a utility VM from a ComputeSystem document (validated first)')
    .requiredOption('-c, --config <file>', 'the create document (JSON; - for stdin)')
    .addHelpText('after', '\nExample:\n  $ uvmctl create uvm1 --config lcow.json')
    .action(bind(((cli: Cli, id: string, o: { config: string }) => vm.create(cli, id, o.config)) as Action));
  program
    .command('run <id>')
    .description('create and start a Linux VM from a kernel/initrd (the qemu engine: hcsd --engine qemu)')
    .option('--image <dir>', 'the directory pnpm guest-image built (vmlinux, initrd.cpio)')
    .option('--kernel <file>', 'the kernel (with --initrd)')
    .option('--initrd <file>', 'the initrd')
    .option('--memory <mb>', 'memory in MB (default 512)')
    .option('--cpus <n>', 'processors (default 1)')
    .option('--cmdline <text>', 'kernel command line (default "quiet")')
    .addHelpText('after', '\nExample:\n  $ uvmctl run vm1 --image ~/.cache/uvmkit/guest/<key>')
    .action(bind(runVm as Action));
  program
    .command('start <id>')
    .description('start a created VM')
    .action(bind(vm.start as Action));
  program
    .command('shutdown <id>')
    .description('graceful shutdown; waits for the exit')
    .action(bind(((cli: Cli, id: string) => vm.stop(cli, id, 'shutdown')) as Action));
  program
    .command('terminate <id>')
    .description('forced stop; waits for the exit')
    .action(bind(((cli: Cli, id: string) => vm.stop(cli, id, 'terminate')) as Action));
  program
    .command('pause <id>')
    .description('pause a running VM')
    .action(bind(vm.pause as Action));
  program
    .command('resume <id>')
    .description('resume a paused VM')
    .action(bind(vm.resume as Action));
  program
    .command('save <id>')
    .description('save a paused VM to a file')
    .requiredOption('-f, --file <path>', 'the saved-state file (.vmrs)')
    .action(bind(((cli: Cli, id: string, o: { file: string }) => vm.save(cli, id, o.file)) as Action));
  program
    .command('wait <id>')
    .description('wait until the VM exits')
    .action(bind(vm.wait as Action));
  program
    .command('rm <id>')
    .description('terminate (unless stopped) and release the VM')
    .action(bind(vm.rm as Action));

  const scsi = program.command('scsi').description('SCSI disks (host side)');
  scsi
    .command('add <id>')
    .description('attach a disk at (controller, LUN)')
    .requiredOption('--controller <n>', 'controller 0..3')
    .requiredOption('--lun <n>', 'LUN 0..63')
    .requiredOption('--path <path>', 'host path of the disk')
    .addOption(
      new Option('--type <type>', 'attachment type')
        .choices(['VirtualDisk', 'PassThru', 'Iso'])
        .default('VirtualDisk'),
    )
    .option('--read-only', 'attach read-only')
    .action(bind(devices.scsiAdd as Action));
  scsi
    .command('rm <id>')
    .description('detach the disk at (controller, LUN)')
    .requiredOption('--controller <n>', 'controller 0..3')
    .requiredOption('--lun <n>', 'LUN 0..63')
    .action(bind(devices.scsiRm as Action));

  const nic = program.command('nic').description('network adapters');
  nic
    .command('add <id> <nic>')
    .description('hot-add NIC <nic> (a GUID) on an HNS endpoint')
    .requiredOption('--endpoint <guid>', 'HNS endpoint id')
    .option('--mac <mac>', 'MAC address (00-15-5D-…)')
    .action(bind(devices.nicAdd as Action));
  nic
    .command('rm <id> <nic>')
    .description('remove NIC <nic>')
    .requiredOption('--endpoint <guid>', 'HNS endpoint id')
    .action(bind(devices.nicRm as Action));

  const share = program.command('share').description('Plan 9 directory shares');
  share
    .command('add <id> <name>')
    .description('share a host directory over Plan 9')
    .requiredOption('--path <path>', 'host directory')
    .option('--port <port>', 'vsock port (default 564)')
    .option('--access-name <name>', 'the name the guest mounts (default <name>)')
    .option('--flags <n>', 'Plan9ShareFlags bits')
    .action(bind(devices.shareAdd as Action));
  share
    .command('rm <id> <name>')
    .description('remove a Plan 9 share')
    .option('--port <port>', 'vsock port (default 564)')
    .option('--access-name <name>', 'access name (default <name>)')
    .action(bind(devices.shareRm as Action));

  const vpmem = program.command('vpmem').description('virtual PMem devices');
  vpmem
    .command('add <id> <device>')
    .description('hot-add VPMem device <device> (0..127) backed by an image')
    .requiredOption('--path <path>', 'host path of the image')
    .option('--read-only', 'read-only device')
    .addOption(new Option('--format <format>', 'image format').choices(['Vhd1', 'Vhdx']).default('Vhd1'))
    .action(bind(devices.vpmemAdd as Action));
  vpmem
    .command('rm <id> <device>')
    .description('remove VPMem device <device>')
    .action(bind(devices.vpmemRm as Action));

  const mem = program.command('mem').description('memory');
  mem
    .command('set <id> <mb>')
    .description('resize the memory (MB)')
    .action(bind(devices.memSet as Action));
  const cpu = program.command('cpu').description('processors');
  cpu
    .command('set <id>')
    .description('set processor limits and/or the CPU group')
    .option('--limit <n>', 'Limit (0..100000)')
    .option('--weight <n>', 'Weight (0..10000)')
    .option('--reservation <n>', 'Reservation (0..100000)')
    .option('--group <guid>', 'host CPU group (00000000-0000-0000-0000-000000000000 leaves it)')
    .action(bind(devices.cpuSet as Action));

  const g = program.command('guest').description('requests to the guest agent (GCS)');
  for (const [name, fn, what] of [
    ['mount', guest.guestMount, 'mount an attached SCSI disk in the guest'],
    ['unmount', guest.guestUnmount, 'unmount it'],
  ] as const) {
    g.command(`${name} <id>`)
      .description(what)
      .requiredOption('--controller <n>', 'controller 0..3')
      .requiredOption('--lun <n>', 'LUN 0..63')
      .requiredOption('--path <path>', 'guest mount path')
      .option('--read-only', 'mount read-only')
      .action(bind(fn as Action));
  }

  program
    .command('exec <id> [cmd...]')
    .description('run a process in the utility VM, stdio attached; exits with its exit code')
    .option('-t, --tty', 'a terminal (pty) in the guest; the local terminal goes raw while attached')
    .option(
      '-e, --env <KEY=VALUE>',
      "environment variable (repeatable; replaces the agent's own)",
      collect,
      [],
    )
    .option('--cwd <dir>', 'working directory in the guest')
    .option('--user <user>', 'user in the guest (name, uid, name:group, uid:gid)')
    .addHelpText(
      'after',
      `
Everything after -- is the command. stdin is copied to the process (EOF closes its stdin);
stdout and stderr stream as they arrive. Ctrl-C, SIGTERM and SIGHUP are sent to the process;
if the guest refuses (the Linux GCS does for UVM processes), or on the third, uvmctl detaches
and exits 128+n. With --json, {"exec":{"id","pid","exitCode","durationMs"}} is printed on
stderr at the end (stdout stays the process's).

Examples:
  $ uvmctl exec uvm1 -- sh -c 'echo hi; exit 3'; echo $?     # hi, 3
  $ tar c dir | uvmctl exec uvm1 -- tar x -C /tmp
  $ uvmctl exec -t -e TERM=xterm-256color uvm1 -- sh`,
    )
    .action(
      bind((async (cli: Cli, id: string, cmd: string[], o: Record<string, unknown>) =>
        execCmd(cli, id, cmd, o, {
          stdin: io.stdin ?? process.stdin,
          interceptSigint: (fn) => io.interceptSigint?.(fn),
        })) as Action),
    );
  program
    .command('logs <id>')
    .description("print the guest's log stream (what the guest sends while uvmctl listens)")
    .option('-f, --follow', 'keep listening until the VM stops (or Ctrl-C)')
    .addHelpText(
      'after',
      `
Without -f: waits for the guest to connect (--timeout, default 15 s; none: exit 7), prints
what it sends until it is quiet for 1 s. --json prints one JSON object per line.

Examples:
  $ uvmctl logs uvm1
  $ uvmctl logs -f uvm1 & uvmctl start uvm1      # hcsd's sim agent dials only at boot`,
    )
    .action(bind(logsCmd as Action));

  program
    .command('hcsd')
    .description('run the HCS emulator (hcsd) in the foreground, on --socket')
    .addOption(new Option('--engine <engine>', 'what realizes VMs').choices(ENGINES))
    .option('--state-dir <dir>', 'per-VM files of engines that keep any')
    .addHelpText('after', '\nExample:\n  $ uvmctl --socket /tmp/hcsd.sock hcsd --engine sim')
    .action(
      bind((async (_cli: Cli, o: { engine?: string; stateDir?: string }) => {
        const socket = process.env.UVMKIT_HCSD_SOCKET;
        const code = await runHcsd({ ...o, ...(socket === undefined || socket === '' ? {} : { socket }) });
        return { json: null, human: '', exitCode: code };
      }) as Action),
    );

  program
    .command('completion <shell>')
    .description(`print a completion script (${SHELLS.join(', ')})`)
    .addHelpText(
      'after',
      '\nExamples:\n  $ source <(uvmctl completion bash)\n  $ uvmctl completion fish > ~/.config/fish/completions/uvmctl.fish',
    )
    .action(
      bind((async (_cli: Cli, shell: string) => {
        if (!(SHELLS as readonly string[]).includes(shell)) {
          throw new CliError('InvalidOption', `shell must be one of ${SHELLS.join(', ')}`, ExitCode.Usage);
        }
        const script = completionScript(program, shell as (typeof SHELLS)[number]);
        return { json: script, human: script };
      }) as Action),
    );
  // Used by the completion scripts: VM ids, one per line (nothing when the service is unreachable).
  program.command('__ids', { hidden: true }).action(
    bind((async (cli: Cli) => {
      try {
        const r = await vm.list(cli);
        return { json: r.json, human: (r.json as { Id?: unknown }[]).map((s) => String(s.Id)).join('\n') };
      } catch {
        return { json: [], human: '' };
      }
    }) as Action),
  );
  return program;
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** The one-line message of a failure; an unknown id reads `no compute system "x" (…)`. */
function humanMessage(err: unknown): string {
  if (isHcsError(err) && err.op === 'HcsOpenComputeSystem' && isNotFound(err) && err.id !== undefined) {
    return `no compute system ${JSON.stringify(err.id)} (${err.code} ${formatHresult(err.hresult ?? 0)})`;
  }
  return err instanceof Error ? err.message : String(err);
}

/**
 * Run uvmctl with `argv` (without the node and script entries) and resolve with the exit code.
 * Never throws: every failure is printed and mapped to an exit code.
 */
export async function main(argv: readonly string[], io: RunIo): Promise<number> {
  let exitCode: number = ExitCode.Ok;
  let json = argv.includes('--json');
  const print = (text: string, stream: Writable): void => {
    if (text !== '') stream.write(text.endsWith('\n') ? text : `${text}\n`);
  };
  const program = buildProgram(async (action, args, cmd) => {
    const globals = cmd.optsWithGlobals<GlobalOptions>();
    json = globals.json === true;
    if (globals.socket !== undefined) process.env.UVMKIT_HCSD_SOCKET = globals.socket;
    installManagers();
    const cli = createCli(globals, io, io.signal);
    const stopTrace = globals.trace ? startTrace(io.stderr, json) : undefined;
    // A wait for an exit event keeps nothing alive in libuv (only HCS operations do): hold the loop.
    const keepAlive = setInterval(() => {}, 2 ** 30);
    try {
      const result = await action(cli, ...(args as never[]));
      if (json && result.json !== null) print(JSON.stringify(result.json, null, 2), io.stdout);
      else if (!json) print(result.human, io.stdout);
      if (result.exitCode !== undefined) exitCode = result.exitCode;
    } finally {
      clearInterval(keepAlive);
      stopTrace?.();
    }
  }, io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      if (
        err.code === 'commander.helpDisplayed' ||
        err.code === 'commander.version' ||
        err.code === 'commander.help'
      ) {
        return ExitCode.Ok;
      }
      return ExitCode.Usage;
    }
    const code = io.signal.aborted ? ExitCode.Interrupted : exitCodeOf(err);
    if (json) io.stderr.write(`${JSON.stringify(errorJson(err))}\n`);
    else io.stderr.write(`uvmctl: ${humanMessage(err)}\n`);
    return code;
  }
}
