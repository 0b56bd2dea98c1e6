/** Name keys and the tree walk: per label, so an escaped dot never passes for a separator. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { childKey, isAtOrBelow, nameKey, parentKey } from '../../../src/dns/server/names.ts';

describe('server name keys', () => {
  it('lower-case ASCII, no trailing dot, escapes in the codec form', () => {
    assert.equal(nameKey('Orders.Flows.ORANGE.test.'), 'orders.flows.orange.test');
    assert.equal(nameKey('.'), '');
    assert.equal(nameKey('a\\.B.orange.test'), 'a\\.b.orange.test');
    assert.equal(nameKey('\\065.orange.test'), 'a.orange.test');
  });

  const parents: [string, string | undefined][] = [
    ['a.b.c', 'b.c'],
    ['c', ''],
    ['', undefined],
    ['x\\.orange.test', 'test'],
    ['x\\\\.orange.test', 'orange.test'],
    ['\\046x.y', 'y'],
  ];
  for (const [key, parent] of parents) {
    it(`parent of ${JSON.stringify(key)} is ${JSON.stringify(parent)}`, () =>
      assert.equal(parentKey(key), parent));
  }

  const below: [string, string, boolean][] = [
    ['a.orange.test', 'orange.test', true],
    ['orange.test', 'orange.test', true],
    ['xorange.test', 'orange.test', false],
    ['x\\.orange.test', 'orange.test', false],
    ['orange.test', 'a.orange.test', false],
    ['anything', '', true],
  ];
  for (const [name, ancestor, expected] of below) {
    it(`${name} at or below ${JSON.stringify(ancestor)}: ${expected}`, () =>
      assert.equal(isAtOrBelow(name, ancestor), expected));
  }

  it('childKey', () => {
    assert.equal(childKey('*', 'orange.test'), '*.orange.test');
    assert.equal(childKey('com', ''), 'com');
  });
});
