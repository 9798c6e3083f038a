import Module from 'node:module';
import type { Config } from '@jest/types';
import type { MigrationInterface } from 'typeorm';

type ResolveFilename = (request: string, parent: { filename?: string } | undefined, ...rest: unknown[]) => string;
const moduleLoader = Module as unknown as { _resolveFilename: ResolveFilename };

/**
 * Jest loads a global setup with Node's own require() and does not apply the project's
 * moduleNameMapper to it (jestjs/jest#11644), so neither `@backchannel/<lib>` nor the `./x.js`
 * imports of the TypeScript sources resolve. This applies that same mapper to requires made from
 * our sources while `work` runs.
 */
async function withModuleNameMapper<T>(project: Config.ProjectConfig, work: () => Promise<T>): Promise<T> {
  const mappings = project.moduleNameMapper.map(([pattern, target]) => ({ pattern: new RegExp(pattern), target }));
  const resolveFilename = moduleLoader._resolveFilename;
  moduleLoader._resolveFilename = function (request, parent, ...rest) {
    const mapping = parent?.filename?.includes('/node_modules/')
      ? undefined
      : mappings.find(({ pattern }) => pattern.test(request));
    const mapped = mapping ? request.replace(mapping.pattern, String(mapping.target)) : request;
    return resolveFilename.call(this, mapped, parent, ...rest);
  };
  try {
    return await work();
  } finally {
    moduleLoader._resolveFilename = resolveFilename;
  }
}

/**
 * Jest global setup of the int and e2e projects: brings the test database's schema up to date
 * with every migration of every owner (a service runs only those of the modules it is made of).
 */
export default async function migrateDatabase(
  _global: Config.GlobalConfig,
  project: Config.ProjectConfig,
): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) {
    throw new Error('DATABASE_URL is not set: run the tests with `npm test`, which starts PostgreSQL');
  }
  const { createDataSource, migrations, runMigrations } = await withModuleNameMapper(project, async () => {
    const { migrationFiles } = await import('./migration-files.js');
    const exported = await Promise.all(migrationFiles(project.rootDir).map((file) => import(file)));
    return {
      ...(await import('@backchannel/event-store')),
      migrations: exported.flatMap((classes: Record<string, new () => MigrationInterface>) => Object.values(classes)),
    };
  });
  const dataSource = await createDataSource(databaseUrl, {
    applicationName: 'jest-global-setup',
    migrations,
  }).initialize();
  try {
    await runMigrations(dataSource);
  } finally {
    await dataSource.destroy();
  }
}
