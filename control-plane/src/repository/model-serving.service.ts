import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource } from 'typeorm';
import {
  CONFIG_FILENAME,
  interpretModelConfig,
  parseModelConfig,
  servingConfigText,
} from '@model-repository';
import { type Actor } from '../audit/actor';
import { AuditService } from '../audit/audit.service';
import { ControlPlaneFailure } from '../errors/control-plane-error';
import { ModelVersionEntity } from '../registry/entities/model-version.entity';
import { ModelEntity } from '../registry/entities/model.entity';
import { lockModel } from '../registry/model-lock';
import { compareVersionNames } from '../registry/model-version-order';
import { checkModelName, checkVersionName } from '../registry/registration/register-command-checks';
import { BackendFleet, type BackendOutcome } from './backend-fleet';
import { RepositoryWriter } from './repository-writer';

export interface ServingChange {
  version: ModelVersionEntity;
  /** The versions of the model the backends serve after the change. */
  served: string[];
  backends: string[];
}

/**
 * Which versions of a model every backend serves. A change writes the repository (version folder,
 * then config.pbtxt with `version_policy: specific`) and asks every backend to load the model; if
 * any backend refuses, the previous config is written back, the backends that took the change load
 * it again, and the registry is left as it was: nothing changes unless every backend follows.
 */
@Injectable()
export class ModelServingService {
  /** One change per model at a time (this process); the registry rows are locked as well. */
  private readonly changing = new Map<string, Promise<unknown>>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly writer: RepositoryWriter,
    private readonly fleet: BackendFleet,
    private readonly audit: AuditService,
  ) {}

  load(actor: Actor, input: { model: string; version: string }): Promise<ServingChange> {
    return this.serially(input.model, () => this.change(actor, input, 'load'));
  }

  unload(actor: Actor, input: { model: string; version: string }): Promise<ServingChange> {
    return this.serially(input.model, () => this.change(actor, input, 'unload'));
  }

  private async change(
    actor: Actor,
    input: { model: string; version: string },
    kind: 'load' | 'unload',
  ): Promise<ServingChange> {
    checkModelName(input.model, 'model');
    checkVersionName(input.version, 'version');
    this.fleet.requireBackends();
    const { model, versions } = await this.versionsOf(input.model);
    const target = versions.find((row) => row.version === input.version);
    if (target === undefined) {
      throw new ControlPlaneFailure(
        'NOT_FOUND',
        `model ${input.model} has no version ${input.version}`,
        {
          argument: 'version',
        },
      );
    }
    if (kind === 'load' && target.status !== 'ready') {
      throw new ControlPlaneFailure(
        'CONFLICT',
        `version ${input.version} of ${input.model} is ${target.status}; only ready versions are loaded`,
        { status: target.status },
      );
    }
    const servedBefore = versions.filter((row) => row.served);
    const servedAfter =
      kind === 'load'
        ? [...servedBefore.filter((row) => row.id !== target.id), target]
        : servedBefore.filter((row) => row.id !== target.id);
    servedAfter.sort((a, b) => compareVersionNames(a.version, b.version));
    checkCompatible(servedAfter);

    const previousConfig = await this.writer.readFile(model.name, CONFIG_FILENAME);
    const artifactPath =
      kind === 'load'
        ? await this.writer.writeVersion(
            model.name,
            target.version,
            target.artifactSha256,
            target.artifactFilename,
          )
        : target.artifactPath;
    let outcomes: BackendOutcome[];
    if (servedAfter.length === 0) {
      outcomes = await this.fleet.unload(model.name);
    } else {
      await this.writeServingFiles(model.name, servedAfter);
      outcomes = await this.fleet.load(model.name);
    }
    const failed = outcomes.filter((outcome) => outcome.error !== undefined);
    if (failed.length > 0) {
      await this.restore(model.name, previousConfig, servedBefore.length > 0, outcomes);
      throw backendFailure(kind, input, failed, outcomes.length);
    }

    const servedIds = new Set(servedAfter.map((row) => row.id));
    const version = await this.dataSource.transaction(async (manager) => {
      await lockModel(manager, model.name);
      const rows = manager.getRepository(ModelVersionEntity);
      for (const row of versions) {
        const served = servedIds.has(row.id);
        const path = row.id === target.id ? artifactPath : row.artifactPath;
        if (row.served !== served || row.artifactPath !== path) {
          await rows.update({ id: row.id }, { served, artifactPath: path });
        }
      }
      await this.audit.record(manager, actor, {
        action: `model-version.${kind}`,
        subjectType: 'model-version',
        subjectId: target.id,
        before: { served: servedBefore.map((row) => row.version) },
        after: { served: servedAfter.map((row) => row.version), backends: this.fleet.names },
      });
      return rows.findOneByOrFail({ id: target.id });
    });
    return { version, served: servedAfter.map((row) => row.version), backends: this.fleet.names };
  }

  private async versionsOf(
    name: string,
  ): Promise<{ model: ModelEntity; versions: ModelVersionEntity[] }> {
    const model = await this.dataSource.getRepository(ModelEntity).findOneBy({ name });
    if (model === null) {
      throw new ControlPlaneFailure('NOT_FOUND', `model ${name} is not registered`, {
        argument: 'model',
      });
    }
    const versions = await this.dataSource
      .getRepository(ModelVersionEntity)
      .findBy({ modelId: model.id });
    return { model, versions };
  }

  /** config.pbtxt of the newest served version, serving all of them, and its label file. */
  private async writeServingFiles(
    model: string,
    served: readonly ModelVersionEntity[],
  ): Promise<void> {
    const newest = served[served.length - 1];
    const config = interpretModelConfig(parseModelConfig(newest.configText, 'config'), {
      directoryName: model,
      source: 'config',
      autoComplete: true, // registration took it completed from its file; so will the backend
    });
    const labelFile = config.outputs.find(
      (output) => output.labelFilename !== undefined,
    )?.labelFilename;
    if (labelFile !== undefined && newest.labels !== null) {
      await this.writer.writeFile(model, labelFile, `${newest.labels.join('\n')}\n`);
    }
    await this.writer.writeFile(
      model,
      CONFIG_FILENAME,
      servingConfigText(
        newest.configText,
        served.map((row) => row.version),
      ),
    );
  }

  /** Puts the previous config back and has the backends that took the change load it again. */
  private async restore(
    model: string,
    previousConfig: string | undefined,
    wasServed: boolean,
    outcomes: readonly BackendOutcome[],
  ): Promise<void> {
    if (previousConfig !== undefined)
      await this.writer.writeFile(model, CONFIG_FILENAME, previousConfig);
    const changed = outcomes.filter((outcome) => outcome.error === undefined).map((o) => o.backend);
    if (changed.length === 0) return;
    await (wasServed ? this.fleet.load(model, changed) : this.fleet.unload(model, changed));
  }

  private async serially<T>(model: string, work: () => Promise<T>): Promise<T> {
    const before = this.changing.get(model) ?? Promise.resolve();
    const run = before.then(work, work);
    const settled = run.catch(() => undefined);
    this.changing.set(model, settled);
    try {
      return await run;
    } finally {
      if (this.changing.get(model) === settled) this.changing.delete(model);
    }
  }
}

/** One config serves every loaded version, so their signatures must agree. */
function checkCompatible(served: readonly ModelVersionEntity[]): void {
  const [first, ...rest] = served;
  if (first === undefined) return;
  const signature = (row: ModelVersionEntity) =>
    JSON.stringify([row.platform, row.maxBatchSize, row.inputs, row.outputs]);
  const different = rest.filter((row) => signature(row) !== signature(first));
  if (different.length > 0) {
    throw new ControlPlaneFailure(
      'CONFLICT',
      `versions ${[first, ...different].map((row) => row.version).join(' and ')} have different signatures and cannot be served together; unload one first`,
    );
  }
}

function backendFailure(
  kind: string,
  input: { model: string; version: string },
  failed: readonly BackendOutcome[],
  total: number,
): ControlPlaneFailure {
  const unreachable = failed.every((outcome) => outcome.error?.code === 'UPSTREAM_UNAVAILABLE');
  return new ControlPlaneFailure(
    unreachable ? 'UPSTREAM_UNAVAILABLE' : 'UPSTREAM_ERROR',
    `${kind} of ${input.model} version ${input.version} failed on ${failed.length} of ${total} backend(s), nothing changed: ${failed
      .map((outcome) => outcome.error?.message)
      .join('; ')}`,
    { backends: failed.map((outcome) => outcome.backend) },
  );
}
