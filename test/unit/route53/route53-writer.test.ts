/**
 * Route53Writer with a mocked `send` of a real Route53Client (nothing reaches the network): which
 * commands each operation sends, how failures built from the SDK's own error classes are retried
 * or mapped, and the rate limit, on an injected clock.
 */
import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import type { Change, ResourceRecordSet } from '@aws-sdk/client-route-53';
import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  InvalidChangeBatch,
  ListResourceRecordSetsCommand,
  NoSuchHostedZone,
  PriorRequestNotComplete,
  Route53Client,
  Route53ServiceException,
} from '@aws-sdk/client-route-53';
import { EsonError } from '../../../src/core/errors.ts';
import type { Route53WriterOptions } from '../../../src/adapters/dns/route53/route53-writer.ts';
import { Route53Writer, flowRecordSets } from '../../../src/adapters/dns/route53/route53-writer.ts';
import type { FlowRegistration } from '../../../src/ports/name-service.ts';

const FLOW: FlowRegistration = {
  flow: 'orders.people.example.com',
  agent: { host: 'fnaa.people.example.com', port: 61000, tls: true },
  broker: { type: 'kafka', host: 'kafka.people.example.com', port: 9093, queue: 'orders', tls: false },
  ttl: 60,
};

const meta = { $metadata: { httpStatusCode: 400 } };
const throttling = (): Route53ServiceException =>
  new Route53ServiceException({ name: 'Throttling', $fault: 'client', message: 'Rate exceeded', ...meta });
const internal = (): Route53ServiceException =>
  new Route53ServiceException({
    name: 'InternalFailure',
    $fault: 'server',
    message: 'oops',
    $metadata: { httpStatusCode: 500 },
  });

type Sent = ChangeResourceRecordSetsCommand | ListResourceRecordSetsCommand | GetChangeCommand;

/** A writer whose client's `send` answers from `answer`; records what was sent and slept. */
function harness(
  answer: (command: Sent, index: number) => unknown,
  options: Partial<Route53WriterOptions> = {},
) {
  const client = new Route53Client({
    region: 'us-east-1',
    endpoint: 'http://127.0.0.1:9',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    maxAttempts: 1,
  });
  const sent: Sent[] = [];
  const send = mock.method(client, 'send', (command: Sent) => {
    sent.push(command);
    const result = answer(command, sent.length - 1);
    return result instanceof Error ? Promise.reject(result) : Promise.resolve(result);
  });
  const clock = { time: 0, sleeps: [] as number[] };
  const writer = new Route53Writer({
    hostedZoneId: 'Z1EXAMPLE',
    client,
    now: () => clock.time,
    sleep: (ms) => {
      clock.sleeps.push(ms);
      clock.time += ms;
      return Promise.resolve();
    },
    random: () => 0.5,
    baseDelayMs: 100,
    ...options,
  });
  return { client, writer, sent, send, clock };
}

const accepted = { ChangeInfo: { Id: '/change/C1', Status: 'INSYNC', SubmittedAt: new Date(0) } };
const changes = (command: Sent): Change[] =>
  command instanceof ChangeResourceRecordSetsCommand ? (command.input.ChangeBatch?.Changes ?? []) : [];
const list = (sets: ResourceRecordSet[]) => ({ ResourceRecordSets: sets, IsTruncated: false, MaxItems: 20 });

function eson(kind: EsonError['kind'], pattern?: RegExp): (error: unknown) => boolean {
  return (error: unknown) => {
    assert.ok(error instanceof EsonError, String(error));
    assert.equal(error.kind, kind, error.message);
    if (pattern) assert.match(error.message, pattern);
    return true;
  };
}

describe('Route53Writer (mock client)', () => {
  it('mock: registerFlow sends ONE batch of CREATE actions, one per record set', async () => {
    const { writer, sent } = harness(() => accepted);
    await writer.registerFlow(FLOW);
    assert.equal(sent.length, 1);
    const command = sent[0] as ChangeResourceRecordSetsCommand;
    assert.ok(command instanceof ChangeResourceRecordSetsCommand);
    assert.equal(command.input.HostedZoneId, 'Z1EXAMPLE');
    assert.match(
      command.input.ChangeBatch?.Comment ?? '',
      /^eson registerFlow orders\.people\.example\.com$/,
    );
    assert.deepEqual(
      changes(command).map((c) => c.Action),
      ['CREATE', 'CREATE', 'CREATE', 'CREATE', 'CREATE'],
    );
    assert.deepEqual(
      changes(command).map((c) => c.ResourceRecordSet),
      flowRecordSets(FLOW),
    );
  });

  it('mock: updateFlow UPSERTs; with TLS on it reads nothing first', async () => {
    const { writer, sent } = harness(() => accepted);
    await writer.updateFlow(FLOW);
    assert.equal(sent.length, 1);
    assert.deepEqual(
      changes(sent[0] as Sent).map((c) => c.Action),
      ['UPSERT', 'UPSERT', 'UPSERT', 'UPSERT', 'UPSERT'],
    );
  });

  it('mock: updateFlow with TLS off reads the agent TXT and DELETEs it in the same batch', async () => {
    const noTls = { ...FLOW, agent: { ...FLOW.agent, tls: false } };
    const svc = '_flow._tcp.orders.people.example.com.';
    const heldTxt = { Name: svc, Type: 'TXT' as const, TTL: 60, ResourceRecords: [{ Value: '"tls"' }] };
    const { writer, sent } = harness((command) =>
      command instanceof ListResourceRecordSetsCommand
        ? list([
            {
              Name: svc,
              Type: 'SRV',
              TTL: 60,
              ResourceRecords: [{ Value: '10 10 61000 fnaa.people.example.com.' }],
            },
            heldTxt,
            { Name: `_queue.${svc}`, Type: 'SRV', TTL: 60, ResourceRecords: [{ Value: '10 10 9093 k.' }] },
          ])
        : accepted,
    );
    await writer.updateFlow(noTls);
    assert.equal(sent.length, 2);
    assert.ok(sent[0] instanceof ListResourceRecordSetsCommand);
    assert.equal(sent[0].input.StartRecordName, svc);
    const batch = changes(sent[1] as Sent);
    assert.deepEqual(
      batch.map((c) => `${c.Action} ${c.ResourceRecordSet?.Name} ${c.ResourceRecordSet?.Type}`),
      [
        'UPSERT orders.people.example.com. PTR',
        `UPSERT ${svc} SRV`,
        `UPSERT _queue.${svc} SRV`,
        `UPSERT _queue.${svc} TXT`,
        `DELETE ${svc} TXT`,
      ],
    );
    assert.deepEqual(batch[4]?.ResourceRecordSet, heldTxt);
  });

  it('mock: unregisterFlow DELETEs exactly the written sets in one batch when they match', async () => {
    const { writer, sent } = harness(() => accepted);
    await writer.unregisterFlow(FLOW);
    assert.equal(sent.length, 1);
    assert.deepEqual(
      changes(sent[0] as Sent).map((c) => [c.Action, c.ResourceRecordSet]),
      flowRecordSets(FLOW).map((s) => ['DELETE', s]),
    );
  });

  it('mock: when the DELETE does not match, unregisterFlow reads the sets and deletes those that are its own', async () => {
    const sets = flowRecordSets(FLOW);
    // The PTR and the queue sets are gone; the agent SRV and TXT are there with another TTL.
    const held = sets.filter((s) => s.Name.startsWith('_flow.')).map((s) => ({ ...s, TTL: 300 }));
    const { writer, sent } = harness((command, index) => {
      if (index === 0) {
        return new InvalidChangeBatch({
          message:
            "[Tried to delete resource record set [name='orders.people.example.com.', type='PTR'] but it was not found]",
          ...meta,
        });
      }
      if (command instanceof ListResourceRecordSetsCommand) {
        const name = command.input.StartRecordName;
        return list(held.filter((s) => s.Name === name));
      }
      return accepted;
    });
    await writer.unregisterFlow(FLOW);
    assert.deepEqual(
      sent.map((c) => c.constructor.name),
      [
        'ChangeResourceRecordSetsCommand',
        'ListResourceRecordSetsCommand',
        'ListResourceRecordSetsCommand',
        'ListResourceRecordSetsCommand',
        'ChangeResourceRecordSetsCommand',
      ],
    );
    assert.deepEqual(
      changes(sent[4] as Sent).map((c) => [c.Action, c.ResourceRecordSet]),
      held.map((s) => ['DELETE', s]),
    );
  });

  it('mock: unregistering when nothing is there sends no second batch', async () => {
    const { writer, sent } = harness((command, index) => {
      if (index === 0)
        return new InvalidChangeBatch({
          message: '[Tried to delete resource record set [...] but it was not found]',
          ...meta,
        });
      return command instanceof ListResourceRecordSetsCommand ? list([]) : accepted;
    });
    await writer.unregisterFlow(FLOW);
    assert.equal(sent.length, 4);
  });

  it('mock: records that change between the read and the batch make updateFlow unavailable, not invalid', async () => {
    const svc = '_flow._tcp.orders.people.example.com.';
    const { writer } = harness((command) =>
      command instanceof ListResourceRecordSetsCommand
        ? list([{ Name: svc, Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"tls"' }] }])
        : new InvalidChangeBatch({
            message: `[Tried to delete resource record set [name='${svc}', type='TXT'] but it was not found]`,
            ...meta,
          }),
    );
    await assert.rejects(
      writer.updateFlow({ ...FLOW, agent: { ...FLOW.agent, tls: false } }),
      eson('unavailable', /changed while this change was made/),
    );
  });

  it('mock: a set of one name read across two pages is all found', async () => {
    const svc = '_flow._tcp.orders.people.example.com.';
    const { writer, sent } = harness((command) => {
      if (!(command instanceof ListResourceRecordSetsCommand)) return accepted;
      if (command.input.StartRecordType === 'TXT') {
        return list([{ Name: svc, Type: 'TXT', TTL: 60, ResourceRecords: [{ Value: '"tls"' }] }]);
      }
      return {
        ResourceRecordSets: [{ Name: svc, Type: 'SRV', TTL: 60, ResourceRecords: [{ Value: '1 1 1 x.' }] }],
        IsTruncated: true,
        NextRecordName: svc,
        NextRecordType: 'TXT',
        MaxItems: 1,
      };
    });
    await writer.updateFlow({ ...FLOW, agent: { ...FLOW.agent, tls: false } });
    assert.equal(sent.length, 3);
    assert.equal((sent[1] as ListResourceRecordSetsCommand).input.StartRecordType, 'TXT');
    assert.equal(changes(sent[2] as Sent).filter((c) => c.Action === 'DELETE').length, 1);
  });

  it('mock: Throttling and PriorRequestNotComplete are retried with full-jitter backoff', async () => {
    const { writer, sent, clock } = harness((_c, index) =>
      index === 0
        ? throttling()
        : index === 1
          ? new PriorRequestNotComplete({ message: 'still processing', ...meta })
          : index === 2
            ? internal()
            : accepted,
    );
    await writer.registerFlow(FLOW);
    assert.equal(sent.length, 4);
    // random() = 0.5 of the ceilings 100, 200, 400 ms.
    assert.deepEqual(clock.sleeps, [50, 100, 200]);
  });

  it('mock: after maxRetries retries it is unavailable and says how often it tried', async () => {
    const { writer, sent } = harness(() => throttling(), { maxRetries: 3 });
    await assert.rejects(
      writer.registerFlow(FLOW),
      eson('unavailable', /failed 4 times, last with Throttling: Rate exceeded/),
    );
    assert.equal(sent.length, 4);
  });

  it('mock: maxRetries 0 tries once', async () => {
    const { writer, sent } = harness(() => internal(), { maxRetries: 0 });
    await assert.rejects(writer.updateFlow(FLOW), eson('unavailable', /failed 1 times/));
    assert.equal(sent.length, 1);
  });

  it('mock: NoSuchHostedZone is not-found naming the zone, not retried', async () => {
    const { writer, sent } = harness(
      () =>
        new NoSuchHostedZone({
          message: 'No hosted zone found with ID: Z1EXAMPLE',
          $metadata: { httpStatusCode: 404 },
        }),
    );
    await assert.rejects(
      writer.registerFlow(FLOW),
      eson('not-found', /Route 53 hosted zone Z1EXAMPLE does not exist/),
    );
    assert.equal(sent.length, 1);
  });

  it('mock: AccessDenied is forbidden, not retried', async () => {
    const { writer, sent } = harness(
      () =>
        new Route53ServiceException({
          name: 'AccessDenied',
          $fault: 'client',
          message: 'not authorized to perform: route53:ChangeResourceRecordSets',
          $metadata: { httpStatusCode: 403 },
        }),
    );
    await assert.rejects(
      writer.unregisterNamespace({ namespace: 'people.example.com', agent: FLOW.agent, ttl: 60 }),
      eson('forbidden', /AccessDenied/),
    );
    assert.equal(sent.length, 1);
  });

  it("mock: InvalidChangeBatch 'already exists' on registerFlow is exists, not retried", async () => {
    const { writer, sent } = harness(
      () =>
        new InvalidChangeBatch({
          message:
            "[Tried to create resource record set [name='orders.people.example.com.', type='PTR'] but it already exists]",
          ...meta,
        }),
    );
    await assert.rejects(
      writer.registerFlow(FLOW),
      eson('exists', /flow orders\.people\.example\.com is already registered/),
    );
    assert.equal(sent.length, 1);
  });

  it('mock: programming errors pass through unchanged', async () => {
    const bug = new TypeError('boom');
    const { writer } = harness(() => bug);
    await assert.rejects(writer.registerFlow(FLOW), (e: unknown) => e === bug);
  });

  it('mock: every call, retries included, waits for the rate limit (5 per second, burst 5)', async () => {
    let failures = 2;
    const { writer, sent, clock } = harness(() => (failures-- > 0 ? throttling() : accepted), {
      rateLimitPerSecond: 5,
      baseDelayMs: 1,
      random: () => 0,
    });
    for (let i = 0; i < 10; i += 1) await writer.updateFlow(FLOW);
    assert.equal(sent.length, 12);
    // 12 calls: 5 at once, then 7 more at 200 ms each.
    assert.ok(Math.abs(clock.time - 1_400) < 1e-6, `took ${clock.time} ms`);
  });

  it('mock: waitForInsync polls GetChange while PENDING', async () => {
    const statuses = ['PENDING', 'PENDING', 'INSYNC'];
    const { writer, sent, clock } = harness(
      (command) =>
        command instanceof GetChangeCommand
          ? { ChangeInfo: { Id: 'C9', Status: statuses.shift(), SubmittedAt: new Date(0) } }
          : { ChangeInfo: { Id: '/change/C9', Status: 'PENDING', SubmittedAt: new Date(0) } },
      { waitForInsync: true, insyncPollMs: 1_000 },
    );
    await writer.registerFlow(FLOW);
    assert.deepEqual(
      sent.map((c) => c.constructor.name),
      ['ChangeResourceRecordSetsCommand', 'GetChangeCommand', 'GetChangeCommand', 'GetChangeCommand'],
    );
    assert.equal((sent[1] as GetChangeCommand).input.Id, '/change/C9');
    assert.deepEqual(clock.sleeps, [1_000, 1_000, 1_000]);
  });

  it('mock: without waitForInsync a PENDING change is not polled', async () => {
    const { writer, sent } = harness(() => ({
      ChangeInfo: { Id: '/change/C9', Status: 'PENDING', SubmittedAt: new Date(0) },
    }));
    await writer.registerFlow(FLOW);
    assert.equal(sent.length, 1);
  });

  it('mock: close() does not destroy a client it was given', async () => {
    const { writer, client, send } = harness(() => accepted);
    const destroy = mock.method(client, 'destroy');
    await writer.close();
    assert.equal(destroy.mock.callCount(), 0);
    await assert.rejects(writer.registerFlow(FLOW), eson('unavailable', /closed/));
    assert.equal(send.mock.callCount(), 0);
  });
});

describe('Route53Writer options', () => {
  it('refuses options that cannot work, as invalid-argument', () => {
    const bad: Partial<Route53WriterOptions>[] = [
      { hostedZoneId: '' },
      { hostedZoneId: 'Z1/../x' },
      { rateLimitPerSecond: 0 },
      { rateLimitPerSecond: Number.NaN },
      { maxRetries: -1 },
      { maxRetries: 1.5 },
      { baseDelayMs: 0 },
      { insyncTimeoutMs: -5 },
    ];
    for (const options of bad) {
      assert.throws(
        () => new Route53Writer({ hostedZoneId: 'Z1', client: { region: 'us-east-1' }, ...options }),
        (e: unknown) => e instanceof EsonError && e.kind === 'invalid-argument',
        JSON.stringify(options),
      );
    }
  });

  it('takes /hostedzone/<id> and makes its own client (destroyed by close)', async () => {
    const writer = new Route53Writer({
      hostedZoneId: '/hostedzone/Z1EXAMPLE',
      client: {
        region: 'us-east-1',
        endpoint: 'http://127.0.0.1:9',
        credentials: { accessKeyId: 'a', secretAccessKey: 'b' },
      },
    });
    assert.equal(writer.hostedZoneId, 'Z1EXAMPLE');
    assert.ok(writer.client instanceof Route53Client);
    assert.equal(await writer.client.config.maxAttempts(), 1);
    const destroy = mock.method(writer.client, 'destroy');
    await writer.close();
    assert.equal(destroy.mock.callCount(), 1);
  });
});
