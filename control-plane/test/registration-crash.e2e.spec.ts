import { createHash, randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { seededRandom, shuffled } from '@test-support';
import { ControlPlaneProcess } from './support/control-plane-process';
import { createFixtureModelRepository } from './support/fixture-model-repository';
import { postGraphql } from './support/graphql-client';
import {
  type AuditData,
  readNanodetOnnx,
  registerVersion,
  uploadArtifact,
} from './support/registry-client';
import { TEST_ADMIN_KEY } from './support/test-credentials';
import { createTemporaryDirectory, removeDirectory } from './support/temporary-directory';

/**
 * SIGKILL during concurrent registrations, over several rounds on one data folder, then the
 * invariants after each restart: a version row always has its bytes in the store, start-up leaves
 * no version half-validated, numbers stay unique and gapless, nothing acknowledged is lost, every
 * row has its audit record, and no staging or half-written repository file survives.
 */

/** Rounds killed after a random delay, one per slice of KILL_WINDOW_MS, in shuffled order. */
const RANDOM_KILLS = 4;
/** Then one round killed the moment its first registration is answered, the rest in flight. */
const ROUNDS = RANDOM_KILLS + 1;
const REGISTRATIONS_PER_ROUND = 4;
/** From before the first check of a registration (0) to about when four concurrent ones answer. */
const KILL_WINDOW_MS = 2_500;
/** The answer-triggered kill gives up waiting after this. */
const FIRST_ANSWER_TIMEOUT_MS = 60_000;
const MODEL = 'nanodet';
const SYSTEM_SUBJECT = 'system:control-plane';

interface Registration {
  round: number;
  uploadId: string;
  sha256: string;
  /** The version the mutation returned before the kill, if it did. */
  acknowledged?: { id: string; version: string };
  /** The mutation's answer when it was an error rather than a cut connection. */
  refused?: string;
}

interface VersionRow {
  id: string;
  version: string;
  status: string;
  statusReason: string | null;
  source: string;
  artifactSha256: string;
}

/** Where a kill caught a registration, read from what survived it. */
type Outcome =
  | 'acknowledged'
  | 'committed-ready-unacknowledged'
  | 'committed-revalidated-at-start'
  | 'stored-not-committed'
  | 'not-committed-bytes-stored-earlier'
  | 'not-stored';

describe('registrations killed with SIGKILL (real process, PGlite, uploads)', () => {
  let workDir: string | undefined;
  let app: ControlPlaneProcess | undefined;

  afterAll(async () => {
    await app?.kill();
    await removeDirectory(workDir);
  });

  it('keeps every row backed by its stored artifact, numbered, audited and validated after restarts', async () => {
    const seed = Number(process.env.CRASH_SEED ?? randomBytes(4).readUInt32LE());
    const random = seededRandom(seed);
    // Stratified: the kills spread over the whole window rather than bunching by chance.
    const killDelays = shuffled([...Array(RANDOM_KILLS).keys()], random).map((slice) =>
      Math.floor(((slice + random()) * KILL_WINDOW_MS) / RANDOM_KILLS),
    );
    workDir = await createTemporaryDirectory('registration-crash');
    const repository = path.join(workDir, 'models');
    await createFixtureModelRepository(repository);
    const dataDir = path.join(workDir, 'data');
    const env = { MODEL_REPOSITORY: repository, CONTROL_PLANE_DATA_DIR: dataDir };
    const onnx = await readNanodetOnnx();

    const registrations: Registration[] = [];
    const outcomes = new Map<Outcome, number>();
    const timeline: string[] = [];
    const began = Date.now();
    /** What the start ahead of the current round found. */
    let before: RegistryState | undefined;
    let kills = 0;

    try {
      await killRounds();
    } finally {
      // The timeline says which moments the kills hit, also when an invariant failed.
      console.log(
        [
          `registration crash test, seed ${seed} (CRASH_SEED=${seed} repeats it), ` +
            `${kills} kill(s) in ${Math.round((Date.now() - began) / 1000)} s`,
          ...timeline,
          `outcomes: ${[...outcomes].map(([outcome, count]) => `${outcome} ${count}`).join(', ')}`,
        ].join('\n'),
      );
    }
    // No registration was refused: every artifact was valid, so only the kills cut them short.
    expect(registrations.filter((registration) => registration.refused !== undefined)).toEqual([]);
    await app?.stop();
    app = undefined;

    async function killRounds(): Promise<void> {
      for (let round = 0; round <= ROUNDS; round += 1) {
        const startedAt = Date.now();
        app = await ControlPlaneProcess.start(env, { readyTimeoutMs: 90_000 });
        const startMs = Date.now() - startedAt;
        const state = await checkInvariants(app, dataDir, repository, registrations);
        const lastRound = registrations.filter((registration) => registration.round === round - 1);
        const lastOutcomes = lastRound.map((registration) =>
          outcomeOf(registration, state, before!),
        );
        for (const [index, outcome] of lastOutcomes.entries()) {
          outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
          if (outcome === 'not-stored') {
            // The registration never took the upload: a client's retry with the same id must work.
            expect(await uploadStatus(app.baseUrl, lastRound[index].uploadId)).toBe(200);
          }
        }
        const revalidatedNow = [...state.revalidatedIds].filter(
          (id) => before?.revalidatedIds.has(id) !== true,
        ).length;
        before = state;
        timeline.push(
          `start ${round}: ${startMs} ms to healthy; ${state.versions.length} version(s), ` +
            `${revalidatedNow} re-validated at start-up, ` +
            `${state.unreferencedArtifacts} unreferenced artifact(s) in the store; ` +
            `last round: ${lastOutcomes.join(', ') || '-'}`,
        );
        if (round === ROUNDS) break;

        // Distinct bytes per upload (see nanodetVariant): a registration renames a new file into the
        // store; the first of each round repeats the real file, to cover the "already stored" path.
        const uploads = await Promise.all(
          Array.from({ length: REGISTRATIONS_PER_ROUND }, async (_, index) => {
            const bytes = index === 0 ? onnx : nanodetVariant(onnx, `round ${round} #${index}`);
            const sha256 = createHash('sha256').update(bytes).digest('hex');
            return { uploadId: await uploadArtifact(app!.baseUrl, bytes), sha256 };
          }),
        );
        let firstAnswer: () => void = () => undefined;
        const answered = new Promise<void>((resolve) => (firstAnswer = resolve));
        const inFlight = uploads.map(async ({ uploadId, sha256 }) => {
          const registration: Registration = { round, uploadId, sha256 };
          registrations.push(registration);
          try {
            const response = await registerVersion(app!.baseUrl, {
              model: MODEL,
              source: { uploadId },
              expectedSha256: sha256,
            });
            const version = response.body.data?.registerModelVersion.modelVersion;
            if (version !== undefined) {
              registration.acknowledged = {
                id: version.id,
                version: version.version,
              };
              firstAnswer();
            } else {
              registration.refused = JSON.stringify(response.body.errors);
            }
          } catch {
            // The connection died with the process: the outcome is read after the restart.
          }
        });
        const firedAt = Date.now();
        if (round < RANDOM_KILLS) {
          await sleep(killDelays[round]);
        } else {
          let timer: NodeJS.Timeout | undefined;
          const timedOut = new Promise<void>((resolve) => {
            timer = setTimeout(resolve, FIRST_ANSWER_TIMEOUT_MS);
          });
          await Promise.race([answered, timedOut]);
          clearTimeout(timer);
        }
        const killAfterMs = Date.now() - firedAt;
        const killed = await app.kill();
        expect(killed.signal).toBe('SIGKILL');
        kills += 1;
        app = undefined;
        await Promise.all(inFlight);
        const thisRound = registrations.filter((registration) => registration.round === round);
        const acknowledged = thisRound.filter((r) => r.acknowledged !== undefined).length;
        timeline.push(
          `round ${round}: SIGKILL after ${killAfterMs} ms` +
            `${round < RANDOM_KILLS ? '' : ' (on the first answer)'}, ` +
            `${acknowledged} of ${thisRound.length} acknowledged`,
        );
        // The last round exists to kill with answers given and registrations still in flight.
        if (round === RANDOM_KILLS) expect(acknowledged).toBeGreaterThan(0);
      }
    }
  }, 180_000);
});

/**
 * The NanoDet ONNX with its doc_string (ModelProto field 6) set to `note`: protobuf lets a field
 * come again at the end, the last one winning, so the graph is untouched and the bytes differ.
 */
function nanodetVariant(onnx: Buffer, note: string): Buffer {
  const text = Buffer.from(note, 'utf8');
  if (text.length > 127) throw new Error('the note must fit a one-byte length');
  return Buffer.concat([onnx, Buffer.from([(6 << 3) | 2, text.length]), text]);
}

interface RegistryState {
  versions: VersionRow[];
  revalidatedIds: Set<string>;
  storedSha256: Set<string>;
  unreferencedArtifacts: number;
}

/** Reads the registry after a start and checks every invariant a crash must not break. */
async function checkInvariants(
  app: ControlPlaneProcess,
  dataDir: string,
  repository: string,
  registrations: Registration[],
): Promise<RegistryState> {
  const versions = await allVersions(app.baseUrl);

  // Every row's artifact is in the store, whole: the bytes hash to the row's digest.
  const storeRoot = path.join(dataDir, 'artifacts/sha256');
  for (const row of versions) {
    const file = path.join(storeRoot, row.artifactSha256.slice(0, 2), row.artifactSha256);
    const digest = createHash('sha256')
      .update(await readFile(file))
      .digest('hex');
    expect({ version: row.version, digest }).toEqual({
      version: row.version,
      digest: row.artifactSha256,
    });
  }

  // Start-up finished every validation a kill interrupted; valid bytes end ready.
  expect(versions.filter((row) => row.status !== 'ready')).toEqual([]);

  // Unique, gapless numbers: 1 (the repository scan) and then one per committed registration.
  const numbers = versions.map((row) => Number(row.version)).sort((a, b) => a - b);
  expect(numbers).toEqual(numbers.map((_, index) => index + 1));

  // What a client was told exists, with the number and bytes it was told.
  const byId = new Map(versions.map((row) => [row.id, row]));
  for (const registration of registrations) {
    if (registration.acknowledged === undefined) continue;
    expect(byId.get(registration.acknowledged.id)).toMatchObject({
      version: registration.acknowledged.version,
      artifactSha256: registration.sha256,
    });
  }

  // Every registered row has exactly one register event, naming the same number and digest, and
  // no register event names a row that is not there.
  const registerEvents = await allAuditEvents(app.baseUrl, { action: 'model-version.register' });
  const registered = versions.filter((row) => row.source === 'upload');
  expect(registerEvents.map((event) => event.subjectId).sort()).toEqual(
    registered.map((row) => row.id).sort(),
  );
  for (const event of registerEvents) {
    const row = byId.get(event.subjectId)!;
    expect(JSON.parse(event.after!)).toMatchObject({
      model: MODEL,
      version: row.version,
      artifactSha256: row.artifactSha256,
    });
  }

  // Killed mid-validation: the start-up validation is recorded as the system's.
  const startEvents = await allAuditEvents(app.baseUrl, {
    action: 'model-version.validating',
    actorSubject: SYSTEM_SUBJECT,
  });
  const revalidatedIds = new Set(startEvents.map((event) => event.subjectId));

  // Nothing staged outlives a start-up, and nothing half-written is left in the repository.
  expect(await readdir(path.join(dataDir, 'staging'))).toEqual([]);
  const repositoryNames = await readdir(repository, { recursive: true });
  expect(repositoryNames.filter((name) => path.basename(name).startsWith('.cp-tmp-'))).toEqual([]);

  // Blobs a kill left between the store and the commit: harmless, content-addressed, counted.
  const storedSha256 = new Set<string>();
  for (const prefix of await readdir(storeRoot)) {
    for (const name of await readdir(path.join(storeRoot, prefix))) storedSha256.add(name);
  }
  const referenced = new Set(versions.map((row) => row.artifactSha256));
  const unreferencedArtifacts = [...storedSha256].filter((sha) => !referenced.has(sha)).length;

  return {
    versions,
    revalidatedIds,
    storedSha256,
    unreferencedArtifacts,
  };
}

/** `before`: what the start ahead of the registration's round found. */
function outcomeOf(
  registration: Registration,
  state: RegistryState,
  before: RegistryState,
): Outcome {
  if (registration.acknowledged !== undefined) return 'acknowledged';
  // A round registers a digest at most once, so a new row with it is this registration's.
  const known = new Set(before.versions.map((row) => row.id));
  const row = state.versions.find(
    (version) => version.artifactSha256 === registration.sha256 && !known.has(version.id),
  );
  if (row !== undefined) {
    return state.revalidatedIds.has(row.id)
      ? 'committed-revalidated-at-start'
      : 'committed-ready-unacknowledged';
  }
  if (before.storedSha256.has(registration.sha256)) return 'not-committed-bytes-stored-earlier';
  return state.storedSha256.has(registration.sha256) ? 'stored-not-committed' : 'not-stored';
}

async function uploadStatus(baseUrl: string, uploadId: string): Promise<number> {
  const response = await fetch(`${baseUrl}/v1/uploads/${uploadId}`, {
    headers: { authorization: `Bearer ${TEST_ADMIN_KEY}` },
  });
  await response.arrayBuffer();
  return response.status;
}

interface Page<T> {
  nodes: T[];
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

/** Every node of a connection, page by page (a page holds at most 100). */
async function allPages<T>(fetchPage: (after: string | null) => Promise<Page<T>>): Promise<T[]> {
  const nodes: T[] = [];
  let after: string | null = null;
  for (;;) {
    const page: Page<T> = await fetchPage(after);
    nodes.push(...page.nodes);
    if (!page.pageInfo.hasNextPage) return nodes;
    after = page.pageInfo.endCursor;
  }
}

function allVersions(baseUrl: string): Promise<VersionRow[]> {
  return allPages(async (after) => {
    const response = await postGraphql<{ model: { versions: Page<VersionRow> } }>(
      baseUrl,
      `query ($after: String) { model(name: "${MODEL}") { versions(first: 100, after: $after) {
        nodes { id version status statusReason source artifactSha256 }
        pageInfo { hasNextPage endCursor } } } }`,
      { after },
    );
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data!.model.versions;
  });
}

function allAuditEvents(baseUrl: string, filter: Record<string, string>): Promise<AuditData[]> {
  return allPages(async (after) => {
    const response = await postGraphql<{ auditEvents: Page<AuditData> }>(
      baseUrl,
      `query ($filter: AuditFilter, $after: String) {
        auditEvents(first: 100, after: $after, filter: $filter) {
          nodes { action actorSubject actorTenant requestId subjectType subjectId before after }
          pageInfo { hasNextPage endCursor } } }`,
      { filter, after },
    );
    if (response.body.errors) throw new Error(JSON.stringify(response.body.errors));
    return response.body.data!.auditEvents;
  });
}
