import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/errors.js';
import { checkShareName } from '../src/index.js';

function thrown(name: unknown, argument = 'share.Name'): InvalidArgumentError {
  try {
    checkShareName(name, argument);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidArgumentError);
    return err as InvalidArgumentError;
  }
  throw new Error(`expected ${JSON.stringify(name)} to be rejected`);
}

describe('checkShareName', () => {
  it('returns an acceptable name unchanged', () => {
    for (const name of ['share', 'a b', 'C$', 'layer.0', '...', 'x..y', 'été', '名前', ' ']) {
      expect(checkShareName(name, 'share.Name')).toBe(name);
    }
  });

  it('rejects with the argument named, the value and one exact reason', () => {
    const cases: ReadonlyArray<[unknown, string]> = [
      [undefined, 'must be a string'],
      [null, 'must be a string'],
      [2, 'must be a string'],
      [['a'], 'must be a string'],
      ['', 'must not be empty'],
      ['.', 'must not be "." or ".."'],
      ['..', 'must not be "." or ".."'],
      ['a/b', 'must not contain "/"'],
      ['../2', 'must not contain "/"'],
      ['..\\2', 'must not contain "\\\\"'],
      ['%2F', 'must not contain "%"'],
      ['a\u0000', 'must not contain control characters'],
      ['a\u001fb', 'must not contain control characters'],
      ['a\u007f', 'must not contain control characters'],
      ['\u0085x', 'must not contain control characters'],
      ['a\u009f', 'must not contain control characters'],
    ];
    for (const [name, reason] of cases) {
      const err = thrown(name);
      expect({ code: err.code, argument: err.argument, value: err.value }).toEqual({
        code: 'InvalidArgument',
        argument: 'share.Name',
        value: name,
      });
      expect(err.message.endsWith(`): ${reason}`)).toBe(true);
    }
    expect(thrown('a/b').message).toBe('invalid argument share.Name ("a/b"): must not contain "/"');
  });

  it('names the argument it is given', () => {
    expect(thrown('', 'name').argument).toBe('name');
    expect(thrown('', 'name').message).toBe('invalid argument name (""): must not be empty');
  });

  it('checks "/" before "\\\\" before "%" (first rule that fails wins)', () => {
    expect(thrown('a/b\\c%d').message).toMatch(/must not contain "\/"$/);
    expect(thrown('b\\c%d').message).toBe(
      'invalid argument share.Name ("b\\\\c%d"): must not contain "\\\\"',
    );
    expect(thrown('.').message).toMatch(/must not be "\." or "\.\."$/);
  });
});
