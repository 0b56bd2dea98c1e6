import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import { flowRecordNames } from '../../../src/core/fns-records.ts';
import {
  recordValue,
  registerFlowRequest,
  registerNamespaceRequest,
  unregisterFlowRequest,
  unregisterNamespaceRequest,
  updateFlowRequest,
} from '../../../src/adapters/dns/rfc2136/flow-updates.ts';
import { NO_ANSWER, rcodeOutcome } from '../../../src/dns/rcode-errors.ts';
import { Rcode, typeName } from '../../../src/dns/wire/constants.ts';
import type { UpdateOperation, UpdateRequest } from '../../../src/dns/wire/update.ts';
import type { FlowRegistration } from '../../../src/ports/name-service.ts';
import { GOLDEN_REGISTRATION } from './helpers.ts';

const ZONE = 'orange.test';
const F = GOLDEN_REGISTRATION.flow;

const show = (u: UpdateOperation): string => {
  switch (u.kind) {
    case 'add':
      return `add ${u.record.name} ${typeName(u.record.type)}`;
    case 'delete-rrset':
      return `delete ${u.name} ${typeName(u.type)}`;
    case 'delete-name':
      return `delete ${u.name} *`;
    case 'delete-rr':
      return `delete ${u.record.name} ${typeName(u.record.type)} rr`;
  }
};
const updatesOf = (r: UpdateRequest): string[] => r.updates.map(show);

const LAYOUT_DELETIONS = [
  `delete ${F} PTR`,
  `delete _flow._tcp.${F} SRV`,
  `delete _flow._tcp.${F} TXT`,
  `delete _queue._flow._tcp.${F} SRV`,
  `delete _queue._flow._tcp.${F} TXT`,
];

describe('the UPDATE of each writer call', () => {
  it('registerFlow: "PTR does not exist" and "_flow._tcp name not in use", then the records', () => {
    const r = registerFlowRequest(ZONE, GOLDEN_REGISTRATION, 1);
    assert.equal(r.zone, ZONE);
    assert.deepEqual(r.prerequisites, [
      { kind: 'rrset-does-not-exist', name: F, type: 12 },
      { kind: 'name-not-in-use', name: `_flow._tcp.${F}` },
    ]);
    assert.deepEqual(updatesOf(r), [
      `add ${F} PTR`,
      `add _flow._tcp.${F} SRV`,
      `add _flow._tcp.${F} TXT`,
      `add _queue._flow._tcp.${F} SRV`,
      `add _queue._flow._tcp.${F} TXT`,
    ]);
  });

  it('updateFlow: "PTR exists", then every RRset of the layout replaced', () => {
    const withoutTls: FlowRegistration = {
      ...GOLDEN_REGISTRATION,
      agent: { ...GOLDEN_REGISTRATION.agent, tls: false },
    };
    const r = updateFlowRequest(ZONE, withoutTls, 1);
    assert.deepEqual(r.prerequisites, [{ kind: 'rrset-exists', name: F, type: 12 }]);
    // The agent's TXT "tls" is deleted although the new registration has none.
    assert.deepEqual(updatesOf(r), [
      ...LAYOUT_DELETIONS,
      `add ${F} PTR`,
      `add _flow._tcp.${F} SRV`,
      `add _queue._flow._tcp.${F} SRV`,
      `add _queue._flow._tcp.${F} TXT`,
    ]);
  });

  it('unregisterFlow: deletes the RRsets of the layout at flowRecordNames, nothing else, no prerequisite', () => {
    const r = unregisterFlowRequest(ZONE, GOLDEN_REGISTRATION, 1);
    assert.deepEqual(r.prerequisites, []);
    assert.deepEqual(updatesOf(r), LAYOUT_DELETIONS);
    const names = new Set(r.updates.map((u) => (u.kind === 'delete-rrset' ? u.name : '')));
    assert.deepEqual([...names].sort(), [...flowRecordNames(F)].sort());
  });

  it('registerNamespace replaces the namespace SRV and TXT; unregisterNamespace deletes them', () => {
    const ns = {
      namespace: 'flows.orange.test',
      agent: { host: 'agent.orange.test', port: 61000, tls: false },
      ttl: 60,
    };
    assert.deepEqual(updatesOf(registerNamespaceRequest(ZONE, ns, 1)), [
      'delete _flow._tcp.flows.orange.test SRV',
      'delete _flow._tcp.flows.orange.test TXT',
      'add _flow._tcp.flows.orange.test SRV',
    ]);
    assert.deepEqual(updatesOf(unregisterNamespaceRequest(ZONE, ns, 1)), [
      'delete _flow._tcp.flows.orange.test SRV',
      'delete _flow._tcp.flows.orange.test TXT',
    ]);
  });

  it('refuses a flow outside the zone before building anything', () => {
    assert.throws(
      () => registerFlowRequest('other.test', GOLDEN_REGISTRATION, 1),
      (e: unknown) =>
        e instanceof EsonError && e.kind === 'invalid-name' && /outside the zone other\.test/.test(e.message),
    );
  });

  it('refuses a TXT string over 255 octets with a clear message', () => {
    const long: FlowRegistration = {
      ...GOLDEN_REGISTRATION,
      broker: { ...GOLDEN_REGISTRATION.broker, queue: 'q'.repeat(250) },
    };
    assert.throws(
      () => registerFlowRequest(ZONE, long, 1),
      (e: unknown) =>
        e instanceof EsonError && e.kind === 'invalid-argument' && /256 octets, over 255/.test(e.message),
    );
  });

  it('refuses an address record the wire cannot carry', () => {
    assert.throws(
      () => recordValue({ name: 'a.orange.test', ttl: 60, type: 'AAAA', address: '2001:db8::g' }),
      (e: unknown) =>
        e instanceof EsonError &&
        e.kind === 'invalid-argument' &&
        /AAAA record of a\.orange\.test/.test(e.message),
    );
  });
});

describe('the RCODE table', () => {
  const cases: readonly [string, number, string, boolean][] = [
    ['NOERROR', Rcode.NOERROR, 'ok', false],
    ['SERVFAIL', Rcode.SERVFAIL, 'unavailable', true],
    ['REFUSED', Rcode.REFUSED, 'forbidden', false],
    ['NOTAUTH', Rcode.NOTAUTH, 'forbidden', false],
    ['NOTZONE', Rcode.NOTZONE, 'forbidden', false],
    ['YXDOMAIN', Rcode.YXDOMAIN, 'exists', false],
    ['YXRRSET', Rcode.YXRRSET, 'exists', false],
    ['NXRRSET', Rcode.NXRRSET, 'not-found', false],
    ['BADSIG', Rcode.BADSIG, 'forbidden', false],
    ['BADKEY', Rcode.BADKEY, 'forbidden', false],
    ['BADTIME', Rcode.BADTIME, 'forbidden', false],
    ['BADTRUNC', Rcode.BADTRUNC, 'forbidden', false],
    ['FORMERR', Rcode.FORMERR, 'rejected', false],
    ['an unknown RCODE', 3841, 'rejected', false],
  ];
  for (const [name, code, kind, retriable] of cases) {
    it(`${name} -> ${kind}${retriable ? ', retriable' : ''}`, () => {
      assert.equal(rcodeOutcome(code).kind, kind);
      assert.equal(rcodeOutcome(code).retriable, retriable);
    });
  }
  it('no answer -> unavailable, retriable', () => {
    assert.equal(NO_ANSWER.kind, 'unavailable');
    assert.ok(NO_ANSWER.retriable);
  });
});
