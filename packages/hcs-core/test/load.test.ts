import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import { loadedNative, loadNative } from '../src/native/load.js';
import { linuxOnlyIt } from './helpers/platform.js';

describe('loading', () => {
  it('importing the package loads nothing native', () => {
    expect(typeof core.UtilityVM).toBe('function');
    expect(loadedNative()).toBeUndefined();
  });

  it('importing the built package declares no koffi types and loads no library (fresh process)', () => {
    // import() takes a URL: a Windows path ("Z:\…") would be read as a URL with scheme "z:".
    const dist = new URL('../dist/index.js', import.meta.url).href;
    const managerDist = new URL('../dist/manager.js', import.meta.url).href;
    const koffiEntry = import.meta.resolve('koffi');
    const script = `
      const core = await import(${JSON.stringify(dist)});
      const manager = await import(${JSON.stringify(managerDist)});
      const { default: koffi } = await import(${JSON.stringify(koffiEntry)});
      let declared = true;
      try { koffi.type('uvmkit_HRESULT'); } catch { declared = false; }
      console.log(typeof core.UtilityVM, declared, manager.Operation.pendingCount);
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(out.trim()).toBe('function false 0');
  });

  linuxOnlyIt('$UVMKIT_HCS_LIBRARY is ignored on Windows by design: computecore.dll is loaded by name')(
    'LibraryNotFound lists every place tried',
    async () => {
      const saved = process.env.UVMKIT_HCS_LIBRARY;
      process.env.UVMKIT_HCS_LIBRARY = '/nonexistent/libcomputecore.so';
      try {
        const err = (await loadNative().catch((e: unknown) => e)) as core.HcsError;
        expect(err).toBeInstanceOf(core.HcsError);
        expect(err.code).toBe('LibraryNotFound');
        expect(err.message).toBe(
          'no compute library could be loaded; tried:\n  - $UVMKIT_HCS_LIBRARY: /nonexistent/libcomputecore.so (no such file)',
        );
        expect(loadedNative()).toBeUndefined();
      } finally {
        if (saved === undefined) delete process.env.UVMKIT_HCS_LIBRARY;
        else process.env.UVMKIT_HCS_LIBRARY = saved;
      }
    },
  );
});
