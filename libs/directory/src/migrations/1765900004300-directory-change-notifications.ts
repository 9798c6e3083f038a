import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Every change of `users` or `devices`, whoever makes it (the directory, a seed, an operator's SQL),
 * is announced on DIRECTORY_CHANGES_CHANNEL at commit, so every replica's DirectoryCache forgets
 * what it held. One notification per statement: the cache forgets everything anyway.
 */
export class DirectoryChangeNotifications1765900004300 implements MigrationInterface {
  name = 'DirectoryChangeNotifications1765900004300';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE OR REPLACE FUNCTION directory_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_notify('backchannel_directory_changes', '');
        RETURN NULL;
      END $$`);
    for (const table of ['users', 'devices']) {
      await queryRunner.query(`
        CREATE OR REPLACE TRIGGER ${table}_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON ${table}
        FOR EACH STATEMENT EXECUTE FUNCTION directory_changed()`);
    }
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    for (const table of ['users', 'devices'])
      await queryRunner.query(`DROP TRIGGER IF EXISTS ${table}_changed ON ${table}`);
    await queryRunner.query(`DROP FUNCTION IF EXISTS directory_changed()`);
  }
}
