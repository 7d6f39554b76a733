import type { ModelStreamInferResponse } from '@contracts/generated/inference/grpc_service_pb';

/** Names, datatype and shape of one output tensor on the wire, generously. */
const OUTPUT_HEADER_BYTES = 256;

/**
 * About how many bytes a ModelStreamInfer answer takes on the wire: its tensors (raw_output_contents,
 * all the gateway sends them as) and its error message, plus a generous allowance per output for
 * names and shapes. What the stream's unsent-bytes bound counts, without encoding it twice.
 */
export function streamAnswerBytes(response: ModelStreamInferResponse): number {
  const infer = response.inferResponse;
  const tensors = infer?.rawOutputContents.reduce((sum, bytes) => sum + bytes.byteLength, 0) ?? 0;
  const outputs = (infer?.outputs.length ?? 0) + 1;
  return tensors + Buffer.byteLength(response.errorMessage) + outputs * OUTPUT_HEADER_BYTES;
}
