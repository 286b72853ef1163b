import assert from 'node:assert/strict';
import { extensionCompare, extensionMatch, patternSyntaxError } from '../../core/state/extension-pattern.js';

describe('extension patterns (ast_extension_match)', () => {
  const cases: Array<[string, string, boolean]> = [
    ['1000', '1000', true],
    ['1000', '100', false],
    ['555-1234', '5551234', true],
    ['alice', 'Alice', false],
    ['_X.', '1', false], // '.' needs at least one more character
    ['_X.', '12', true],
    ['_X.', '1abc', true],
    ['_X!', '1', true], // '!' matches zero or more
    ['_X!', '123', true],
    ['_N!', '1', false],
    ['_NXX', '200', true],
    ['_NXX', '100', false],
    ['_ZXX', '100', true],
    ['_ZXX', '012', false],
    ['_[1-5]XX', '512', true],
    ['_[1-5]XX', '612', false],
    ['_[15a]X', 'a1', true],
    ['_[15a]X', 'b1', false],
    ['_1XX', '1000', false],
    ['_1XX', '10', false],
    ['_NXX-XXXX', '5551234', true],
    ['_nxx', '555', true],
    ['_X.', '_X.', true], // a pattern matches itself
    ['_[12', '1', false], // unclosed set never matches
  ];
  for (const [pattern, data, expected] of cases) {
    it(`${pattern} ${expected ? 'matches' : 'does not match'} ${data}`, () => {
      assert.equal(extensionMatch(pattern, data), expected);
    });
  }

  it('orders literals first, then more specific patterns first', () => {
    const sorted = ['_X.', '_1XX', '_X!', '100', '_[12]XX', '_NXX', '_1[0-5]X'].sort(extensionCompare);
    assert.deepEqual(sorted, ['100', '_1[0-5]X', '_1XX', '_[12]XX', '_NXX', '_X.', '_X!']);
    assert.equal(extensionCompare('_1XX', '_1xx'), 0);
  });

  it('reports an unclosed character set', () => {
    assert.equal(patternSyntaxError('_[12'), 'Wrong usage of [] in the extension');
    assert.equal(patternSyntaxError('_[12]X'), undefined);
    assert.equal(patternSyntaxError('[12'), undefined, 'not a pattern');
  });
});
