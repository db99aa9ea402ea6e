import { describe, expect, it } from 'vitest';
import * as core from '../src/index.js';
import { loadedNative, loadNative } from '../src/native/load.js';

describe('loading', () => {
  it('importing the package loads nothing native', () => {
    expect(typeof core.UtilityVM).toBe('function');
    expect(loadedNative()).toBeUndefined();
  });

  it('LibraryNotFound lists every place tried', async () => {
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
  });
});
