import { Injectable } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { violatedConstraint, UNIQUE_VIOLATION } from './constraint-violation.js';
import { DirectoryConflictError } from './directory-errors.js';
import { parseNewUser } from './directory-input.js';
import type { User } from './user.js';

/** The unique constraints of `users` (PostgreSQL's default names) and the field each protects. */
const UNIQUE_FIELDS: Readonly<Record<string, DirectoryConflictError['field']>> = {
  users_pkey: 'sub',
  users_username_key: 'username',
  users_email_key: 'email',
  users_phone_number_key: 'phone_number',
};

const USER_COLUMNS = `subject, username, email, phone_number, name`;

interface UserRow {
  subject: string;
  username: string | null;
  email: string | null;
  phone_number: string | null;
  name: string | null;
}

/** The built-in user directory (table `users`). */
@Injectable()
export class UserDirectory {
  constructor(private readonly dataSource: DataSource) {}

  async createUser(input: unknown): Promise<User> {
    const user = parseNewUser(input);
    try {
      await this.dataSource.query(`INSERT INTO users (${USER_COLUMNS}) VALUES ($1, $2, $3, $4, $5)`, [
        user.subject,
        user.username,
        user.email,
        user.phoneNumber,
        user.name,
      ]);
    } catch (error) {
      const field = UNIQUE_FIELDS[violatedConstraint(error, UNIQUE_VIOLATION) ?? ''];
      if (field) throw new DirectoryConflictError(field);
      throw error;
    }
    return user;
  }

  async findBySubject(subject: string): Promise<User | null> {
    const rows: UserRow[] = await this.dataSource.query(`SELECT ${USER_COLUMNS} FROM users WHERE subject = $1`, [
      subject,
    ]);
    return rows[0] ? toUser(rows[0]) : null;
  }

  /** The user with this e-mail address (any letter case) or phone number: a claim names its kind. */
  async findByClaim(claim: 'email' | 'phone_number', value: string): Promise<User | null> {
    const rows: UserRow[] = await this.dataSource.query(
      `SELECT ${USER_COLUMNS} FROM users WHERE ${claim === 'email' ? 'email' : 'phone_number'} = $1`,
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
    const rows: UserRow[] = await this.dataSource.query(
      `SELECT ${USER_COLUMNS} FROM users
       WHERE subject = $1 OR username = $1 OR email = $2 OR phone_number = $1
       LIMIT 2`,
      [hint, hint.toLowerCase()],
    );
    return rows.length === 1 ? toUser(rows[0]!) : null;
  }
}

function toUser(row: UserRow): User {
  return {
    subject: row.subject,
    username: row.username,
    email: row.email,
    phoneNumber: row.phone_number,
    name: row.name,
  };
}
