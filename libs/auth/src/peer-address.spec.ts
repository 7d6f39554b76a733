import { peerKey } from './peer-address';

describe('peerKey', () => {
  it.each([
    // Fastify request.ip
    ['127.0.0.1', '127.0.0.1'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::1', '0:0:0:0::/64'],
    ['2001:db8:aaaa:bbbb:1:2:3:4', '2001:db8:aaaa:bbbb::/64'],
    ['2001:DB8:0:0:ffff::1', '2001:db8:0:0::/64'],
    // grpc-js call.getPeer()
    ['127.0.0.1:53412', '127.0.0.1'],
    ['::1:53412', '0:0:0:0::/64'],
    ['::ffff:203.0.113.7:443', '203.0.113.7'],
    ['2001:db8:aaaa:bbbb:1:2:3:4:50051', '2001:db8:aaaa:bbbb::/64'],
    // other gRPC stacks
    ['ipv4:10.0.0.2:50051', '10.0.0.2'],
    ['ipv6:[2001:db8::5]:50051', '2001:db8:0:0::/64'],
    ['[fe80::1%eth0]:8080', 'fe80:0:0:0::/64'],
  ])('%s counts as %s', (raw, key) => {
    expect(peerKey(raw)).toBe(key);
  });

  it('counts every address of one IPv6 /64 as one peer', () => {
    expect(peerKey('2001:db8:1:2:aaaa::1')).toBe(peerKey('2001:db8:1:2:ffff:ffff:ffff:ffff'));
    expect(peerKey('2001:db8:1:2::1')).not.toBe(peerKey('2001:db8:1:3::1'));
  });

  it.each([undefined, '', 'unknown', 'localhost:80', '/tmp/gateway.sock', '999.1.1.1'])(
    'has no key for %p',
    (raw) => {
      expect(peerKey(raw)).toBeUndefined();
    },
  );
});
