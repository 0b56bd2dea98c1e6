import type { Broker } from '../ports/broker.ts';
import type { Registry } from '../ports/registry.ts';

/**
 * What the command logic needs from the outside world: the ports, never an adapter. The same
 * object is built in-process by the local agent and, later, inside each Lambda function.
 */
export interface CoreDeps {
  readonly registry: Registry;
  /** Brokers by type (`local`, `kafka`, `sqs`); `defaultBroker` names the one used when none is asked. */
  readonly brokers: ReadonlyMap<string, Broker>;
  readonly defaultBroker: string;
  readonly now: () => Date;
}
