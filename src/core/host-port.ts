/** `host:port` as configs and flags give it (an IPv6 host in brackets): the host and a port 1-65535. */
export function splitHostPort(value: string): { host: string; port: number } | undefined {
  const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = Number(m?.[2]);
  if (!m?.[1] || !(port > 0 && port < 65536)) return undefined;
  return { host: m[1].replace(/^\[|\]$/g, ''), port };
}
