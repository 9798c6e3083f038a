import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const apps = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

/** The source files of the services (tests and fixtures aside). */
function serviceSources(): string[] {
  return readdirSync(apps, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !/\.(spec|int-spec|fixture)\.ts$/.test(file))
    .map((file) => path.join(apps, file));
}

/**
 * The user's answers have one writer: the AnswerRecorder. Every door (device API, passkey,
 * channel callback) goes through it, so none can record an answer around its checks.
 */
describe('the writer of answers', () => {
  it('is the AnswerRecorder alone: no other service code issues GiveConsent or DenyConsent', () => {
    const issuing = serviceSources().filter((file) =>
      /type:\s*'(GiveConsent|DenyConsent)'/.test(readFileSync(file, 'utf8')),
    );
    expect(issuing.map((file) => path.relative(apps, file))).toEqual(['approvals/src/answers/answer-recorder.ts']);
  });
});
