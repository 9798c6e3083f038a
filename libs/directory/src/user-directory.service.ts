import { type EventStoreTransaction, PostgresEventStore, poolSql, prepared } from '@backchannel/event-store';
import {
  type NewEvent,
  type UserCreated,
  type UserDeleted,
  type UserDisabled,
  type UserEnabled,
  type UserUpdated,
  userStreamId,
} from '@backchannel/events';
import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { violatedConstraint, UNIQUE_VIOLATION } from './constraint-violation.js';
import { DirectoryConflictError } from './directory-errors.js';
import { parseNewUser, parseUserUpdate } from './directory-input.js';
import { type LifecycleContext, lifecycleMetadata } from './device.js';
import { DeviceRegistry } from './device-registry.service.js';
import { DirectoryCache } from './directory-cache.js';
import { PROFILE_CLAIM_NAMES, type ProfileClaims } from './profile-claims.js';
import { type NewUser, type User, userResponse } from './user.js';

/** The unique constraints of `users` (PostgreSQL's default names) and the field each protects. */
const UNIQUE_FIELDS: Readonly<Record<string, DirectoryConflictError['field']>> = {
  users_pkey: 'sub',
  users_username_key: 'username',
  users_email_key: 'email',
  users_phone_number_key: 'phone_number',
};

/** The columns an administrator writes, in the order of `userValues`; each profile claim has a column of its name. */
const WRITTEN_COLUMNS = ['subject', 'username', 'email', 'phone_number', 'name', ...PROFILE_CLAIM_NAMES].join(', ');
const WRITTEN_PLACEHOLDERS = WRITTEN_COLUMNS.split(', ')
  .map((_column, index) => `$${index + 1}`)
  .join(', ');
const USER_ROW_COLUMNS = `${WRITTEN_COLUMNS}, updated_at, disabled_at`;

type UserRow = { [Claim in keyof ProfileClaims]-?: ProfileClaims[Claim] | null } & {
  subject: string;
  username: string | null;
  email: string | null;
  phone_number: string | null;
  name: string | null;
  updated_at: Date;
  disabled_at: Date | null;
};

/** The built-in user directory (table `users`). */
@Injectable()
export class UserDirectory {
  constructor(
    private readonly dataSource: DataSource,
    private readonly store: PostgresEventStore,
    private readonly devices: DeviceRegistry,
    private readonly cache: DirectoryCache,
  ) {}

  /** The lookups of every request, prepared once per connection. */
  private readonly sql = poolSql(this.dataSource);

  /**
   * Disables or enables the user, recorded in the user's stream with the actor in the same
   * transaction. A disabled user's devices are refused (DeviceRegistry) and nothing can ask them.
   * False when the user already was so.
   */
  async setDisabled(
    subject: string,
    disabled: boolean,
    reason: string | null,
    context: LifecycleContext,
  ): Promise<boolean> {
    const at = context.now.toISOString();
    const metadata = lifecycleMetadata(context);
    const event: NewEvent<UserDisabled | UserEnabled> = disabled
      ? { type: 'UserDisabled', schemaVersion: 1, data: { subject, reason, disabledAt: at }, metadata }
      : { type: 'UserEnabled', schemaVersion: 1, data: { subject, enabledAt: at }, metadata };
    return this.changing(async (tx) => {
      const changed: unknown[] = await tx.query(
        `WITH changed AS (
           UPDATE users SET disabled_at = $2 WHERE subject = $1 AND (disabled_at IS NULL) = ($2::timestamptz IS NOT NULL)
           RETURNING 1)
         SELECT 1 FROM changed`,
        [subject, disabled ? context.now : null],
      );
      if (changed.length === 0) return false;
      await tx.appendToStream(userStreamId(subject), 'any', [event]);
      return true;
    });
  }

  /**
   * Deletes the user, recorded in the user's stream with the actor, in one transaction: their
   * devices are revoked first (DeviceRevoked each: their channels, passkeys and push subscriptions
   * go with them), then the user row goes with their user code and enrolment codes. The sub stays
   * taken (deleted_users): OIDC Core §2 has a sub never reassigned, and a token issued to the user
   * must not become another's. False for an unknown user.
   */
  async deleteUser(subject: string, context: LifecycleContext): Promise<boolean> {
    const event: NewEvent<UserDeleted> = {
      type: 'UserDeleted',
      schemaVersion: 1,
      data: { subject, deletedAt: context.now.toISOString() },
      metadata: lifecycleMetadata(context),
    };
    return this.changing(async (tx) => {
      // the lock keeps a device from being registered for the user meanwhile
      const found: unknown[] = await tx.query(`SELECT 1 FROM users WHERE subject = $1 FOR UPDATE`, [subject]);
      if (found.length === 0) return false;
      await this.devices.revokeIn(tx, subject, 'all', null, context);
      await tx.query(
        `WITH deleted AS (DELETE FROM users WHERE subject = $1 RETURNING subject)
         INSERT INTO deleted_users (subject, deleted_at) SELECT subject, $2 FROM deleted`,
        [subject, context.now],
      );
      await tx.appendToStream(userStreamId(subject), 'any', [event]);
      return true;
    });
  }

  /** Whether the user exists and is not disabled: their tokens are accepted. */
  async isEnabled(subject: string): Promise<boolean> {
    return this.cache.through(`enabled ${subject}`, async () => {
      const rows: unknown[] = await this.sql(
        prepared(`SELECT 1 FROM users WHERE subject = $1 AND disabled_at IS NULL`),
        [subject],
      );
      return rows.length === 1;
    });
  }

  /** A change of users in a transaction of its own. */
  private changing<T>(work: (tx: EventStoreTransaction) => Promise<T>): Promise<T> {
    return this.cache.changing(() => this.store.transaction(work));
  }

  /**
   * A new user; the sub of a deleted user is refused (a conflict), never given again. With a
   * context (the admin API, a seed), the names of the claims given are recorded (UserCreated) in
   * the same transaction.
   */
  async createUser(input: unknown, context?: LifecycleContext): Promise<User> {
    const user = parseNewUser(input);
    return this.changing(async (tx) => {
      const rows: UserRow[] = await namingConflicts(() =>
        tx.query(
          `INSERT INTO users (${WRITTEN_COLUMNS}) VALUES (${WRITTEN_PLACEHOLDERS}) RETURNING ${USER_ROW_COLUMNS}`,
          userValues(user),
        ),
      );
      // Checked after the insert, in a statement of its own: an insert that waited for the user's
      // concurrent deletion then sees the deletion's record.
      const deleted: unknown[] = await tx.query(`SELECT 1 FROM deleted_users WHERE subject = $1`, [user.subject]);
      if (deleted.length > 0)
        throw new DirectoryConflictError('sub', 'this sub belonged to a deleted user, and a sub is never reassigned');
      const created = toUser(rows[0]!);
      if (context !== undefined) {
        const event: NewEvent<UserCreated> = {
          type: 'UserCreated',
          schemaVersion: 1,
          data: {
            subject: created.subject,
            claims: changedClaims(null, created),
            createdAt: context.now.toISOString(),
          },
          metadata: lifecycleMetadata(context),
        };
        await tx.appendToStream(userStreamId(created.subject), 'any', [event]);
      }
      return created;
    });
  }

  /**
   * Applies an administrator's merge patch to the user (see parseUserUpdate), under a row lock so
   * concurrent updates each see the other's result; null for an unknown user. The names of the
   * claims it changed are recorded (UserUpdated) in the same transaction; a patch that changes
   * nothing records nothing.
   */
  async updateUser(subject: string, patch: unknown, context: LifecycleContext): Promise<User | null> {
    return this.changing(async (tx) => {
      const rows: UserRow[] = await tx.query(`SELECT ${USER_ROW_COLUMNS} FROM users WHERE subject = $1 FOR UPDATE`, [
        subject,
      ]);
      if (!rows[0]) return null;
      const updated: UserRow[] = await namingConflicts(() =>
        tx.query(
          `WITH updated AS (
             UPDATE users SET (${WRITTEN_COLUMNS}, updated_at) = (${WRITTEN_PLACEHOLDERS}, now()) WHERE subject = $1
             RETURNING ${USER_ROW_COLUMNS})
           SELECT * FROM updated`,
          userValues(parseUserUpdate(toUser(rows[0]!), patch)),
        ),
      );
      const [before, after] = [toUser(rows[0]!), toUser(updated[0]!)];
      const claims = changedClaims(before, after);
      if (claims.length > 0) {
        const event: NewEvent<UserUpdated> = {
          type: 'UserUpdated',
          schemaVersion: 1,
          data: { subject, claims, updatedAt: context.now.toISOString() },
          metadata: lifecycleMetadata(context),
        };
        await tx.appendToStream(userStreamId(subject), 'any', [event]);
      }
      return after;
    });
  }

  async findBySubject(subject: string): Promise<User | null> {
    const rows: UserRow[] = await this.sql(prepared(`SELECT ${USER_ROW_COLUMNS} FROM users WHERE subject = $1`), [
      subject,
    ]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  /** The user with this e-mail address (any letter case) or phone number: a claim names its kind. */
  async findByClaim(claim: 'email' | 'phone_number', value: string): Promise<User | null> {
    const rows: UserRow[] = await this.sql(
      prepared(`SELECT ${USER_ROW_COLUMNS} FROM users WHERE ${claim === 'email' ? 'email' : 'phone_number'} = $1`),
      [claim === 'email' ? value.toLowerCase() : value],
    );
    return rows[0] ? toUser(rows[0]) : null;
  }

  /**
   * A login_hint names a user by sub, username, e-mail address (case-insensitive) or phone number.
   * Each is unique only within its own kind, so a hint that names two different users (one's
   * username is another's e-mail address) names nobody: asking either could prompt the wrong person.
   */
  async findByLoginHint(hint: string): Promise<User | null> {
    return this.cache.through(`login_hint ${hint}`, async () => {
      const rows: UserRow[] = await this.sql(
        prepared(`SELECT ${USER_ROW_COLUMNS} FROM users
         WHERE subject = $1 OR username = $1 OR email = $2 OR phone_number = $1
         LIMIT 2`),
        [hint, hint.toLowerCase()],
      );
      return rows.length === 1 ? toUser(rows[0]!) : null;
    });
  }
}

/** The names of the claims (as the admin API shows them) whose values differ; a new user's (before: null) are those given. */
function changedClaims(before: User | null, after: User): string[] {
  const [was, is] = [before === null ? {} : userResponse(before), userResponse(after)];
  return [...new Set([...Object.keys(was), ...Object.keys(is)])]
    .filter(
      (claim) => !NOT_CLAIMS.has(claim) && JSON.stringify(was[claim] ?? null) !== JSON.stringify(is[claim] ?? null),
    )
    .sort();
}

/** Members of the admin API's user that no administrator writes as a claim (the sub is the stream's). */
const NOT_CLAIMS: ReadonlySet<string> = new Set(['sub', 'updated_at', 'disabled_at']);

/** The values of WRITTEN_COLUMNS. */
function userValues(user: NewUser): unknown[] {
  return [
    user.subject,
    user.username,
    user.email,
    user.phoneNumber,
    user.name,
    ...PROFILE_CLAIM_NAMES.map((claim) => user.claims[claim] ?? null),
  ];
}

function toUser(row: UserRow): User {
  return {
    subject: row.subject,
    username: row.username,
    email: row.email,
    phoneNumber: row.phone_number,
    name: row.name,
    claims: Object.fromEntries(
      PROFILE_CLAIM_NAMES.flatMap((claim) => (row[claim] === null ? [] : [[claim, row[claim]]])),
    ),
    updatedAt: row.updated_at.toISOString(),
    ...(row.disabled_at !== null && { disabledAt: row.disabled_at.toISOString() }),
  };
}

/** Runs a write, turning a violated unique constraint into the conflict it means. */
async function namingConflicts<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const field = UNIQUE_FIELDS[violatedConstraint(error, UNIQUE_VIOLATION) ?? ''];
    if (field) throw new DirectoryConflictError(field);
    throw error;
  }
}
