import { create } from '@bufbuild/protobuf';
import { CallStatisticsReportSchema } from '@contracts/generated/control/v1/routing_pb';
import { DISCONNECTED_RETENTION_MS, RoutingReplicas } from './routing-replicas';

describe('RoutingReplicas', () => {
  let now = 1_000_000;
  const replicas = (): RoutingReplicas => {
    const made = new RoutingReplicas();
    made.now = () => now;
    return made;
  };

  it('tracks revisions by ack and nack, and keeps a disconnected replica for 10 minutes', () => {
    const list = replicas();
    list.connected('b', 4n, '10.0.0.2:5000');
    list.connected('a', 0n, '10.0.0.1:5000');
    list.acked('a', 5n, true, '');
    list.acked('b', 6n, false, "version '9' is not served");
    expect(list.list()).toEqual([
      expect.objectContaining({ gatewayId: 'a', connected: true, appliedRevision: 5n }),
      expect.objectContaining({
        gatewayId: 'b',
        appliedRevision: 4n,
        lastRejectedRevision: 6n,
        lastRejectedReason: "version '9' is not served",
      }),
    ]);
    list.disconnected('a');
    now += DISCONNECTED_RETENTION_MS - 1;
    expect(list.list().find((r) => r.gatewayId === 'a')?.connected).toBe(false);
    now += 2;
    expect(list.list().map((r) => r.gatewayId)).toEqual(['b']);
  });

  it('stays connected while a reconnect overlaps the old stream', () => {
    const list = replicas();
    list.connected('a', 1n, 'p1');
    list.connected('a', 1n, 'p2');
    list.disconnected('a');
    expect(list.list()[0]).toMatchObject({ connected: true, peer: 'p2' });
    list.disconnected('a');
    expect(list.list()[0].connected).toBe(false);
  });

  it('hands statistics to every listener, even when one throws', () => {
    const list = replicas();
    list.connected('a', 1n, 'p');
    const seen: string[] = [];
    list.onStatistics(() => {
      throw new Error('broken listener');
    });
    const stop = list.onStatistics((id) => seen.push(id));
    list.statistics('a', create(CallStatisticsReportSchema));
    stop();
    list.statistics('a', create(CallStatisticsReportSchema));
    expect(seen).toEqual(['a']);
  });
});
