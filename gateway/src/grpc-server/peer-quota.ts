import type { PeerLimits } from '../config/gateway-config';

/** A place taken in a PeerQuota; `release` gives it back (once, however often it is called). */
export interface QuotaPlace {
  release(): void;
}

/** Why a PeerQuota refused: the caller's own address is at its limit, or everyone's total is. */
export type QuotaRefusal = 'per-peer' | 'total';

/**
 * Counts what remote addresses hold (connections, Watch streams) against a limit per address and a
 * limit in all. The counts live only as long as places are held: a peer holding nothing costs no
 * entry, so spoofed or many addresses cannot grow the map beyond the total.
 */
export class PeerQuota {
  private readonly held = new Map<string, number>();
  private total = 0;

  /** `settings`: the names of the settings behind the two limits, for refusals to name. */
  constructor(
    private readonly limits: PeerLimits,
    private readonly settings: Record<keyof PeerLimits, string>,
  ) {}

  /** The limit a refusal hit, as its message names it. */
  describe(refusal: QuotaRefusal): string {
    return refusal === 'per-peer'
      ? `at most ${this.limits.perPeer} per client address: ${this.settings.perPeer}`
      : `at most ${this.limits.total} in all: ${this.settings.total}`;
  }

  acquire(peer: string): QuotaPlace | QuotaRefusal {
    const mine = this.held.get(peer) ?? 0;
    if (this.total >= this.limits.total) return 'total';
    if (mine >= this.limits.perPeer) return 'per-peer';
    this.held.set(peer, mine + 1);
    this.total += 1;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = (this.held.get(peer) ?? 1) - 1;
        if (left === 0) this.held.delete(peer);
        else this.held.set(peer, left);
      },
    };
  }
}

/** A remote address as one peer: an IPv4 client seen through an IPv6 socket is its IPv4 address. */
export function peerAddress(remoteAddress: string | undefined): string {
  if (!remoteAddress) return 'unknown';
  return remoteAddress.startsWith('::ffff:') && remoteAddress.includes('.')
    ? remoteAddress.slice('::ffff:'.length)
    : remoteAddress;
}
