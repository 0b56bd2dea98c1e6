import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EsonError } from '../../../src/core/errors.ts';
import {
  MAX_LABEL_OCTETS,
  MAX_NAME_OCTETS,
  canonicalName,
  flowUri,
  isWithin,
  parentName,
  parseFlowName,
  parseNamespaceName,
} from '../../../src/core/names.ts';
import { isKind } from './helpers.ts';

const label = (n: number, ch = 'a'): string => ch.repeat(n);
/** A name of exactly `octets` characters made of labels of at most 63. */
function nameOf(octets: number): string {
  const labels: string[] = [];
  let left = octets;
  while (left > 0) {
    const size = Math.min(MAX_LABEL_OCTETS, left);
    labels.push(label(size, String.fromCharCode(97 + (labels.length % 26))));
    left -= size + 1;
  }
  const name = labels.join('.');
  assert.equal(name.length, octets, 'fixture: name of the wrong length');
  return name;
}

describe('canonicalName', () => {
  const valid: readonly [string, string, string][] = [
    ['two labels', 'example.test', 'example.test'],
    ['letters, digits, inner hyphens', 'a-1.b2-c-d.x0', 'a-1.b2-c-d.x0'],
    ['all-digit labels', '0.123', '0.123'],
    ['single-character labels', 'a.b', 'a.b'],
    ['upper case folded', 'Orders.FLOWS.Example.Test', 'orders.flows.example.test'],
    ['trailing dot removed', 'example.test.', 'example.test'],
    ['trailing dot and case', 'EXAMPLE.TEST.', 'example.test'],
    [`label of ${MAX_LABEL_OCTETS}`, `${label(63)}.test`, `${label(63)}.test`],
    [`name of ${MAX_NAME_OCTETS}`, nameOf(253), nameOf(253)],
    [`name of ${MAX_NAME_OCTETS} plus a trailing dot`, `${nameOf(253)}.`, nameOf(253)],
    ['double hyphen inside a label', 'xn--bcher-kva.test', 'xn--bcher-kva.test'],
  ];
  for (const [what, input, expected] of valid) {
    it(`accepts ${what}`, () => {
      assert.equal(canonicalName(input, 'flow'), expected);
    });
  }

  const invalid: readonly [string, string, RegExp][] = [
    ['the empty string', '', /^namespace name is empty$/],
    ['a lone dot', '.', /namespace name is empty/],
    ['a single label', 'example', /"example" must be a fully qualified name with at least two labels/],
    ['a single label with a trailing dot', 'example.', /at least two labels/],
    ['an empty inner label', 'a..test', /"a\.\.test" has an empty label/],
    ['a leading dot', '.a.test', /has an empty label/],
    ['two trailing dots', 'a.test..', /has an empty label/],
    ['a leading hyphen', '-a.test', /invalid label "-a": only letters, digits and inner hyphens/],
    ['a trailing hyphen', 'a-.test', /invalid label "a-"/],
    ['a hyphen-only label', 'a.-', /invalid label "-"/],
    ['an underscore', '_srv.example.test', /invalid label "_srv"/],
    ['an inner underscore', 'a_b.test', /invalid label "a_b"/],
    ['a space', 'a b.test', /invalid label "a b"/],
    ['a slash', 'a/b.test', /invalid label "a\/b"/],
    ['a colon', 'a:1.test', /invalid label "a:1"/],
    ['a non-ASCII letter', 'bücher.test', /invalid label "bücher"/],
    // U+212A KELVIN SIGN lower-cases to an ASCII "k": it must not pass for one.
    ['the Kelvin sign', '\u212Aa.test', /invalid label/],
    ['a dotted capital I', '\u0130.test', /invalid label/],
    [`a label of ${MAX_LABEL_OCTETS + 1}`, `${label(64)}.test`, /label of 64 octets, over the limit of 63/],
    [`a name of ${MAX_NAME_OCTETS + 1}`, nameOf(254), /name is 254 octets, over the limit of 253/],
    [`a name of ${MAX_NAME_OCTETS + 1} plus a trailing dot`, `${nameOf(254)}.`, /254 octets/],
  ];
  for (const [what, input, message] of invalid) {
    it(`refuses ${what}`, () => {
      assert.throws(() => canonicalName(input, 'namespace'), isKind('invalid-name', message));
    });
  }

  it('names the argument in its messages', () => {
    assert.throws(() => canonicalName('x', 'agent'), isKind('invalid-name', /^agent name "x"/));
    assert.throws(() => canonicalName('', 'flow'), isKind('invalid-name', /^flow name is empty$/));
  });
});

describe('parseFlowName', () => {
  const valid: readonly [string, string, string][] = [
    ['an FQDN', 'orders.flows.example.test', 'orders.flows.example.test'],
    ['a flow name holding dots', 'eu.orders.v2.flows.example.test', 'eu.orders.v2.flows.example.test'],
    ['a flow:// URI', 'flow://orders.flows.example.test', 'orders.flows.example.test'],
    [
      'a URI with an upper-case scheme and name',
      'FLOW://Orders.Flows.Example.Test',
      'orders.flows.example.test',
    ],
    ['a URI with a trailing dot', 'flow://orders.flows.example.test.', 'orders.flows.example.test'],
  ];
  for (const [what, input, expected] of valid) {
    it(`accepts ${what}`, () => {
      assert.equal(parseFlowName(input), expected);
    });
  }

  const invalid: readonly [string, string, ErrorMatch][] = [
    [
      'a URI with a path',
      'flow://orders.flows.example.test/events',
      /flow URI "flow:\/\/orders.*" must not have a path/,
    ],
    ['a URI with a bare slash', 'flow://orders.flows.example.test/', /must not have a path/],
    ['a URI with nothing after the scheme', 'flow://', /flow name is empty/],
    ['a URI with a single label', 'flow://orders', /at least two labels/],
    ['another scheme', 'http://orders.flows.example.test', /flow:\/\//],
    ['a URI with a port', 'flow://orders.flows.example.test:61000', /invalid label "test:61000"/],
    ['a URI with user info', 'flow://alice@orders.flows.example.test', /invalid label "alice@orders"/],
    ['an empty string', '', /flow name is empty/],
  ];
  for (const [what, input, message] of invalid) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseFlowName(input), isKind('invalid-name', message));
    });
  }

  it('round-trips through flowUri', () => {
    assert.equal(flowUri('orders.flows.example.test'), 'flow://orders.flows.example.test');
    assert.equal(parseFlowName(flowUri('orders.flows.example.test')), 'orders.flows.example.test');
  });
});

type ErrorMatch = RegExp;

describe('parseNamespaceName', () => {
  it('canonicalises a namespace and refuses a flow URI', () => {
    assert.equal(parseNamespaceName('Flows.Example.Test.'), 'flows.example.test');
    assert.throws(
      () => parseNamespaceName('flow://flows.example.test'),
      isKind('invalid-name', /^namespace name/),
    );
  });
});

describe('parentName and isWithin', () => {
  const parents: readonly [string, string | undefined][] = [
    ['a.b.c', 'b.c'],
    ['b.c', 'c'],
    ['c', undefined],
  ];
  for (const [name, parent] of parents) {
    it(`parentName(${name}) is ${String(parent)}`, () => assert.equal(parentName(name), parent));
  }
  const within: readonly [string, string, boolean][] = [
    ['a.b.c', 'b.c', true],
    ['b.c', 'b.c', true],
    ['ab.c', 'b.c', false],
    ['b.c', 'a.b.c', false],
  ];
  for (const [name, ancestor, expected] of within) {
    it(`isWithin(${name}, ${ancestor}) is ${expected}`, () =>
      assert.equal(isWithin(name, ancestor), expected));
  }
});

describe('canonicalName properties', () => {
  // Characters that matter to the rules, plus troublemakers for case folding.
  const nameChar = fc.constantFrom(
    'a',
    'Z',
    'k',
    '0',
    '9',
    '-',
    '.',
    '.',
    '_',
    ' ',
    '/',
    '\u212A', // KELVIN SIGN
    '\u0130', // LATIN CAPITAL LETTER I WITH DOT ABOVE
    '\u017F', // LATIN SMALL LETTER LONG S
    'é',
    '\0',
  );
  const inputs = fc.oneof(fc.string({ unit: nameChar, maxLength: 80 }), fc.string({ unit: 'binary' }));
  const validLabel = fc.stringMatching(/^[a-z0-9](?:[a-z0-9-]{0,20}[a-z0-9])?$/);
  const validName = fc.array(validLabel, { minLength: 2, maxLength: 6 }).map((labels) => labels.join('.'));

  it('is idempotent, returns lower-case ASCII, and throws only EsonError invalid-name', () => {
    fc.assert(
      fc.property(inputs, (input) => {
        let out: string;
        try {
          out = canonicalName(input, 'flow');
        } catch (error) {
          assert.ok(error instanceof EsonError, `threw ${String(error)}`);
          assert.equal(error.kind, 'invalid-name');
          return;
        }
        assert.equal(canonicalName(out, 'flow'), out);
        assert.match(out, /^[a-z0-9.-]+$/);
        assert.ok(out.length <= MAX_NAME_OCTETS);
        // Only ASCII case and one trailing dot may differ from the input.
        assert.equal(
          out,
          input.replace(/\.$/, '').replace(/[A-Z]/g, (c) => c.toLowerCase()),
        );
      }),
      { numRuns: 2000 },
    );
  });

  it('accepts every valid name in any case, with or without a trailing dot', () => {
    fc.assert(
      fc.property(validName, fc.array(fc.boolean(), { maxLength: 40 }), fc.boolean(), (name, upper, dot) => {
        const mixed = [...name].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join('');
        assert.equal(canonicalName(dot ? `${mixed}.` : mixed, 'namespace'), name);
        assert.equal(parseFlowName(`flow://${mixed}`), name);
      }),
    );
  });
});
