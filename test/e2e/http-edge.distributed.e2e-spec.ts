import { expectOAuthError } from './support/expectations.js';
import { describeHttpEdge } from './support/http-edge.scenarios.js';
import { type DistributedStack, startDistributedStack } from './support/stacks.js';

describeHttpEdge('the HTTP edge of the distributed topology', startDistributedStack, (running) => {
  it('answers for a service that is down with 503 temporarily_unavailable and Retry-After, and logs which one', async () => {
    const { api } = running();
    const stack = running().stack as DistributedStack;
    await stack.killService('token');
    try {
      const response = await api.postForm('/token', { grant_type: 'x' });
      expectOAuthError(response, 503, 'temporarily_unavailable');
      expect(response.headers.get('retry-after')).toBe('5');
      expect(JSON.stringify(response.body)).not.toContain('127.0.0.1');
      expect(stack.logs()).toMatch(/"level":"warn".*token at http:\/\/127\.0\.0\.1:\d+ unreachable.*ECONNREFUSED/);
    } finally {
      await stack.startService('token');
    }
  });
});
