/** Who a session acts for, once SASL has succeeded. */
export type Identity =
  | { readonly kind: 'user'; readonly name: string }
  /** RFC 4505: read-only access to public flows; `trace` is the client's optional trace string. */
  | { readonly kind: 'anonymous'; readonly trace: string };

export const userIdentity = (name: string): Identity => ({ kind: 'user', name });
export const anonymousIdentity = (trace = ''): Identity => ({ kind: 'anonymous', trace });

export function describeIdentity(identity: Identity): string {
  return identity.kind === 'user' ? identity.name : 'anonymous';
}
