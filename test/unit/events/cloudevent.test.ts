import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EsonError } from '../../../src/core/errors.ts';
import {
  DEFAULT_CLI_EVENT_SOURCE,
  DEFAULT_CLI_EVENT_TYPE,
  InvalidEventError,
  buildEvent,
  parseEventJson,
} from '../../../src/events/cloudevent.ts';

const BASE = {
  specversion: '1.0',
  id: 'A234-1234-1234',
  source: '/mycontext',
  type: 'com.example.someevent',
};

function event(extra: Record<string, unknown> = {}): string {
  return JSON.stringify({ ...BASE, ...extra });
}

function without(name: string): string {
  const copy: Record<string, unknown> = { ...BASE };
  delete copy[name];
  return JSON.stringify(copy);
}

function rejectsWith(pattern: RegExp): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof InvalidEventError, `expected InvalidEventError, got ${String(error)}`);
    assert.ok(error instanceof EsonError);
    assert.equal(error.kind, 'rejected');
    assert.match(error.message, pattern);
    return true;
  };
}

const VALID: [string, string][] = [
  ['the four required attributes', event()],
  [
    'the spec example with XML data and extensions',
    event({
      time: '2018-04-05T17:31:00Z',
      comexampleextension1: 'value',
      comexampleothervalue: 5,
      datacontenttype: 'application/xml',
      data: '<much wow="xml"/>',
    }),
  ],
  ['JSON object data', event({ datacontenttype: 'application/json', data: { a: 1, b: [true, null] } })],
  ['JSON data without datacontenttype', event({ data: "I'm just a string" })],
  ['an explicit null payload', event({ data: null })],
  ['binary data in data_base64', event({ datacontenttype: 'image/png', data_base64: 'Zm9vYg==' })],
  [
    'null optional attributes and extensions (absent)',
    event({ subject: null, time: null, unsetextension: null }),
  ],
  ['an absolute URL source', event({ source: 'https://github.com/cloudevents' })],
  ['a URN source', event({ source: 'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66' })],
  ['a dataschema URI', event({ dataschema: 'https://example.com/schema.json' })],
  ['a time with an offset and fraction', event({ time: '2018-04-05T17:31:00.123+02:00' })],
  [
    'integer and boolean extensions at the limits',
    event({ lowest: -2_147_483_648, highest: 2_147_483_647, flag: true }),
  ],
  ['a subject', event({ subject: 'mynewfile.jpg' })],
];

const INVALID: [string, string, RegExp][] = [
  ['invalid JSON', '{"specversion":', /not valid JSON/],
  ['an empty text', '', /not valid JSON/],
  ['an array', '[]', /must be a JSON object, not an array/],
  ['a string', '"event"', /must be a JSON object, not a string/],
  ['null', 'null', /must be a JSON object, not null/],
  ['a number', '42', /must be a JSON object, not a number/],
  ['no specversion', without('specversion'), /missing required attribute "specversion"/],
  ['no id', without('id'), /missing required attribute "id"/],
  ['no source', without('source'), /missing required attribute "source"/],
  ['no type', without('type'), /missing required attribute "type"/],
  ['a null type', event({ type: null }), /missing required attribute "type"/],
  ['specversion 0.3', event({ specversion: '0.3' }), /"specversion" must be "1.0", not "0.3"/],
  ['a numeric specversion', event({ specversion: 1.0 }), /"specversion" must be a string, not a number/],
  ['an empty id', event({ id: '' }), /"id" must not be empty/],
  ['a numeric id', event({ id: 7 }), /"id" must be a string, not a number/],
  ['an empty type', event({ type: '' }), /"type" must not be empty/],
  ['a time that is not a timestamp', event({ time: 'yesterday' }), /"time" must be an RFC 3339 timestamp/],
  ['a time without a zone', event({ time: '2018-04-05T17:31:00' }), /"time" must be an RFC 3339 timestamp/],
  ['a time on February 30', event({ time: '2018-02-30T10:00:00Z' }), /"time" must be an RFC 3339 timestamp/],
  [
    'a time offset without a colon',
    event({ time: '2018-04-05T17:31:00+0200' }),
    /"time" must be an RFC 3339/,
  ],
  ['a source with a space', event({ source: 'a b' }), /"source" must be a URI-reference/],
  ['a relative dataschema', event({ dataschema: 'schema.json' }), /"dataschema" must be an absolute URI/],
  ['an empty subject', event({ subject: '' }), /"subject" must not be empty/],
  ['a numeric datacontenttype', event({ datacontenttype: 5 }), /"datacontenttype" must be a string/],
  ['an extension name in camel case', event({ comExample: 'x' }), /attribute name "comExample" is invalid/],
  ['an extension name with "_"', event({ com_example: 'x' }), /attribute name "com_example" is invalid/],
  ['an extension name with "-"', event({ 'com-example': 'x' }), /attribute name "com-example" is invalid/],
  ['a non-ASCII extension name', event({ é: 'x' }), /attribute name "é" is invalid/],
  ['an empty extension name', event({ '': 'x' }), /attribute name "" is invalid/],
  [
    'a __proto__ member',
    `{"specversion":"1.0","id":"1","source":"/s","type":"t","__proto__":{"x":1}}`,
    /attribute name "__proto__" is invalid/,
  ],
  [
    'an object extension value',
    event({ ext: { a: 1 } }),
    /"ext" must be a string, boolean or integer, not an object/,
  ],
  [
    'an array extension value',
    event({ ext: [1] }),
    /"ext" must be a string, boolean or integer, not an array/,
  ],
  ['a fractional extension value', event({ ext: 1.5 }), /"ext" must be an integer, not a fraction/],
  ['an extension value over 32 bits', event({ ext: 2 ** 31 }), /"ext" is outside the 32-bit integer range/],
  ['data_base64 that is not base64', event({ data_base64: '!!!' }), /"data_base64" is not valid base64/],
  ['data_base64 without padding', event({ data_base64: 'Zm9vYg' }), /"data_base64" is not valid base64/],
  ['a numeric data_base64', event({ data_base64: 5 }), /"data_base64" must be a string/],
  ['both data and data_base64', event({ data: 'x', data_base64: 'Zm9vYg==' }), /mutually exclusive/],
  ['schemaurl (a 0.3 attribute)', event({ schemaurl: 'https://example.com/s' }), /schemaurl/],
];

describe('parseEventJson', () => {
  for (const [name, text] of VALID) {
    it(`accepts ${name}`, () => {
      const parsed = parseEventJson(text);
      assert.equal(parsed.json, text);
      assert.deepEqual(parsed.event, JSON.parse(text));
      assert.ok(Object.isFrozen(parsed.event));
    });
  }

  for (const [name, text, message] of INVALID) {
    it(`rejects ${name}`, () => {
      assert.throws(() => parseEventJson(text), rejectsWith(message));
    });
  }

  it('keeps the text as received, on one line, numbers beyond double precision included', () => {
    const text = ` { "type" : "t", "specversion":"1.0",\r\n "id":"1", "source":"/s", "data": { "n": 12345678901234567890, "a": 2 } }\n`;
    const parsed = parseEventJson(text);
    assert.equal(
      parsed.json,
      '{ "type" : "t", "specversion":"1.0",  "id":"1", "source":"/s", "data": { "n": 12345678901234567890, "a": 2 } }',
    );
  });

  it('refuses duplicate attributes but not duplicate members inside data', () => {
    assert.throws(
      () => parseEventJson('{"type":"t","specversion":"1.0","id":"1","source":"/s","id":"2"}'),
      (error: unknown) =>
        error instanceof InvalidEventError && /attribute "id" appears twice/.test(error.message),
    );
    const inner =
      '{"type":"t","specversion":"1.0","id":"1","source":"/s","data":{"k":1,"k":2},"x":"\\"id\\":"}';
    assert.equal(parseEventJson(inner).json, inner);
  });

  it('does not quote the input in the message for invalid JSON', () => {
    assert.throws(
      () => parseEventJson('{"secret-token-value" oops}'),
      (error: unknown) => error instanceof InvalidEventError && !error.message.includes('secret-token-value'),
    );
  });
});

describe('buildEvent', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

  it('wraps plain text as text/plain data with the defaults', () => {
    const before = Date.now();
    const json = buildEvent({ data: 'hello, world' });
    const built = JSON.parse(json) as Record<string, unknown>;
    assert.equal(built.specversion, '1.0');
    assert.equal(built.type, DEFAULT_CLI_EVENT_TYPE);
    assert.equal(built.source, DEFAULT_CLI_EVENT_SOURCE);
    assert.match(String(built.id), UUID);
    assert.equal(built.datacontenttype, 'text/plain');
    assert.equal(built.data, 'hello, world');
    assert.equal(built.subject, undefined);
    const time = Date.parse(String(built.time));
    assert.ok(time >= before - 1000 && time <= Date.now() + 1000);
    assert.equal(parseEventJson(json).json, json);
  });

  it('sends text that parses as JSON as a JSON value', () => {
    const object = JSON.parse(buildEvent({ data: '{"temperature": 21.5, "unit": "C"}' })) as Record<
      string,
      unknown
    >;
    assert.equal(object.datacontenttype, 'application/json');
    assert.deepEqual(object.data, { temperature: 21.5, unit: 'C' });
    const number = JSON.parse(buildEvent({ data: '42' })) as Record<string, unknown>;
    assert.equal(number.datacontenttype, 'application/json');
    assert.equal(number.data, 42);
  });

  it('treats an empty text as plain text', () => {
    const built = JSON.parse(buildEvent({ data: '' })) as Record<string, unknown>;
    assert.equal(built.datacontenttype, 'text/plain');
    assert.equal(built.data, '');
  });

  it('uses the given type, source, subject and id', () => {
    const built = JSON.parse(
      buildEvent({
        data: 'x',
        type: 'org.example.t',
        source: 'https://example.org/s',
        subject: 'sub',
        id: 'id-1',
      }),
    ) as Record<string, unknown>;
    assert.equal(built.type, 'org.example.t');
    assert.equal(built.source, 'https://example.org/s');
    assert.equal(built.subject, 'sub');
    assert.equal(built.id, 'id-1');
  });

  it('rejects attributes that make an invalid event', () => {
    assert.throws(() => buildEvent({ data: 'x', type: '' }), rejectsWith(/"type" must not be empty/));
    assert.throws(() => buildEvent({ data: 'x', source: 'not a uri' }), rejectsWith(/"source"/));
  });
});

describe('parseEventJson properties', () => {
  const REQUIRED = ['specversion', 'id', 'source', 'type'];
  const RESERVED = new Set([
    ...REQUIRED,
    'datacontenttype',
    'dataschema',
    'subject',
    'time',
    'data',
    'schemaurl',
    'datacontentencoding',
  ]);

  function throwsOnlyInvalidEventError(text: string): void {
    try {
      parseEventJson(text);
    } catch (error) {
      assert.ok(error instanceof InvalidEventError, `unexpected ${String(error)}`);
    }
  }

  it('throws nothing but InvalidEventError on arbitrary text', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary' }), throwsOnlyInvalidEventError), { numRuns: 500 });
    fc.assert(fc.property(fc.json(), throwsOnlyInvalidEventError), { numRuns: 500 });
  });

  it('throws nothing but InvalidEventError on objects close to events', () => {
    const name = fc.oneof(fc.constantFrom(...RESERVED, 'data_base64', 'ext'), fc.string());
    const value = fc.oneof(
      fc.constantFrom('1.0', '/s', 'Zm9vYg==', '2020-01-01T00:00:00Z', ''),
      fc.jsonValue(),
    );
    const object = fc
      .tuple(fc.boolean(), fc.dictionary(name, value))
      .map(([withBase, members]) => JSON.stringify(withBase ? { ...BASE, ...members } : members));
    fc.assert(fc.property(object, throwsOnlyInvalidEventError), { numRuns: 1000 });
  });

  it('round-trips valid generated events', () => {
    const extensionName = fc.stringMatching(/^[a-z0-9]{1,20}$/).filter((n) => !RESERVED.has(n));
    const extensionValue = fc.oneof(
      fc.string(),
      fc.boolean(),
      fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }),
    );
    const generated = fc
      .record(
        {
          id: fc.string({ minLength: 1 }),
          source: fc.oneof(
            fc.constantFrom(
              '/mycontext',
              'https://example.com/a?b=c',
              'urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66',
            ),
            fc.stringMatching(/^\/[a-z0-9/_.-]{0,30}$/),
          ),
          type: fc.string({ minLength: 1 }),
          subject: fc.string({ minLength: 1 }),
          time: fc
            .date({
              min: new Date('1970-01-01T00:00:00Z'),
              max: new Date('9999-12-31T23:59:59Z'),
              noInvalidDate: true,
            })
            .map((d) => d.toISOString()),
          datacontenttype: fc.constantFrom('application/json', 'text/plain', 'application/cloudevents+json'),
          data: fc.jsonValue(),
          extensions: fc.dictionary(extensionName, extensionValue, { maxKeys: 5 }),
        },
        { requiredKeys: ['id', 'source', 'type'] },
      )
      .map(({ extensions, ...attributes }) => ({ specversion: '1.0', ...attributes, ...extensions }));
    fc.assert(
      fc.property(generated, (ce) => {
        const text = JSON.stringify(ce);
        const parsed = parseEventJson(text);
        assert.equal(parsed.json, text);
        assert.deepEqual(JSON.parse(parsed.json), JSON.parse(text));
      }),
      { numRuns: 500 },
    );
  });
});
