import 'reflect-metadata';
import { JsonLogger } from '@logging';
import { Logger } from '@nestjs/common';
import { InvalidConfigurationError, loadControlPlaneConfig } from './config/control-plane-config';
import { createControlPlaneApp } from './control-plane-app';

async function bootstrap(): Promise<void> {
  const config = loadControlPlaneConfig(process.env);
  // Every line from here on, a failed start included, in LOG_FORMAT with the shared redaction.
  const lines = new JsonLogger({ service: 'control-plane', ...config.logging });
  Logger.overrideLogger(lines);
  const logger = new Logger('ControlPlane');
  const app = await createControlPlaneApp(config, { logger: lines });
  app.enableShutdownHooks();
  await app.listen({ port: config.port, host: config.host });
  logger.log(
    `Listening on http://${config.host}:${config.port} (GraphQL at /graphql); ` +
      `database: ${config.databaseUrl === undefined ? `PGlite in ${config.dataDir}` : 'Postgres'}`,
  );
}

bootstrap().catch((error: unknown) => {
  if (error instanceof InvalidConfigurationError) {
    console.error(error.message);
  } else {
    new Logger('ControlPlane').fatal(
      error instanceof Error ? (error.stack ?? error.message) : error,
    );
  }
  process.exitCode = 1;
});
