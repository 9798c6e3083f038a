import {
  type Attributes,
  type Context,
  type Link,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  context,
  propagation,
  trace,
} from '@opentelemetry/api';
import type { SpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';

export { SpanKind, SpanStatusCode, type Context, type Span };

const TRACER = 'backchannel';

/**
 * Turns tracing on, configured by OpenTelemetry's own variables: on only when OTEL_TRACES_EXPORTER
 * names `otlp` (OTLP over HTTP: OTEL_EXPORTER_OTLP_ENDPOINT, ..._HEADERS, ...) or `console`, and
 * OTEL_SDK_DISABLED is not `true`; the service is OTEL_SERVICE_NAME, else `backchannel-<service>`;
 * spans are batched (OTEL_BSP_SCHEDULE_DELAY, default 5 s). Off, every span below is OpenTelemetry's
 * no-op, and the SDK is not even loaded (its modules cost every service some megabytes). Returns
 * what flushes and stops it at shutdown.
 */
export async function startTracing(
  service: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<TracerProvider | null> {
  if (env.OTEL_SDK_DISABLED === 'true') return null;
  const exporters = (env.OTEL_TRACES_EXPORTER ?? 'none').split(',').map((name) => name.trim());
  const toOtlp = exporters.includes('otlp');
  const toConsole = exporters.includes('console');
  if (!toOtlp && !toConsole) return null;
  // one after the other: Jest's module loader fails imports in parallel that share modules
  const { AsyncLocalStorageContextManager } = await import('@opentelemetry/context-async-hooks');
  const { W3CTraceContextPropagator } = await import('@opentelemetry/core');
  const { resourceFromAttributes } = await import('@opentelemetry/resources');
  const sdk = await import('@opentelemetry/sdk-trace');
  // the SDK reads no OTEL_BSP_* variable itself any more: the standard one for the export delay is read here
  const delay = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  const batching = Number.isInteger(delay) && delay > 0 ? { scheduledDelayMillis: delay } : {};
  const spanProcessors: SpanProcessor[] = [];
  if (toOtlp) {
    const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
    spanProcessors.push(new sdk.BatchSpanProcessor({ exporter: new OTLPTraceExporter(), ...batching }));
  }
  if (toConsole) {
    spanProcessors.push(new sdk.BatchSpanProcessor({ exporter: new sdk.ConsoleSpanExporter(), ...batching }));
  }
  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({ 'service.name': env.OTEL_SERVICE_NAME ?? `backchannel-${service}` }),
    spanProcessors,
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return provider;
}

/** The W3C `traceparent` of the active span (for an event's metadata, a header); undefined untraced. */
export function currentTraceparent(): string | undefined {
  const carrier: Record<string, string> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent;
}

/** The context a `traceparent` (or a request's headers) continues; the empty context without one. */
export function contextOf(carrier: { traceparent?: string } | Record<string, unknown> | undefined): Context {
  return carrier ? propagation.extract(ROOT_CONTEXT, carrier) : ROOT_CONTEXT;
}

/** A span begun here and ended by the caller (an HTTP request's, whose end is in another hook). */
export function beginSpan(name: string, kind: SpanKind, parent: Context, attributes: Attributes = {}): Span {
  return trace.getTracer(TRACER).startSpan(name, { kind, attributes }, parent);
}

/** The context in which `span` is the active one. */
export function contextWithSpan(parent: Context, span: Span): Context {
  return trace.setSpan(parent, span);
}

export function activeContext(): Context {
  return context.active();
}

export function runInContext<T>(active: Context, work: () => T): T {
  return context.with(active, work);
}

/**
 * Runs `work` in a new span, active for it (what it appends or calls joins the trace): a child of
 * `parent` (default: the active context), linked to `links`; ended when `work` settles, a failure
 * recorded on it.
 */
export async function inSpan<T>(
  name: string,
  options: { kind?: SpanKind; parent?: Context; links?: Link[]; attributes?: Attributes },
  work: (span: Span) => Promise<T>,
): Promise<T> {
  const parent = options.parent ?? context.active();
  const span = trace
    .getTracer(TRACER)
    .startSpan(
      name,
      { kind: options.kind ?? SpanKind.INTERNAL, links: options.links, attributes: options.attributes },
      parent,
    );
  return context.with(trace.setSpan(parent, span), async () => {
    try {
      return await work(span);
    } catch (error) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR });
      throw error;
    } finally {
      span.end();
    }
  });
}

/** A link to the active span, if one is being recorded (for work that continues another trace). */
export function linkToActiveSpan(): Link[] {
  const active = trace.getSpan(context.active())?.spanContext();
  return active && trace.isSpanContextValid(active) ? [{ context: active }] : [];
}

/** Links to the spans that recorded these events (those traced), e.g. from a batch that carries them. */
export function linksToEvents(events: readonly { metadata: { traceparent?: string } }[]): Link[] {
  return events.flatMap((event) => {
    const spanContext = trace.getSpanContext(contextOf(event.metadata));
    return spanContext && trace.isSpanContextValid(spanContext) ? [{ context: spanContext }] : [];
  });
}

/** The trace id of a context's span, if any. */
export function traceIdOf(active: Context): string | undefined {
  const spanContext = trace.getSpan(active)?.spanContext();
  return spanContext && trace.isSpanContextValid(spanContext) ? spanContext.traceId : undefined;
}

/** The active span's trace and span ids, for log lines. */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const spanContext = trace.getSpan(context.active())?.spanContext();
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}
