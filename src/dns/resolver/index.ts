/**
 * ESON's DNS resolver: a stub resolver over its own codec (stub-resolver.ts) and the Flow Name
 * Service resolution on top of it (flow-resolver.ts).
 */
export type { DnsResolveErrorDetails, DnsResolveReason, FlowResolveProblem } from './errors.ts';
export { DnsResolveError, FlowResolveError, isDnsResolveError, isNegativeAnswer } from './errors.ts';
export type {
  FlowResolution,
  FlowResolverOptions,
  NamespaceFallbackResolution,
  NamespaceResolution,
  RegisteredFlowResolution,
  ResolvedAgent,
  ResolvedBroker,
} from './flow-resolver.ts';
export { FlowResolver } from './flow-resolver.ts';
export { canonicalQueryName } from './name.ts';
export type { ResolvConf } from './resolv-conf.ts';
export { parseResolvConf, RESOLV_CONF_PATH, systemResolvConf } from './resolv-conf.ts';
export type { RandomSource, SrvCandidate } from './srv.ts';
export { isServiceUnavailable, orderSrv } from './srv.ts';
export type { DnsAnswer, DnsQuerier, DnsResolverOptions } from './stub-resolver.ts';
export { DnsResolver } from './stub-resolver.ts';
export type { AgentTxt, BrokerTxt, TxtValue } from './txt.ts';
export { parseAgentTxt, parseBrokerTxt, parseTxtAttributes } from './txt.ts';
