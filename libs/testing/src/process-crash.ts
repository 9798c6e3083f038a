import { setTimeout as sleep } from 'node:timers/promises';

/** Ends a process with SIGKILL, as a crash would (nothing is flushed or handed over); resolves once it is gone. */
export async function crashProcess(pid: number): Promise<void> {
  process.kill(pid, 'SIGKILL');
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    await sleep(50);
  }
}
