/**
 * Reading a create document: JSON from a file (or `-` for stdin), validated against hcs-schema's
 * `ComputeSystem` before anything is sent; every issue names the field (`VirtualMachine.…`).
 */
import { readFile } from 'node:fs/promises';
import {
  type ComputeSystem,
  ComputeSystem as ComputeSystemSchema,
  check,
  type ValidationIssue,
} from '@uvmkit/hcs-schema';
import { CliError, ExitCode } from './errors.js';

async function readText(path: string): Promise<string> {
  if (path === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    throw new CliError(
      'ConfigNotReadable',
      `cannot read ${path}: ${(err as Error).message}`,
      ExitCode.InvalidInput,
    );
  }
}

/** Load and validate the ComputeSystem document at `path`; a utility VM needs `VirtualMachine`. */
export async function loadConfig(path: string): Promise<ComputeSystem> {
  const text = await readText(path);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new CliError(
      'InvalidConfig',
      `${path} is not valid JSON: ${(err as Error).message}`,
      ExitCode.InvalidInput,
    );
  }
  const issues: ValidationIssue[] = [...check(ComputeSystemSchema, doc)];
  if (issues.length === 0 && (doc as { VirtualMachine?: unknown }).VirtualMachine === undefined) {
    issues.push({ path: 'VirtualMachine', message: 'is required for a utility VM' });
  }
  if (issues.length > 0) {
    const lines = issues.map((i) => `  ${i.path === '' ? '(root)' : i.path}: ${i.message}`);
    throw new CliError(
      'InvalidConfig',
      `${path} is not a valid ComputeSystem document:\n${lines.join('\n')}`,
      ExitCode.InvalidInput,
      { issues: issues.map((i) => ({ path: i.path, message: i.message })) },
    );
  }
  return doc as ComputeSystem;
}
