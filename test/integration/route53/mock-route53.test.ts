/**
 * Route53Writer through the real AWS SDK against a scripted mock Route 53 HTTP server on loopback,
 * for what moto cannot produce: throttling, PriorRequestNotComplete, 5xx, AccessDenied, a change
 * that stays PENDING, a reply lost after the change was applied. Responses follow Route 53's
 * REST-XML error form (`<ErrorResponse><Error><Code>`), which Route 53 also uses for
 * InvalidChangeBatch. Clock and sleep are injected: nothing here waits for real.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, beforeEach, describe, it } from 'node:test';
import { EsonError } from '../../../src/core/errors.ts';
import { Route53Writer, flowRecordSets } from '../../../src/adapters/dns/route53/route53-writer.ts';
import type { Route53WriterOptions } from '../../../src/adapters/dns/route53/route53-writer.ts';
import type { Route53RecordSet } from '../../../src/adapters/dns/route53/record-sets.ts';
import { MOTO_CREDENTIALS } from '../../support/moto.ts';
import { kafkaFlow } from './helpers.ts';

const NS = 'https://route53.amazonaws.com/doc/2013-04-01/';
const ZONE = 'people.example.test';

interface Reply {
  readonly status: number;
  readonly body: string;
}

interface Seen {
  readonly method: string;
  readonly url: string;
  readonly body: string;
}

const xml = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

function errorReply(status: number, code: string, message: string, type = 'Sender'): Reply {
  return {
    status,
    body: `<?xml version="1.0"?>\n<ErrorResponse xmlns="${NS}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xml(message)}</Message></Error><RequestId>req-1</RequestId></ErrorResponse>`,
  };
}

function changeReply(
  status: 'PENDING' | 'INSYNC' = 'PENDING',
  root = 'ChangeResourceRecordSetsResponse',
): Reply {
  return {
    status: 200,
    body: `<?xml version="1.0"?>\n<${root} xmlns="${NS}"><ChangeInfo><Id>/change/C0001</Id><Status>${status}</Status><SubmittedAt>2026-01-01T00:00:00.000Z</SubmittedAt></ChangeInfo></${root}>`,
  };
}

function listReply(sets: readonly Route53RecordSet[]): Reply {
  const items = sets
    .map(
      (s) =>
        `<ResourceRecordSet><Name>${xml(s.Name)}</Name><Type>${s.Type}</Type><TTL>${s.TTL}</TTL><ResourceRecords>` +
        s.ResourceRecords.map((r) => `<ResourceRecord><Value>${xml(r.Value)}</Value></ResourceRecord>`).join(
          '',
        ) +
        `</ResourceRecords></ResourceRecordSet>`,
    )
    .join('');
  return {
    status: 200,
    body: `<?xml version="1.0"?>\n<ListResourceRecordSetsResponse xmlns="${NS}"><ResourceRecordSets>${items}</ResourceRecordSets><IsTruncated>false</IsTruncated><MaxItems>20</MaxItems></ListResourceRecordSetsResponse>`,
  };
}

const THROTTLED = errorReply(400, 'Throttling', 'Rate exceeded');

describe('Route53Writer retries and error mapping (mock Route 53 HTTP server)', () => {
  let server: http.Server;
  let endpoint: string;
  let script: Reply[];
  let seen: Seen[];
  let clock: number;
  let sleeps: number[];

  before(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
      req.on('end', () => {
        seen.push({ method: req.method ?? '', url: req.url ?? '', body });
        const reply =
          script.shift() ?? errorReply(500, 'InternalFailure', 'the test script ran out', 'Receiver');
        res.writeHead(reply.status, { 'content-type': 'text/xml' });
        res.end(reply.body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  after(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  beforeEach(() => {
    script = [];
    seen = [];
    clock = 0;
    sleeps = [];
  });

  function writer(options: Partial<Route53WriterOptions> = {}): Route53Writer {
    return new Route53Writer({
      hostedZoneId: 'Z0000000000001',
      client: { region: 'us-east-1', endpoint, credentials: MOTO_CREDENTIALS },
      rateLimitPerSecond: 1000,
      baseDelayMs: 100,
      maxDelayMs: 1_000,
      now: () => clock,
      sleep: (ms) => {
        clock += ms;
        sleeps.push(ms);
        return Promise.resolve();
      },
      ...options,
    });
  }

  function expectEson(kind: EsonError['kind'], pattern: RegExp): (error: unknown) => boolean {
    return (error: unknown) => {
      assert.ok(error instanceof EsonError, String(error));
      assert.equal(error.kind, kind, error.message);
      assert.match(error.message, pattern);
      return true;
    };
  }

  it('mock: Throttling twice, then success; full-jitter backoff between attempts', async () => {
    script = [THROTTLED, THROTTLED, changeReply('INSYNC')];
    const w = writer({ random: () => 0.5 });
    try {
      await w.registerFlow(kafkaFlow(ZONE));
    } finally {
      await w.close();
    }
    assert.equal(seen.length, 3);
    assert.ok(
      seen.every((s) => s.method === 'POST' && s.url === '/2013-04-01/hostedzone/Z0000000000001/rrset'),
    );
    // random 0.5 of the ceilings 100 and 200 ms.
    assert.deepEqual(sleeps, [50, 100]);
    // One batch of CREATE changes, the same on each attempt.
    assert.equal(seen[0]?.body, seen[2]?.body);
    assert.equal(seen[0]?.body.match(/<Action>CREATE<\/Action>/g)?.length, 5);
  });

  it('mock: PriorRequestNotComplete, a 500 InternalFailure and a non-XML 503 are each retried', async () => {
    script = [
      errorReply(
        400,
        'PriorRequestNotComplete',
        'The request was rejected because Route 53 was still processing a prior request.',
      ),
      errorReply(500, 'InternalFailure', 'internal', 'Receiver'),
      { status: 503, body: 'Service Unavailable' },
      changeReply('INSYNC'),
    ];
    const w = writer();
    try {
      await w.updateFlow(kafkaFlow(ZONE));
    } finally {
      await w.close();
    }
    assert.equal(seen.length, 4);
    assert.equal(sleeps.length, 3);
  });

  it('mock: retries running out is unavailable, naming the attempts and the last code', async () => {
    script = [THROTTLED, THROTTLED, THROTTLED, THROTTLED];
    const w = writer({ maxRetries: 2 });
    try {
      await assert.rejects(
        w.registerFlow(kafkaFlow(ZONE)),
        expectEson(
          'unavailable',
          /ChangeResourceRecordSets on hosted zone Z0000000000001 failed 3 times, last with Throttling: Rate exceeded/,
        ),
      );
    } finally {
      await w.close();
    }
    assert.equal(seen.length, 3);
  });

  it('mock: AccessDenied is forbidden at once, with the reason, and not retried', async () => {
    script = [
      errorReply(
        403,
        'AccessDenied',
        'User: arn:aws:iam::123456789012:user/agent is not authorized to perform: route53:ChangeResourceRecordSets',
      ),
    ];
    const w = writer();
    try {
      await assert.rejects(
        w.registerFlow(kafkaFlow(ZONE)),
        expectEson(
          'forbidden',
          /refused access to hosted zone Z0000000000001 \(AccessDenied: User: .* is not authorized/,
        ),
      );
    } finally {
      await w.close();
    }
    assert.equal(seen.length, 1);
  });

  it("mock: Route 53's InvalidChangeBatch 'already exists' (another agent's values) is exists", async () => {
    const name = `notifications.calendar.${ZONE}.`;
    script = [
      errorReply(
        400,
        'InvalidChangeBatch',
        `[Tried to create resource record set [name='_flow._tcp.${name}', type='SRV'] but it already exists]`,
      ),
    ];
    const w = writer();
    try {
      await assert.rejects(
        w.registerFlow(kafkaFlow(ZONE)),
        expectEson('exists', /is already registered.*nothing was changed/),
      );
    } finally {
      await w.close();
    }
    assert.equal(seen.length, 1);
  });

  it('mock: another InvalidChangeBatch (bad value) is invalid-argument quoting Route 53', async () => {
    script = [
      errorReply(
        400,
        'InvalidChangeBatch',
        '[Invalid Resource Record: FATAL problem: InvalidSRVRData encountered]',
      ),
    ];
    const w = writer();
    try {
      await assert.rejects(
        w.registerFlow(kafkaFlow(ZONE)),
        expectEson('invalid-argument', /InvalidSRVRData/),
      );
    } finally {
      await w.close();
    }
  });

  it('mock: a reply lost after the CREATE was applied: the retry finds our own records, so it succeeds', async () => {
    const registration = kafkaFlow(ZONE);
    const sets = flowRecordSets(registration);
    const at = (name: string): Route53RecordSet[] => sets.filter((s) => s.Name === name);
    script = [
      errorReply(500, 'InternalFailure', 'internal', 'Receiver'),
      errorReply(
        400,
        'InvalidChangeBatch',
        `[Tried to create resource record set [name='${sets[0]?.Name}', type='PTR'] but it already exists]`,
      ),
      listReply(at(`notifications.calendar.${ZONE}.`)),
      listReply(at(`_flow._tcp.notifications.calendar.${ZONE}.`)),
      listReply(at(`_queue._flow._tcp.notifications.calendar.${ZONE}.`)),
    ];
    const w = writer();
    try {
      await w.registerFlow(registration);
    } finally {
      await w.close();
    }
    assert.deepEqual(
      seen.map((s) => s.method),
      ['POST', 'POST', 'GET', 'GET', 'GET'],
    );
  });

  it('mock: after a lost reply, records that are not ours are still exists', async () => {
    const registration = kafkaFlow(ZONE);
    const theirs = flowRecordSets(
      kafkaFlow(ZONE, { agent: { host: 'other.example.test', port: 61000, tls: true } }),
    );
    const at = (name: string): Route53RecordSet[] => theirs.filter((s) => s.Name === name);
    script = [
      { status: 502, body: 'Bad Gateway' },
      errorReply(
        400,
        'InvalidChangeBatch',
        `[Tried to create resource record set [name='x.', type='PTR'] but it already exists]`,
      ),
      listReply(at(`notifications.calendar.${ZONE}.`)),
      listReply(at(`_flow._tcp.notifications.calendar.${ZONE}.`)),
      listReply(at(`_queue._flow._tcp.notifications.calendar.${ZONE}.`)),
    ];
    const w = writer();
    try {
      await assert.rejects(w.registerFlow(registration), expectEson('exists', /already registered/));
    } finally {
      await w.close();
    }
  });

  it('mock: waitForInsync polls GetChange until the change is INSYNC', async () => {
    script = [
      changeReply('PENDING'),
      changeReply('PENDING', 'GetChangeResponse'),
      changeReply('INSYNC', 'GetChangeResponse'),
    ];
    const w = writer({ waitForInsync: true, insyncPollMs: 1_500 });
    try {
      await w.registerNamespace({
        namespace: ZONE,
        agent: { host: `agent.${ZONE}`, port: 61000, tls: true },
        ttl: 300,
      });
    } finally {
      await w.close();
    }
    assert.deepEqual(
      seen.map((s) => `${s.method} ${s.url}`),
      [
        'POST /2013-04-01/hostedzone/Z0000000000001/rrset',
        'GET /2013-04-01/change/C0001',
        'GET /2013-04-01/change/C0001',
      ],
    );
    assert.deepEqual(sleeps, [1_500, 1_500]);
  });

  it('mock: a change still PENDING at insyncTimeoutMs is unavailable, saying it was accepted', async () => {
    script = [
      changeReply('PENDING'),
      ...Array.from({ length: 10 }, () => changeReply('PENDING', 'GetChangeResponse')),
    ];
    const w = writer({ waitForInsync: true, insyncPollMs: 1_000, insyncTimeoutMs: 3_000 });
    try {
      await assert.rejects(
        w.registerFlow(kafkaFlow(ZONE)),
        expectEson('unavailable', /change \/change\/C0001 was accepted but is not INSYNC after 3000 ms/),
      );
    } finally {
      await w.close();
    }
    assert.equal(seen.length, 4);
  });

  it('a refused connection (nothing listening) is retried, then unavailable', async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const w = writer({
      client: { region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: MOTO_CREDENTIALS },
      maxRetries: 2,
    });
    try {
      await assert.rejects(
        w.unregisterFlow(kafkaFlow(ZONE)),
        expectEson('unavailable', /failed 3 times, last with ECONNREFUSED/),
      );
    } finally {
      await w.close();
    }
    assert.equal(sleeps.length, 2);
  });
});
