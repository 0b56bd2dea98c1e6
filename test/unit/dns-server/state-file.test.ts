/**
 * The state file: every record survives a save and a load octet for octet, writes are atomic
 * (nothing but the file is left behind, a failed write leaves the old file), and a file that is not
 * valid stops the load instead of losing zones.
 */
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RRClass, RRType } from '../../../src/dns/wire/constants.ts';
import { loadState, saveState, serializeState } from '../../../src/dns/server/state-file.ts';
import { zoneFromRecords } from '../../../src/dns/server/zone.ts';
import { dump, zoneOf } from './helpers.ts';

const SOA_JSON = {
  name: 'orange.test',
  ttl: 300,
  type: 'SOA',
  mname: 'ns1.orange.test',
  rname: 'hostmaster.orange.test',
  serial: 1,
  refresh: 1,
  retry: 1,
  expire: 1,
  minimum: 1,
};

function stateWith(records: readonly object[]): string {
  return JSON.stringify({
    format: 'eson-embedded-dns',
    version: 1,
    zones: [{ origin: 'orange.test', records }],
  });
}

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'eson-dns-state-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const ORANGE_LINES = [
  'f.orange.test 60 PTR _flow._tcp.f.orange.test',
  '_flow._tcp.f.orange.test 60 SRV 10 10 61000 Agent.Orange.Test',
  '_flow._tcp.f.orange.test 60 TXT "tls"',
  '_queue._flow._tcp.f.orange.test 60 TXT "broker-type=kafka" "queue=f"',
  'agent.orange.test 60 A 127.0.0.1',
  'agent.orange.test 60 AAAA 2001:db8::1',
  'orange.test 300 NS ns2.orange.test',
];

describe('state file', () => {
  it('a save and a load give back every record', async () => {
    const file = path.join(dir, 'round-trip.json');
    const orange = zoneOf(ORANGE_LINES);
    const blue = zoneOf(['x.blue.test 5 A 10.0.0.1'], 'blue.test');
    await saveState(file, [orange, blue]);
    const loaded = await loadState(file);
    assert.deepEqual([...loaded.keys()].sort(), ['blue.test', 'orange.test']);
    assert.deepEqual(dump(loaded.get('orange.test')?.records() ?? []), dump(orange.records()));
    assert.deepEqual(dump(loaded.get('blue.test')?.records() ?? []), dump(blue.records()));
    // Names in RDATA keep their case; owner names are keys.
    assert.match(await readFile(file, 'utf8'), /"target": "Agent.Orange.Test"/);
  });

  it('TXT strings keep any octets (one Latin-1 character per octet in the file)', async () => {
    const file = path.join(dir, 'octets.json');
    const octets = Uint8Array.from([0, 1, 0x22, 0x5c, 0x7f, 0x80, 0xc3, 0xa9, 0xff]);
    const zone = zoneFromRecords('orange.test', [
      ...zoneOf([]).records(),
      {
        name: 't.orange.test',
        type: RRType.TXT,
        class: RRClass.IN,
        ttl: 60,
        data: { kind: 'TXT', strings: [octets, new Uint8Array(0)] },
      },
    ]);
    await saveState(file, [zone]);
    const data = (await loadState(file)).get('orange.test')?.rrset('t.orange.test', RRType.TXT)?.rdata[0];
    assert.equal(data?.kind, 'TXT');
    assert.deepEqual(
      data.strings.map((s) => Buffer.from(s).toString('hex')),
      [Buffer.from(octets).toString('hex'), ''],
    );
  });

  it('no file: no zones', async () => {
    assert.equal((await loadState(path.join(dir, 'absent.json'))).size, 0);
  });

  it('the same zones give the same file (sorted)', () => {
    const a = zoneOf(ORANGE_LINES);
    const b = zoneOf([...ORANGE_LINES].reverse());
    const blue = zoneOf([], 'blue.test');
    assert.equal(serializeState([a, blue]), serializeState([blue, b]));
  });

  it('a write leaves only the file behind, and replaces the previous one', async () => {
    const sub = await mkdtemp(path.join(dir, 'atomic-'));
    const file = path.join(sub, 'dns.json');
    await saveState(file, [zoneOf(['a.orange.test 60 A 10.0.0.1'])]);
    await saveState(file, [zoneOf(['a.orange.test 60 A 10.0.0.2'])]);
    assert.deepEqual(await readdir(sub), ['dns.json']);
    assert.deepEqual(
      dump((await loadState(file)).get('orange.test')?.records() ?? []).filter((l) => l.startsWith('a.')),
      ['a.orange.test 60 A 10.0.0.2'],
    );
  });

  it('creates the directory; a path it cannot write fails and leaves nothing', async () => {
    const nested = path.join(dir, 'new', 'deeper', 'dns.json');
    await saveState(nested, [zoneOf([])]);
    assert.equal((await loadState(nested)).size, 1);
    const blocker = path.join(dir, 'a-file');
    await writeFile(blocker, 'not a directory');
    await assert.rejects(saveState(path.join(blocker, 'dns.json'), [zoneOf([])]), /ENOTDIR|EEXIST/);
  });

  const invalid: [string, string, RegExp][] = [
    ['not JSON', '{', /not valid/],
    ['another format', JSON.stringify({ format: 'x', version: 1, zones: [] }), /format/],
    ['another version', JSON.stringify({ format: 'eson-embedded-dns', version: 2, zones: [] }), /version/],
    [
      'an unknown key',
      JSON.stringify({ format: 'eson-embedded-dns', version: 1, zones: [], extra: 1 }),
      /extra|Unrecognized/,
    ],
    [
      'a zone without SOA',
      stateWith([{ name: 'orange.test', ttl: 1, type: 'A', address: '10.0.0.1' }]),
      /SOA/,
    ],
    [
      'a record outside its zone',
      stateWith([SOA_JSON, { name: 'x.blue.test', ttl: 1, type: 'A', address: '10.0.0.1' }]),
      /outside/,
    ],
    [
      'a bad address',
      stateWith([SOA_JSON, { name: 'a.orange.test', ttl: 1, type: 'A', address: '10.0.0.300' }]),
      /IPv4/,
    ],
    [
      'a TXT string over 255 octets',
      stateWith([SOA_JSON, { name: 'a.orange.test', ttl: 1, type: 'TXT', strings: ['x'.repeat(256)] }]),
      /255/,
    ],
    [
      'a TXT character above U+00FF',
      stateWith([SOA_JSON, { name: 'a.orange.test', ttl: 1, type: 'TXT', strings: ['\u0100'] }]),
      /U\+00FF/,
    ],
    [
      'a type it does not hold',
      stateWith([SOA_JSON, { name: 'a.orange.test', ttl: 1, type: 'CNAME', target: 'x' }]),
      /type/,
    ],
    [
      'an SOA below the apex',
      stateWith([SOA_JSON, { ...SOA_JSON, name: 'a.orange.test' }]),
      /below the apex/,
    ],
  ];
  for (const [title, text, pattern] of invalid) {
    it(`refuses ${title}`, async () => {
      const file = path.join(dir, `invalid-${title.replace(/\W+/g, '-')}.json`);
      await writeFile(file, text);
      await assert.rejects(loadState(file), (error: Error) => {
        assert.match(error.message, /the DNS state file .* is not valid/);
        assert.match(error.message, pattern);
        return true;
      });
    });
  }
});
