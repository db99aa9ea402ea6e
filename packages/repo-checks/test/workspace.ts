/** The workspace's packages, read from packages/*\/package.json. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = fileURLToPath(new URL('../../..', import.meta.url));

export interface WorkspacePackage {
  dir: string;
  name: string;
  version: string;
  private: boolean;
  manifest: Record<string, unknown> & {
    peerDependencies?: Record<string, string>;
    dependencies?: Record<string, string>;
  };
}

export function workspacePackages(): WorkspacePackage[] {
  const dir = join(root, 'packages');
  return readdirSync(dir)
    .sort()
    .map((name) => {
      const pkgDir = join(dir, name);
      const manifest = JSON.parse(readFileSync(join(pkgDir, 'package.json'), 'utf8'));
      return {
        dir: pkgDir,
        name: manifest.name as string,
        version: manifest.version as string,
        private: manifest.private === true,
        manifest,
      };
    });
}

export const publishable = (): WorkspacePackage[] => workspacePackages().filter((p) => !p.private);
