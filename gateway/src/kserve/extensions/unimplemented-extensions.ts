import { GatewayError } from '../../errors/gateway-error';

/**
 * Triton's optional protocol extensions the gateway does not implement, by the name Triton reports
 * in server metadata's `extensions` (which therefore never lists them), with what to do instead.
 */
export const UNIMPLEMENTED_EXTENSIONS = {
  system_shared_memory: 'send tensors in the request body (binary_tensor_data, raw_input_contents)',
  cuda_shared_memory: 'send tensors in the request body (binary_tensor_data, raw_input_contents)',
  trace: 'trace settings cannot be read or changed at run time',
  logging: 'the log level is the LOG_LEVEL setting, read at start-up',
} as const;

export type UnimplementedExtension = keyof typeof UNIMPLEMENTED_EXTENSIONS;

/**
 * The one answer every unimplemented extension gives, on both protocols: HTTP 501 with the KServe
 * error body, gRPC UNIMPLEMENTED, the same message naming the extension.
 */
export function extensionNotImplemented(extension: UnimplementedExtension): GatewayError {
  return new GatewayError(
    'unimplemented',
    `the '${extension}' extension is not implemented by this server: ${UNIMPLEMENTED_EXTENSIONS[extension]}`,
  );
}
