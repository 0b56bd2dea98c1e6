/**
 * What a failed Route 53 call means for ESON: retry it, or give up with which EsonError kind.
 *
 * The SDK (v3) throws its modelled exception classes (InvalidChangeBatch, NoSuchHostedZone,
 * PriorRequestNotComplete, ...) and, for error codes the API model does not list (Throttling,
 * AccessDenied, InternalFailure), a Route53ServiceException whose `name` is the code. Network
 * failures are plain Node errors with a `code` (ECONNREFUSED, ...), and a non-XML 5xx body is a
 * plain Error carrying `$metadata.httpStatusCode`. All are classified here by code and status.
 */
import type { ErrorKind } from '../../../core/errors.ts';

/** Codes that say "slow down": the request was refused before it was applied. */
const THROTTLING_CODES = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottled',
  'RequestThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'SlowDown',
  'PriorRequestNotComplete',
]);

/** Server-side and transport failures: the request may or may not have been applied. */
const TRANSIENT_CODES = new Set([
  'InternalFailure',
  'InternalError',
  'InternalServerError',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ECONNABORTED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'ERR_HTTP2_STREAM_ERROR',
]);

/** Transport failures before anything was sent: the request was certainly not applied. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN']);

const FORBIDDEN_CODES = new Set([
  'AccessDenied',
  'AccessDeniedException',
  'NotAuthorizedException',
  'UnrecognizedClientException',
  'InvalidClientTokenId',
  'InvalidSignatureException',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'ExpiredToken',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);

const NOT_FOUND_CODES = new Set(['NoSuchHostedZone', 'NoSuchChange', 'HostedZoneNotFound']);

const INVALID_CODES = new Set([
  'InvalidChangeBatch',
  'InvalidInput',
  'InvalidArgument',
  'InvalidDomainName',
  'MalformedInput',
  'ValidationException',
]);

export type Route53Failure =
  | {
      readonly retriable: true;
      readonly code: string;
      readonly message: string;
      /** True when the request may have been applied although it failed (5xx, reset, timeout). */
      readonly ambiguous: boolean;
    }
  | {
      readonly retriable: false;
      readonly code: string;
      readonly message: string;
      readonly kind: ErrorKind;
    }
  /** Not an AWS or transport error (a bug, an abort): passed on unchanged. */
  | { readonly retriable: false; readonly code: string; readonly message: string; readonly kind: undefined };

interface ErrorLike {
  name?: unknown;
  code?: unknown;
  Code?: unknown;
  message?: unknown;
  messages?: unknown;
  $fault?: unknown;
  $metadata?: { httpStatusCode?: unknown };
  $retryable?: unknown;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The error's code: the AWS error code, or Node's `code` for transport errors. */
export function errorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'Unknown';
  const e = error as ErrorLike;
  const name = str(e.name);
  // Node transport errors are named 'Error' and carry their code in `code`.
  const code = str(e.Code) ?? (name && name !== 'Error' ? name : undefined) ?? str(e.code);
  return code ?? 'Unknown';
}

/** Every message the error carries (InvalidChangeBatch lists one per rejected change). */
export function errorMessage(error: unknown): string {
  if (typeof error !== 'object' || error === null) return String(error);
  const e = error as ErrorLike;
  const parts: string[] = [];
  const message = str(e.message);
  if (message) parts.push(message);
  if (Array.isArray(e.messages)) {
    for (const m of e.messages) if (typeof m === 'string' && !parts.includes(m)) parts.push(m);
  }
  return parts.join('; ') || errorCode(error);
}

function httpStatus(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const status = (error as ErrorLike).$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

function isServiceError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as ErrorLike;
  return e.$fault === 'client' || e.$fault === 'server' || httpStatus(error) !== undefined;
}

/** InvalidChangeBatch "Tried to create resource record set [...] but it already exists". */
export function isAlreadyExists(error: unknown): boolean {
  return errorCode(error) === 'InvalidChangeBatch' && /already exists/i.test(errorMessage(error));
}

/**
 * A DELETE that did not match what the zone holds: Route 53's InvalidChangeBatch "Tried to delete
 * resource record set [...] but it was not found" / "but the values provided do not match the
 * current values", or moto's InvalidInput "Expected exactly one of [...] but found none in Change
 * with [Action=DELETE, ...]" for the same situations.
 */
export function isDeleteMismatch(error: unknown): boolean {
  const code = errorCode(error);
  const message = errorMessage(error);
  if (code === 'InvalidChangeBatch') return /tried to delete .*(not found|do not match)/i.test(message);
  if (code === 'InvalidInput') return /found none in Change with \[Action=DELETE/i.test(message);
  return false;
}

export function classifyRoute53Error(error: unknown): Route53Failure {
  const code = errorCode(error);
  const message = errorMessage(error);
  const status = httpStatus(error);
  if (THROTTLING_CODES.has(code) || NOT_SENT_CODES.has(code) || status === 429) {
    return { retriable: true, code, message, ambiguous: false };
  }
  if (
    TRANSIENT_CODES.has(code) ||
    (status !== undefined && status >= 500) ||
    (typeof error === 'object' && error !== null && (error as ErrorLike).$retryable !== undefined)
  ) {
    return { retriable: true, code, message, ambiguous: true };
  }
  if (FORBIDDEN_CODES.has(code) || status === 401 || status === 403) {
    return { retriable: false, code, message, kind: 'forbidden' };
  }
  if (NOT_FOUND_CODES.has(code)) return { retriable: false, code, message, kind: 'not-found' };
  if (code === 'InvalidChangeBatch' && isAlreadyExists(error)) {
    return { retriable: false, code, message, kind: 'exists' };
  }
  if (INVALID_CODES.has(code) || isServiceError(error)) {
    return { retriable: false, code, message, kind: 'invalid-argument' };
  }
  return { retriable: false, code, message, kind: undefined };
}
