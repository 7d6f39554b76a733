import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { startChildService, type ChildService } from '@test-support';
import type { AnalysisDecisionInput } from '../src/deployments/canary-analysis-contract';
import type {
  DeploymentsAppAnswer,
  DeploymentsAppQuestion,
  DeploymentsAppReady,
} from './deployments-app.child';
import { createFixtureModelRepository } from './support/fixture-model-repository';
import { postGraphql, type GraphqlResponse } from './support/graphql-client';
import { auditEvents, codeOf } from './support/registry-client';
import { TEST_ADMIN_KEY } from './support/test-credentials';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';
import { REPOSITORY_ROOT, typeScriptChildEnv } from './support/typescript-process';

const CHILD = path.join(__dirname, 'deployments-app.child.ts');

const REVISION_FIELDS = `
  revision number stableVersion canary { version weightPercent } shadows { version samplePercent }
  stickyKey tenantOverrides { tenant version } cause reason restoredFromRevision actor createdAt
`;
const DEPLOYMENT_FIELDS = `
  model
  activeRevision { ${REVISION_FIELDS} }
  revisions(first: 50) { nodes { revision number stableVersion cause restoredFromRevision } }
  analysis {
    id state canaryVersion outcomeReason iterations failures passesAtMaxWeight
    spec { stepWeightPercent maxWeightPercent comparisonSamplePercent intervalSeconds minAgreementF1 }
    decisions(first: 20) {
      nodes {
        iteration action reason canaryWeightPercent revision
        measurements { check stableValue canaryValue value threshold passed samples }
      }
    }
  }
`;

interface Revision {
  revision: string;
  number: number;
  stableVersion: string;
  canary: { version: string; weightPercent: number } | null;
  shadows: { version: string; samplePercent: number }[];
  stickyKey: string;
  tenantOverrides: { tenant: string; version: string }[];
  cause: string;
  reason: string | null;
  restoredFromRevision: string | null;
  actor: string;
}

interface Deployment {
  model: string;
  activeRevision: Revision;
  revisions: {
    nodes: Pick<
      Revision,
      'revision' | 'number' | 'stableVersion' | 'cause' | 'restoredFromRevision'
    >[];
  };
  analysis: {
    id: string;
    state: string;
    canaryVersion: string;
    outcomeReason: string | null;
    iterations: number;
    failures: number;
    passesAtMaxWeight: number;
    spec: Record<string, number>;
    decisions: {
      nodes: {
        iteration: number;
        action: string;
        reason: string;
        canaryWeightPercent: number;
        revision: string | null;
        measurements: Record<string, unknown>[];
      }[];
    };
  } | null;
}

interface SnapshotJson {
  revision: string;
  createdUnixMs: string;
  routes: {
    model: string;
    deploymentRevision: string;
    stableVersion: string;
    canaryVersion: string;
    canaryWeightPercent: number;
    shadows: { version: string; samplePercent: number }[];
    stickyKey: string;
    tenantOverrides: { tenant: string; version: string }[];
  }[];
}

const MODEL = 'nanodet';

describe('deployments: revisions, rollback, canary analyses (real app, PGlite, GraphQL)', () => {
  let workDir: string | undefined;
  let child: ChildService<DeploymentsAppReady> | undefined;
  let baseUrl: string;

  const ask = async <T>(question: DeploymentsAppQuestion): Promise<T> => {
    const answer = (await child!.ask(JSON.stringify(question))) as DeploymentsAppAnswer;
    if (!answer.ok) throw new Error(`${question.call}: ${answer.error}`);
    return answer.value as T;
  };
  const snapshot = (): Promise<SnapshotJson> => ask({ call: 'currentSnapshot' });
  const decide = (
    analysisId: string,
    decision: AnalysisDecisionInput,
  ): Promise<{ iteration: number; revisionId: string | null; state: string } | null> =>
    ask({ call: 'recordAnalysisDecision', analysisId, decision });

  const gql = <T>(
    query: string,
    variables?: Record<string, unknown>,
    credential: string = TEST_ADMIN_KEY,
  ): Promise<GraphqlResponse<T>> => postGraphql<T>(baseUrl, query, variables, { credential });

  const deployment = async (): Promise<Deployment | null> => {
    const response = await gql<{ deployment: Deployment | null }>(
      `query ($model: String!) { deployment(model: $model) { ${DEPLOYMENT_FIELDS} } }`,
      { model: MODEL },
    );
    expect(response.body.errors).toBeUndefined();
    return response.body.data!.deployment;
  };

  /** Runs a deployment mutation; its payload's deployment, or the response when it failed. */
  const mutate = async (
    name: string,
    inputType: string,
    input: Record<string, unknown>,
    credential?: string,
  ): Promise<GraphqlResponse<Record<string, { deployment: Deployment }>>> =>
    gql(
      `mutation ($input: ${inputType}!) { ${name}(input: $input) { deployment { ${DEPLOYMENT_FIELDS} } } }`,
      { input },
      credential,
    );
  const succeed = async (
    name: string,
    inputType: string,
    input: Record<string, unknown>,
  ): Promise<Deployment> => {
    const response = await mutate(name, inputType, input);
    expect(response.body.errors).toBeUndefined();
    return response.body.data![name].deployment;
  };
  const setDeployment = (input: Record<string, unknown>): Promise<Deployment> =>
    succeed('setDeployment', 'SetDeploymentInput', { model: MODEL, ...input });
  const refusal = async (
    name: string,
    inputType: string,
    input: Record<string, unknown>,
  ): Promise<{ code: string | undefined; message: string }> => {
    const response = await mutate(name, inputType, { model: MODEL, ...input });
    expect(response.body.data?.[name] ?? null).toBeNull();
    return { code: codeOf(response), message: response.body.errors?.[0]?.message ?? '' };
  };

  beforeAll(async () => {
    workDir = await createTemporaryDirectory('deployments-e2e');
    const fixture = await createFixtureModelRepository(path.join(workDir, 'models'));
    // Versions 1-3 served, 4 present but not served (version policy), all ready.
    for (const version of ['2', '3', '4']) {
      await mkdir(path.join(fixture.root, MODEL, version));
      await writeFile(path.join(fixture.root, MODEL, version, 'model.onnx'), `bytes of ${version}`);
    }
    const configFile = path.join(fixture.root, MODEL, 'config.pbtxt');
    const config = await readFile(configFile, 'utf8');
    const policy = 'version_policy: { specific: { versions: [1, 2, 3] } }';
    await writeFile(configFile, config.replace(/^version_policy:.*$/m, policy));
    child = await startChildService({
      name: 'control plane',
      entry: CHILD,
      cwd: REPOSITORY_ROOT,
      env: typeScriptChildEnv({
        NODE_ENV: 'test',
        CONTROL_PLANE_HOST: '127.0.0.1',
        MODEL_REPOSITORY: fixture.root,
        CONTROL_PLANE_DATA_DIR: path.join(workDir, 'data'),
        CONTROL_PLANE_BOOTSTRAP_ADMIN_KEY: TEST_ADMIN_KEY,
      }),
      stdout: 'collect',
      stderr: 'collect',
      ready: { message: (message) => message as DeploymentsAppReady },
      startTimeoutMs: 90_000,
    });
    baseUrl = `http://${child.ready.host}:${child.ready.port}`;
  }, 120_000);

  afterAll(async () => {
    await child?.kill();
    await removeDirectory(workDir);
  });

  it('has no routing before the first deployment', async () => {
    expect(await deployment()).toBeNull();
    expect(await snapshot()).toEqual({ revision: '0', createdUnixMs: '0', routes: [] });
  });

  it('refuses bad specs with BAD_USER_INPUT naming what was wrong, and viewers altogether', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ stableVersion: '9' }, /^stableVersion: model nanodet has no version 9$/],
      [
        { stableVersion: '1', canary: { version: '4', weightPercent: 10 } },
        /^canary\.version: version 4 of nanodet is not served/,
      ],
      [
        { stableVersion: '1', canary: { version: '2', weightPercent: 101 } },
        /^canary\.weightPercent must be 0-100, got 101$/,
      ],
      [
        { stableVersion: '1', stickyKey: 'header:X-Camera' },
        /^stickyKey "header:X-Camera" must be/,
      ],
      [{ stableVersion: '1', stickyKey: 'cookie' }, /^stickyKey "cookie" must be/],
      [
        { stableVersion: '1', shadows: [{ version: '1', samplePercent: 5 }] },
        /^shadows\[0\]\.version 1 is the stable version/,
      ],
      [
        {
          stableVersion: '1',
          shadows: [
            { version: '2', samplePercent: 5 },
            { version: '2', samplePercent: 6 },
          ],
        },
        /^version 2 is shadowed twice$/,
      ],
      [
        {
          stableVersion: '1',
          shadows: Array.from({ length: 17 }, () => ({ version: '2', samplePercent: 1 })),
        },
        /^at most 16 shadows, got 17$/,
      ],
      [
        { stableVersion: '1', canary: { version: '1', weightPercent: 5 } },
        /^canary\.version 1 is the stable version/,
      ],
    ];
    for (const [input, message] of cases) {
      const refused = await refusal('setDeployment', 'SetDeploymentInput', input);
      expect({ input, ...refused }).toEqual({
        input,
        code: 'BAD_USER_INPUT',
        message: expect.stringMatching(message),
      });
    }
    const unknownModel = await mutate('setDeployment', 'SetDeploymentInput', {
      model: 'no-such-model',
      stableVersion: '1',
    });
    expect(codeOf(unknownModel)).toBe('NOT_FOUND');

    const viewer = await mutate(
      'setDeployment',
      'SetDeploymentInput',
      { model: MODEL, stableVersion: '1' },
      child!.ready.viewerKey,
    );
    expect(codeOf(viewer)).toBe('FORBIDDEN');
    // A viewer reads.
    const read = await gql(`{ deployments { nodes { model } } }`, {}, child!.ready.viewerKey);
    expect(read.body).toEqual({ data: { deployments: { nodes: [] } } });
    expect(await deployment()).toBeNull();
  });

  let created: Revision;
  let withCanary: Revision;

  it('creates a deployment, keeps an identical spec as it is, and appends a revision per change', async () => {
    created = (await setDeployment({ stableVersion: '1', reason: 'first' })).activeRevision;
    expect(created).toMatchObject({
      number: 1,
      stableVersion: '1',
      canary: null,
      shadows: [],
      stickyKey: '',
      tenantOverrides: [],
      cause: 'create',
      reason: 'first',
      actor: expect.stringMatching(/^key:/),
    });
    const first = await snapshot();
    expect(first.revision).toBe(created.revision);
    expect(first.routes).toEqual([
      expect.objectContaining({
        model: MODEL,
        stableVersion: '1',
        deploymentRevision: created.revision,
      }),
    ]);

    // Nothing to go back to yet.
    const nothing = await refusal('rollbackDeployment', 'RollbackDeploymentInput', { reason: 'x' });
    expect(nothing).toEqual({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/nothing to roll back to/),
    });

    const same = await setDeployment({ stableVersion: '1' });
    expect(same.activeRevision.revision).toBe(created.revision);

    const updated = await setDeployment({
      stableVersion: '1',
      canary: { version: '2', weightPercent: 12.5 },
      shadows: [{ version: '3', samplePercent: 5 }],
      stickyKey: 'header:x-camera-id',
      tenantOverrides: [{ tenant: 'team-b', version: '3' }],
    });
    withCanary = updated.activeRevision;
    expect(withCanary).toMatchObject({
      number: 2,
      cause: 'update',
      canary: { version: '2', weightPercent: 12.5 },
      shadows: [{ version: '3', samplePercent: 5 }],
      stickyKey: 'header:x-camera-id',
      tenantOverrides: [{ tenant: 'team-b', version: '3' }],
    });
    expect(BigInt(withCanary.revision)).toBeGreaterThan(BigInt(created.revision));
    expect(updated.revisions.nodes.map((r) => [r.number, r.cause])).toEqual([
      [2, 'update'],
      [1, 'create'],
    ]);
    expect((await snapshot()).routes).toEqual([
      {
        model: MODEL,
        deploymentRevision: withCanary.revision,
        stableVersion: '1',
        canaryVersion: '2',
        canaryWeightPercent: 12.5,
        shadows: [{ version: '3', samplePercent: 5 }],
        stickyKey: 'header:x-camera-id',
        tenantOverrides: [{ tenant: 'team-b', version: '3' }],
      },
    ]);

    const audit = await auditEvents(baseUrl, { subjectType: 'deployment', subjectId: MODEL });
    expect(audit.map((event) => event.action)).toEqual(['deployment.set', 'deployment.set']);
    expect(JSON.parse(audit[0].before!)).toMatchObject({
      revision: created.revision,
      stableVersion: '1',
      canary: null,
    });
    expect(JSON.parse(audit[0].after!)).toMatchObject({
      revision: withCanary.revision,
      canary: { version: '2', weightPercent: 12.5 },
      cause: 'update',
    });
    expect(audit[1].before).toBeNull();
  });

  it('pages revisions newest first', async () => {
    const page = async (after?: string) =>
      gql<{
        deployment: {
          revisions: {
            nodes: { number: number }[];
            pageInfo: { hasNextPage: boolean; endCursor: string };
          };
        };
      }>(
        `query ($after: String) { deployment(model: "${MODEL}") {
          revisions(first: 1, after: $after) { nodes { number } pageInfo { hasNextPage endCursor } } } }`,
        { after },
      );
    const first = (await page()).body.data!.deployment.revisions;
    expect(first.nodes).toEqual([{ number: 2 }]);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const second = (await page(first.pageInfo.endCursor)).body.data!.deployment.revisions;
    expect(second.nodes).toEqual([{ number: 1 }]);
    expect(second.pageInfo.hasNextPage).toBe(false);
  });

  it('promotes the canary, and rolls back to the previous stable revision after a promote and after a canary', async () => {
    const promoted = (await succeed('promoteCanary', 'PromoteCanaryInput', { model: MODEL }))
      .activeRevision;
    expect(promoted).toMatchObject({
      number: 3,
      cause: 'promote',
      stableVersion: '2',
      canary: null,
      shadows: [{ version: '3', samplePercent: 5 }],
    });
    const noCanary = await refusal('promoteCanary', 'PromoteCanaryInput', {});
    expect(noCanary).toEqual({
      code: 'BAD_USER_INPUT',
      message: expect.stringMatching(/no canary to promote/),
    });

    // After the promote: back to revision 1 (revision 2 ran a canary).
    const back = (
      await succeed('rollbackDeployment', 'RollbackDeploymentInput', {
        model: MODEL,
        reason: 'v2 misdetects',
      })
    ).activeRevision;
    expect(back).toMatchObject({
      number: 4,
      cause: 'rollback',
      reason: 'v2 misdetects',
      restoredFromRevision: created.revision,
      stableVersion: '1',
      canary: null,
      shadows: [],
    });

    // After a canary: back to the revision before it.
    await setDeployment({ stableVersion: '1', canary: { version: '2', weightPercent: 25 } });
    const again = (
      await succeed('rollbackDeployment', 'RollbackDeploymentInput', {
        model: MODEL,
        reason: 'errors',
      })
    ).activeRevision;
    expect(again).toMatchObject({
      number: 6,
      cause: 'rollback',
      restoredFromRevision: back.revision,
      stableVersion: '1',
      canary: null,
    });
    const audit = await auditEvents(baseUrl, { subjectId: MODEL, action: 'deployment.rollback' });
    expect(audit).toHaveLength(2);
  });

  it('restores any earlier revision as a new one, and refuses what is not one of its revisions', async () => {
    const restored = (
      await succeed('restoreDeploymentRevision', 'RestoreDeploymentRevisionInput', {
        model: MODEL,
        revision: withCanary.revision,
      })
    ).activeRevision;
    expect(restored).toMatchObject({
      number: 7,
      cause: 'restore',
      restoredFromRevision: withCanary.revision,
      stableVersion: '1',
      canary: { version: '2', weightPercent: 12.5 },
      shadows: [{ version: '3', samplePercent: 5 }],
      stickyKey: 'header:x-camera-id',
      tenantOverrides: [{ tenant: 'team-b', version: '3' }],
    });
    for (const revision of ['abc', '999999999']) {
      const refused = await refusal('restoreDeploymentRevision', 'RestoreDeploymentRevisionInput', {
        revision,
      });
      expect(refused).toEqual({
        code: 'BAD_USER_INPUT',
        message: expect.stringMatching(/revision/),
      });
    }
  });

  let analysisId: string;

  it('starts an analysis: the canary steps to its first weight and shadows stable for comparison', async () => {
    const invalid = await gql(
      `mutation { startCanaryAnalysis(input: { model: "${MODEL}", failureLimit: 0 }) { analysis { id } } }`,
    );
    expect(codeOf(invalid)).toBe('BAD_USER_INPUT');
    expect(invalid.body.errors?.[0]?.message).toMatch(/^failureLimit must be an integer from 1/);

    const started = await gql<{
      startCanaryAnalysis: { analysis: { id: string; state: string }; deployment: Deployment };
    }>(
      `mutation { startCanaryAnalysis(input: { model: "${MODEL}", stepWeightPercent: 5, maxWeightPercent: 20, comparisonSamplePercent: 30 }) {
        analysis { id state } deployment { ${DEPLOYMENT_FIELDS} } } }`,
    );
    expect(started.body.errors).toBeUndefined();
    const { analysis, deployment: after } = started.body.data!.startCanaryAnalysis;
    analysisId = analysis.id;
    expect(analysis.state).toBe('running');
    expect(after.activeRevision).toMatchObject({
      number: 8,
      cause: 'analysis_step',
      canary: { version: '2', weightPercent: 5 },
    });
    expect(after.analysis).toMatchObject({
      id: analysisId,
      state: 'running',
      canaryVersion: '2',
      spec: {
        stepWeightPercent: 5,
        maxWeightPercent: 20,
        comparisonSamplePercent: 30,
        intervalSeconds: 30,
        minAgreementF1: 0.9,
      },
    });
    const [route] = (await snapshot()).routes;
    expect(route).toMatchObject({ canaryVersion: '2', canaryWeightPercent: 5 });
    expect(route.shadows).toEqual([
      { version: '3', samplePercent: 5 },
      { version: '2', samplePercent: 30 },
    ]);

    const twice = await gql(
      `mutation { startCanaryAnalysis(input: { model: "${MODEL}" }) { analysis { id } } }`,
    );
    expect(codeOf(twice)).toBe('CONFLICT');

    expect(await ask({ call: 'runningAnalyses' })).toEqual([
      expect.objectContaining({
        analysisId,
        model: MODEL,
        stableVersion: '1',
        canaryVersion: '2',
        canaryWeightPercent: 5,
        iterations: 0,
        failures: 0,
        passesAtMaxWeight: 0,
        lastDecisionAt: null,
      }),
    ]);
  });

  it('records decisions: step makes a revision, pause does not, promote ends the analysis', async () => {
    const passing = [
      {
        check: 'agreement_f1',
        stableValue: null,
        canaryValue: null,
        value: 0.97,
        threshold: 0.9,
        passed: true,
        samples: 120,
      },
    ];
    const step = await decide(analysisId, {
      action: 'step',
      reason: 'all checks pass',
      canaryWeightPercent: 20,
      measurements: passing,
    });
    expect(step).toEqual({
      iteration: 1,
      revisionId: expect.stringMatching(/^\d+$/),
      state: 'running',
    });
    const pause = await decide(analysisId, {
      action: 'pause',
      reason: 'too few calls',
      canaryWeightPercent: 20,
      measurements: [],
    });
    expect(pause).toEqual({ iteration: 2, revisionId: null, state: 'running' });
    const failing = [{ ...passing[0], value: 0.5, passed: false }];
    await decide(analysisId, {
      action: 'step',
      reason: 'agreement low',
      canaryWeightPercent: 20,
      measurements: failing,
    });
    await decide(analysisId, {
      action: 'step',
      reason: 'at max',
      canaryWeightPercent: 20,
      measurements: passing,
    });

    let current = (await deployment())!;
    expect(current.activeRevision).toMatchObject({
      revision: step!.revisionId,
      canary: { version: '2', weightPercent: 20 },
      actor: 'system:canary-analysis',
    });
    expect(current.analysis).toMatchObject({
      iterations: 4,
      failures: 1,
      passesAtMaxWeight: 1,
      state: 'running',
    });
    expect(
      current.analysis!.decisions.nodes.map((d) => [d.iteration, d.action, d.revision]),
    ).toEqual([
      [4, 'step', null],
      [3, 'step', null],
      [2, 'pause', null],
      [1, 'step', step!.revisionId],
    ]);
    expect(current.analysis!.decisions.nodes[3].measurements).toEqual(passing);

    const promote = await decide(analysisId, {
      action: 'promote',
      reason: 'canary is good',
      canaryWeightPercent: 100,
      measurements: passing,
    });
    expect(promote).toMatchObject({ iteration: 5, state: 'promoted' });
    current = (await deployment())!;
    expect(current.activeRevision).toMatchObject({
      cause: 'analysis_promote',
      stableVersion: '2',
      canary: null,
      shadows: [{ version: '3', samplePercent: 5 }],
    });
    expect(current.analysis).toMatchObject({ state: 'promoted', outcomeReason: 'canary is good' });
    // No comparison shadow once the analysis is over.
    expect((await snapshot()).routes[0].shadows).toEqual([{ version: '3', samplePercent: 5 }]);
    // A decision for a finished analysis records nothing.
    expect(
      await decide(analysisId, {
        action: 'step',
        reason: 'late',
        canaryWeightPercent: 30,
        measurements: [],
      }),
    ).toBeNull();
    expect((await deployment())!.analysis!.iterations).toBe(5);
    expect(await ask({ call: 'runningAnalyses' })).toEqual([]);

    const audit = await auditEvents(baseUrl, {
      subjectId: MODEL,
      actorSubject: 'system:canary-analysis',
    });
    expect(audit.map((event) => event.action)).toEqual([
      'canary-analysis.promote',
      'canary-analysis.step',
      'canary-analysis.step',
      'canary-analysis.pause',
      'canary-analysis.step',
    ]);
  });

  it('aborts an analysis (weight 0, nothing recorded after), and rolls back on a rollback decision', async () => {
    await setDeployment({ stableVersion: '2', canary: { version: '1', weightPercent: 0 } });
    const start = await gql<{ startCanaryAnalysis: { analysis: { id: string } } }>(
      `mutation { startCanaryAnalysis(input: { model: "${MODEL}" }) { analysis { id } } }`,
    );
    const aborted = await gql<{
      abortCanaryAnalysis: {
        analysis: { id: string; state: string; outcomeReason: string };
        deployment: Deployment;
      };
    }>(
      `mutation { abortCanaryAnalysis(input: { model: "${MODEL}", reason: "maintenance window" }) {
        analysis { id state outcomeReason } deployment { ${DEPLOYMENT_FIELDS} } } }`,
    );
    expect(aborted.body.errors).toBeUndefined();
    const result = aborted.body.data!.abortCanaryAnalysis;
    expect(result.analysis).toEqual({
      id: start.body.data!.startCanaryAnalysis.analysis.id,
      state: 'aborted',
      outcomeReason: 'maintenance window',
    });
    expect(result.deployment.activeRevision).toMatchObject({
      cause: 'analysis_abort',
      canary: { version: '1', weightPercent: 0 },
    });
    expect(
      await decide(result.analysis.id, {
        action: 'step',
        reason: 'late',
        canaryWeightPercent: 30,
        measurements: [],
      }),
    ).toBeNull();
    expect((await deployment())!.analysis).toMatchObject({
      iterations: 0,
      decisions: { nodes: [] },
    });
    const none = await gql(
      `mutation { abortCanaryAnalysis(input: { model: "${MODEL}", reason: "x" }) { analysis { id } } }`,
    );
    expect(codeOf(none)).toBe('BAD_USER_INPUT');

    const restart = await gql<{ startCanaryAnalysis: { analysis: { id: string } } }>(
      `mutation { startCanaryAnalysis(input: { model: "${MODEL}" }) { analysis { id } } }`,
    );
    const id = restart.body.data!.startCanaryAnalysis.analysis.id;
    const rolledBack = await decide(id, {
      action: 'rollback',
      reason: 'error rate doubled',
      canaryWeightPercent: 0,
      measurements: [],
    });
    expect(rolledBack).toMatchObject({
      state: 'rolled_back',
      revisionId: expect.stringMatching(/^\d+$/),
    });
    const current = (await deployment())!;
    expect(current.activeRevision).toMatchObject({
      cause: 'analysis_rollback',
      reason: 'error rate doubled',
      stableVersion: '2',
      canary: null,
    });
    expect(current.analysis).toMatchObject({
      id,
      state: 'rolled_back',
      outcomeReason: 'error rate doubled',
    });
  });

  it('ends a running analysis when the deployment is rolled back by hand', async () => {
    await setDeployment({ stableVersion: '2', canary: { version: '3', weightPercent: 0 } });
    await gql(`mutation { startCanaryAnalysis(input: { model: "${MODEL}" }) { analysis { id } } }`);
    const back = await succeed('rollbackDeployment', 'RollbackDeploymentInput', {
      model: MODEL,
      reason: 'operator says no',
    });
    expect(back.activeRevision).toMatchObject({
      cause: 'rollback',
      canary: null,
      stableVersion: '2',
    });
    expect(back.analysis).toMatchObject({
      state: 'rolled_back',
      outcomeReason: 'operator says no',
    });
  });

  it('moves the routing revision forward with every change, and announces each', async () => {
    const { revision } = await snapshot();
    const announced = await ask<string[]>({ call: 'announcedRevisions' });
    const numbers = announced.map(BigInt);
    expect(numbers).toEqual([...numbers].sort((a, b) => (a < b ? -1 : 1)));
    expect(new Set(announced).size).toBe(announced.length);
    expect(announced.at(-1)).toBe(revision);
    const all = (await deployment())!.revisions.nodes.map((r) => r.revision);
    // Every revision of the deployment was announced (none were made elsewhere).
    expect([...announced].reverse()).toEqual(all);

    const changed = await setDeployment({ stableVersion: '1' });
    expect(BigInt((await snapshot()).revision)).toBeGreaterThan(BigInt(revision));
    expect((await ask<string[]>({ call: 'announcedRevisions' })).at(-1)).toBe(
      changed.activeRevision.revision,
    );
  });

  it('notices within a poll a revision another replica committed, and serves it', async () => {
    const elsewhere = await ask<string>({ call: 'commitAsAnotherReplica', model: MODEL });
    const deadline = Date.now() + 5_000;
    let announced = await ask<string[]>({ call: 'announcedRevisions' });
    while (announced.at(-1) !== elsewhere && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      announced = await ask<string[]>({ call: 'announcedRevisions' });
    }
    expect(announced.at(-1)).toBe(elsewhere);
    const current = await snapshot();
    expect(current.revision).toBe(elsewhere);
    expect(current.routes[0]).toMatchObject({ deploymentRevision: elsewhere, stickyKey: 'tenant' });
  });

  it('refuses a version that is no longer ready', async () => {
    const archived = await gql(
      `mutation { archiveModelVersion(input: { model: "${MODEL}", version: "3" }) { modelVersion { status } } }`,
    );
    expect(archived.body.errors).toBeUndefined();
    const refused = await refusal('setDeployment', 'SetDeploymentInput', {
      stableVersion: '1',
      shadows: [{ version: '3', samplePercent: 1 }],
    });
    expect(refused).toEqual({
      code: 'BAD_USER_INPUT',
      message: 'shadows[0].version: version 3 of nanodet is archived, not ready',
    });
  });

  it('accepts a dashboard-sized query and refuses one that multiplies pages past the complexity limit', async () => {
    const dashboard = await gql<{ deployments: { nodes: unknown[] } }>(
      `{ deployments(first: 20) { nodes {
          model activeRevision { ${REVISION_FIELDS} }
          revisions(first: 10) { nodes { revision cause actor } pageInfo { hasNextPage endCursor } }
          analysis {
            state canaryVersion iterations failures passesAtMaxWeight
            spec { stepWeightPercent maxWeightPercent comparisonSamplePercent }
            decisions(first: 5) { nodes { iteration action reason canaryWeightPercent revision } }
          }
        } } }`,
    );
    expect(dashboard.body.errors).toBeUndefined();
    expect(dashboard.body.data!.deployments.nodes).toHaveLength(1);
    const everything = await gql(
      `{ deployments(first: 100) { nodes { revisions(first: 100) { nodes { revision } } } } }`,
    );
    expect(codeOf(everything)).toBe('QUERY_TOO_COMPLEX');
  });
});
