import { peerAddress, PeerQuota, type QuotaPlace } from './peer-quota';

const SETTINGS = { perPeer: 'PER_PEER_SETTING', total: 'TOTAL_SETTING' };

describe('PeerQuota', () => {
  const taken = (place: QuotaPlace | string): QuotaPlace => {
    if (typeof place === 'string') throw new Error(`refused: ${place}`);
    return place;
  };

  it('refuses a peer at its own limit while others still get places', () => {
    const quota = new PeerQuota({ perPeer: 2, total: 10 }, SETTINGS);
    taken(quota.acquire('a'));
    taken(quota.acquire('a'));
    expect(quota.acquire('a')).toBe('per-peer');
    expect(quota.describe('per-peer')).toBe('at most 2 per client address: PER_PEER_SETTING');
    taken(quota.acquire('b'));
  });

  it('refuses everyone once the total is held, and gives places back once each', () => {
    const quota = new PeerQuota({ perPeer: 5, total: 3 }, SETTINGS);
    const places = ['a', 'b', 'c'].map((peer) => taken(quota.acquire(peer)));
    expect(quota.acquire('d')).toBe('total');
    expect(quota.describe('total')).toBe('at most 3 in all: TOTAL_SETTING');
    places[0].release();
    places[0].release(); // a second release gives nothing more back
    taken(quota.acquire('d'));
    expect(quota.acquire('e')).toBe('total');
  });
});

describe('peerAddress', () => {
  it('sees an IPv4 client through an IPv6 socket as its IPv4 address', () => {
    expect(peerAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(peerAddress('2001:db8::1')).toBe('2001:db8::1');
    expect(peerAddress(undefined)).toBe('unknown');
  });
});
