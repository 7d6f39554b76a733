import { randomUUID } from 'node:crypto';
import { mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { sha256File } from '@model-repository';
import { type ControlPlaneConfig } from '../config/control-plane-config';
import { InjectControlPlaneConfig } from '../config/control-plane-config.module';
import { ControlPlaneFailure } from '../errors/control-plane-error';
import { ARTIFACT_STORE, type ArtifactStore } from '../registry/artifacts/artifact-store';

/** Names of what is being written; model repository loaders skip names that start with a dot. */
const TEMPORARY_PREFIX = '.cp-tmp-';

/**
 * Writes the Triton model repository the backends load from. Everything is written aside under a
 * dot-name (which Triton and the gateway ignore) and renamed into place, so a backend never sees a
 * half-written version folder or config; a killed process leaves only dot-names, removed at start.
 */
@Injectable()
export class RepositoryWriter implements OnApplicationBootstrap {
  private readonly logger = new Logger(RepositoryWriter.name);
  private readonly root: string;

  constructor(
    @InjectControlPlaneConfig() config: ControlPlaneConfig,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {
    this.root = config.modelRepository;
  }

  async onApplicationBootstrap(): Promise<void> {
    let removed = 0;
    for (const model of await readdirOrEmpty(this.root)) {
      const directory = path.join(this.root, model);
      for (const name of await readdirOrEmpty(directory)) {
        if (!name.startsWith(TEMPORARY_PREFIX)) continue;
        await rm(path.join(directory, name), { recursive: true, force: true });
        removed += 1;
      }
    }
    if (removed > 0)
      this.logger.warn(`Removed ${removed} half-written file(s) left in ${this.root}`);
  }

  /** `<model>/<version>/<filename>` holding the stored artifact; idempotent for the same bytes. */
  async writeVersion(
    model: string,
    version: string,
    sha256: string,
    filename: string,
  ): Promise<string> {
    const modelDirectory = path.join(this.root, model);
    const folder = path.join(modelDirectory, version);
    const file = path.join(folder, filename);
    if (await exists(folder)) {
      const present = (await exists(file)) ? (await sha256File(file)).sha256 : undefined;
      if (present === sha256) return path.relative(this.root, file);
      throw new ControlPlaneFailure(
        'CONFLICT',
        `the repository already has a folder ${model}/${version} with other contents; it was not written by this registry`,
        { path: `${model}/${version}` },
      );
    }
    await mkdir(modelDirectory, { recursive: true });
    const aside = path.join(modelDirectory, `${TEMPORARY_PREFIX}${randomUUID()}`);
    try {
      await mkdir(aside);
      await this.artifacts.copyTo(sha256, path.join(aside, filename));
      await rename(aside, folder);
    } catch (error) {
      await rm(aside, { recursive: true, force: true });
      throw error;
    }
    return path.relative(this.root, file);
  }

  /** The current config.pbtxt (and any label file), or undefined when the model has none yet. */
  async readFile(model: string, name: string): Promise<string | undefined> {
    try {
      return await readFile(path.join(this.root, model, name), 'utf8');
    } catch {
      return undefined;
    }
  }

  /** Replaces one file of the model folder (config.pbtxt, labels.txt) in one rename. */
  async writeFile(model: string, name: string, contents: string): Promise<void> {
    const modelDirectory = path.join(this.root, model);
    await mkdir(modelDirectory, { recursive: true });
    const aside = path.join(modelDirectory, `${TEMPORARY_PREFIX}${randomUUID()}`);
    try {
      await writeFile(aside, contents);
      await rename(aside, path.join(modelDirectory, name));
    } catch (error) {
      await rm(aside, { force: true });
      throw error;
    }
  }
}

async function readdirOrEmpty(directory: string): Promise<string[]> {
  try {
    return await readdir(directory);
  } catch {
    return [];
  }
}

async function exists(target: string): Promise<boolean> {
  try {
    await stat(target);
    return true;
  } catch {
    return false;
  }
}
