import {
  cpSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import { status, type Client, type ServiceError } from '@grpc/grpc-js';
import {
  GRPCInferenceService,
  ModelStatisticsRequestSchema,
  type ModelStatisticsResponse,
} from '@contracts/generated/inference/grpc_service_pb';
import {
  nanodetBinaryInferBody,
  nanodetInferRequest,
  NANODET_INPUT_SIZE,
} from './nanodet-reference';
import {
  authHeaders,
  callUnary,
  createApiKey,
  grpcClient,
  MODEL_REPOSITORY,
  sampleImage,
  seededFloats,
  startTestGateway,
  type TestGateway,
} from './test-gateway';
import type { ModelStatJson } from '../src/kserve/statistics/statistics-json';

/** Triton's `$model_stat`: what the checks read of it, over REST or gRPC. */
type ModelStat = Omit<ModelStatJson, 'batch_stats' | 'memory_usage' | 'response_stats'> & {
  batch_stats: Pick<ModelStatJson['batch_stats'][number], 'batch_size' | 'compute_infer'>[];
};

/**
 * A repository holding nanodet and a copy of it named `stats`, the name the statistics route
 * shares with a model's metadata route (`/v2/models/{model}`).
 */
function repositoryWithModelNamedStats(): string {
  const root = mkdtempSync(join(tmpdir(), 'statistics-repo-'));
  for (const name of ['nanodet', 'stats']) {
    const folder = join(root, name);
    mkdirSync(join(folder, '1'), { recursive: true });
    const config = readFileSync(join(MODEL_REPOSITORY, 'nanodet/config.pbtxt'), 'utf8');
    writeFileSync(
      join(folder, 'config.pbtxt'),
      config.replace('name: "nanodet"', `name: "${name}"`),
    );
    cpSync(join(MODEL_REPOSITORY, 'nanodet/labels.txt'), join(folder, 'labels.txt'));
    symlinkSync(join(MODEL_REPOSITORY, 'nanodet/1/model.onnx'), join(folder, '1/model.onnx'));
  }
  return root;
}

describe('statistics extension (embedded backend: the gateway measures)', () => {
  let repository: string;
  let gateway: TestGateway;
  let client: Client & Record<string, unknown>;
  const started = Date.now();

  const getJson = async (
    path: string,
    key?: string,
  ): Promise<{ status: number; body: unknown }> => {
    const response = await fetch(`${gateway.httpUrl}${path}`, { headers: authHeaders(key) });
    return { status: response.status, body: await response.json() };
  };
  const statsOf = async (path: string): Promise<ModelStat[]> => {
    const { status: code, body } = await getJson(path);
    expect(code).toBe(200);
    return (body as { model_stats: ModelStat[] }).model_stats;
  };
  const inferRest = async (batch: number): Promise<number> => {
    const infer = nanodetBinaryInferBody(seededFloats(batch * NANODET_INPUT_SIZE, batch), batch);
    const response = await fetch(`${gateway.httpUrl}/v2/models/nanodet/infer`, {
      method: 'POST',
      headers: { ...authHeaders(), ...infer.headers },
      body: infer.body,
    });
    await response.arrayBuffer();
    return response.status;
  };
  const detect = async (body: Buffer): Promise<number> => {
    const response = await fetch(`${gateway.httpUrl}/v1/models/nanodet/detect`, {
      method: 'POST',
      headers: { ...authHeaders(), 'content-type': 'image/jpeg' },
      body,
    });
    await response.arrayBuffer();
    return response.status;
  };

  beforeAll(async () => {
    repository = repositoryWithModelNamedStats();
    gateway = await startTestGateway({ MODEL_REPOSITORY: repository });
    client = grpcClient(GRPCInferenceService, gateway.grpcAddress);
    // One call at a time, so each is an execution of its own: 2 of batch 1 and 1 of batch 2
    // over REST, 1 of batch 1 over gRPC, 2 detect calls, and a detect call whose image does not
    // decode (it fails after admission: counted as a failure).
    expect(await inferRest(1)).toBe(200);
    expect(await inferRest(1)).toBe(200);
    expect(await inferRest(2)).toBe(200);
    await callUnary(
      client,
      'modelInfer',
      nanodetInferRequest(seededFloats(NANODET_INPUT_SIZE, 9), 1, { id: 'g', model: 'nanodet' }),
    );
    expect(await detect(sampleImage('messi5.jpg'))).toBe(200);
    expect(await detect(sampleImage('messi5.jpg'))).toBe(200);
    const corrupt = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(64, 7)]);
    expect(await detect(corrupt)).toBe(400);
  }, 120_000);

  afterAll(async () => {
    client?.close();
    await gateway?.close();
    rmSync(repository, { recursive: true, force: true });
  });

  /** What the calls above add up to, as Triton would count them. */
  function expectCounts(stat: ModelStat): void {
    expect(stat).toMatchObject({ name: 'nanodet', version: '1' });
    const stats = stat.inference_stats;
    expect(stats.success.count).toBe(6);
    expect(stats.fail.count).toBe(1);
    // Every successful call waited (queue) and was computed; a failed one is only a failure.
    for (const phase of ['queue', 'compute_input', 'compute_infer', 'compute_output'] as const) {
      expect(stats[phase].count).toBe(6);
    }
    expect(stats.cache_hit).toEqual({ count: 0, ns: 0 });
    expect(stats.compute_infer.ns).toBeGreaterThan(0);
    // Request time holds the queue and the backend time of the same calls.
    expect(stats.success.ns).toBeGreaterThanOrEqual(stats.compute_infer.ns);
    expect(stats.success.ns).toBeGreaterThanOrEqual(stats.queue.ns);
    // Images: 1 + 1 + 2 over REST, 1 over gRPC, 1 per detect call.
    expect(stat.inference_count).toBe(7);
    expect(stat.execution_count).toBe(6);
    expect(stat.batch_stats.map((batch) => [batch.batch_size, batch.compute_infer.count])).toEqual([
      [1, 5],
      [2, 1],
    ]);
    expect(stat.last_inference).toBeGreaterThanOrEqual(started);
    expect(stat.last_inference).toBeLessThanOrEqual(Date.now());
  }

  it("answers Triton's JSON shape with the counts of the calls made, per model and per version", async () => {
    const [byModel] = await statsOf('/v2/models/nanodet/stats');
    expectCounts(byModel);
    expect(Object.keys(byModel).sort()).toEqual(
      [
        'batch_stats',
        'execution_count',
        'inference_count',
        'inference_stats',
        'last_inference',
        'memory_usage',
        'name',
        'response_stats',
        'version',
      ].sort(),
    );
    const [byVersion] = await statsOf('/v2/models/nanodet/versions/1/stats');
    expectCounts(byVersion);
  });

  it('/v2/models/stats lists every served version; a model named stats keeps its own routes', async () => {
    const all = await statsOf('/v2/models/stats');
    expect(all.map((stat) => `${stat.name}/${stat.version}`).sort()).toEqual([
      'nanodet/1',
      'stats/1',
    ]);
    expectCounts(all.find((stat) => stat.name === 'nanodet') as ModelStat);
    // Nothing called `stats`: zeros, but listed, as Triton lists a loaded model.
    const named = all.find((stat) => stat.name === 'stats') as ModelStat;
    expect(named.inference_stats.success).toEqual({ count: 0, ns: 0 });
    expect(named.last_inference).toBe(0);
    // The model named `stats`: metadata by version, readiness and statistics under its own path.
    const metadata = await getJson('/v2/models/stats/versions/1');
    expect(metadata).toMatchObject({ status: 200, body: { name: 'stats', versions: ['1'] } });
    expect(
      (await fetch(`${gateway.httpUrl}/v2/models/stats/ready`, { headers: authHeaders() })).status,
    ).toBe(200);
    expect((await statsOf('/v2/models/stats/stats')).map((stat) => stat.name)).toEqual(['stats']);
    // And the metadata route of every other model is untouched.
    expect(await getJson('/v2/models/nanodet')).toMatchObject({
      status: 200,
      body: { name: 'nanodet' },
    });
  });

  it('refuses an unknown model or version with the wording of every model route', async () => {
    const model = await getJson('/v2/models/nope/stats');
    const metadata = await getJson('/v2/models/nope');
    expect(model.status).toBe(404);
    expect(model.body).toEqual(metadata.body);
    expect(model.body).toEqual({ error: "unknown model 'nope'" });
    const version = await getJson('/v2/models/nanodet/versions/7/stats');
    expect(version.status).toBe(404);
    expect(version.body).toEqual((await getJson('/v2/models/nanodet/versions/7')).body);
  });

  it('ModelStatistics over gRPC: the same counts, every model, NOT_FOUND for unknown ones', async () => {
    const ask = (name: string, version = '') =>
      callUnary<ModelStatisticsResponse>(
        client,
        'modelStatistics',
        create(ModelStatisticsRequestSchema, { name, version }),
      );
    const { modelStats } = await ask('nanodet', '1');
    expect(modelStats).toHaveLength(1);
    const [stat] = modelStats;
    const inference = stat.inferenceStats;
    expectCounts({
      name: stat.name,
      version: stat.version,
      last_inference: Number(stat.lastInference),
      inference_count: Number(stat.inferenceCount),
      execution_count: Number(stat.executionCount),
      inference_stats: Object.fromEntries(
        (
          [
            ['success', inference?.success],
            ['fail', inference?.fail],
            ['queue', inference?.queue],
            ['compute_input', inference?.computeInput],
            ['compute_infer', inference?.computeInfer],
            ['compute_output', inference?.computeOutput],
            ['cache_hit', inference?.cacheHit],
            ['cache_miss', inference?.cacheMiss],
          ] as const
        ).map(([key, value]) => [key, { count: Number(value?.count), ns: Number(value?.ns) }]),
      ) as ModelStat['inference_stats'],
      batch_stats: stat.batchStats.map((batch) => ({
        batch_size: Number(batch.batchSize),
        compute_infer: {
          count: Number(batch.computeInfer?.count),
          ns: Number(batch.computeInfer?.ns),
        },
      })),
    });
    const all = await ask('');
    expect(all.modelStats.map((entry) => entry.name).sort()).toEqual(['nanodet', 'stats']);
    await expect(ask('nope')).rejects.toMatchObject({
      code: status.NOT_FOUND,
      details: "unknown model 'nope'",
    } satisfies Partial<ServiceError>);
  });

  it('needs the model scope, as model metadata does; the listing holds only models the caller may call', async () => {
    const { key } = await createApiKey(gateway.httpUrl, {
      tenant: 'acme',
      scopes: ['infer:stats'],
    });
    expect((await getJson('/v2/models/nanodet/stats', key)).status).toBe(403);
    expect((await getJson('/v2/models/stats/stats', key)).status).toBe(200);
    const listed = await getJson('/v2/models/stats', key);
    expect(listed.status).toBe(200);
    expect((listed.body as { model_stats: ModelStat[] }).model_stats.map((s) => s.name)).toEqual([
      'stats',
    ]);
    const anonymous = await fetch(`${gateway.httpUrl}/v2/models/stats`);
    expect(anonymous.status).toBe(401);
    const scoped = grpcClient(GRPCInferenceService, gateway.grpcAddress, { apiKey: key });
    try {
      await expect(
        callUnary(
          scoped,
          'modelStatistics',
          create(ModelStatisticsRequestSchema, { name: 'nanodet' }),
        ),
      ).rejects.toMatchObject({ code: status.PERMISSION_DENIED });
      const listing = await callUnary<ModelStatisticsResponse>(
        scoped,
        'modelStatistics',
        create(ModelStatisticsRequestSchema, {}),
      );
      expect(listing.modelStats.map((entry) => entry.name)).toEqual(['stats']);
    } finally {
      scoped.close();
    }
  });
});
