import { Injectable } from '@nestjs/common';
import type { CallStatisticsReport } from '@contracts/generated/control/v1/routing_pb';

/** A gateway replica as its WatchRoutes streams showed it. */
export interface RoutingReplica {
  gatewayId: string;
  connected: boolean;
  /** When its current stream opened (or its last one, once disconnected). */
  connectedSince: Date;
  /** Its last message, or its stream's end. */
  lastSeen: Date;
  /** The revision it serves: the one it last acked, else the one its hello named. */
  appliedRevision: bigint;
  lastRejectedRevision?: bigint;
  lastRejectedReason?: string;
  peer: string;
}

export type StatisticsListener = (gatewayId: string, report: CallStatisticsReport) => void;

/** How long a replica that went away stays listed (as disconnected). */
export const DISCONNECTED_RETENTION_MS = 10 * 60 * 1000;

/**
 * The gateways that follow this control plane, from their streams: who is connected, which
 * revision each serves ("3 of 3 on 42"), what each rejected and why; and their call statistics,
 * handed to whoever listens (the canary analysis). In memory: each control-plane replica knows
 * the streams it holds.
 */
@Injectable()
export class RoutingReplicas {
  private readonly replicas = new Map<string, RoutingReplica & { streams: number }>();
  private readonly listeners = new Set<StatisticsListener>();

  /** The clock (tests move it). */
  now: () => number = Date.now;

  /** A stream said hello. */
  connected(gatewayId: string, knownRevision: bigint, peer: string): void {
    const at = new Date(this.now());
    const known = this.replicas.get(gatewayId);
    this.replicas.set(gatewayId, {
      gatewayId,
      connected: true,
      connectedSince: at,
      lastSeen: at,
      appliedRevision: knownRevision,
      lastRejectedRevision: known?.lastRejectedRevision,
      lastRejectedReason: known?.lastRejectedReason,
      peer,
      // A reconnect can overlap the old stream's end: the replica is disconnected when both are.
      streams: (known?.connected ? known.streams : 0) + 1,
    });
  }

  disconnected(gatewayId: string): void {
    const replica = this.replicas.get(gatewayId);
    if (!replica) return;
    replica.streams = Math.max(0, replica.streams - 1);
    replica.connected = replica.streams > 0;
    replica.lastSeen = new Date(this.now());
  }

  acked(gatewayId: string, revision: bigint, applied: boolean, reason: string): void {
    const replica = this.seen(gatewayId);
    if (!replica) return;
    if (applied) {
      replica.appliedRevision = revision;
    } else {
      replica.lastRejectedRevision = revision;
      replica.lastRejectedReason = reason;
    }
  }

  statistics(gatewayId: string, report: CallStatisticsReport): void {
    this.seen(gatewayId);
    for (const listener of this.listeners) {
      try {
        listener(gatewayId, report);
      } catch {
        // One listener's failure must not cost the others their reports, nor the stream.
      }
    }
  }

  /** Listens to every statistics report; returns the function that stops listening. */
  onStatistics(listener: StatisticsListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Connected replicas and those gone for less than DISCONNECTED_RETENTION_MS, by id. */
  list(): RoutingReplica[] {
    const cutoff = this.now() - DISCONNECTED_RETENTION_MS;
    const listed: RoutingReplica[] = [];
    for (const [id, replica] of this.replicas) {
      if (!replica.connected && replica.lastSeen.getTime() < cutoff) {
        this.replicas.delete(id);
        continue;
      }
      listed.push({
        gatewayId: replica.gatewayId,
        connected: replica.connected,
        connectedSince: replica.connectedSince,
        lastSeen: replica.lastSeen,
        appliedRevision: replica.appliedRevision,
        lastRejectedRevision: replica.lastRejectedRevision,
        lastRejectedReason: replica.lastRejectedReason,
        peer: replica.peer,
      });
    }
    return listed.sort((a, b) => a.gatewayId.localeCompare(b.gatewayId));
  }

  private seen(gatewayId: string): (RoutingReplica & { streams: number }) | undefined {
    const replica = this.replicas.get(gatewayId);
    if (replica) replica.lastSeen = new Date(this.now());
    return replica;
  }
}
