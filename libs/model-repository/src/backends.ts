/** The backend the gateway can run in-process (onnxruntime-node). */
export const EMBEDDED_BACKEND = 'onnxruntime';

export const ENSEMBLE_PLATFORM = 'ensemble';

/** Triton's platforms and the backend each implies. */
const BACKEND_OF_PLATFORM: Readonly<Record<string, string>> = {
  onnxruntime_onnx: 'onnxruntime',
  tensorrt_plan: 'tensorrt',
  tensorflow_graphdef: 'tensorflow',
  tensorflow_savedmodel: 'tensorflow',
  pytorch_libtorch: 'pytorch',
  [ENSEMBLE_PLATFORM]: '',
};

/** Platform Triton fills in for a backend that has exactly one (TensorFlow has two: left empty). */
const PLATFORM_OF_BACKEND: Readonly<Record<string, string>> = {
  onnxruntime: 'onnxruntime_onnx',
  tensorrt: 'tensorrt_plan',
  pytorch: 'pytorch_libtorch',
};

/** File (or directory) each backend looks for in a version directory when the config names none. */
const DEFAULT_MODEL_FILENAME: Readonly<Record<string, string>> = {
  onnxruntime: 'model.onnx',
  tensorrt: 'model.plan',
  pytorch: 'model.pt',
  python: 'model.py',
  openvino: 'model.xml',
};
const DEFAULT_TENSORFLOW_FILENAME: Readonly<Record<string, string>> = {
  tensorflow_graphdef: 'model.graphdef',
  tensorflow_savedmodel: 'model.savedmodel',
};

export interface PlatformAndBackend {
  platform: string;
  backend: string;
}

const has = (table: Readonly<Record<string, string>>, key: string): boolean =>
  Object.prototype.hasOwnProperty.call(table, key);

/**
 * Completes and checks the platform/backend pair the way Triton does. `inferredBackend` stands in
 * when the config names neither (Triton's auto-complete would detect it from the model file).
 * Returns a problem description instead when the pair is invalid.
 */
export function resolvePlatformAndBackend(
  platform: string,
  backend: string,
  inferredBackend?: string,
): PlatformAndBackend | { problem: string } {
  if (platform === '' && backend === '') {
    if (inferredBackend === undefined) return { problem: "must specify 'platform' or 'backend'" };
    backend = inferredBackend;
  }
  if (platform === ENSEMBLE_PLATFORM) {
    return backend === ''
      ? { platform, backend }
      : { problem: `an ensemble must leave 'backend' empty (got "${backend}")` };
  }
  if (backend === '') {
    if (!has(BACKEND_OF_PLATFORM, platform)) {
      return { problem: `unknown platform "${platform}" and no 'backend' given` };
    }
    return { platform, backend: BACKEND_OF_PLATFORM[platform] };
  }
  const knownBackend = Object.values(BACKEND_OF_PLATFORM).includes(backend) && backend !== '';
  if (platform !== '' && knownBackend && BACKEND_OF_PLATFORM[platform] !== backend) {
    return { problem: `platform "${platform}" does not go with backend "${backend}"` };
  }
  if (platform === '' && has(PLATFORM_OF_BACKEND, backend)) platform = PLATFORM_OF_BACKEND[backend];
  return { platform, backend };
}

/**
 * The name of the model artifact inside each version directory, or undefined when the backend
 * has no conventional one (ensembles, custom backends): then the whole version directory is the
 * artifact.
 */
export function modelFilename(
  configured: string,
  { platform, backend }: PlatformAndBackend,
): string | undefined {
  if (configured !== '') return configured;
  if (has(DEFAULT_TENSORFLOW_FILENAME, platform)) return DEFAULT_TENSORFLOW_FILENAME[platform];
  return has(DEFAULT_MODEL_FILENAME, backend) ? DEFAULT_MODEL_FILENAME[backend] : undefined;
}
