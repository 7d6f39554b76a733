/**
 * The child side of deployments.e2e.spec.ts (the app cannot load inside Jest, see
 * spawnTypeScript): the real control plane on a free loopback port, with a viewer key stored. It
 * answers the spec's IPC questions by calling the deployments module's services in this process:
 * what the canary-analysis loop and the routing server do, which GraphQL does not expose.
 */
import 'reflect-metadata';
import { type AddressInfo } from 'node:net';
import { toJson } from '@bufbuild/protobuf';
import { RoutingSnapshotSchema } from '@contracts/generated/control/v1/routing_pb';
import { newApiKeyRecord } from '@auth';
import { DataSource } from 'typeorm';
import {
  CONTROL_PLANE_API_KEY_STORE,
  type ControlPlaneApiKeyStore,
} from '../src/auth/api-key-store.provider';
import { loadControlPlaneConfig } from '../src/config/control-plane-config';
import { createControlPlaneApp } from '../src/control-plane-app';
import { type AnalysisDecisionInput } from '../src/deployments/canary-analysis-contract';
import { DeploymentsService } from '../src/deployments/deployments.service';
import { RoutingSnapshots } from '../src/deployments/routing-snapshots.service';

export interface DeploymentsAppReady {
  host: string;
  port: number;
  viewerKey: string;
}

/** A question from the spec, as a JSON string over IPC. */
export type DeploymentsAppQuestion =
  | { call: 'recordAnalysisDecision'; analysisId: string; decision: AnalysisDecisionInput }
  | { call: 'runningAnalyses' }
  | { call: 'currentSnapshot' }
  /** The revisions RoutingSnapshots.onChange announced so far. */
  | { call: 'announcedRevisions' }
  /**
   * A revision committed with plain SQL, past this process's DeploymentChanges: what another
   * control-plane replica's change looks like from here. Answers the new revision's id.
   */
  | { call: 'commitAsAnotherReplica'; model: string };

export type DeploymentsAppAnswer =
  { ok: true; value: unknown } | { ok: false; error: string; code?: string };

async function childMain(): Promise<void> {
  const config = loadControlPlaneConfig(process.env);
  const app = await createControlPlaneApp(config, { logger: ['error', 'warn'] });
  await app.listen({ port: 0, host: config.host });
  const deployments = app.get(DeploymentsService);
  const snapshots = app.get(RoutingSnapshots);
  const announced: string[] = [];
  snapshots.onChange((revision) => announced.push(revision.toString()));

  const answer = async (question: DeploymentsAppQuestion): Promise<unknown> => {
    switch (question.call) {
      case 'recordAnalysisDecision':
        return deployments.recordAnalysisDecision(question.analysisId, question.decision);
      case 'runningAnalyses':
        return deployments.runningAnalyses();
      case 'currentSnapshot':
        return toJson(RoutingSnapshotSchema, await snapshots.current(), {
          alwaysEmitImplicit: true,
        });
      case 'announcedRevisions':
        return [...announced];
      case 'commitAsAnotherReplica':
        return commitAsAnotherReplica(app.get(DataSource), question.model);
    }
  };
  process.on('message', (message: string) => {
    answer(JSON.parse(message) as DeploymentsAppQuestion).then(
      (value) => process.send?.({ ok: true, value } satisfies DeploymentsAppAnswer),
      (error: unknown) =>
        process.send?.({
          ok: false,
          error: error instanceof Error ? error.message : String(error),
          code: (error as { code?: string }).code,
        } satisfies DeploymentsAppAnswer),
    );
  });

  const store = app.get<ControlPlaneApiKeyStore>(CONTROL_PLANE_API_KEY_STORE);
  const { record, key } = await newApiKeyRecord({ tenant: 'team-a', scopes: ['viewer'] });
  await store.insert(record);
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.send?.({ host: config.host, port, viewerKey: key } satisfies DeploymentsAppReady);
  process.on('disconnect', () => void app.close().finally(() => process.exit(0)));
}

async function commitAsAnotherReplica(dataSource: DataSource, model: string): Promise<string> {
  return dataSource.transaction(async (manager) => {
    const [copy] = await manager.query<{ id: string }[]>(
      `INSERT INTO "deployment_revisions" ("deployment_id", "number", "stable_version",
         "canary_version", "canary_weight_percent", "shadows", "sticky_key", "tenant_overrides",
         "cause", "reason", "actor_subject")
       SELECT r."deployment_id", r."number" + 1, r."stable_version", r."canary_version",
         r."canary_weight_percent", r."shadows", 'tenant', r."tenant_overrides", 'update',
         'another replica', 'key:elsewhere'
         FROM "deployments" d JOIN "deployment_revisions" r ON r."id" = d."active_revision_id"
        WHERE d."model_name" = $1
       RETURNING "id"::text AS "id"`,
      [model],
    );
    await manager.query(
      `UPDATE "deployments" SET "active_revision_id" = $1 WHERE "model_name" = $2`,
      [copy.id, model],
    );
    return copy.id;
  });
}

if (require.main === module) {
  childMain().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exit(1);
  });
}
