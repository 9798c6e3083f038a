import { kafkaSecurityFromEnvironment } from '@backchannel/config';
import { readStoredEventsBetween } from '@backchannel/event-store';
import { Topics, topicForStream } from '@backchannel/events';
import { KafkaConnection, produceRequests } from '@backchannel/messaging';
import { type ExitCode, type OpsContext, UsageError } from '../ops-context.js';
import { instant } from './export.js';

export const REPUBLISH_HELP = `usage: ops republish --from <time> --to <time> [--topic <topic>] [--stream <stream id>] [--json]
       (KAFKA_BROKERS names the brokers, default 127.0.0.1:9092; KAFKA_SSL*, KAFKA_SASL_* as for the services)

Sends the events recorded from --from (included) to --to (excluded) to Kafka again, exactly as the
relay sends them: the same topic, keyed by stream id (so a stream stays on one partition, in order),
the same value and headers, with an idempotent producer and acks from all replicas. For a new
consumer that must see old events, or a topic that was lost or repaired. --topic keeps the events
of one topic (${Object.values(Topics).join(', ')}), --stream those of one stream. Consumers
already handle repeats: each effect is idempotent and the decider judges every event.`;

const PAGE = 2_000;
/** Keys and values per produce request, well under Kafka's default 1 MiB message batch. */
const REQUEST_BYTES = 512 * 1024;

export async function republish(
  context: OpsContext,
  env: NodeJS.ProcessEnv,
  options: { from?: unknown; to?: unknown; topic?: unknown; stream?: unknown },
): Promise<ExitCode> {
  const from = instant('from', options.from);
  const to = instant('to', options.to);
  const topic = typeof options.topic === 'string' ? options.topic : null;
  if (topic !== null && !(Object.values(Topics) as string[]).includes(topic)) {
    throw new UsageError(`--topic must be one of ${Object.values(Topics).join(', ')}.`);
  }
  const streamId = typeof options.stream === 'string' ? options.stream : null;
  const brokers = (env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((broker) => broker.trim());
  let security;
  try {
    security = kafkaSecurityFromEnvironment(env);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const producer = await new KafkaConnection({ brokers, clientId: 'backchannel-ops', ...security }).connectProducer();
  let sent = 0;
  try {
    for (let after = '0'; ;) {
      const page = await readStoredEventsBetween(context.sql, { from, to, after, clientId: null, subject: null }, PAGE);
      const chosen = page.filter(
        (event) =>
          (topic === null || topicForStream(event.streamId) === topic) &&
          (streamId === null || event.streamId === streamId),
      );
      for (const request of produceRequests(chosen, REQUEST_BYTES)) {
        await producer.sendBatch({ acks: -1, topicMessages: request });
      }
      sent += chosen.length;
      context.progress(`republished ${sent} events`);
      if (page.length < PAGE) break;
      after = page.at(-1)!.globalPosition;
    }
  } finally {
    await producer.disconnect();
  }
  context.progress('\n');
  if (context.json) context.out(JSON.stringify({ republished: sent }));
  else context.out(`republished ${sent} events`);
  return 0;
}
