import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './free-port.js';
import { crashProcess } from './process-crash.js';

const kafkaScript = fileURLToPath(new URL('../../../deploy/kafka/kafka.sh', import.meta.url));

/**
 * A broker of its own (deploy/kafka/kafka.sh on free ports, data in a temporary folder), for tests
 * that stop and restart Kafka: the shared broker on 9092 must never be stopped.
 */
export class PrivateKafkaBroker {
  private constructor(
    private readonly home: string,
    private readonly port: number,
    private readonly controllerPort: number,
  ) {}

  static async start(): Promise<PrivateKafkaBroker> {
    const broker = new PrivateKafkaBroker(
      await mkdtemp(join(tmpdir(), 'messaging-kafka-')),
      await freePort(),
      await freePort(),
    );
    await broker.run('start');
    return broker;
  }

  get brokers(): string[] {
    return [`127.0.0.1:${this.port}`];
  }

  stop(): Promise<void> {
    return this.run('stop');
  }

  /** Ends the broker with SIGKILL, as a crash would: nothing is flushed or handed over. */
  async crash(): Promise<void> {
    await crashProcess(Number((await readFile(join(this.home, 'kafka.pid'), 'utf8')).trim()));
  }

  /** Starts again on the same data. */
  resume(): Promise<void> {
    return this.run('resume');
  }

  async destroy(): Promise<void> {
    await this.stop();
    await rm(this.home, { recursive: true, force: true });
  }

  private async run(command: 'start' | 'stop' | 'resume'): Promise<void> {
    await promisify(execFile)('bash', [kafkaScript, command], {
      env: {
        ...process.env,
        KAFKA_HOME: this.home,
        KAFKA_PORT: String(this.port),
        KAFKA_CONTROLLER_PORT: String(this.controllerPort),
      },
    });
  }
}
