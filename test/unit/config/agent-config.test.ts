import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { DEFAULT_LIMITS } from '../../../src/agent/limits.ts';
import {
  ConfigError,
  DEFAULT_PORT,
  DEFAULT_TLS_PORT,
  loadAgentConfig,
  parseAgentConfig,
} from '../../../src/config/agent-config.ts';

const BASE = path.resolve('/srv/eson');
const MINIMAL = { fqdn: 'fnaa.example.test', dataDir: 'data' } as const;

/** An assert.throws validator: a ConfigError whose message matches every pattern. */
function configError(...patterns: RegExp[]): (error: unknown) => true {
  return (error) => {
    assert.ok(error instanceof ConfigError, `expected ConfigError, got ${String(error)}`);
    assert.match(error.message, /^invalid agent configuration/);
    for (const pattern of patterns) assert.match(error.message, pattern);
    return true;
  };
}

describe('parseAgentConfig: defaults', () => {
  it('fills in every default for a minimal config', () => {
    const config = parseAgentConfig(MINIMAL, BASE);
    assert.equal(config.fqdn, 'fnaa.example.test');
    assert.equal(config.dataDir, path.join(BASE, 'data'));
    assert.deepEqual(config.listen, { host: '127.0.0.1', port: DEFAULT_PORT, tlsPort: DEFAULT_TLS_PORT });
    assert.equal(DEFAULT_PORT, 61000);
    assert.equal(DEFAULT_TLS_PORT, 61001);
    assert.equal(config.tls, undefined);
    assert.deepEqual(config.namespaces, []);
    assert.deepEqual(config.brokers, { default: 'local', local: { fsync: true } });
    assert.equal(config.insecurePlain, false);
    assert.equal(config.greetingDelayMs, 0);
    assert.deepEqual(config.log, { level: 'info' });
    assert.deepEqual(config.resolvedLimits, DEFAULT_LIMITS);
  });

  it('keeps the documented limit defaults', () => {
    assert.deepEqual(DEFAULT_LIMITS, {
      maxLineOctets: 4096,
      idleTimeoutMs: 300000,
      tlsHandshakeTimeoutMs: 10000,
      maxSessions: 20000,
      maxSessionsPerAddress: 256,
      maxUnauthenticatedCommands: 20,
      maxUnknownCommands: 10,
      maxAuthFailures: 3,
      authFailureDelayMs: 500,
      maxEventOctets: 1048576,
      maxBatchEvents: 10000,
      maxBatchOctets: 16777216,
      maxReadEvents: 1000,
      defaultReadEvents: 100,
      maxReadOctets: 4194304,
      maxWaitSeconds: 60,
      shutdownGraceMs: 10000,
    });
  });

  it('merges given limits over the defaults', () => {
    const config = parseAgentConfig(
      { ...MINIMAL, limits: { maxReadEvents: 50, defaultReadEvents: 10 } },
      BASE,
    );
    assert.deepEqual(config.resolvedLimits, { ...DEFAULT_LIMITS, maxReadEvents: 50, defaultReadEvents: 10 });
  });

  it('takes a full config', () => {
    const config = parseAgentConfig(
      {
        fqdn: 'FNAA.Example.Test.',
        dataDir: '/var/lib/eson',
        listen: { host: '0.0.0.0', port: 0, tlsPort: 7001 },
        tls: { keyFile: 'tls/key.pem', certFile: '/etc/eson/cert.pem' },
        namespaces: [
          { name: 'Flows.Example.Test', owner: 'alice', description: 'ours' },
          { name: 'x.test', owner: 'bob' },
        ],
        brokers: { default: 'local', local: { fsync: false } },
        insecurePlain: true,
        greetingDelayMs: 250,
        limits: { maxWaitSeconds: 0 },
        log: { level: 'debug' },
      },
      BASE,
    );
    assert.equal(config.fqdn, 'fnaa.example.test');
    assert.equal(config.dataDir, '/var/lib/eson');
    assert.deepEqual(config.tls, { keyFile: path.join(BASE, 'tls/key.pem'), certFile: '/etc/eson/cert.pem' });
    assert.deepEqual(config.namespaces, [
      { name: 'flows.example.test', owner: 'alice', description: 'ours' },
      { name: 'x.test', owner: 'bob', description: '' },
    ]);
    assert.equal(config.brokers.local.fsync, false);
    assert.equal(config.insecurePlain, true);
    assert.equal(config.greetingDelayMs, 250);
    assert.equal(config.resolvedLimits.maxWaitSeconds, 0);
    assert.equal(config.log.level, 'debug');
  });
});

describe('parseAgentConfig: paths', () => {
  const cases: readonly [string, string, string][] = [
    ['a relative dataDir', 'data', path.join(BASE, 'data')],
    ['a dataDir going up', '../shared/data', path.resolve(BASE, '../shared/data')],
    ['a dot dataDir', '.', BASE],
    ['an absolute dataDir', '/var/lib/eson', '/var/lib/eson'],
  ];
  for (const [what, dataDir, expected] of cases) {
    it(`resolves ${what} against the base directory`, () => {
      assert.equal(parseAgentConfig({ ...MINIMAL, dataDir }, BASE).dataDir, expected);
    });
  }

  it('resolves relative TLS files against the base directory', () => {
    const config = parseAgentConfig(
      { ...MINIMAL, tls: { keyFile: 'key.pem', certFile: './certs/cert.pem' } },
      BASE,
    );
    assert.deepEqual(config.tls, {
      keyFile: path.join(BASE, 'key.pem'),
      certFile: path.join(BASE, 'certs/cert.pem'),
    });
  });

  it('loads a file and resolves paths against the directory holding it', async (t) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'eson-config-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'agent.json');
    await writeFile(file, JSON.stringify(MINIMAL));
    assert.equal((await loadAgentConfig(file)).dataDir, path.join(dir, 'data'));
    await writeFile(file, '{ not json');
    await assert.rejects(loadAgentConfig(file), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /agent\.json is not valid JSON/);
      return true;
    });
    await assert.rejects(loadAgentConfig(path.join(dir, 'missing.json')), (error) => {
      assert.ok(error instanceof ConfigError);
      assert.match(error.message, /cannot read config file .*missing\.json/);
      return true;
    });
  });
});

describe('parseAgentConfig: refusals', () => {
  const cases: readonly [string, unknown, RegExp[]][] = [
    ['an unknown top-level key', { ...MINIMAL, dataDri: 'x' }, [/\n {2}dataDri: unknown key/]],
    [
      'an unknown limits key',
      { ...MINIMAL, limits: { maxLinOctets: 4096 } },
      [/limits\.maxLinOctets: unknown key/],
    ],
    ['an unknown listen key', { ...MINIMAL, listen: { prot: 1 } }, [/listen\.prot: unknown key/]],
    [
      'an unknown tls key',
      { ...MINIMAL, tls: { keyFile: 'k', certFile: 'c', caFile: 'x' } },
      [/tls\.caFile: unknown key/],
    ],
    ['an unknown broker', { ...MINIMAL, brokers: { kafka: {} } }, [/brokers\.kafka: unknown key/]],
    [
      'an unknown local broker key',
      { ...MINIMAL, brokers: { local: { fsnyc: true } } },
      [/brokers\.local\.fsnyc: unknown key/],
    ],
    [
      'an unknown namespace key',
      { ...MINIMAL, namespaces: [{ name: 'a.test', owner: 'alice', onwer: 'x' }] },
      [/namespaces\.0\.onwer: unknown key/],
    ],
    ['an unknown log key', { ...MINIMAL, log: { lvl: 'info' } }, [/log\.lvl: unknown key/]],
    [
      'two unknown keys, each named',
      { ...MINIMAL, a: 1, limits: { b: 2 } },
      [/\n {2}a: unknown key/, /limits\.b: unknown key/],
    ],
    ['a missing fqdn', { dataDir: 'x' }, [/fqdn: /]],
    ['a missing dataDir', { fqdn: 'fnaa.example.test' }, [/dataDir: /]],
    ['an empty dataDir', { ...MINIMAL, dataDir: '' }, [/dataDir: /]],
    [
      'a single-label fqdn',
      { ...MINIMAL, fqdn: 'localhost' },
      [/fqdn: agent name "localhost" must be a fully qualified name/],
    ],
    [
      'an fqdn with an underscore',
      { ...MINIMAL, fqdn: 'fn_aa.example.test' },
      [/fqdn: .*invalid label "fn_aa"/],
    ],
    ['an fqdn with an empty label', { ...MINIMAL, fqdn: 'fnaa..test' }, [/fqdn: .*empty label/]],
    ['an fqdn that is not a string', { ...MINIMAL, fqdn: 42 }, [/fqdn: /]],
    [
      'a bad namespace name',
      { ...MINIMAL, namespaces: [{ name: 'a_b.test', owner: 'alice' }] },
      [/namespaces\.0\.name: .*invalid label "a_b"/],
    ],
    [
      'a namespace without owner',
      { ...MINIMAL, namespaces: [{ name: 'a.test' }] },
      [/namespaces\.0\.owner: /],
    ],
    ['a port out of range', { ...MINIMAL, listen: { port: 70000 } }, [/listen\.port: /]],
    ['an unknown default broker', { ...MINIMAL, brokers: { default: 'kafka' } }, [/brokers\.default: /]],
    ['a negative limit', { ...MINIMAL, limits: { maxSessions: -1 } }, [/limits\.maxSessions: /]],
    ['a fractional limit', { ...MINIMAL, limits: { maxReadEvents: 1.5 } }, [/limits\.maxReadEvents: /]],
    ['a tiny line limit', { ...MINIMAL, limits: { maxLineOctets: 100 } }, [/limits\.maxLineOctets: /]],
    ['a bad log level', { ...MINIMAL, log: { level: 'loud' } }, [/log\.level: /]],
    ['a non-object', 'fnaa.example.test', [/\(root\): /]],
    ['null', null, [/\(root\): /]],
    [
      'defaultReadEvents above maxReadEvents (given)',
      { ...MINIMAL, limits: { defaultReadEvents: 20, maxReadEvents: 10 } },
      [/limits\.defaultReadEvents exceeds limits\.maxReadEvents/],
    ],
    [
      'defaultReadEvents above maxReadEvents (default 100 over a given 50)',
      { ...MINIMAL, limits: { maxReadEvents: 50 } },
      [/limits\.defaultReadEvents exceeds limits\.maxReadEvents/],
    ],
  ];
  for (const [what, input, patterns] of cases) {
    it(`refuses ${what}`, () => {
      assert.throws(() => parseAgentConfig(input, BASE), configError(...patterns));
    });
  }

  it('accepts defaultReadEvents equal to maxReadEvents', () => {
    const config = parseAgentConfig(
      { ...MINIMAL, limits: { defaultReadEvents: 10, maxReadEvents: 10 } },
      BASE,
    );
    assert.equal(config.resolvedLimits.defaultReadEvents, 10);
  });
});
