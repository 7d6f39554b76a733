import { isIP, isIPv4 } from 'node:net';

/**
 * The key failure limits count a caller's address under: an IPv4 address as it is; an IPv6 address
 * by its /64 (one host usually holds a whole /64, so counting single IPv6 addresses would let it
 * invent a fresh peer per guess); an IPv4-mapped IPv6 address as its IPv4 address. Undefined when
 * `raw` is absent or not an address (a Unix socket, grpc-js's "unknown").
 *
 * `raw` is what a transport reports: Fastify's `request.ip` (an address) or grpc-js's
 * `call.getPeer()` (`host:port`, `[v6]:port`, or `ipv4:`/`ipv6:`-prefixed in other gRPC stacks).
 * Both are strings, so `a::b:c` is read as host `a::b` and port `c`; for an HTTP address of that
 * shape only the /64 counts, which the stray group seldom changes.
 */
export function peerKey(raw: string | undefined): string | undefined {
  const address = addressOf(raw);
  if (address === undefined) return undefined;
  if (isIPv4(address)) return address;
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped && isIPv4(mapped[1])) return mapped[1];
  return `${ipv6Groups(address).slice(0, 4).join(':')}::/64`;
}

function addressOf(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const value = raw.replace(/^ipv[46]:/, '').replace(/%[^\]]*/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return isIP(bracketed[1]) === 6 ? bracketed[1] : undefined;
  // host:port, where what precedes the port is itself an address (grpc-js appends the port).
  const withPort = /^(.+):(\d{1,5})$/.exec(value);
  if (withPort && isIP(withPort[1]) !== 0) return withPort[1];
  return isIP(value) !== 0 ? value : undefined;
}

/** The eight groups of an IPv6 address, lowercase, without leading zeros. */
function ipv6Groups(address: string): string[] {
  // An embedded IPv4 tail (::ffff:0:1.2.3.4 and the like) is two more groups.
  const tail = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  const text = tail
    ? address.slice(0, tail.index) +
      [(Number(tail[1]) << 8) | Number(tail[2]), (Number(tail[3]) << 8) | Number(tail[4])]
        .map((group) => group.toString(16))
        .join(':')
    : address;
  const [head, rest] = text.split('::');
  const front = head === '' ? [] : head.split(':');
  const back = rest === undefined || rest === '' ? [] : rest.split(':');
  const zeros = rest === undefined ? [] : Array<string>(8 - front.length - back.length).fill('0');
  return [...front, ...zeros, ...back].map((group) => parseInt(group, 16).toString(16));
}
