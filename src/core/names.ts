import { invalidName } from './errors.ts';

/** RFC 1035 §2.3.4: a label holds at most 63 octets. */
export const MAX_LABEL_OCTETS = 63;
/** RFC 1035 §2.3.4 (255 octets on the wire) leaves 253 characters in presentation form. */
export const MAX_NAME_OCTETS = 253;
export const FLOW_URI_SCHEME = 'flow://';

// Letters, digits and hyphens (RFC 952 / RFC 1123 host names); no hyphen at either end.
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
// ASCII-only: String#toLowerCase maps "\u212A" (Kelvin sign) to "k", which would let it pass as one.
const asciiLowerCase = (text: string): string => text.replace(/[A-Z]/g, (c) => c.toLowerCase());

/**
 * Validates a domain name in presentation form and returns it in canonical form (lower case,
 * no trailing dot). `what` names the argument in error messages ("flow", "namespace").
 */
export function canonicalName(input: string, what: string): string {
  let name = input.endsWith('.') ? input.slice(0, -1) : input;
  name = asciiLowerCase(name);
  if (name.length === 0) throw invalidName(`${what} name is empty`);
  if (Buffer.byteLength(name, 'utf8') > MAX_NAME_OCTETS) {
    throw invalidName(
      `${what} name is ${Buffer.byteLength(name, 'utf8')} octets, over the limit of ${MAX_NAME_OCTETS}`,
    );
  }
  const labels = name.split('.');
  if (labels.length < 2)
    throw invalidName(`${what} name "${input}" must be a fully qualified name with at least two labels`);
  for (const label of labels) {
    if (label.length === 0) throw invalidName(`${what} name "${input}" has an empty label`);
    if (Buffer.byteLength(label, 'utf8') > MAX_LABEL_OCTETS) {
      throw invalidName(
        `${what} name has a label of ${Buffer.byteLength(label, 'utf8')} octets, over the limit of ${MAX_LABEL_OCTETS}: "${label.slice(0, 20)}..."`,
      );
    }
    if (!LABEL.test(label)) {
      throw invalidName(
        `${what} name has an invalid label "${label}": only letters, digits and inner hyphens are allowed`,
      );
    }
  }
  return name;
}

/** Accepts a flow's FQDN or its `flow://` URI and returns the canonical FQDN. */
export function parseFlowName(input: string): string {
  const isUri = asciiLowerCase(input).startsWith(FLOW_URI_SCHEME);
  const bare = isUri ? input.slice(FLOW_URI_SCHEME.length) : input;
  if (bare.includes('/')) {
    throw invalidName(
      isUri
        ? `flow URI "${input}" must not have a path`
        : `flow "${input}" must be an FQDN or a ${FLOW_URI_SCHEME} URI`,
    );
  }
  return canonicalName(bare, 'flow');
}

export function parseNamespaceName(input: string): string {
  return canonicalName(input, 'namespace');
}

export function flowUri(flowFqdn: string): string {
  return `${FLOW_URI_SCHEME}${flowFqdn}`;
}

/** True when `name` equals `ancestor` or lies below it in the DNS tree. */
export function isWithin(name: string, ancestor: string): boolean {
  return name === ancestor || name.endsWith(`.${ancestor}`);
}

/** The immediate parent of a name (`a.b.c` -> `b.c`), or undefined for a single label. */
export function parentName(name: string): string | undefined {
  const dot = name.indexOf('.');
  return dot < 0 ? undefined : name.slice(dot + 1);
}
