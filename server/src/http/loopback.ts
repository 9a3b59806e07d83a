// DNS rebinding and cross-site requests against servers bound to loopback: a page of another site can make a browser
// send requests to 127.0.0.1, but it cannot make the Host header name a loopback address, nor the Origin a loopback
// origin on this server's own port. Only exact loopback names pass (no "127.0.0.1.evil.example").

const IPV4_LOOPBACK = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** True for `localhost`, `::1` (bare or bracketed) and the IPv4 addresses 127.0.0.0/8 written as four numbers. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase();
  if (h === "localhost" || h === "::1" || h === "[::1]") return true;
  const m = IPV4_LOOPBACK.exec(h);
  return !!m && m.slice(1).every((octet) => Number(octet) <= 255 && (octet === "0" || !octet.startsWith("0")));
}

/** A Host header split into name and port (80 when it names none); undefined when it is not `name[:port]`. */
export function parseHostHeader(value: string): { hostname: string; port: number } | undefined {
  const m = /^(\[[0-9a-f:.]+\]|[^:\[\]\s\/@]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (!m) return undefined;
  return { hostname: m[1]!.toLowerCase(), port: m[2] === undefined ? 80 : Number(m[2]) };
}

/**
 * Why a request to a server bound to loopback `bindHost`:`port` must be refused (a rebinding or cross-site request),
 * or undefined when it may go on. Servers bound elsewhere rely on their token and are not judged here.
 */
export function loopbackRequestProblem(headers: { host?: string; origin?: string | string[] }, bindHost: string, port: number): string | undefined {
  if (!isLoopbackHost(bindHost)) return undefined;
  const host = parseHostHeader(headers.host ?? "");
  if (!host || !isLoopbackHost(host.hostname)) return `Host "${headers.host ?? ""}" is not a loopback address; this server answers only to localhost, 127.0.0.1 or [::1]`;
  if (host.port !== port) return `Host "${headers.host}" does not name this server's port ${port}`;
  const origin = Array.isArray(headers.origin) ? headers.origin.join(",") : headers.origin;
  if (origin === undefined) return undefined;
  let o: URL;
  try {
    o = new URL(origin);
  } catch {
    return `Origin "${origin}" is not allowed`;
  }
  const originPort = o.port === "" ? (o.protocol === "https:" ? 443 : 80) : Number(o.port);
  if (o.protocol !== "http:" || !isLoopbackHost(o.hostname) || originPort !== port) {
    return `Origin "${origin}" is not allowed: only pages served by this server itself (http://localhost:${port}) may call it`;
  }
  return undefined;
}
