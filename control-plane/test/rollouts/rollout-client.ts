import { setTimeout as sleep } from 'node:timers/promises';
import { readSampleMedia } from '@test-support';
import { authHeaders } from '../../../gateway/test/test-gateway';
import { postGraphql } from '../support/graphql-client';
import { NANODET_VERSIONS, type RolloutFleet } from './rollout-fleet';

/** Calls the rollout spec and benchmark make: the control plane's GraphQL, the replicas' APIs. */

/** Replicas apply a revision within about a second; a whole-fleet wait is bounded well above. */
export const PROPAGATION_BOUND_MS = 10_000;
/** A canary analysis of a few 5 s intervals, on two cores shared with three replicas. */
export const ANALYSIS_BOUND_MS = 150_000;
export const IMAGES = [
  'vtest-frames/frame-01.png',
  'vtest-frames/frame-03.png',
  'vtest-frames/frame-05.png',
  'vtest-frames/frame-07.png',
  'messi5.jpg',
  'basketball1.png',
].map((name) => ({
  name,
  bytes: readSampleMedia(name),
  type: name.endsWith('.jpg') ? 'image/jpeg' : 'image/png',
}));

/** Polls `probe` every `everyMs` until it gives a value; fails naming what never happened. */
export async function until<T>(
  probe: () => Promise<T | undefined>,
  { timeoutMs, everyMs = 100, what }: { timeoutMs: number; everyMs?: number; what: string },
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

export interface Detection {
  label: string;
  score: number;
  box: number[];
}

export async function graphql<T>(
  fleet: RolloutFleet,
  query: string,
  variables?: Record<string, unknown>,
): Promise<T> {
  const response = await postGraphql<T>(fleet.graphqlUrl, query, variables);
  if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
  return response.body.data!;
}

/** Sets a deployment and returns its routing revision. */
export async function setDeployment(
  fleet: RolloutFleet,
  input: Record<string, unknown>,
): Promise<string> {
  const data = await graphql<{
    setDeployment: { deployment: { activeRevision: { revision: string } } };
  }>(
    fleet,
    `
      mutation ($input: SetDeploymentInput!) {
        setDeployment(input: $input) {
          deployment {
            activeRevision {
              revision
            }
          }
        }
      }
    `,
    { input },
  );
  return data.setDeployment.deployment.activeRevision.revision;
}

export interface Replica {
  gatewayId: string;
  connected: boolean;
  appliedRevision: string | null;
}

export async function replicas(fleet: RolloutFleet): Promise<Replica[]> {
  return (
    await graphql<{ routingReplicas: Replica[] }>(
      fleet,
      '{ routingReplicas { gatewayId connected appliedRevision } }',
    )
  ).routingReplicas;
}

/** Until every replica reports `revision` applied. */
export async function allReplicasOn(fleet: RolloutFleet, revision: string): Promise<void> {
  await until(
    async () => {
      const states = await replicas(fleet);
      const on = states.filter((state) => state.connected && state.appliedRevision === revision);
      return on.length === fleet.gateways.length ? true : undefined;
    },
    { timeoutMs: PROPAGATION_BOUND_MS, what: `all replicas on revision ${revision}` },
  );
}

/** One echo call through replica `index`; the version that answered. */
export async function echo(
  fleet: RolloutFleet,
  index: number,
  headers: Record<string, string> = {},
): Promise<string> {
  const response = await fetch(`${fleet.gateways[index].httpUrl}/v2/models/echo/infer`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': 'application/json', ...headers },
    body: JSON.stringify({
      inputs: [{ name: 'x', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] }],
    }),
  });
  const body = (await response.json()) as {
    model_version?: string;
    outputs?: { data: number[] }[];
  };
  if (response.status !== 200)
    throw new Error(`echo answered ${response.status}: ${JSON.stringify(body)}`);
  if (JSON.stringify(body.outputs?.[0].data) !== '[1,2,3,4]') {
    throw new Error(`echo answered ${JSON.stringify(body.outputs)}, not its input`);
  }
  return body.model_version!;
}

export async function detect(
  fleet: RolloutFleet,
  index: number,
  image: (typeof IMAGES)[number],
  version = '',
): Promise<{ version: string; detections: Detection[] }> {
  const path =
    version === '' ? '/v1/models/nanodet/detect' : `/v1/models/nanodet/versions/${version}/detect`;
  const response = await fetch(`${fleet.gateways[index].httpUrl}${path}`, {
    method: 'POST',
    headers: { ...authHeaders(), 'content-type': image.type },
    body: image.bytes,
  });
  const body = (await response.json()) as { version: string; detections: Detection[] };
  if (response.status !== 200)
    throw new Error(`detect answered ${response.status}: ${JSON.stringify(body)}`);
  return body;
}

export interface AnalysisState {
  state: string;
  outcomeReason: string | null;
  decisions: { nodes: { action: string; reason: string; canaryWeightPercent: number }[] };
}

export async function analysisOf(fleet: RolloutFleet): Promise<AnalysisState> {
  const data = await graphql<{ deployment: { analysis: AnalysisState } }>(
    fleet,
    `
      {
        deployment(model: "nanodet") {
          analysis {
            state
            outcomeReason
            decisions {
              nodes {
                action
                reason
                canaryWeightPercent
              }
            }
          }
        }
      }
    `,
  );
  return data.deployment.analysis;
}

/**
 * Starts an analysis of `canary` against stable and sends detect traffic (two callers, every
 * replica, the sample images in turn) until it ends; the analysis as it ended.
 */
export async function analyse(fleet: RolloutFleet, canary: string): Promise<AnalysisState> {
  await setDeployment(fleet, {
    model: 'nanodet',
    stableVersion: NANODET_VERSIONS.stable,
    canary: { version: canary, weightPercent: 0 },
  });
  await graphql(
    fleet,
    `
      mutation ($input: StartCanaryAnalysisInput!) {
        startCanaryAnalysis(input: $input) {
          deployment {
            model
          }
        }
      }
    `,
    {
      input: {
        model: 'nanodet',
        intervalSeconds: 5,
        stepWeightPercent: 25,
        maxWeightPercent: 50,
        iterations: 1,
        failureLimit: 1,
        minCalls: 8,
        minComparisons: 4,
        comparisonSamplePercent: 50,
        // A p99 of a dozen calls is their slowest, read from coarse buckets: on two busy cores a
        // faithful canary measured up to 1.6× stable's. The slow canary is 3.4×.
        maxP99LatencyRatio: 2,
      },
    },
  );
  let finished: AnalysisState | undefined;
  let sent = 0;
  const traffic = async (): Promise<void> => {
    while (!finished) {
      await detect(fleet, sent % fleet.gateways.length, IMAGES[sent % IMAGES.length]);
      sent += 1;
    }
  };
  const callers = [traffic(), traffic()];
  try {
    await until(
      async () => {
        const analysis = await analysisOf(fleet);
        if (analysis.state !== 'RUNNING' && analysis.state !== 'running') finished = analysis;
        return finished;
      },
      {
        timeoutMs: ANALYSIS_BOUND_MS,
        everyMs: 500,
        what: `the analysis of nanodet version ${canary} to end`,
      },
    );
  } finally {
    finished ??= await analysisOf(fleet);
    await Promise.all(callers);
  }
  return finished;
}
