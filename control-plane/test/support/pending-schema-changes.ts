import { DataSource, type DataSourceOptions } from 'typeorm';

/**
 * Runs the migrations, then asks TypeORM what it would still change to match the entities:
 * the SQL `migration:generate` would write. Empty means migrations and entities agree.
 */
export async function pendingSchemaChanges(options: DataSourceOptions): Promise<string[]> {
  const dataSource = new DataSource({ ...options, migrationsRun: false, logging: false });
  await dataSource.initialize();
  try {
    await dataSource.runMigrations({ transaction: 'all' });
    const sql = await dataSource.driver.createSchemaBuilder().log();
    return sql.upQueries.map((query) => query.query);
  } finally {
    await dataSource.destroy();
  }
}
