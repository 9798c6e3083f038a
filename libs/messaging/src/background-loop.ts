/**
 * A loop that runs in the background until stopped: `start` launches `body` with an AbortSignal,
 * `stop` aborts it and waits for the body to return (the work in hand finishes first).
 */
export class BackgroundLoop {
  private running: { loop: Promise<void>; stop: AbortController } | null = null;

  constructor(private readonly body: (stopped: AbortSignal) => Promise<void>) {}

  get isRunning(): boolean {
    return this.running !== null;
  }

  start(): void {
    if (this.running) return;
    const stop = new AbortController();
    this.running = { loop: this.body(stop.signal), stop };
  }

  async stop(): Promise<void> {
    const running = this.running;
    if (!running) return;
    running.stop.abort();
    await running.loop;
    this.running = null;
  }
}
