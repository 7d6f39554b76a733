import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { startGatewayProcess, type GatewayProcess } from '../../../gateway/test/gateway-process';
import { RedisServer } from '../../../gateway/test/redis-server';
import { readSampleMedia } from '@test-support';
import { authHeaders, TEST_API_KEY } from '../../../gateway/test/test-gateway';
import { ControlPlaneProcess, findFreePort } from '../support/control-plane-process';
import { PrometheusServer } from '../support/prometheus-server';
import { TEST_ADMIN_KEY } from '../support/test-credentials';
import { createTemporaryDirectory, removeDirectory } from '../support/temporary-directory';
import { REPOSITORY_ROOT } from '../support/typescript-process';

const run = promisify(execFile);
const PYTHON = process.env.PYTHON ?? path.join(REPOSITORY_ROOT, '.venv/bin/python');

/**
 * NanoDet's versions in the fleet's repository: the real model as stable, and the canaries
 * triton-models/nanodet/canaries/build-canaries.py makes from it.
 */
export const NANODET_VERSIONS = {
  stable: '1',
  faithful: '2',
  shifted: '3',
  scrambled: '4',
  slow: '5',
} as const;

/** `echo` (y = x) in three versions: routing measured over thousands of calls costs microseconds. */
export const ECHO_VERSIONS = ['1', '2', '3'] as const;

const ECHO_CONFIG = `name: "echo"
platform: "onnxruntime_onnx"
max_batch_size: 8
version_policy: { all: {} }
input [ { name: "x" data_type: TYPE_FP32 dims: [ 4 ] } ]
output [ { name: "y" data_type: TYPE_FP32 dims: [ 4 ] } ]
`;

/** A model repository with nanodet 1–5 (stable + canaries) and echo 1–3, every version served. */
async function buildRepository(root: string): Promise<void> {
  const nanodet = path.join(root, 'nanodet');
  const source = path.join(REPOSITORY_ROOT, 'triton-models/nanodet');
  const canaries = path.join(root, '.canaries');
  await run(PYTHON, [path.join(source, 'canaries/build-canaries.py'), canaries]);
  const files: Record<string, string> = {
    [NANODET_VERSIONS.stable]: path.join(source, '1/model.onnx'),
    [NANODET_VERSIONS.faithful]: path.join(canaries, 'faithful/model.onnx'),
    [NANODET_VERSIONS.shifted]: path.join(canaries, 'shifted/model.onnx'),
    [NANODET_VERSIONS.scrambled]: path.join(canaries, 'scrambled/model.onnx'),
    [NANODET_VERSIONS.slow]: path.join(canaries, 'slow/model.onnx'),
  };
  for (const [version, file] of Object.entries(files)) {
    await mkdir(path.join(nanodet, version), { recursive: true });
    await copyFile(file, path.join(nanodet, version, 'model.onnx'));
  }
  await copyFile(path.join(source, 'labels.txt'), path.join(nanodet, 'labels.txt'));
  const config = await readFile(path.join(source, 'config.pbtxt'), 'utf8');
  const servingAll = config.replace(/version_policy:[^\n]*/, 'version_policy: { all: {} }');
  if (servingAll === config) throw new Error('nanodet config.pbtxt has no version_policy line');
  await writeFile(path.join(nanodet, 'config.pbtxt'), servingAll);

  const echo = path.join(root, 'echo');
  for (const version of ECHO_VERSIONS) {
    await mkdir(path.join(echo, version), { recursive: true });
    await run(PYTHON, [
      path.join(__dirname, 'build-echo-model.py'),
      path.join(echo, version, 'model.onnx'),
    ]);
  }
  await writeFile(path.join(echo, 'config.pbtxt'), ECHO_CONFIG);
}

/**
 * Everything real: a Postgres schema, a Redis server, the control plane (its routing service on a
 * fixed port, so gateways find it again after a restart), three gateway replicas sharing Redis
 * (rate limits) and Postgres (API keys) and one model repository, and a Prometheus scraping the
 * three, which the canary analysis queries.
 */
export class RolloutFleet {
  readonly gateways: GatewayProcess[] = [];
  controlPlane: ControlPlaneProcess | undefined;

  private constructor(
    private readonly workDir: string,
    readonly repository: string,
    private readonly database: FreshSchema | undefined,
    readonly redis: RedisServer | undefined,
    readonly routingPort: number,
    private readonly controlPlanePort: number,
    readonly prometheus: PrometheusServer | undefined,
    private readonly gatewayCount: number,
  ) {}

  /**
   * `postgresUrl`: the control plane and the gateways' API keys in a fresh schema there (else the
   * control plane's embedded PGlite and each gateway's key file); `shared`: a Redis for the
   * replicas' rate limits and a Prometheus scraping them (the analysis' PromQL source; without
   * it the analysis reads the statistics the gateways report on their routing streams).
   */
  static async start({
    postgresUrl,
    shared = true,
    replicas = 3,
  }: { postgresUrl?: string; shared?: boolean; replicas?: number } = {}): Promise<RolloutFleet> {
    const workDir = await createTemporaryDirectory('rollout-fleet');
    const repository = path.join(workDir, 'models');
    await buildRepository(repository);
    const database = postgresUrl ? await freshSchema(postgresUrl) : undefined;
    const redis = shared ? await RedisServer.start() : undefined;
    const gatewayPorts = await Promise.all(Array.from({ length: replicas }, () => findFreePort()));
    const prometheus = shared
      ? await PrometheusServer.start({ targets: gatewayPorts.map((port) => `127.0.0.1:${port}`) })
      : undefined;
    const fleet = new RolloutFleet(
      workDir,
      repository,
      database,
      redis,
      await findFreePort(),
      await findFreePort(),
      prometheus,
      replicas,
    );
    try {
      await fleet.startControlPlane();
      for (const [index, port] of gatewayPorts.entries()) {
        fleet.gateways.push(await fleet.startGateway(index, port));
      }
      await fleet.warmUp();
    } catch (error) {
      await fleet.close();
      throw error;
    }
    return fleet;
  }

  async startControlPlane(): Promise<ControlPlaneProcess> {
    this.controlPlane = await ControlPlaneProcess.start(
      {
        DATABASE_URL: this.database?.url,
        MODEL_REPOSITORY: this.repository,
        CONTROL_PLANE_DATA_DIR: path.join(this.workDir, 'control-plane'),
        CONTROL_PLANE_GRPC_HOST: '127.0.0.1',
        CONTROL_PLANE_GRPC_PORT: String(this.routingPort),
        CONTROL_PLANE_PROMETHEUS_URL: this.prometheus?.url,
      },
      { port: this.controlPlanePort },
    );
    return this.controlPlane;
  }

  async killControlPlane(): Promise<void> {
    await this.controlPlane?.kill();
    this.controlPlane = undefined;
  }

  get graphqlUrl(): string {
    if (!this.controlPlane) throw new Error('the control plane is not running');
    return this.controlPlane.baseUrl;
  }

  /** Replica `index` on `httpPort`, with its own data folder (its persisted routing table). */
  private startGateway(index: number, httpPort: number): Promise<GatewayProcess> {
    return startGatewayProcess({
      GATEWAY_ID: `replica-${index + 1}`,
      GATEWAY_HTTP_PORT: String(httpPort),
      GATEWAY_DATA_DIR: path.join(this.workDir, `gateway-${index + 1}`),
      MODEL_REPOSITORY: this.repository,
      GATEWAY_BOOTSTRAP_API_KEY: TEST_API_KEY,
      ...(this.database ? { GATEWAY_DATABASE_URL: this.database.url } : {}),
      ...(this.redis
        ? { REDIS_URL: this.redis.url, GATEWAY_REPLICAS: String(this.gatewayCount) }
        : {}),
      GATEWAY_METRICS_PUBLIC: 'true',
      GATEWAY_CONTROL_PLANE_ADDRESS: `127.0.0.1:${this.routingPort}`,
      GATEWAY_CONTROL_PLANE_API_KEY: TEST_ADMIN_KEY,
      GATEWAY_STATISTICS_REPORT_MS: '1000',
      GATEWAY_SHADOW_MAX_IN_FLIGHT: '4',
    });
  }

  /**
   * One detect call per NanoDet version on every replica: an ONNX Runtime session's first run is
   * many times slower than the next, and a canary judged on latency must not pay for that.
   */
  private async warmUp(): Promise<void> {
    const image = readSampleMedia('messi5.jpg');
    for (const gateway of this.gateways) {
      for (const version of Object.values(NANODET_VERSIONS)) {
        const response = await fetch(
          `${gateway.httpUrl}/v1/models/nanodet/versions/${version}/detect`,
          {
            method: 'POST',
            headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
            body: image,
          },
        );
        if (response.status !== 200) {
          throw new Error(
            `warm-up of nanodet ${version} answered ${response.status}: ${await response.text()}`,
          );
        }
      }
    }
  }

  /** SIGKILL replica `index` and start it again on the same port and data folder. */
  async restartGateway(index: number): Promise<GatewayProcess> {
    const port = Number(new URL(this.gateways[index].httpUrl).port);
    await this.gateways[index].kill();
    this.gateways[index] = await this.startGateway(index, port);
    return this.gateways[index];
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.gateways.map((gateway) => gateway.kill()));
    await this.controlPlane?.stop().catch(() => undefined);
    await this.prometheus?.stop();
    await this.redis?.dispose();
    await this.database?.drop();
    await removeDirectory(this.workDir);
  }
}

interface FreshSchema {
  url: string;
  drop(): Promise<void>;
}

/** A schema of its own on the Postgres server at `serverUrl`, selected through the URL. */
async function freshSchema(serverUrl: string): Promise<FreshSchema> {
  const schema = `rollouts_${randomBytes(4).toString('hex')}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA "${schema}"`);
  const url = new URL(serverUrl);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    drop: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await admin.end();
    },
  };
}
