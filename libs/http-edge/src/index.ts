export { apiSecurityHeaders, type SecurityHeaders } from './security-headers';
export { parserRefusalHandler, type ParserRefusal, type RawAnswer } from './parser-refusals';
export { closeAfterAnswer, LINGER_MS } from './lingering-close';
export { parseCorsOrigins, registerCors, type CorsOrigins, type CorsPolicy } from './cors';
