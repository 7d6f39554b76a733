/** What the gateway reports as server metadata on both KServe front doors. */
export const SERVER_NAME = 'triton-cv-gateway';
export const SERVER_VERSION = '0.1.0';
export const SERVER_EXTENSIONS = [
  'binary_tensor_data',
  'classification',
  'parameters',
  'model_configuration',
  'model_repository',
  'model_repository(unload_dependents)',
  'statistics',
] as const;
