/** resolv.conf(5): nameservers (at most three), options, and the error when there is none. */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import { parseResolvConf, systemResolvConf } from '../../../src/dns/resolver/resolv-conf.ts';
import { DnsResolver } from '../../../src/dns/resolver/stub-resolver.ts';

describe('resolv.conf', () => {
  it('lists the first three valid nameservers on port 53 and reads the options a stub uses', () => {
    const conf = parseResolvConf(
      [
        '# generated',
        'search example.com',
        'nameserver 10.0.0.1',
        'nameserver   2001:db8::53 ; comment',
        'nameserver not-an-address',
        'nameserver fe80::1%eth0',
        'nameserver 10.0.0.4',
        'options ndots:2 timeout:3 attempts:4 trust-ad edns0',
      ].join('\n'),
    );
    assert.deepEqual(conf.nameservers, [
      { host: '10.0.0.1', port: 53 },
      { host: '2001:db8::53', port: 53 },
      { host: 'fe80::1%eth0', port: 53 },
    ]);
    assert.equal(conf.timeoutMs, 3000);
    assert.equal(conf.attempts, 4);
    assert.equal(conf.trustAd, true);
  });

  it('has no options when the file gives none', () => {
    assert.deepEqual(parseResolvConf('nameserver 127.0.0.53\n'), {
      nameservers: [{ host: '127.0.0.53', port: 53 }],
      timeoutMs: undefined,
      attempts: undefined,
      trustAd: false,
    });
  });

  it('fails clearly when there is no nameserver, or no file', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'eson-resolv-'));
    try {
      const empty = path.join(dir, 'resolv.conf');
      await writeFile(empty, 'search example.com\n');
      const noServer = (error: unknown): boolean => {
        assert.ok(error instanceof EsonError);
        assert.equal(error.kind, 'invalid-argument');
        assert.match(
          error.message,
          /no DNS server configured: .*resolv.conf has no "nameserver <address>" line; pass the resolver its `nameservers`/,
        );
        return true;
      };
      assert.throws(() => systemResolvConf(empty), noServer);
      assert.throws(() => new DnsResolver({ resolvConfPath: empty }), noServer);
      assert.throws(
        () => systemResolvConf(path.join(dir, 'missing')),
        (error: unknown) => error instanceof EsonError && /cannot read .*missing/.test(error.message),
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("gives the resolver the file's servers, timeout and attempts when it is given none", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'eson-resolv-'));
    try {
      const file = path.join(dir, 'resolv.conf');
      await writeFile(file, 'nameserver 192.0.2.53\noptions timeout:1 attempts:1\n');
      const resolver = new DnsResolver({ resolvConfPath: file });
      assert.deepEqual(resolver.nameservers, [{ host: '192.0.2.53', port: 53 }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
