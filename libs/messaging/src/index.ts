export { kafkaConsumerOptions } from './recorded-event.kafka-server.js';
export {
  OutboxRelay,
  OUTBOX_RELAY_SUBSCRIPTION,
  type OutboxRelayOptions,
  produceRequests,
} from './outbox-relay.service.js';
export { ConsumerHealth, type ConsumerHealthStatus } from './consumer-health.js';
export { MessagingModule, type KafkaMessagingOptions } from './messaging.module.js';
export { EventStoreTransport, type EventStoreTransportOptions } from './event-store.transport.js';
export { ConsumerHandler, eventConsumer, type EventConsumer } from './event-consumer.js';
export { EventBatch } from './event-batch.js';
export {
  EventHandlerRunner,
  CONSUMER_STREAM_LANES,
  DEFAULT_CONSUMER_STREAM_LANES,
  DEFAULT_HANDLER_RETRY_POLICY,
  HANDLER_RETRY_POLICY,
  type HandlerRetryPolicy,
} from './event-handler.runner.js';
export { KafkaConnection, KAFKA_CONNECTION_OPTIONS, type KafkaConnectionOptions } from './kafka.connection.js';
export { DeadLetters, type DeadLetter } from './dead-letters.js';
export { DeadLetterStore, type DeadLetterSelection, type StoredDeadLetter } from './dead-letter.store.js';
export { DeadLetterRedelivery } from './dead-letter.redelivery.js';
export {
  EventHeaders,
  MalformedEventError,
  toEventMessage,
  decodeRecordedEvent,
  type EventMessage,
} from './recorded-event.codec.js';
export { classifyFailure, type FailureKind } from './failure-classification.js';
export { backoffDelay, type BackoffOptions } from './retry-backoff.js';
export { Wakeup } from './global-log.subscription.js';
export { BackgroundLoop } from './background-loop.js';
export { LOG_READER_LAGS, LOG_READER_LAG_CAP } from './messaging.metrics.js';
