import { type ParseArgsConfig, parseArgs } from 'node:util';
import { opsArguments } from './ops-arguments.js';
import { AUDIT_KEYS_HELP, auditKeys } from './commands/audit-keys.js';
import { CHECKPOINT_HELP, checkpoint } from './commands/checkpoint.js';
import { DEAD_LETTERS_HELP, deadLetters } from './commands/dead-letters.js';
import { EXPORT_HELP, exportEvents, instant } from './commands/export.js';
import { REBUILD_HELP, rebuild } from './commands/rebuild.js';
import { REPUBLISH_HELP, republish } from './commands/republish.js';
import { RESEAL_HELP, reseal } from './commands/reseal.js';
import { ROTATE_SIGNING_KEY_HELP, rotateSigningKey } from './commands/rotate-signing-key.js';
import { TIMELINE_HELP, timeline } from './commands/timeline.js';
import type { VerifyScope } from '@backchannel/crypto';
import { VERIFY_HELP, verify } from './commands/verify.js';
import { type ExitCode, UsageError, contextOf, openDatabase } from './ops-context.js';

const HELP = `usage: ops <command> [options]   (DATABASE_URL names the database)

commands:
  timeline <id>       one request's events in order (auth_req_id, request_id or stream id)
  verify              re-computes the hash chains, checks the signed checkpoints; exit code 1 on any break
  checkpoint          signs the log's head with the audit key
  audit-keys          the audit keys' public halves, as a JWK Set to keep outside the database
  export              the events of a time range as JSON lines, sealed values left out
  rebuild             rebuilds a read model from the log and swaps it in, the services running
  republish           sends the events of a time range to Kafka again, as the relay sent them
  dead-letters        list, retry or discard the messages consumers could not handle
  rotate-signing-key  adds the next token signing key: published now, signing after the lead time
  reseal              seals again under the newest key-encryption key what the tables keep under older ones

Every command takes --json (one JSON document on stdout) and --help.
Exit codes: 0 done, 1 a problem found (a break, nothing found), 2 used wrongly.`;

const COMMANDS = {
  timeline: { help: TIMELINE_HELP, options: {} },
  verify: {
    help: VERIFY_HELP,
    options: {
      stream: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      all: { type: 'boolean' },
      'audit-key': { type: 'string' },
    },
  },
  checkpoint: { help: CHECKPOINT_HELP, options: {} },
  'audit-keys': { help: AUDIT_KEYS_HELP, options: {} },
  export: {
    help: EXPORT_HELP,
    options: { from: { type: 'string' }, to: { type: 'string' }, client: { type: 'string' }, user: { type: 'string' } },
  },
  rebuild: { help: REBUILD_HELP, options: {} },
  republish: {
    help: REPUBLISH_HELP,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      topic: { type: 'string' },
      stream: { type: 'string' },
    },
  },
  'dead-letters': {
    help: DEAD_LETTERS_HELP,
    options: { group: { type: 'string' }, limit: { type: 'string' }, all: { type: 'boolean' } },
  },
  'rotate-signing-key': { help: ROTATE_SIGNING_KEY_HELP, options: {} },
  reseal: { help: RESEAL_HELP, options: {} },
} as const;

type CommandName = keyof typeof COMMANDS;

/** Runs one command line; the exit code is returned, never thrown (usage errors print the help). */
export async function runOps(argv: string[], env: NodeJS.ProcessEnv): Promise<ExitCode> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === 'help') {
    process.stdout.write(`${HELP}\n`);
    return name === undefined ? 2 : 0;
  }
  if (!Object.hasOwn(COMMANDS, name)) {
    process.stderr.write(`unknown command '${name}'\n\n${HELP}\n`);
    return 2;
  }
  const command = COMMANDS[name as CommandName];
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    const options: ParseArgsConfig['options'] = {
      json: { type: 'boolean' },
      help: { type: 'boolean' },
      ...command.options,
    };
    parsed = parseArgs({ args: opsArguments(rest, options), allowPositionals: true, options }) as typeof parsed;
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${command.help}\n`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(`${command.help}\n`);
    return 0;
  }
  let database: Awaited<ReturnType<typeof openDatabase>> | undefined;
  try {
    database = await openDatabase(env);
    const context = contextOf(database, parsed.values.json === true);
    switch (name as CommandName) {
      case 'timeline': {
        const [id] = parsed.positionals;
        if (id === undefined || parsed.positionals.length > 1) throw new UsageError('timeline takes one identifier.');
        return await timeline(context, id);
      }
      case 'verify': {
        if (parsed.positionals.length > 0) throw new UsageError('verify takes no arguments, only options.');
        const { stream, from, to, all } = parsed.values;
        const ranged = from !== undefined || to !== undefined;
        if ([stream !== undefined, ranged, all === true].filter(Boolean).length > 1) {
          throw new UsageError('give --stream, --from and --to, or --all: one of them.');
        }
        const pinned = parsed.values['audit-key'];
        const scope: VerifyScope =
          typeof stream === 'string'
            ? { stream }
            : ranged
              ? { from: instant('from', from), to: instant('to', to) }
              : { all: true };
        return await verify(context, scope, typeof pinned === 'string' ? pinned : null);
      }
      case 'export': {
        if (parsed.positionals.length > 0) throw new UsageError('export takes no arguments, only options.');
        return await exportEvents(context, parsed.values);
      }
      case 'checkpoint': {
        if (parsed.positionals.length > 0) throw new UsageError('checkpoint takes no arguments.');
        return await checkpoint(context, env);
      }
      case 'audit-keys': {
        if (parsed.positionals.length > 0) throw new UsageError('audit-keys takes no arguments.');
        return await auditKeys(context);
      }
      case 'rebuild': {
        const [projection] = parsed.positionals;
        if (projection === undefined || parsed.positionals.length > 1) {
          throw new UsageError('rebuild takes one projection.');
        }
        return await rebuild(context, projection);
      }
      case 'republish': {
        if (parsed.positionals.length > 0) throw new UsageError('republish takes no arguments, only options.');
        return await republish(context, env, parsed.values);
      }
      case 'dead-letters':
        return await deadLetters(context, parsed.positionals, parsed.values);
      case 'rotate-signing-key': {
        if (parsed.positionals.length > 0) throw new UsageError('rotate-signing-key takes no arguments.');
        return await rotateSigningKey(context, env);
      }
      case 'reseal': {
        if (parsed.positionals.length > 0) throw new UsageError('reseal takes no arguments.');
        return await reseal(context, env);
      }
      default:
        throw new Error(`unhandled command ${name}`);
    }
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${command.help}\n`);
    return 2;
  } finally {
    await database?.destroy();
  }
}
