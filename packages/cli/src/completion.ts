/**
 * Shell completion scripts (bash, zsh, fish) generated from the command tree, so they never drift
 * from it. Commands whose first argument is a VM id complete ids from `uvmctl __ids` (a hidden
 * command that lists them and prints nothing when the service is unreachable).
 */
import type { Command } from 'commander';

/** The shells `uvmctl completion` supports. */
export const SHELLS = ['bash', 'zsh', 'fish'] as const;

interface Node {
  /** Space-joined command path (`''` for the program, `scsi add`). */
  path: string;
  subcommands: string[];
  options: string[];
  takesId: boolean;
}

function visible(cmd: Command): Command[] {
  return cmd.commands.filter((c) => !(c as unknown as { _hidden?: boolean })._hidden);
}

function walk(cmd: Command, path: string, out: Node[]): void {
  const options = cmd.options.flatMap((o) => [o.long, o.short].filter((f): f is string => f !== undefined));
  const first = cmd.registeredArguments[0];
  out.push({
    path,
    subcommands: visible(cmd).flatMap((c) => [c.name(), ...c.aliases()]),
    options: [...options, '--help'],
    takesId: first?.name() === 'id',
  });
  for (const c of visible(cmd)) walk(c, path === '' ? c.name() : `${path} ${c.name()}`, out);
}

function bash(nodes: Node[]): string {
  const cases = nodes
    .map(
      (n) =>
        `    "${n.path}") words="${[...n.subcommands, ...n.options].join(' ')}"; ids=${n.takesId ? 1 : 0} ;;`,
    )
    .join('\n');
  const subs = nodes.map((n) => `    "${n.path}") subs=" ${n.subcommands.join(' ')} " ;;`).join('\n');
  return `# uvmctl bash completion: source <(uvmctl completion bash)
_uvmctl_subs() {
  case "$1" in
${subs}
    *) subs=" " ;;
  esac
}
_uvmctl() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" path="" w i words ids subs args=0
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    [[ "$w" == -* ]] && continue
    _uvmctl_subs "$path"
    if [[ "$subs" == *" $w "* ]]; then path="\${path:+$path }$w"; else args=$((args + 1)); fi
  done
  case "$path" in
${cases}
    *) words=""; ids=0 ;;
  esac
  if [[ "$cur" != -* && "$ids" == 1 && "$args" == 0 ]]; then
    words="$words $(uvmctl __ids 2>/dev/null)"
  fi
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}
complete -F _uvmctl uvmctl
`;
}

function fish(nodes: Node[]): string {
  const lines = ['# uvmctl fish completion: uvmctl completion fish | source', 'complete -c uvmctl -f'];
  for (const n of nodes) {
    const parts = n.path === '' ? [] : n.path.split(' ');
    const cond =
      parts.length === 0 ? `__fish_use_subcommand` : `__fish_seen_subcommand_from ${parts[parts.length - 1]}`;
    for (const s of n.subcommands) lines.push(`complete -c uvmctl -n '${cond}' -a ${s}`);
    for (const o of n.options.filter((x) => x.startsWith('--'))) {
      lines.push(`complete -c uvmctl -n '${cond}' -l ${o.slice(2)}`);
    }
    if (n.takesId) lines.push(`complete -c uvmctl -n '${cond}' -a '(uvmctl __ids 2>/dev/null)'`);
  }
  return `${lines.join('\n')}\n`;
}

/** The completion script for `shell`. */
export function completionScript(program: Command, shell: (typeof SHELLS)[number]): string {
  const nodes: Node[] = [];
  walk(program, '', nodes);
  if (shell === 'fish') return fish(nodes);
  const script = bash(nodes);
  return shell === 'zsh'
    ? `# uvmctl zsh completion\nautoload -U +X bashcompinit && bashcompinit\n${script}`
    : script;
}
