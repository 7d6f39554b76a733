/**
 * The least a @grpc/grpc-js server can do in front of Triton: every KServe method forwarded as
 * opaque bytes (identity serializers: nothing decoded or encoded), one channel to Triton. What is
 * left is grpc-js itself: it gathers each received message into one buffer and copies each sent
 * message into a framed one. `bench:triton-overhead` measures it next to the gateway (which uses
 * grpc-js on both sides) to show how much of the gateway's cost is the library's.
 *
 * Usage: node grpc-js-pass-through.js <listen host:port> <Triton gRPC host:port>
 */
'use strict';
const grpc = require('@grpc/grpc-js');

const [listen, upstream] = process.argv.slice(2);
// Experiment (README "Where the gateway's CPU goes"): FLOOR_BALLAST_OBJECTS=N keeps N small
// objects alive, a heap like the gateway's at about 400 000, to measure what heap size alone costs.
globalThis.ballast = Array.from(
  { length: Number(process.env.FLOOR_BALLAST_OBJECTS ?? 0) },
  (_, i) => ({
    i,
    text: `x${i}`,
    pair: [i, i + 1],
  }),
);
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const options = {
  'grpc.max_send_message_length': MAX_MESSAGE_BYTES,
  'grpc.max_receive_message_length': MAX_MESSAGE_BYTES,
  // As the gateway: a window as large as a message, so a tensor is not held up by window updates.
  'grpc-node.flow_control_window': MAX_MESSAGE_BYTES,
};
const METHODS = [
  'ServerLive',
  'ServerReady',
  'ServerMetadata',
  'ModelReady',
  'ModelMetadata',
  'ModelConfig',
  'ModelStatistics',
  'ModelInfer',
];
const same = (bytes) => bytes;
const client = new grpc.Client(upstream, grpc.credentials.createInsecure(), options);
const server = new grpc.Server(options);
const definition = {};
const implementation = {};
for (const method of METHODS) {
  const path = `/inference.GRPCInferenceService/${method}`;
  definition[method] = {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: same,
    requestDeserialize: same,
    responseSerialize: same,
    responseDeserialize: same,
  };
  implementation[method] = (call, callback) =>
    client.makeUnaryRequest(path, same, same, call.request, call.metadata, callback);
}
server.addService(definition, implementation);
server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (error) => {
  if (error) {
    console.error(error.message);
    process.exit(1);
  }
});
// Started by the benchmark: never outlive it.
process.on('disconnect', () => process.exit(0));
