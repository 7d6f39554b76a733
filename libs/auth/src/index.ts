/**
 * The credential model both apps share: API keys (format, scrypt hashing, verification with its
 * caches and failure limits, the file and SQL stores), JWT verification (JWKS with backoff), the
 * Caller and the scope and role rules. What each app does with a refusal (HTTP status, gRPC code,
 * GraphQL error code) stays in the app.
 */
export * from './caller';
export * from './credential-refusal';
export * from './credentials';
export * from './credential-check-observer';
export * from './peer-address';
export * from './settings';
export * from './authenticator';
export * from './api-keys/api-key-format';
export * from './api-keys/api-key-hash';
export * from './api-keys/api-key-store';
export * from './api-keys/api-key-records';
export * from './api-keys/api-key-verification';
export * from './api-keys/bootstrap-keys';
export * from './api-keys/file-api-key-store';
export * from './api-keys/sql-api-key-store';
export * from './api-keys/postgres-api-key-store';
export * from './jwt/jwt-verifier';
export * from './jwt/jwks-fetch-backoff';
