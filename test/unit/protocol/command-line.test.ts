import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isHttpRequest, parseCommandLine } from '../../../src/protocol/command-line.ts';

describe('parseCommandLine', () => {
  const CASES: [string, { verb: string; args: string[] } | undefined][] = [
    ['NOOP', { verb: 'NOOP', args: [] }],
    ['noop', { verb: 'NOOP', args: [] }],
    ['Noop extra words', { verb: 'NOOP', args: ['extra', 'words'] }],
    ['HELLO client.example.com', { verb: 'HELLO', args: ['client.example.com'] }],
    ['CREATE FLOW x.example.com', { verb: 'CREATE FLOW', args: ['x.example.com'] }],
    ['create flow X.Example.com', { verb: 'CREATE FLOW', args: ['X.Example.com'] }],
    ['LIST NAMESPACES', { verb: 'LIST NAMESPACES', args: [] }],
    [
      'read flow f.example.com from 0 limit 5',
      { verb: 'READ FLOW', args: ['f.example.com', 'from', '0', 'limit', '5'] },
    ],
    ['  CREATE   FLOW   x.example.com  ', { verb: 'CREATE FLOW', args: ['x.example.com'] }],
    ['CREATE', { verb: 'CREATE', args: [] }],
    ['CREATE WIDGET w', { verb: 'CREATE WIDGET', args: ['w'] }],
    ['SUBSCRIBE flow://a.example.com', { verb: 'SUBSCRIBE', args: ['flow://a.example.com'] }],
    ['PAUSE SUBSCRIPTION 7', { verb: 'PAUSE SUBSCRIPTION', args: ['7'] }],
    ['AUTHENTICATE PLAIN AGFsaWNlAHB3', { verb: 'AUTHENTICATE', args: ['PLAIN', 'AGFsaWNlAHB3'] }],
    ['NOOP\targ', { verb: 'NOOP\tARG', args: [] }],
    ['', undefined],
    ['   ', undefined],
  ];
  for (const [line, expected] of CASES) {
    it(`parses ${JSON.stringify(line)}`, () => {
      const parsed = parseCommandLine(line);
      assert.deepEqual(parsed && { verb: parsed.verb, args: [...parsed.args] }, expected);
    });
  }
});

describe('isHttpRequest', () => {
  for (const line of [
    'GET / HTTP/1.1',
    'POST /api HTTP/1.0',
    'get /x HTTP/1.1',
    'OPTIONS * HTTP/1.1',
    'CONNECT a:443 HTTP/1.1',
  ]) {
    it(`recognises ${JSON.stringify(line)}`, () => assert.equal(isHttpRequest(line), true));
  }
  for (const line of [
    'GET',
    'GET /',
    'DELETE FLOW x.example.com',
    'DELETE FLOW x.example.com HTTP/1.1',
    'NOOP GET / HTTP/1.1',
  ]) {
    it(`does not take ${JSON.stringify(line)} for HTTP`, () => assert.equal(isHttpRequest(line), false));
  }
});
