import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  findOfferedSaslMechanism,
  getSaslMechanism,
  offeredSaslMechanisms,
  SASL_MECHANISMS,
} from '../../../src/auth/sasl/registry.ts';

describe('SASL mechanism registry', () => {
  it('holds each mechanism under its upper-case name', () => {
    assert.deepEqual([...SASL_MECHANISMS.keys()].sort(), ['ANONYMOUS', 'PLAIN', 'SCRAM-SHA-256']);
    for (const [name, mechanism] of SASL_MECHANISMS) assert.equal(mechanism.name, name);
  });

  it('finds mechanisms case-insensitively, ASCII only', () => {
    assert.equal(getSaslMechanism('scram-sha-256')?.name, 'SCRAM-SHA-256');
    assert.equal(getSaslMechanism('Plain')?.name, 'PLAIN');
    assert.equal(getSaslMechanism('PLA\u0131N'), undefined); // dotless i upper-cases to I
    assert.equal(getSaslMechanism('__proto__'), undefined);
    assert.equal(getSaslMechanism('CRAM-MD5'), undefined);
  });

  it('offers PLAIN only inside TLS and ANONYMOUS only when allowed, strongest first', () => {
    assert.deepEqual(offeredSaslMechanisms({ secure: false, allowAnonymous: false }), ['SCRAM-SHA-256']);
    assert.deepEqual(offeredSaslMechanisms({ secure: true, allowAnonymous: false }), [
      'SCRAM-SHA-256',
      'PLAIN',
    ]);
    assert.deepEqual(offeredSaslMechanisms({ secure: true, allowAnonymous: true }), [
      'SCRAM-SHA-256',
      'PLAIN',
      'ANONYMOUS',
    ]);
  });

  it('finds only offered mechanisms', () => {
    assert.equal(findOfferedSaslMechanism('plain', { secure: false, allowAnonymous: true }), undefined);
    assert.equal(findOfferedSaslMechanism('plain', { secure: true, allowAnonymous: false })?.name, 'PLAIN');
    assert.equal(findOfferedSaslMechanism('ANONYMOUS', { secure: true, allowAnonymous: false }), undefined);
  });
});
