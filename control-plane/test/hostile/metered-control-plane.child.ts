/**
 * The child side of metered-control-plane.ts: starts the control plane from its environment on a
 * free loopback port, reports the address over IPC and answers 'inside' with what it sees from
 * inside: how its event loop fared (blocked and stalled), its memory and its database queries.
 */
import 'reflect-metadata';
import { type AddressInfo } from 'node:net';
import { watchEventLoop, type InsideReading as ProcessInsideReading } from '@test-support';
import { DataSource } from 'typeorm';
import { loadControlPlaneConfig } from '../../src/config/control-plane-config';
import { createControlPlaneApp } from '../../src/control-plane-app';
import { backgroundWorkName } from '../../src/database/background-work';

export interface InsideReading extends ProcessInsideReading {
  /** Database queries since the process started (a TypeORM subscriber's beforeQuery), but those of its background work. */
  databaseQueries: number;
  /** Those of its background work (asBackgroundWork): timers, not requests. */
  backgroundQueries: number;
  /** heapUsed right after a full garbage collection: what the process retains. */
  retainedHeapBytes: number;
}

async function childMain(): Promise<void> {
  const config = loadControlPlaneConfig(process.env);
  const app = await createControlPlaneApp(config, { logger: ['error', 'warn'] });
  let databaseQueries = 0;
  let backgroundQueries = 0;
  // The control plane's own loops (routing-revision poll, canary analysis) query on timers; a
  // request's cost is what it causes.
  app.get(DataSource).subscribers.push({
    beforeQuery: () => {
      if (backgroundWorkName() === undefined) databaseQueries += 1;
      else backgroundQueries += 1;
    },
  });
  await app.listen({ port: 0, host: config.host });
  const { port } = app.getHttpServer().address() as AddressInfo;
  const eventLoop = watchEventLoop();
  // Started with --expose-gc (the parent does so) to tell retained memory from garbage.
  const collectGarbage = globalThis.gc ?? ((): void => undefined);
  process.on('message', (message) => {
    if (message !== 'inside') return;
    const loop = eventLoop.take();
    const memory = process.memoryUsage();
    collectGarbage();
    const reading: InsideReading = {
      ...loop,
      memory,
      databaseQueries,
      backgroundQueries,
      retainedHeapBytes: process.memoryUsage().heapUsed,
    };
    // The collection just forced is the reading's cost, not the next window's.
    eventLoop.take();
    process.send?.(reading);
  });
  process.send?.({ host: config.host, port });
  // The test process went away (even killed): do not outlive it holding a port and a core.
  process.on('disconnect', () => process.exit(0));
}

if (require.main === module) {
  childMain().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
