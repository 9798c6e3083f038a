import { readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Every migration file of the apps and libs: each lives in a `migrations/` folder beside the
 * module that owns its tables.
 */
export function migrationFiles(root: string): string[] {
  return ['apps', 'libs'].flatMap((top) =>
    readdirSync(path.join(root, top), { recursive: true, encoding: 'utf8' })
      .filter((file) => /(^|\/)migrations\/\d{13}-[\w-]+\.ts$/.test(file))
      .map((file) => path.join(root, top, file)),
  );
}
