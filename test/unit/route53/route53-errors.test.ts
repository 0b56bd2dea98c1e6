/**
 * Classification of Route 53 failures, on the SDK's own error classes (constructed here as the SDK
 * constructs them when it parses a response) and on Node's transport errors.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InvalidChangeBatch,
  InvalidInput,
  NoSuchChange,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  Route53ServiceException,
  ThrottlingException,
} from '@aws-sdk/client-route-53';
import {
  classifyRoute53Error,
  errorCode,
  errorMessage,
  isAlreadyExists,
  isDeleteMismatch,
} from '../../../src/adapters/dns/route53/route53-errors.ts';

const meta = (httpStatusCode: number) => ({ $metadata: { httpStatusCode } });

/** What the SDK throws for an error code its model does not list (Throttling, AccessDenied, ...). */
function unmodelled(
  name: string,
  httpStatusCode: number,
  message: string,
  fault: 'client' | 'server' = 'client',
) {
  return new Route53ServiceException({ name, $fault: fault, message, ...meta(httpStatusCode) });
}

function transport(code: string): Error {
  return Object.assign(new Error(`connect ${code} 127.0.0.1:1`), { code });
}

describe('Route 53 error classification', () => {
  it('throttling and PriorRequestNotComplete are retriable and were not applied', () => {
    for (const error of [
      unmodelled('Throttling', 400, 'Rate exceeded'),
      new ThrottlingException({ message: 'Rate exceeded', ...meta(400) }),
      new PriorRequestNotComplete({ message: 'still processing a prior request', ...meta(400) }),
      unmodelled('TooManyRequestsException', 429, 'slow down'),
      unmodelled('SomethingNew', 429, 'status 429 alone'),
    ]) {
      const c = classifyRoute53Error(error);
      assert.equal(c.retriable, true, errorCode(error));
      assert.equal(c.retriable && c.ambiguous, false, errorCode(error));
    }
  });

  it('5xx, timeouts and dropped connections are retriable and may have been applied', () => {
    const plain503 = Object.assign(new Error('@aws-sdk XML parse error'), meta(503));
    for (const error of [
      unmodelled('InternalFailure', 500, 'oops', 'server'),
      unmodelled('ServiceUnavailable', 503, 'busy', 'server'),
      plain503,
      transport('ECONNRESET'),
      transport('ETIMEDOUT'),
      Object.assign(new Error('socket timed out'), { name: 'TimeoutError' }),
    ]) {
      const c = classifyRoute53Error(error);
      assert.equal(c.retriable, true, errorCode(error));
      assert.equal(c.retriable && c.ambiguous, true, errorCode(error));
    }
  });

  it('a refused connection or unknown host is retriable and certainly not applied', () => {
    for (const code of ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']) {
      const c = classifyRoute53Error(transport(code));
      assert.deepEqual([c.retriable, c.retriable && c.ambiguous, c.code], [true, false, code]);
    }
  });

  it('access and credential failures are forbidden, not retried', () => {
    for (const error of [
      unmodelled('AccessDenied', 403, 'User: arn:aws:iam::1:user/x is not authorized'),
      unmodelled('InvalidClientTokenId', 403, 'The security token included in the request is invalid.'),
      unmodelled('SignatureDoesNotMatch', 403, 'The request signature we calculated does not match'),
      unmodelled('ExpiredToken', 400, 'The security token included in the request is expired'),
      Object.assign(new Error('Could not load credentials from any providers'), {
        name: 'CredentialsProviderError',
      }),
    ]) {
      const c = classifyRoute53Error(error);
      assert.equal(c.retriable, false);
      assert.equal(!c.retriable && c.kind, 'forbidden', errorCode(error));
    }
  });

  it('NoSuchHostedZone and NoSuchChange are not-found', () => {
    for (const error of [
      new NoSuchHostedZone({ message: 'No hosted zone found with ID: Z1', ...meta(404) }),
      new NoSuchChange({ message: 'A change with the specified change ID does not exist.', ...meta(404) }),
    ]) {
      const c = classifyRoute53Error(error);
      assert.equal(!c.retriable && c.kind, 'not-found');
    }
  });

  it("InvalidChangeBatch 'already exists' is exists; other InvalidChangeBatch and InvalidInput are invalid-argument", () => {
    const exists = new InvalidChangeBatch({
      message:
        "[Tried to create resource record set [name='a.example.com.', type='TXT'] but it already exists]",
      ...meta(400),
    });
    assert.equal(isAlreadyExists(exists), true);
    const c1 = classifyRoute53Error(exists);
    assert.equal(!c1.retriable && c1.kind, 'exists');

    // The older response form listed each message in `messages`.
    const listed = new InvalidChangeBatch({
      message: 'UnknownError',
      messages: ["Tried to create resource record set [name='a.', type='PTR'] but it already exists"],
      ...meta(400),
    });
    assert.equal(isAlreadyExists(listed), true);
    assert.match(errorMessage(listed), /UnknownError; Tried to create/);

    for (const error of [
      new InvalidChangeBatch({
        message: '[RRSet with DNS name a.other.test. is not permitted in zone example.test.]',
        ...meta(400),
      }),
      new InvalidInput({ message: 'Invalid request', ...meta(400) }),
      unmodelled('MalformedInput', 400, 'ChangeBatch is not valid'),
      unmodelled('SomeFutureClientError', 400, 'new'),
    ]) {
      const c = classifyRoute53Error(error);
      assert.equal(!c.retriable && c.kind, 'invalid-argument', errorCode(error));
    }
  });

  it('recognizes a DELETE that did not match (Route 53 wording and moto wording)', () => {
    const notFound = new InvalidChangeBatch({
      message:
        "[Tried to delete resource record set [name='a.example.com.', type='TXT'] but it was not found]",
      ...meta(400),
    });
    const mismatch = new InvalidChangeBatch({
      message:
        "[Tried to delete resource record set [name='a.example.com.', type='TXT'] but the values provided do not match the current values]",
      ...meta(400),
    });
    const moto = new InvalidInput({
      message:
        'Invalid request: Expected exactly one of [AliasTarget, all of [TTL, and ResourceRecords], or TrafficPolicyInstanceId], but found none in Change with [Action=DELETE, Name=a.example.com., Type=TXT, SetIdentifier=null]',
      ...meta(400),
    });
    for (const error of [notFound, mismatch, moto]) assert.equal(isDeleteMismatch(error), true);
    assert.equal(
      isDeleteMismatch(
        new InvalidChangeBatch({
          message: "[Tried to create resource record set [name='a.', type='A'] but it already exists]",
          ...meta(400),
        }),
      ),
      false,
    );
    assert.equal(isDeleteMismatch(new InvalidInput({ message: 'Invalid request', ...meta(400) })), false);
  });

  it('errors that are neither AWS nor transport errors are left alone', () => {
    for (const error of [
      new TypeError('x is undefined'),
      Object.assign(new Error('aborted'), { name: 'AbortError' }),
      'a string',
    ]) {
      const c = classifyRoute53Error(error);
      assert.equal(c.retriable, false);
      assert.equal(!c.retriable && c.kind, undefined);
    }
  });

  it('reads the code from the name, Code or a transport code', () => {
    assert.equal(errorCode(unmodelled('Throttling', 400, 'x')), 'Throttling');
    assert.equal(errorCode(transport('ECONNRESET')), 'ECONNRESET');
    assert.equal(errorCode(null), 'Unknown');
    assert.equal(errorMessage(new PriorRequestNotComplete({ message: 'wait', ...meta(400) })), 'wait');
  });
});
