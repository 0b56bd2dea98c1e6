/**
 * The zone store: updates of one zone in arrival order, each on what the previous one committed;
 * a change is on disk before anyone can read it; a failed write changes nothing; keys and zones
 * configured once.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import { RRType, Rcode } from '../../../src/dns/wire/constants.ts';
import { parseZoneOptions } from '../../../src/dns/server/options.ts';
import { loadState } from '../../../src/dns/server/state-file.ts';
import { evaluateUpdate } from '../../../src/dns/server/update-rules.ts';
import type { ZoneSnapshot } from '../../../src/dns/server/zone.ts';
import { ZoneStore } from '../../../src/dns/server/zone-store.ts';
import { blueZone, body, noneRR, ORANGE_SECRET, orangeZone, rr, storeWith, zoneOf } from './helpers.ts';

let dir: string;
before(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'eson-dns-store-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const claim = (store: ZoneStore, name: string, address: string) => (zone: ZoneSnapshot) =>
  evaluateUpdate(zone, [noneRR(`${name} 0 ANY`)], [rr(`${name} 60 A ${address}`)], store.zoneOf, 1000);

describe('zone store', () => {
  it('two updates claiming one name at once: the first wins, the second sees it (YXDOMAIN)', async () => {
    const store = storeWith({}, path.join(dir, 'race.json'));
    const results = await Promise.all([
      store.update('orange.test', claim(store, 'f.orange.test', '10.0.0.1')),
      store.update('orange.test', claim(store, 'f.orange.test', '10.0.0.2')),
    ]);
    assert.deepEqual(
      results.map((r) => (r.ok ? 'ok' : r.rcode)),
      ['ok', Rcode.YXDOMAIN],
    );
    assert.deepEqual(body(store.zone('orange.test') as ZoneSnapshot), ['f.orange.test 60 A 10.0.0.1']);
  });

  it('a change is committed only once written; the file holds every zone', async () => {
    const file = path.join(dir, 'committed.json');
    const store = storeWith({ blue: ['x.blue.test 60 A 10.0.0.7'] }, file);
    const pending = store.update('orange.test', claim(store, 'f.orange.test', '10.0.0.1'));
    // Not visible before its write finished.
    assert.deepEqual(body(store.zone('orange.test') as ZoneSnapshot), []);
    assert.ok((await pending).ok);
    const onDisk = await loadState(file);
    assert.deepEqual(body(onDisk.get('orange.test') as ZoneSnapshot), ['f.orange.test 60 A 10.0.0.1']);
    assert.deepEqual(body(onDisk.get('blue.test') as ZoneSnapshot), ['x.blue.test 60 A 10.0.0.7']);
  });

  it('a failed write: SERVFAIL and nothing committed; the next update still runs', async () => {
    const blocker = path.join(dir, 'blocker');
    await writeFile(blocker, 'a file, not a directory');
    const store = storeWith({}, path.join(blocker, 'dns.json'));
    const result = await store.update('orange.test', claim(store, 'f.orange.test', '10.0.0.1'));
    assert.equal(result.ok ? 'ok' : result.rcode, Rcode.SERVFAIL);
    assert.match(result.ok ? '' : result.reason, /state file could not be written/);
    assert.deepEqual(body(store.zone('orange.test') as ZoneSnapshot), []);
    const next = await store.update('orange.test', () => ({ ok: true, changed: false }));
    assert.ok(next.ok);
  });

  it('an update that changes nothing writes nothing', async () => {
    const file = path.join(dir, 'unchanged.json');
    const store = storeWith({}, file);
    assert.ok(
      (await store.update('orange.test', (zone) => evaluateUpdate(zone, [], [], store.zoneOf, 10))).ok,
    );
    assert.equal((await loadState(file)).size, 0);
  });

  it('zones in the state file that are not held stay in it', async () => {
    const file = path.join(dir, 'dormant.json');
    const first = storeWith({ blue: ['x.blue.test 60 A 10.0.0.7'] }, file);
    assert.ok((await first.update('blue.test', claim(first, 'y.blue.test', '10.0.0.8'))).ok);
    const second = new ZoneStore({ stateFile: file, maxPendingUpdatesPerZone: 8 });
    second.addZone(parseZoneOptions(orangeZone()));
    second.load(await loadState(file));
    assert.ok((await second.update('orange.test', claim(second, 'f.orange.test', '10.0.0.1'))).ok);
    const onDisk = await loadState(file);
    assert.deepEqual(body(onDisk.get('blue.test') as ZoneSnapshot), [
      'x.blue.test 60 A 10.0.0.7',
      'y.blue.test 60 A 10.0.0.8',
    ]);
    // Held later, the zone comes back with its records.
    second.addZone(parseZoneOptions(blueZone()));
    assert.equal(second.zone('blue.test')?.rrset('y.blue.test', RRType.A)?.rdata.length, 1);
  });

  it('too many updates waiting for one zone: SERVFAIL for the extra ones', async () => {
    const store = new ZoneStore({ stateFile: path.join(dir, 'busy.json'), maxPendingUpdatesPerZone: 2 });
    store.addZone(parseZoneOptions(orangeZone()));
    const results = await Promise.all(
      ['a', 'b', 'c', 'd'].map((l) =>
        store.update('orange.test', claim(store, `${l}.orange.test`, '10.0.0.1')),
      ),
    );
    assert.deepEqual(
      results.map((r) => (r.ok ? 'ok' : r.rcode)),
      ['ok', 'ok', Rcode.SERVFAIL, Rcode.SERVFAIL],
    );
    // Once they are done, there is room again.
    assert.ok((await store.update('orange.test', claim(store, 'e.orange.test', '10.0.0.1'))).ok);
  });

  it('zones of different names update side by side; the most specific zone holds a name', () => {
    const store = new ZoneStore({ stateFile: undefined, maxPendingUpdatesPerZone: 8 });
    store.addZone(parseZoneOptions(orangeZone()));
    store.addZone(parseZoneOptions({ name: 'flows.orange.test', keys: [] }));
    assert.equal(store.zoneOf('x.flows.orange.test'), 'flows.orange.test');
    assert.equal(store.zoneOf('flows.orange.test'), 'flows.orange.test');
    assert.equal(store.zoneOf('x.orange.test'), 'orange.test');
    assert.equal(store.zoneOf('orange.test.example'), undefined);
    assert.equal(store.zoneOf('test'), undefined);
  });

  it('a key may update the zones that list it, no other', () => {
    const store = new ZoneStore({ stateFile: undefined, maxPendingUpdatesPerZone: 8 });
    store.addZone(parseZoneOptions(orangeZone()));
    store.addZone(parseZoneOptions(blueZone()));
    store.addZone(parseZoneOptions({ ...orangeZone(), name: 'orange2.test' }));
    assert.ok(store.mayUpdate('orange-key', 'orange.test'));
    assert.ok(store.mayUpdate('ORANGE-KEY.', 'orange2.test'));
    assert.ok(!store.mayUpdate('orange-key', 'blue.test'));
    assert.ok(!store.mayUpdate('stranger', 'orange.test'));
    assert.equal(store.keyNamed('Orange-Key')?.name, 'orange-key');
  });

  it('refuses a zone twice, and a key name with a second secret', () => {
    const store = new ZoneStore({ stateFile: undefined, maxPendingUpdatesPerZone: 8 });
    store.addZone(parseZoneOptions(orangeZone()));
    assert.throws(() => store.addZone(parseZoneOptions(orangeZone())), /already holds the zone orange\.test/);
    const clash = {
      name: 'green.test',
      keys: [
        {
          name: 'orange-key',
          algorithm: 'hmac-sha256' as const,
          secret: Buffer.alloc(32, 9).toString('base64'),
        },
      ],
    };
    assert.throws(
      () => store.addZone(parseZoneOptions(clash)),
      (error: unknown) => {
        assert.ok(error instanceof EsonError);
        assert.equal(error.kind, 'invalid-argument');
        assert.match(error.message, /TSIG key orange-key is already configured with another secret/);
        return true;
      },
    );
    // Nothing of the refused zone stays behind.
    assert.equal(store.zone('green.test'), undefined);
    assert.equal(ORANGE_SECRET, orangeZone().keys[0]?.secret);
  });

  it('load() replaces the contents of zones held, keeps new zones new', () => {
    const store = new ZoneStore({ stateFile: undefined, maxPendingUpdatesPerZone: 8 });
    store.addZone(parseZoneOptions(orangeZone()));
    store.addZone(parseZoneOptions(blueZone()));
    store.load(new Map([['orange.test', zoneOf(['a.orange.test 60 A 10.0.0.1'])]]));
    assert.deepEqual(body(store.zone('orange.test') as ZoneSnapshot), ['a.orange.test 60 A 10.0.0.1']);
    assert.equal(store.zone('blue.test')?.soa().data.serial, 1);
  });
});
