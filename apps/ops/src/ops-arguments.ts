import type { ParseArgsConfig } from 'node:util';

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * The command line as node:util's parseArgs should read it. Identifiers are base64url, so one in
 * 64 starts with a dash (a kid, an auth_req_id, a client id), which parseArgs alone takes for an
 * option: here an option's value is the argument after it unless that is one of the
 * command's options, and an argument with a single dash is a positional (ops has no short
 * options). Arguments after `--` stay positionals; an unknown `--name` is left for parseArgs to refuse.
 */
export function opsArguments(args: readonly string[], options: Options): string[] {
  const isOption = (arg: string) => arg.startsWith('--') && Object.hasOwn(options, arg.slice(2).split('=')[0]!);
  const flags: string[] = [];
  const positionals: string[] = [];
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') {
      positionals.push(...args.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--')) {
      positionals.push(arg);
      continue;
    }
    const value = args[i + 1];
    // `--name=value` names no option here, so it is passed on as it is
    if (options[arg.slice(2)]?.type === 'string' && value !== undefined && !isOption(value)) {
      flags.push(`${arg}=${value}`);
      i += 1;
    } else {
      flags.push(arg);
    }
  }
  return positionals.length > 0 ? [...flags, '--', ...positionals] : flags;
}
