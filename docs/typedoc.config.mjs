// @ts-check
/**
 * The API reference of every public uvmkit package: one TypeDoc site, one program, so the managers'
 * module augmentations appear on `UtilityVM` (each \`@uvmkit/*\` import maps to its package's src).
 *
 * The build fails on any warning (`treatWarningsAsErrors`): a broken `{@link}`, a referenced type
 * that is not exported, or an exported symbol without a doc comment. Symbols that had no doc
 * comment when the check was introduced are listed in undocumented-baseline.json; the list may only
 * shrink (TypeDoc warns about a listed name that is documented now or no longer exists, so remove it).
 */
import { readFileSync } from 'node:fs';

const baseline = JSON.parse(readFileSync(new URL('./undocumented-baseline.json', import.meta.url), 'utf8'));

/** @type {Partial<import('typedoc').TypeDocOptions>} */
const config = {
  $schema: 'https://typedoc.org/schema.json',
  name: 'uvmkit',
  // no links to a git host: CI's clone may have none (TypeDoc would warn, and warnings fail)
  disableSources: true,
  entryPoints: [
    '../packages/hcs-schema/src/index.ts',
    '../packages/hcs-emulator/src/index.ts',
    '../packages/hcs-emulator/src/testing.ts',
    '../packages/hcs-core/src/index.ts',
    '../packages/hcs-core/src/hvsocket/index.ts',
    '../packages/hcs-core/src/manager.ts',
    '../packages/lifetime/src/index.ts',
    '../packages/network/src/index.ts',
    '../packages/scsi/src/index.ts',
    '../packages/pci/src/index.ts',
    '../packages/pipe/src/index.ts',
    '../packages/plan9/src/index.ts',
    '../packages/vmsocket/src/index.ts',
    '../packages/vpmem/src/index.ts',
    '../packages/vsmb/src/index.ts',
    '../packages/resources/src/index.ts',
    '../packages/guestmanager/src/index.ts',
    '../packages/cli/src/index.ts',
    '../packages/opentelemetry/src/index.ts',
  ],
  entryPointStrategy: 'resolve',
  tsconfig: 'tsconfig.json',
  out: 'site',
  readme: 'none',
  excludePrivate: true,
  excludeInternal: true,
  excludeExternals: true,
  treatWarningsAsErrors: true,
  validation: {
    notExported: true,
    invalidLink: true,
    notDocumented: true,
  },
  packagesRequiringDocumentation: [
    '@uvmkit/hcs-schema',
    '@uvmkit/hcs-emulator',
    '@uvmkit/hcs-core',
    '@uvmkit/lifetime',
    '@uvmkit/network',
    '@uvmkit/scsi',
    '@uvmkit/pci',
    '@uvmkit/pipe',
    '@uvmkit/plan9',
    '@uvmkit/vmsocket',
    '@uvmkit/vpmem',
    '@uvmkit/vsmb',
    '@uvmkit/resources',
    '@uvmkit/guestmanager',
    '@uvmkit/cli',
    '@uvmkit/opentelemetry',
  ],
  requiredToBeDocumented: ['Enum', 'Variable', 'Function', 'Class', 'Interface', 'TypeAlias'],
};
config.intentionallyNotDocumented = baseline;

export default config;
