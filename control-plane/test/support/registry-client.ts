import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { postGraphql, type GraphqlRequestOptions, type GraphqlResponse } from './graphql-client';
import { TEST_ADMIN_KEY } from './test-credentials';
import { REPOSITORY_ROOT } from './typescript-process';

/** The real NanoDet ONNX file of the repository. */
export const NANODET_ONNX = path.join(REPOSITORY_ROOT, 'triton-models/nanodet/1/model.onnx');

export function readNanodetOnnx(): Promise<Buffer> {
  return readFile(NANODET_ONNX);
}

/** Uploads `bytes` in one POST (the whole body at once); returns the upload id. */
export async function uploadArtifact(baseUrl: string, bytes: Uint8Array): Promise<string> {
  const response = await fetch(`${baseUrl}/v1/uploads`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${TEST_ADMIN_KEY}`,
      'upload-length': String(bytes.length),
      'content-type': 'application/offset+octet-stream',
    },
    body: bytes,
  });
  const body = (await response.json()) as { id?: string };
  if (response.status !== 201 || body.id === undefined) {
    throw new Error(`upload failed: ${response.status} ${JSON.stringify(body)}`);
  }
  return body.id;
}

export const VERSION_FIELDS = `
  id version status statusReason source artifactSha256 artifactSizeBytes config labels
  registeredBy description modelCard tags { key value } aliases
  lineage {
    parentRelation codeRevision
    parent { version }
    children { version }
    datasets { context dataset { name digest source } }
    run { runId experimentName params { key value } metrics { key value } tags { key value } }
  }
`;

export interface VersionData {
  id: string;
  version: string;
  status: string;
  statusReason: string | null;
  source: string;
  artifactSha256: string;
  config: string;
  labels: string[] | null;
  registeredBy: string | null;
  aliases: string[];
  lineage: {
    parentRelation: string | null;
    codeRevision: string | null;
    parent: { version: string } | null;
    children: { version: string }[];
    datasets: {
      context: string;
      dataset: { name: string; digest: string; source: string | null };
    }[];
    run: {
      runId: string;
      experimentName: string | null;
      params: { key: string; value: string }[];
      metrics: { key: string; value: number }[];
      tags: { key: string; value: string }[];
    } | null;
  };
}

export function registerVersion(
  baseUrl: string,
  input: Record<string, unknown>,
  options?: GraphqlRequestOptions,
): Promise<GraphqlResponse<{ registerModelVersion: { modelVersion: VersionData } }>> {
  return postGraphql(
    baseUrl,
    `mutation ($input: RegisterModelVersionInput!) {
      registerModelVersion(input: $input) { modelVersion { ${VERSION_FIELDS} } }
    }`,
    { input },
    options,
  );
}

export function setAlias(
  baseUrl: string,
  input: { model: string; alias: string; version: string },
  options?: GraphqlRequestOptions,
): Promise<
  GraphqlResponse<{
    setModelAlias: {
      alias: { alias: string; version: { version: string } };
      previousVersionId: string | null;
    };
  }>
> {
  return postGraphql(
    baseUrl,
    `mutation ($input: SetModelAliasInput!) {
      setModelAlias(input: $input) { alias { alias version { version } } previousVersionId }
    }`,
    { input },
    options,
  );
}

export interface AuditData {
  action: string;
  actorSubject: string;
  actorTenant: string;
  requestId: string | null;
  subjectType: string;
  subjectId: string;
  before: string | null;
  after: string | null;
}

export async function auditEvents(
  baseUrl: string,
  filter: Record<string, unknown> = {},
): Promise<AuditData[]> {
  const response = await postGraphql<{ auditEvents: { nodes: AuditData[] } }>(
    baseUrl,
    `query ($filter: AuditFilter) {
      auditEvents(first: 100, filter: $filter) {
        nodes { action actorSubject actorTenant requestId subjectType subjectId before after }
      }
    }`,
    { filter },
  );
  if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
  return response.body.data!.auditEvents.nodes;
}

export function codeOf(response: GraphqlResponse<unknown>): string | undefined {
  return response.body.errors?.[0]?.extensions?.code;
}
