import { setTimeout as sleep } from 'node:timers/promises';

/** Polls `condition` until it holds; fails with `description` after `timeoutMs`. */
export async function eventually(
  description: string,
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${description}`);
    await sleep(20);
  }
}
