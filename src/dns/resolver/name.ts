/** Names as the resolver keys and compares them. */

const asciiLower = (text: string): string =>
  /[A-Z]/.test(text) ? text.replace(/[A-Z]/g, (c) => c.toLowerCase()) : text;

/**
 * `Name.` and `name` alike: ASCII lower case (RFC 4343: DNS compares names ASCII
 * case-insensitively), no trailing dot ('' for the root).
 */
export function canonicalQueryName(name: string): string {
  const bare = name.endsWith('.') && !name.endsWith('\\.') ? name.slice(0, -1) : name;
  return asciiLower(bare);
}
