import {
  completeSignature,
  deriveOnnxModelConfig,
  type InterpretedConfig,
  interpretModelConfig,
  ModelConfigError,
  parseModelConfig,
  sha256File,
  signatureMismatches,
} from '@model-repository';
import { ControlPlaneFailure } from '../../errors/control-plane-error';
import { inspectOnnx } from './onnx-inspection';

/** What a registration says about the artifact it brings. */
export interface ArtifactClaims {
  modelName: string;
  /** When given, the artifact must have exactly this digest. */
  expectedSha256?: string;
  /** config.pbtxt; when absent one is derived from the ONNX signature. */
  configText?: string;
  /** Class labels, for configs whose outputs name a `label_filename`. */
  labels?: readonly string[];
}

export interface VerifiedArtifact {
  sha256: string;
  sizeBytes: number;
  configText: string;
  config: InterpretedConfig;
  labels: string[] | null;
}

const ONNX_PLATFORM = 'onnxruntime_onnx';

/**
 * The checks every artifact passes before anything is written: its digest, that ONNX Runtime
 * loads it, and that its inputs and outputs are what the config declares. Each refusal is a
 * BAD_USER_INPUT naming what is wrong.
 */
export async function verifyArtifact(
  file: string,
  claims: ArtifactClaims,
): Promise<VerifiedArtifact> {
  const { sha256, sizeBytes } = await sha256File(file);
  if (claims.expectedSha256 !== undefined && claims.expectedSha256.toLowerCase() !== sha256) {
    throw refuse(`the artifact's sha256 is ${sha256}, not the expected ${claims.expectedSha256}`);
  }
  let inspection;
  try {
    inspection = await inspectOnnx(file);
  } catch (error) {
    throw refuse(`the artifact is not a model ONNX Runtime can load: ${messageOf(error)}`);
  }
  const signature = inspection.signature;
  await inspection.release();

  let configText = claims.configText;
  if (configText === undefined) {
    try {
      configText = deriveOnnxModelConfig(claims.modelName, signature);
    } catch (error) {
      throw refuse(messageOf(error));
    }
  }
  // A config may leave out the signature (Triton's auto-complete): it is checked completed, and
  // stored as written; the serving backend completes it the same way at load.
  let config: InterpretedConfig;
  try {
    config = completeSignature(interpret(configText, claims.modelName), signature);
  } catch (error) {
    if (error instanceof ControlPlaneFailure) throw error;
    throw refuse(messageOf(error));
  }
  if (config.platform !== ONNX_PLATFORM) {
    throw refuse(
      `the config's platform is ${config.platform}; registration takes ONNX models (${ONNX_PLATFORM})`,
    );
  }
  const mismatches = signatureMismatches(config, signature);
  if (mismatches.length > 0) {
    throw refuse(`the ONNX file does not match the config: ${mismatches.join('; ')}`, {
      mismatches,
    });
  }
  const labelled = config.outputs.find((output) => output.labelFilename !== undefined);
  if (labelled !== undefined && (claims.labels === undefined || claims.labels.length === 0)) {
    throw refuse(
      `output "${labelled.name}" names label_filename "${labelled.labelFilename}"; give its labels`,
    );
  }
  return {
    sha256,
    sizeBytes,
    configText,
    config,
    labels: claims.labels ? [...claims.labels] : null,
  };
}

function interpret(configText: string, modelName: string): InterpretedConfig {
  try {
    return interpretModelConfig(parseModelConfig(configText, 'config'), {
      directoryName: modelName,
      source: 'config',
      autoComplete: true,
    });
  } catch (error) {
    if (error instanceof ModelConfigError)
      throw refuse(`the config is not valid: ${error.message}`);
    throw error;
  }
}

function refuse(message: string, extensions: Record<string, unknown> = {}): ControlPlaneFailure {
  return new ControlPlaneFailure('BAD_USER_INPUT', message, { argument: 'input', ...extensions });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
