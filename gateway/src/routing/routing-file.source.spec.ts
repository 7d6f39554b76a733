import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainBackend, plainModelMetadata } from '../../test/model-metadata-fixture';
import { loadGatewayConfig } from '../config/gateway-config';
import { GatewayMetrics } from '../metrics/gateway-metrics';
import { RoutingFileSource } from './routing-file.source';
import { RoutingMetrics } from './routing-metrics';
import { RoutingState } from './routing-state';

const backend = plainBackend({ ...plainModelMetadata(['1', '2']), name: 'm' });

describe('RoutingFileSource', () => {
  let directory: string;
  beforeEach(() => {
    directory = mkdtempSync(join(tmpdir(), 'routing-file-'));
  });
  afterEach(() => rmSync(directory, { recursive: true, force: true }));

  it('applies the file, re-reads it when it changes, and retries one it rejected', async () => {
    const file = join(directory, 'routes.json');
    const config = loadGatewayConfig({ GATEWAY_DATA_DIR: directory, GATEWAY_ROUTING_FILE: file });
    const metrics = new RoutingMetrics(new GatewayMetrics());
    const state = new RoutingState(backend, config, metrics);
    const source = new RoutingFileSource(config.routing, state, metrics);
    const write = (json: unknown, mtimeSeconds: number) => {
      writeFileSync(file, JSON.stringify(json));
      utimesSync(file, mtimeSeconds, mtimeSeconds);
    };

    await source.poll(); // No file yet: identity, no throw.
    expect(state.current.revision).toBe(0n);

    write(
      {
        revision: '3',
        routes: [
          {
            model: 'm',
            stableVersion: '1',
            canaryVersion: '2',
            canaryWeightPercent: 25,
            stickyKey: 'tenant',
          },
        ],
      },
      1000,
    );
    await source.poll();
    expect(state.current.revision).toBe(3n);
    expect(state.current.route('m')?.canaryPoints).toBe(2500);

    write({ revision: '4', routes: [{ model: 'm', stableVersion: '7' }] }, 2000);
    await source.poll();
    expect(state.current.revision).toBe(3n);

    write('not a snapshot', 3000);
    await source.poll();
    expect(state.current.revision).toBe(3n);

    write({ revision: '5', routes: [{ model: 'm', stableVersion: '2' }] }, 4000);
    await source.poll();
    expect(state.current.route('m')?.stableVersion).toBe('2');
  });
});
