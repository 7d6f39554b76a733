export {
  JsonLogger,
  LOG_FORMATS,
  LOG_LEVELS,
  type JsonLoggerOptions,
  type LogFormat,
  type LogLevel,
} from './json-logger';
export { isSecretField, redact, redactText, REDACTED } from './log-redaction';
export { requestIdFrom } from './request-id';
