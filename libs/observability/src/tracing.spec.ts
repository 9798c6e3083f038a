import { describe, expect, it } from '@jest/globals';
import { currentTraceparent, inSpan, startTracing } from './tracing.js';

describe('startTracing', () => {
  it('stays off without an exporter, or when the SDK is disabled: spans are no-ops', async () => {
    expect(await startTracing('test', {})).toBeNull();
    expect(await startTracing('test', { OTEL_TRACES_EXPORTER: 'none' })).toBeNull();
    expect(await startTracing('test', { OTEL_TRACES_EXPORTER: 'console', OTEL_SDK_DISABLED: 'true' })).toBeNull();
    expect(await inSpan('untraced', {}, async () => currentTraceparent())).toBeUndefined();
  });

  it('loads the SDK when an exporter is named, and spans then carry a trace context', async () => {
    const provider = await startTracing('test', { OTEL_TRACES_EXPORTER: 'console', OTEL_BSP_SCHEDULE_DELAY: '60000' });
    expect(provider).not.toBeNull();
    try {
      expect(await inSpan('traced', {}, async () => currentTraceparent())).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    } finally {
      await provider!.shutdown();
    }
  });
});
