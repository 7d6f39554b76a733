export * from './grpc/service-definition';
export * from './kserve/datatype';
