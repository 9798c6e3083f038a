import { parseArgs } from 'node:util';
import { opsArguments } from './ops-arguments.js';

describe('opsArguments', () => {
  const options = { stream: { type: 'string' }, 'audit-key': { type: 'string' }, json: { type: 'boolean' } } as const;
  const parse = (...args: string[]) =>
    parseArgs({ args: opsArguments(args, options), allowPositionals: true, options });

  it('takes the argument after an option as its value, when it starts with a dash too (a base64url kid)', () => {
    expect(parse('--stream', 's1', '--audit-key', '-Xy3_k', '--json').values).toEqual({
      stream: 's1',
      'audit-key': '-Xy3_k',
      json: true,
    });
    expect(parse('--audit-key', '--Xy3').values).toEqual({ 'audit-key': '--Xy3' });
  });

  it('takes an identifier that starts with a dash as a positional', () => {
    expect(parse('-Ab9', '--json')).toEqual({ values: { json: true }, positionals: ['-Ab9'] });
    expect(parse('--json', '--', '--Ab9').positionals).toEqual(['--Ab9']);
  });

  it('still refuses an option without its value, and an unknown option', () => {
    expect(() => parse('--audit-key', '--json')).toThrow(/argument missing|ambiguous/);
    expect(() => parse('--audit-key')).toThrow(/argument missing/);
    expect(() => parse('--jsno')).toThrow(/Unknown option '--jsno'/);
  });

  it('leaves the --name=value form as it is', () => {
    expect(parse('--audit-key=-k', 'id').values).toEqual({ 'audit-key': '-k' });
  });
});
