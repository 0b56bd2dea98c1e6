/** The command table: one handler per verb. The state table (protocol/states.ts) gates them. */
import type { CommandHandler } from '../command.ts';
import { authenticate } from './authenticate.ts';
import {
  createFlowCommand,
  deleteFlowCommand,
  describeFlowCommand,
  listFlowsCommand,
  updateFlowCommand,
} from './flows.ts';
import { hello } from './hello.ts';
import {
  createNamespaceCommand,
  deleteNamespaceCommand,
  describeNamespaceCommand,
  listNamespacesCommand,
} from './namespaces.ts';
import { noop } from './noop.ts';
import { quit } from './quit.ts';
import { readFlowCommand } from './read-flow.ts';
import { starttls } from './starttls.ts';
import { writeFlowCommand } from './write-flow.ts';

export const COMMANDS: ReadonlyMap<string, CommandHandler> = new Map([
  ['NOOP', noop],
  ['QUIT', quit],
  ['HELLO', hello],
  ['STARTTLS', starttls],
  ['AUTHENTICATE', authenticate],
  ['CREATE NAMESPACE', createNamespaceCommand],
  ['DESCRIBE NAMESPACE', describeNamespaceCommand],
  ['DELETE NAMESPACE', deleteNamespaceCommand],
  ['LIST NAMESPACES', listNamespacesCommand],
  ['CREATE FLOW', createFlowCommand],
  ['DESCRIBE FLOW', describeFlowCommand],
  ['UPDATE FLOW', updateFlowCommand],
  ['DELETE FLOW', deleteFlowCommand],
  ['LIST FLOWS', listFlowsCommand],
  ['READ FLOW', readFlowCommand],
  ['WRITE FLOW', writeFlowCommand],
]);

/**
 * Commands of the contract that this agent does not offer yet (subscriptions, processors): they
 * are not advertised, and answered 502 with a text that says so rather than "unknown".
 */
export const NOT_YET_SUPPORTED: ReadonlySet<string> = new Set([
  'SUBSCRIBE',
  'UNSUBSCRIBE',
  'LIST SUBSCRIPTIONS',
  'LIST SUBSCRIBERS',
  'REMOVE SUBSCRIBER',
  'PAUSE SUBSCRIPTION',
  'RESUME SUBSCRIPTION',
  'STOP SUBSCRIPTION',
  'CREATE PROCESSOR',
  'DESCRIBE PROCESSOR',
  'LIST PROCESSORS',
  'UPDATE PROCESSOR',
  'PAUSE PROCESSOR',
  'RESUME PROCESSOR',
  'DESTROY PROCESSOR',
]);
