/**
 * The gateway following a routing table over WatchRoutes, end to end: a real gateway (embedded
 * backend) serving nanodet versions 1 and 2 from a temporary repository, and an in-process
 * stand-in for the control plane (routing-watch-stand-in.ts). KServe REST calls that name no
 * version are routed by the table; the answer's model_version says which version served.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NANODET_INPUT_SIZE, nanodetBinaryInferBody } from './nanodet-reference';
import { RoutingStandIn } from './routing-watch-stand-in';
import {
  authHeaders,
  MODEL_REPOSITORY,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from './test-gateway';
import { until } from './wait-until';

const CONTROL_PLANE_KEY = 'tcg_StandInKey01_notARealKeyJustWhatTheStandInExpects00';

/** nanodet with versions 1 and 2 (the same ONNX), both served (version_policy all). */
function twoVersionRepository(root: string): string {
  const model = join(root, 'nanodet');
  const config = readFileSync(join(MODEL_REPOSITORY, 'nanodet/config.pbtxt'), 'utf8');
  const allVersions = config.replace(/version_policy:.*\n/, 'version_policy: { all: {} }\n');
  expect(allVersions).toContain('version_policy: { all: {} }');
  for (const version of ['1', '2']) {
    mkdirSync(join(model, version), { recursive: true });
    symlinkSync(join(MODEL_REPOSITORY, 'nanodet/1/model.onnx'), join(model, version, 'model.onnx'));
  }
  writeFileSync(join(model, 'config.pbtxt'), allVersions);
  writeFileSync(
    join(model, 'labels.txt'),
    readFileSync(join(MODEL_REPOSITORY, 'nanodet/labels.txt')),
  );
  return root;
}

const input = nanodetBinaryInferBody(seededFloats(NANODET_INPUT_SIZE, 3), 1);

/** The version that answered a REST infer naming no version. */
async function servedVersion(gateway: TestGateway): Promise<string> {
  const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet/infer`, {
    method: 'POST',
    headers: { ...authHeaders(), ...input.headers },
    body: input.body,
  });
  const raw = Buffer.from(await response.arrayBuffer());
  expect(response.status).toBe(200);
  const headerLength = Number(response.headers.get('inference-header-content-length'));
  return (JSON.parse(raw.subarray(0, headerLength).toString()) as { model_version: string })
    .model_version;
}

async function metric(gateway: TestGateway, name: string): Promise<string> {
  const text = await (await fetch(`${gateway.httpUrl}/metrics`, { headers: authHeaders() })).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith(name))
    .join('\n');
}

const route = (stable: string, canary = '', weight = 0) => ({
  model: 'nanodet',
  stableVersion: stable,
  canaryVersion: canary,
  canaryWeightPercent: weight,
});

describe('routing watch (real gateway, control-plane stand-in)', () => {
  let root: string;
  let dataDir: string;
  let standIn: RoutingStandIn;
  let gateway: TestGateway | undefined;
  const start = async (): Promise<TestGateway> => {
    gateway = await startTestGateway({
      MODEL_REPOSITORY: join(root, 'models'),
      GATEWAY_DATA_DIR: dataDir,
      GATEWAY_ID: 'gateway-test',
      GATEWAY_CONTROL_PLANE_ADDRESS: standIn.address,
      GATEWAY_CONTROL_PLANE_API_KEY: CONTROL_PLANE_KEY,
    });
    return gateway;
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'routing-watch-'));
    twoVersionRepository(join(root, 'models'));
    dataDir = join(root, 'data');
    standIn = new RoutingStandIn();
    await standIn.start();
    standIn.publish({ revision: 1n, routes: [route('1', '2', 100)] });
  });

  afterAll(async () => {
    await gateway?.close();
    standIn?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it('connects, says hello, acks and routes by the table', async () => {
    const gw = await start();
    await until(() => standIn.ackFor(1n) !== undefined, 'revision 1 acked');
    expect(standIn.hellos[0]).toMatchObject({ gatewayId: 'gateway-test', knownRevision: 0n });
    expect(standIn.authorizations[0]).toBe(`Bearer ${CONTROL_PLANE_KEY}`);
    expect(standIn.ackFor(1n)).toMatchObject({ applied: true, reason: '' });
    // Canary at 100 %: version 2, though 1 is the stable and 2 the newest both ways.
    expect(await servedVersion(gw)).toBe('2');

    standIn.publish({ revision: 2n, routes: [route('1')] });
    await until(() => standIn.ackFor(2n) !== undefined, 'revision 2 acked');
    expect(await servedVersion(gw)).toBe('1');
    expect(await metric(gw, 'gateway_routing_revision')).toMatch(/gateway_routing_revision 2$/m);
    expect(await metric(gw, 'gateway_routing_control_plane_connected')).toMatch(/ 1$/m);
    expect(await metric(gw, 'gateway_routing_decisions_total')).toMatch(
      /model="nanodet",version="1",role="stable"} 1/,
    );
  });

  it('nacks a snapshot naming a version it does not serve and keeps the previous table', async () => {
    standIn.publish({ revision: 3n, routes: [route('1', '9', 50)] });
    await until(() => standIn.ackFor(3n) !== undefined, 'revision 3 answered');
    expect(standIn.ackFor(3n)).toMatchObject({
      applied: false,
      reason: expect.stringMatching(/canary_version names version '9'/),
    });
    expect(await servedVersion(gateway!)).toBe('1');
  });

  it('keeps routing while the control plane is gone, and resynchronises soon after it returns', async () => {
    const gw = gateway!;
    const hellos = standIn.hellos.length;
    standIn.stop();
    await until(
      async () => (await metric(gw, 'gateway_routing_control_plane_connected')).endsWith(' 0'),
      'the lost stream noticed',
    );
    expect(await servedVersion(gw)).toBe('1');

    standIn.publish({ revision: 4n, routes: [route('2')] });
    await standIn.start();
    const returned = Date.now();
    // Backoff is capped at 1 s: a bound on the resynchronisation, with room for a busy machine.
    await until(() => standIn.ackFor(4n) !== undefined, 'revision 4 acked after the return', 5000);
    expect(Date.now() - returned).toBeLessThan(5000);
    expect(standIn.hellos[hellos]).toMatchObject({ gatewayId: 'gateway-test', knownRevision: 2n });
    expect(await servedVersion(gw)).toBe('2');
  });

  it('starts from the persisted table when the control plane is down', async () => {
    await gateway!.close();
    gateway = undefined;
    standIn.stop();
    const gw = await start();
    expect(await metric(gw, 'gateway_routing_revision')).toMatch(/gateway_routing_revision 4$/m);
    expect(await servedVersion(gw)).toBe('2');
    expect(await metric(gw, 'gateway_routing_control_plane_connected')).toMatch(/ 0$/m);
    const ready = await fetch(`${gw.httpUrl}/readyz`);
    expect(ready.status).toBe(200);
  });
});
