import { fullShape, type ModelDefinition } from '@model-repository';
import type { ModelMetadata } from '../../request-path/inference-backend';
import { modelInstanceCount } from '../model-instances';
import { OrtInstancePool, type OrtSignature } from './ort-instance-pool';

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
   * Starts an instance pool for each served version and checks each ONNX graph against
   * config.pbtxt; nothing is left running when one fails (the error says which and why).
   */
  static async start(definition: ModelDefinition, intraOpThreads: number): Promise<LoadedModel> {
    const metadata = toMetadata(definition);
    const instances = modelInstanceCount(metadata);
    const pools = new Map<string, OrtInstancePool>();
    try {
      for (const version of definition.versions) {
        if (!definition.servedVersions.includes(version.version)) continue;
        const label = `model '${definition.name}' version ${version.version}`;
        const pool = await OrtInstancePool.start(
          label,
          { modelFile: version.modelFile, intraOpThreads },
          instances,
        );
        pools.set(version.version, pool);
        checkSignature(label, definition, pool.signature);
      }
    } catch (error) {
      await Promise.all([...pools.values()].map((pool) => pool.close()));
      throw error;
    }
    return new LoadedModel(definition, metadata, pools);
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
 * Triton refuses a model whose config names inputs or outputs its graph does not have (and one
 * whose graph needs inputs the config does not declare): every call would fail, so the load does.
 */
function checkSignature(label: string, definition: ModelDefinition, graph: OrtSignature): void {
  const problems: string[] = [];
  const missing = (declared: { name: string }[], present: readonly string[]) =>
    declared.map((spec) => spec.name).filter((name) => !present.includes(name));
  const inputs = missing(definition.inputs, graph.inputNames);
  const outputs = missing(definition.outputs, graph.outputNames);
  const undeclared = graph.inputNames.filter(
    (name) => !definition.inputs.some((spec) => spec.name === name),
  );
  if (inputs.length > 0) problems.push(`config.pbtxt inputs [${inputs.join(', ')}] are not in it`);
  if (outputs.length > 0) {
    problems.push(`config.pbtxt outputs [${outputs.join(', ')}] are not in it`);
  }
  if (undeclared.length > 0) {
    problems.push(`its inputs [${undeclared.join(', ')}] are not in config.pbtxt`);
  }
  if (problems.length > 0) {
    throw new Error(
      `${label}: the ONNX graph does not match config.pbtxt: ${problems.join('; ')} ` +
        `(graph inputs [${graph.inputNames.join(', ')}], outputs [${graph.outputNames.join(', ')}])`,
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
