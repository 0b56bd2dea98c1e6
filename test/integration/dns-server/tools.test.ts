/**
 * Interoperability with tools nobody here wrote: `dig` (UDP and TCP) reads what the writer wrote
 * exactly in the fns-records.md layout, `nsupdate` (signed with `-y hmac-sha256:...`) writes what
 * `dig` then shows, and both get the refusals, truncation and TSIG answers a BIND9 server gives.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queryDns } from '../../../src/dns/query-client.ts';
import { RRType } from '../../../src/dns/wire/constants.ts';
import { registration, txtStringsOf } from '../dns/helpers.ts';
import { dig, digHeader, digRaw, nsupdate, parseRecords, withDns, writerFor } from './helpers.ts';

const FLOW = 'orders.flows.orange.test';

describe('dig and nsupdate against the embedded DNS server', () => {
  for (const transport of ['UDP', 'TCP'] as const) {
    it(`dig over ${transport} reads a registered flow exactly in the fns-records.md layout`, async () => {
      await withDns(async (dns) => {
        await writerFor(dns, dns.orange).registerFlow(registration(FLOW));
        const extra = transport === 'TCP' ? ['+tcp'] : [];
        assert.deepEqual(await dig(dns, FLOW, 'PTR', extra), [
          { name: `${FLOW}.`, ttl: 60, type: 'PTR', rdata: `_flow._tcp.${FLOW}.` },
        ]);
        assert.deepEqual(await dig(dns, `_flow._tcp.${FLOW}`, 'SRV', extra), [
          { name: `_flow._tcp.${FLOW}.`, ttl: 60, type: 'SRV', rdata: '10 10 61000 agent.orange.test.' },
        ]);
        const agentTxt = await dig(dns, `_flow._tcp.${FLOW}`, 'TXT', extra);
        assert.deepEqual(
          agentTxt.map((r) => txtStringsOf(r.rdata)),
          [['tls']],
        );
        assert.deepEqual(await dig(dns, `_queue._flow._tcp.${FLOW}`, 'SRV', extra), [
          {
            name: `_queue._flow._tcp.${FLOW}.`,
            ttl: 60,
            type: 'SRV',
            rdata: '10 10 9092 kafka.orange.test.',
          },
        ]);
        const queueTxt = await dig(dns, `_queue._flow._tcp.${FLOW}`, 'TXT', extra);
        assert.equal(queueTxt.length, 1, 'one TXT record holding several strings');
        assert.deepEqual(txtStringsOf(queueTxt[0]?.rdata ?? ''), ['broker-type=kafka', 'queue=orders']);
        // Nothing else at those names (ANY over TCP gives every RRset).
        const all = [];
        for (const name of [FLOW, `_flow._tcp.${FLOW}`, `_queue._flow._tcp.${FLOW}`]) {
          all.push(...(await dig(dns, name, 'ANY', ['+tcp'])).map((r) => `${r.name} ${r.type}`));
        }
        assert.deepEqual(
          all.sort(),
          [
            `${FLOW}. PTR`,
            `_flow._tcp.${FLOW}. SRV`,
            `_flow._tcp.${FLOW}. TXT`,
            `_queue._flow._tcp.${FLOW}. SRV`,
            `_queue._flow._tcp.${FLOW}. TXT`,
          ].sort(),
        );
      });
    });
  }

  it('dig sees AA, NXDOMAIN and NODATA with the SOA, and REFUSED outside the zones', async () => {
    await withDns(async (dns) => {
      await writerFor(dns, dns.orange).registerFlow(registration(FLOW));
      const positive = await digRaw(dns, [FLOW, 'PTR', '+norecurse']);
      assert.deepEqual(digHeader(positive), { status: 'NOERROR', flags: ['qr', 'aa'] });
      const nx = await digRaw(dns, [
        `nope.${FLOW}`,
        'PTR',
        '+norecurse',
        '+noall',
        '+comments',
        '+authority',
      ]);
      assert.equal(digHeader(nx).status, 'NXDOMAIN');
      assert.ok(digHeader(nx).flags.includes('aa'));
      assert.deepEqual(
        parseRecords(nx.split('AUTHORITY SECTION:')[1] ?? '').map((r) => `${r.name} ${r.ttl} ${r.type}`),
        ['orange.test. 60 SOA'],
      );
      const nodata = await digRaw(dns, [FLOW, 'A', '+norecurse']);
      assert.equal(digHeader(nodata).status, 'NOERROR');
      assert.match(nodata, /ANSWER: 0, AUTHORITY: 1/);
      const ent = await digRaw(dns, [`_tcp.${FLOW}`, 'A', '+norecurse']);
      assert.equal(digHeader(ent).status, 'NOERROR', 'an empty non-terminal is NODATA, not NXDOMAIN');
      const outside = await digRaw(dns, ['example.com', 'A']);
      assert.equal(digHeader(outside).status, 'REFUSED');
      assert.ok(!digHeader(outside).flags.includes('aa'));
      assert.ok(!digHeader(outside).flags.includes('ra'), 'no recursion offered');
    });
  });

  it('dig: EDNS answered with our payload size; +noedns gets no OPT', async () => {
    await withDns(async (dns) => {
      assert.match(
        await digRaw(dns, ['orange.test', 'SOA', '+bufsize=4096']),
        /EDNS: version: 0, flags:; udp: 1232/,
      );
      assert.doesNotMatch(await digRaw(dns, ['orange.test', 'SOA', '+noedns']), /OPT PSEUDOSECTION/);
      assert.match(
        await digRaw(dns, ['orange.test', 'SOA', '+dnssec']),
        /EDNS: version: 0, flags: do; udp: 1232/,
      );
      assert.match(
        await digRaw(dns, ['orange.test', 'SOA', '+edns=1', '+noednsnegotiation']),
        /status: BADVERS/,
      );
    });
  });

  it('nsupdate adds records that dig then shows, and deletes them', async () => {
    await withDns(async (dns) => {
      const add = await nsupdate(dns, dns.orange.key, 'orange.test', [
        'update add host.orange.test 300 A 192.0.2.10',
        'update add host.orange.test 300 AAAA 2001:db8::10',
        'update add _svc._tcp.orange.test 120 SRV 5 6 7000 host.orange.test.',
        'update add note.orange.test 60 TXT "first string" "second=2"',
      ]);
      assert.equal(add.code, 0, add.output);
      assert.deepEqual(await dig(dns, 'host.orange.test', 'A'), [
        { name: 'host.orange.test.', ttl: 300, type: 'A', rdata: '192.0.2.10' },
      ]);
      assert.deepEqual(await dig(dns, 'host.orange.test', 'AAAA', ['+tcp']), [
        { name: 'host.orange.test.', ttl: 300, type: 'AAAA', rdata: '2001:db8::10' },
      ]);
      assert.deepEqual(await dig(dns, '_svc._tcp.orange.test', 'SRV'), [
        { name: '_svc._tcp.orange.test.', ttl: 120, type: 'SRV', rdata: '5 6 7000 host.orange.test.' },
      ]);
      const note = await dig(dns, 'note.orange.test', 'TXT');
      assert.deepEqual(txtStringsOf(note[0]?.rdata ?? ''), ['first string', 'second=2']);
      // The SRV answer carries its target's addresses.
      const srv = await digRaw(dns, ['_svc._tcp.orange.test', 'SRV', '+noall', '+additional']);
      assert.deepEqual(
        parseRecords(srv).map((r) => `${r.name} ${r.type} ${r.rdata}`),
        ['host.orange.test. A 192.0.2.10', 'host.orange.test. AAAA 2001:db8::10'],
      );
      // Our own stub reads what nsupdate wrote.
      const ours = await queryDns(dns, 'host.orange.test', RRType.A);
      assert.deepEqual(
        ours.answers.map((r) => r.data),
        [{ kind: 'A', address: '192.0.2.10' }],
      );
      const del = await nsupdate(dns, dns.orange.key, 'orange.test', [
        'update delete host.orange.test A',
        'update delete note.orange.test TXT "first string" "second=2"',
      ]);
      assert.equal(del.code, 0, del.output);
      assert.deepEqual(await dig(dns, 'host.orange.test', 'A'), []);
      assert.deepEqual(await dig(dns, 'note.orange.test', 'TXT'), []);
      assert.equal((await dig(dns, 'host.orange.test', 'AAAA')).length, 1);
    });
  });

  it('nsupdate prerequisites: nxdomain once, then YXDOMAIN (exit non-zero), nothing applied', async () => {
    await withDns(async (dns) => {
      const claim = ['prereq nxdomain claim.orange.test', 'update add claim.orange.test 60 A 192.0.2.1'];
      assert.equal((await nsupdate(dns, dns.orange.key, 'orange.test', claim)).code, 0);
      const again = await nsupdate(dns, dns.orange.key, 'orange.test', [
        'prereq nxdomain claim.orange.test',
        'update add claim.orange.test 60 A 192.0.2.2',
      ]);
      assert.notEqual(again.code, 0);
      assert.match(again.output, /update failed: YXDOMAIN/);
      const yx = await nsupdate(dns, dns.orange.key, 'orange.test', [
        'prereq yxrrset claim.orange.test A 192.0.2.1',
        'prereq nxrrset claim.orange.test TXT',
        'update add claim.orange.test 60 TXT "ok"',
      ]);
      assert.equal(yx.code, 0, yx.output);
      const wrongValue = await nsupdate(dns, dns.orange.key, 'orange.test', [
        'prereq yxrrset claim.orange.test A 192.0.2.9',
        'update delete claim.orange.test',
      ]);
      assert.match(wrongValue.output, /update failed: NXRRSET/);
      assert.deepEqual(
        (await dig(dns, 'claim.orange.test', 'ANY', ['+tcp'])).map((r) => `${r.type} ${r.rdata}`),
        ['A 192.0.2.1', 'TXT "ok"'],
      );
    });
  });

  it("nsupdate with orange's key on blue's zone: REFUSED, exit non-zero, nothing written", async () => {
    await withDns(async (dns) => {
      const result = await nsupdate(dns, dns.orange.key, 'blue.test', [
        'update add x.blue.test 60 A 192.0.2.1',
      ]);
      assert.notEqual(result.code, 0);
      assert.match(result.output, /update failed: REFUSED/);
      assert.deepEqual(await dig(dns, 'x.blue.test', 'A'), []);
      const own = await nsupdate(dns, dns.blue.key, 'blue.test', ['update add x.blue.test 60 A 192.0.2.1']);
      assert.equal(own.code, 0, own.output);
      assert.equal((await dig(dns, 'x.blue.test', 'A')).length, 1);
    });
  });

  it('nsupdate with a wrong secret: BADSIG; an unknown key: BADKEY; no key: REFUSED; another zone: NOTAUTH/NOTZONE', async () => {
    await withDns(async (dns) => {
      const add = ['update add x.orange.test 60 A 192.0.2.1'];
      const wrong = await nsupdate(
        dns,
        { ...dns.orange.key, secret: Buffer.alloc(32, 5).toString('base64') },
        'orange.test',
        add,
      );
      assert.notEqual(wrong.code, 0);
      assert.match(wrong.output, /update failed: NOTAUTH\(BADSIG\)/);
      const unknown = await nsupdate(dns, { ...dns.orange.key, name: 'nobody' }, 'orange.test', add);
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.output, /update failed: NOTAUTH\(BADKEY\)/);
      const unsigned = await nsupdate(dns, undefined, 'orange.test', add);
      assert.notEqual(unsigned.code, 0);
      assert.match(unsigned.output, /update failed: REFUSED/);
      const notHeld = await nsupdate(dns, dns.orange.key, 'green.test', [
        'update add x.green.test 60 A 192.0.2.1',
      ]);
      assert.match(notHeld.output, /update failed: NOTAUTH/);
      const outside = await nsupdate(dns, dns.orange.key, 'orange.test', [
        'update add x.blue.test 60 A 192.0.2.1',
      ]);
      assert.match(outside.output, /update failed: NOTZONE/);
      assert.deepEqual(await dig(dns, 'x.orange.test', 'A'), []);
    });
  });

  it('a TXT-heavy name: dig over UDP gets TC and retries over TCP for the full answer', async () => {
    await withDns(async (dns) => {
      const strings = Array.from(
        { length: 30 },
        (_, i) => `${'x'.repeat(100)}-${String(i).padStart(3, '0')}`,
      );
      // An update this big (over 512 octets) makes nsupdate itself use TCP.
      const add = await nsupdate(
        dns,
        dns.orange.key,
        'orange.test',
        strings.map((s) => `update add big.orange.test 60 TXT "${s}"`),
      );
      assert.equal(add.code, 0, add.output);
      const truncated = await digRaw(dns, ['big.orange.test', 'TXT', '+ignore']);
      assert.ok(digHeader(truncated).flags.includes('tc'), truncated);
      assert.match(truncated, /ANSWER: 0,/);
      const retried = await digRaw(dns, ['big.orange.test', 'TXT']);
      assert.match(retried, /Truncated, retrying in TCP mode/);
      assert.match(retried, /\(TCP\)/);
      const records = parseRecords(retried.split('ANSWER SECTION:')[1]?.split('\n\n')[0] ?? '');
      assert.deepEqual(records.flatMap((r) => txtStringsOf(r.rdata)).sort(), strings);
      // Without EDNS the limit is 512 octets; still truncated, still complete over TCP.
      assert.ok(
        digHeader(await digRaw(dns, ['big.orange.test', 'TXT', '+noedns', '+ignore'])).flags.includes('tc'),
      );
      assert.equal((await dig(dns, 'big.orange.test', 'TXT', ['+tcp'])).length, 30);
      assert.equal((await queryDns(dns, 'big.orange.test', RRType.TXT)).answers.length, 30);
    });
  });

  it('dig -y: a signed query gets a signed answer that dig verifies', async () => {
    await withDns(async (dns) => {
      await writerFor(dns, dns.orange).registerFlow(registration(FLOW));
      const { key } = dns.orange;
      for (const extra of [[], ['+tcp']]) {
        const out = await digRaw(dns, ['-y', `hmac-sha256:${key.name}:${key.secret}`, FLOW, 'PTR', ...extra]);
        assert.equal(digHeader(out).status, 'NOERROR');
        assert.match(
          out,
          /TSIG PSEUDOSECTION:\s*\norange-key\.\s+0\s+ANY\s+TSIG\s+hmac-sha256\. \d+ 300 32 \S+ \d+ NOERROR 0/,
        );
        assert.doesNotMatch(out, /tsig verify failure|TSIG error|expected a TSIG/i);
      }
      const bad = await digRaw(dns, [
        '-y',
        `hmac-sha256:${key.name}:${Buffer.alloc(32, 9).toString('base64')}`,
        FLOW,
        'PTR',
      ]);
      assert.match(bad, /status: NOTAUTH/);
      assert.match(bad, /BADSIG/);
    });
  });

  it('dig +tcp +keepopen: several queries over one connection', async () => {
    await withDns(async (dns) => {
      await writerFor(dns, dns.orange).registerFlow(registration(FLOW));
      const out = await digRaw(dns, [
        '+tcp',
        '+keepopen',
        '+noall',
        '+answer',
        FLOW,
        'PTR',
        `_flow._tcp.${FLOW}`,
        'SRV',
        `_queue._flow._tcp.${FLOW}`,
        'TXT',
      ]);
      assert.deepEqual(
        parseRecords(out).map((r) => r.type),
        ['PTR', 'SRV', 'TXT'],
      );
    });
  });

  it('dig ANY: one RRset over UDP (RFC 8482), every RRset over TCP', async () => {
    await withDns(async (dns) => {
      await writerFor(dns, dns.orange).registerFlow(registration(FLOW));
      // dig 9.18 asks ANY over TCP unless told otherwise.
      assert.equal((await dig(dns, `_flow._tcp.${FLOW}`, 'ANY', ['+notcp'])).length, 1);
      assert.deepEqual((await dig(dns, `_flow._tcp.${FLOW}`, 'ANY', ['+tcp'])).map((r) => r.type).sort(), [
        'SRV',
        'TXT',
      ]);
    });
  });
});
