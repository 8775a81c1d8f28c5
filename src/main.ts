import 'reflect-metadata';
import { createApp } from './app.setup.js';
import { ConfigError, loadConfig, loadDotEnv, type AppConfig } from './config/app-config.js';
import { Logger } from '@nestjs/common';
import { createLogger, PinoNestLogger } from './common/logging/logger.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from './database/embedded-postgres.js';
import { runPendingMigrations } from './database/migrate.js';

async function bootstrap(): Promise<void> {
  let config: AppConfig;
  try {
    loadDotEnv();
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const logger = createLogger(config);
  Logger.overrideLogger(new PinoNestLogger(logger));

  let embedded: EmbeddedPostgres | undefined;
  if (!config.database.url) {
    embedded = await startEmbeddedPostgres(config, (message, level = 'info') =>
      logger[level](message),
    );
    config = config.withDatabaseUrl(embedded.url);
    logger.info({ port: config.database.embedded.port }, 'Embedded PostgreSQL is running');
  }
  if (config.jwt.secretGenerated) {
    logger.warn('JWT_SECRET is not set: using a random secret, so tokens end with this process');
  }
  // Outside production, pending migrations are applied at start; in production they are a
  // release step (npm run migration:run) so instances never race to apply them.
  if (!config.isProduction) {
    const applied = await runPendingMigrations(config);
    if (applied.length > 0) logger.info({ migrations: applied }, 'Applied migrations');
  }

  const app = await createApp(config);
  let stopping = false;
  const stop = async (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    try {
      await app.close();
      await embedded?.stop();
      logger.info('Stopped');
      logger.flush();
      process.exit(0);
    } catch (error) {
      logger.error({ err: error }, 'Shutdown failed');
      process.exit(1);
    }
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));

  await app.listen({ port: config.port, host: config.host });
  logger.info({ url: await app.getUrl() }, 'InsightSheet API listening');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(
    `Startup failed: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
