import { describe, expect, it } from 'vitest';
import {
  ClosedError,
  canonicalHresult,
  formatHresult,
  HcsError,
  HRESULT,
  hresultEquals,
  hresultName,
  isAborted,
  isAccessDenied,
  isAlreadyExists,
  isAlreadyStopped,
  isClosed,
  isInvalidState,
  isNotFound,
  isNotSupported,
  isPending,
  isServiceDisconnect,
  isTimeout,
  isUnavailable,
} from '../src/errors.js';

describe('HRESULT table', () => {
  it('names both facility-0x037 encodings the same', () => {
    expect(hresultName(0x8037010e)).toBe('HCS_E_SYSTEM_NOT_FOUND');
    expect(hresultName(0xc037010e)).toBe('HCS_E_SYSTEM_NOT_FOUND');
    expect(hresultName(0xc037010e | 0)).toBe('HCS_E_SYSTEM_NOT_FOUND'); // signed form
    expect(hresultName(0xc0370103)).toBe('ERROR_VMCOMPUTE_OPERATION_PENDING');
    expect(hresultEquals(0x80370110, 0xc0370110)).toBe(true);
    expect(hresultEquals(0x80370110, 0x80370105)).toBe(false);
  });

  it('names Win32 codes bare and as HRESULT_FROM_WIN32', () => {
    expect(hresultName(0x490)).toBe('ERROR_NOT_FOUND');
    expect(hresultName(0x80070490)).toBe('ERROR_NOT_FOUND');
    expect(hresultName(5)).toBe('ERROR_ACCESS_DENIED');
    expect(hresultName(0x800704c7)).toBe('ERROR_CANCELLED');
    expect(canonicalHresult(0x7f)).toBe(0x8007007f);
  });

  it('has a name for every HCS_E code 0x0100..0x011F', () => {
    for (let low = 0x100; low <= 0x11f; low++) {
      if (low === 0x103 || low === 0x104) continue; // legacy-only codes
      expect(hresultName(0x80370000 + low)).toMatch(/^HCS_E_/);
      expect(hresultName(0xc0370000 + low)).toBe(hresultName(0x80370000 + low));
    }
    expect(Object.keys(HRESULT).filter((k) => k.startsWith('HCS_E_'))).toHaveLength(30);
  });

  it('formats unknown codes', () => {
    expect(hresultName(0x80991234)).toBe('HRESULT_0x80991234');
    expect(formatHresult(-2147024809)).toBe('0x80070057');
  });
});

describe('HcsError', () => {
  it('carries code, unsigned hresult, op, id, events and attribution', () => {
    const err = HcsError.fromHresult(0xc037010e | 0, 'HcsOpenComputeSystem', {
      id: 'vm-1',
      result: {
        Error: 0xc037010e | 0,
        ErrorMessage: 'no such system',
        ErrorEvents: [{ Message: 'm1', EventId: 7 }],
        Attribution: [{ SystemExit: { Detail: 'Terminate' } }],
      },
    });
    expect(err.code).toBe('HCS_E_SYSTEM_NOT_FOUND');
    expect(err.hresult).toBe(0xc037010e);
    expect(err.op).toBe('HcsOpenComputeSystem');
    expect(err.id).toBe('vm-1');
    expect(err.events).toEqual([{ Message: 'm1', EventId: 7 }]);
    expect(err.attribution).toEqual([{ SystemExit: { Detail: 'Terminate' } }]);
    expect(err.message).toBe(
      'HcsOpenComputeSystem "vm-1" failed with HCS_E_SYSTEM_NOT_FOUND (0xC037010E): no such system',
    );
    expect(err).toBeInstanceOf(Error);
    expect(err).toBeInstanceOf(HcsError);
    expect(isNotFound(err)).toBe(true);
  });

  it('instanceof works across copies through the Symbol.for brand', () => {
    const foreign = Object.assign(new Error('x'), { code: 'Aborted' });
    Object.defineProperty(foreign, Symbol.for('uvmkit.HcsError'), { value: true });
    expect(foreign instanceof HcsError).toBe(true);
    expect(new Error('y') instanceof HcsError).toBe(false);
    expect(isAborted(foreign)).toBe(true);
  });

  it('ClosedError is an HcsError with code Closed', () => {
    const err = new ClosedError('compute system "a"', 'start');
    expect(err).toBeInstanceOf(HcsError);
    expect(err).toBeInstanceOf(ClosedError);
    expect(err.code).toBe('Closed');
    expect(err.message).toBe('compute system "a" is closed');
    expect(isClosed(err)).toBe(true);
    expect(new HcsError('Aborted', 'x') instanceof ClosedError).toBe(false);
  });
});

describe('predicates (hcsshim groups)', () => {
  const e = (hr: number) => HcsError.fromHresult(hr, 'op');
  it('classify', () => {
    expect(isNotFound(e(0x490))).toBe(true);
    expect(isAlreadyStopped(e(0x490))).toBe(true);
    expect(isAlreadyStopped(e(0xc0370110))).toBe(true);
    expect(isAlreadyStopped(e(0x80370110))).toBe(true);
    expect(isAlreadyStopped(e(0x8037011f))).toBe(true);
    expect(isAlreadyStopped(e(0x8037010e))).toBe(false);
    expect(isInvalidState(e(0xc0370105))).toBe(true);
    expect(isPending(e(0xc0370103))).toBe(true);
    expect(isTimeout(e(0x80370118))).toBe(true);
    expect(isTimeout(new HcsError('Timeout', 't'))).toBe(true);
    expect(isAccessDenied(e(5))).toBe(true);
    expect(isAccessDenied(e(0x8037011b))).toBe(true);
    expect(isNotSupported(e(0xc037010d))).toBe(true);
    expect(isNotSupported(e(0x32))).toBe(true);
    expect(isNotSupported(e(0xd))).toBe(true);
    expect(isNotSupported(e(0x8037010b))).toBe(true);
    expect(isNotSupported(e(0x80004001))).toBe(true);
    expect(isServiceDisconnect(e(0x8037011e))).toBe(true);
    expect(isAlreadyExists(e(0xc037010f))).toBe(true);
    expect(isAborted(e(0x800704c7))).toBe(true);
    expect(isUnavailable(e(0x80370105))).toBe(true);
    expect(isUnavailable(e(0x80370118))).toBe(false);
    expect(isNotFound(new Error('plain'))).toBe(false);
  });

  it('names and classifies the device-slot codes managers see', () => {
    const names: ReadonlyArray<[number, string]> = [
      [0x800700b7, 'ERROR_ALREADY_EXISTS'],
      [0xb7, 'ERROR_ALREADY_EXISTS'],
      [0x80070037, 'ERROR_DEV_NOT_EXIST'],
      [0x37, 'ERROR_DEV_NOT_EXIST'],
      [0x8000000b, 'E_BOUNDS'],
      [0x800710dd, 'ERROR_INVALID_OPERATION'],
      [0x10dd, 'ERROR_INVALID_OPERATION'],
    ];
    for (const [hr, name] of names) {
      expect(hresultName(hr)).toBe(name);
      expect(e(hr).code).toBe(name);
    }
    expect(e(0x800700b7).message).toBe('op failed with ERROR_ALREADY_EXISTS (0x800700B7)');
    expect(isAlreadyExists(e(0x800700b7))).toBe(true);
    expect(isAlreadyExists(e(0x80370110))).toBe(false);
    expect(isNotFound(e(0x80070037))).toBe(true);
    expect(isNotFound(e(0x37))).toBe(true);
    expect(isUnavailable(e(0x80070037))).toBe(true);
    expect(isNotFound(e(0x8000000b))).toBe(false);
    expect(isAlreadyExists(e(0x8000000b))).toBe(false);
    expect(isNotFound(e(0x800710dd))).toBe(false);
    expect(isInvalidState(e(0x800710dd))).toBe(false);
  });
});
