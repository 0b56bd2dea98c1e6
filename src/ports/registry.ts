/**
 * The registry port: where an agent keeps its namespaces, flows and users. The embedded default is
 * SQLite in the agent's data directory (adapters/registry/sqlite); DynamoDB follows for AWS.
 * Every method is async so that remote stores fit behind it. Methods that create fail with an
 * EsonError of kind 'exists', methods that read or change one object fail with 'not-found'.
 */

export type Visibility = 'public' | 'private';

/** RFC 5802 salted credentials, as stored: the password itself is never kept. */
export interface ScramCredential {
  /** base64 salt */
  readonly salt: string;
  readonly iterations: number;
  /** base64 H(ClientKey) */
  readonly storedKey: string;
  /** base64 HMAC(SaltedPassword, "Server Key") */
  readonly serverKey: string;
}

export interface UserRecord {
  readonly name: string;
  readonly credential: ScramCredential;
  readonly disabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface NamespaceRecord {
  /** canonical FQDN */
  readonly name: string;
  readonly owner: string;
  /** The enclosing namespace, or null for a namespace the agent serves by configuration. */
  readonly parent: string | null;
  readonly description: string;
  readonly createdAt: string;
}

export interface FlowRecord {
  /** canonical FQDN of the flow: `<flow-name>.<namespace>` */
  readonly name: string;
  readonly namespace: string;
  readonly owner: string;
  /** broker type: 'local', later 'kafka' and 'sqs' */
  readonly broker: string;
  /** the queue (topic, queue name) on that broker */
  readonly queue: string;
  readonly visibility: Visibility;
  readonly description: string;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type FlowPatch = Partial<Pick<FlowRecord, 'visibility' | 'description'>>;
export type UserPatch = Partial<Pick<UserRecord, 'credential' | 'disabled'>>;

export interface Registry {
  getUser(name: string): Promise<UserRecord | undefined>;
  createUser(user: UserRecord): Promise<void>;
  updateUser(name: string, patch: UserPatch): Promise<UserRecord>;
  listUsers(): Promise<UserRecord[]>;

  getNamespace(name: string): Promise<NamespaceRecord | undefined>;
  createNamespace(namespace: NamespaceRecord): Promise<void>;
  /** Creates or updates a namespace the agent serves by configuration (parent null). */
  upsertServedNamespace(namespace: NamespaceRecord): Promise<void>;
  /** Fails with 'exists' (kind) while the namespace still holds flows or child namespaces. */
  deleteNamespace(name: string): Promise<void>;
  /** All namespaces, or those whose owner is `owner`, sorted by name. */
  listNamespaces(filter?: { owner?: string }): Promise<NamespaceRecord[]>;

  getFlow(name: string): Promise<FlowRecord | undefined>;
  createFlow(flow: FlowRecord): Promise<void>;
  updateFlow(name: string, patch: FlowPatch): Promise<FlowRecord>;
  deleteFlow(name: string): Promise<void>;
  /** All flows, or those of one namespace, sorted by name. */
  listFlows(filter?: { namespace?: string }): Promise<FlowRecord[]>;

  close(): Promise<void>;
}
