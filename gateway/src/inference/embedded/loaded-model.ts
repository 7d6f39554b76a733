import {
  autoCompleteOnnx,
  fullShape,
  signatureMismatches,
  type ModelDefinition,
  type OnnxSignature,
} from '@model-repository';
import type { ModelMetadata } from '../../request-path/inference-backend';
import { modelInstanceCount } from '../model-instances';
import { OrtInstancePool } from './ort-instance-pool';

/**
 * One load of a model: its definition, metadata and an instance pool per served version. A reload
 * builds a new LoadedModel beside the old one and swaps it in; the old one is retired: calls that
 * took it before the swap finish on its sessions, which close once the last of them is done.
 */
export class LoadedModel {
  private inFlight = 0;
  private retiring = false;
  private closing?: Promise<void>;
  private markClosed!: () => void;
  private readonly closed = new Promise<void>((resolve) => (this.markClosed = resolve));

  private constructor(
    readonly definition: ModelDefinition,
    readonly metadata: ModelMetadata,
    readonly pools: ReadonlyMap<string, OrtInstancePool>,
  ) {}

  /**
   * Starts an instance pool for each served version, completes what config.pbtxt leaves out from
   * the newest version's ONNX file (Triton's auto-complete) and checks every version's file against
   * the completed config; nothing is left running when one fails (the error says which and why).
   */
  static async start(written: ModelDefinition, intraOpThreads: number): Promise<LoadedModel> {
    const instances = modelInstanceCount(toMetadata(written));
    const pools = new Map<string, OrtInstancePool>();
    try {
      for (const version of written.versions) {
        if (!written.servedVersions.includes(version.version)) continue;
        const label = `model '${written.name}' version ${version.version}`;
        const pool = await OrtInstancePool.start(
          label,
          { modelFile: version.modelFile, intraOpThreads },
          instances,
        );
        pools.set(version.version, pool);
      }
      const newest = [...pools.values()].at(-1);
      const definition = newest ? autoCompleteOnnx(written, newest.signature) : written;
      for (const [version, pool] of pools) {
        checkSignature(`model '${written.name}' version ${version}`, definition, pool.signature);
      }
      return new LoadedModel(definition, toMetadata(definition), pools);
    } catch (error) {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      throw error;
    }
  }

  /** Marks a call running on this load; the function returned ends it (once). */
  acquire(): () => void {
    this.inFlight += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.inFlight -= 1;
      if (this.retiring && this.inFlight === 0) this.closePools();
    };
  }

  /** No call takes it any more (replaced or unloaded); resolves once its sessions are closed. */
  retire(): Promise<void> {
    this.retiring = true;
    if (this.inFlight === 0) this.closePools();
    return this.closed;
  }

  private closePools(): void {
    this.closing ??= Promise.all([...this.pools.values()].map((pool) => pool.close())).then(() =>
      this.markClosed(),
    );
  }
}

/**
 * Triton refuses a model whose config disagrees with its file (a name missing on either side, a
 * datatype, a rank, a fixed dimension): every call would fail and blame the caller, so the load
 * fails instead, naming each mismatch.
 */
function checkSignature(label: string, definition: ModelDefinition, onnx: OnnxSignature): void {
  const mismatches = signatureMismatches(definition, onnx);
  if (mismatches.length > 0) {
    throw new Error(
      `${label}: the ONNX file does not match config.pbtxt: ${mismatches.join('; ')}`,
    );
  }
}

function toMetadata(definition: ModelDefinition): ModelMetadata {
  const parameters: Record<string, string> = {};
  for (const [key, value] of Object.entries(definition.config.parameters)) {
    parameters[key] = value.stringValue;
  }
  return {
    name: definition.name,
    versions: definition.servedVersions,
    platform: definition.platform || 'onnxruntime_onnx',
    maxBatchSize: definition.maxBatchSize,
    inputs: definition.inputs.map((spec) => ({
      name: spec.name,
      datatype: spec.datatype,
      shape: fullShape(spec, definition.maxBatchSize),
    })),
    outputs: definition.outputs.map((spec) => ({
      name: spec.name,
      datatype: spec.datatype,
      shape: fullShape(spec, definition.maxBatchSize),
    })),
    labels: definition.labels,
    parameters,
    config: definition.config,
  };
}
