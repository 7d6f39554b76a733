import { GatewayError } from '../errors/gateway-error';

/**
 * The refusal of an answer over GATEWAY_MAX_BODY_BYTES, the limit on a message either way: gRPC
 * sends nothing larger (grpc.max_send_message_length), and REST answers are held to the same.
 * `form` says how the size was reckoned: JSON by a bound per element, binary and gRPC exactly.
 */
export function answerTooLarge(
  bytes: number,
  maxBytes: number,
  form: 'json' | 'binary' | 'grpc',
): GatewayError {
  const size = form === 'json' ? `up to ${bytes} bytes as JSON` : `${bytes} bytes`;
  const advice =
    form === 'json'
      ? 'ask for fewer outputs or a smaller batch, or for binary outputs (binary tensor data extension: parameters.binary_data_output)'
      : 'ask for fewer outputs or a smaller batch';
  return new GatewayError(
    'payload_too_large',
    `the answer would take ${size}, over the GATEWAY_MAX_BODY_BYTES limit of ${maxBytes}; ${advice}`,
  );
}
