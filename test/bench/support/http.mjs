// The bench's HTTP client: undici with keep-alive connections (one pool per origin), JSON or form
// bodies, the answer parsed as JSON when it is JSON.
import { Agent, request } from 'undici';

const agent = new Agent({ keepAliveTimeout: 30_000, connections: 256, pipelining: 1 });

/** `{ status, body }` for one call; `form` is sent url-encoded, `json` as JSON. */
export async function call(baseUrl, route, { method, headers = {}, form, json } = {}) {
  const body = form ? new URLSearchParams(form).toString() : json ? JSON.stringify(json) : undefined;
  const contentType = form ? 'application/x-www-form-urlencoded' : json ? 'application/json' : undefined;
  const response = await request(`${baseUrl}${route}`, {
    method: method ?? (body === undefined ? 'GET' : 'POST'),
    headers: { ...(contentType ? { 'content-type': contentType } : {}), ...headers },
    body,
    dispatcher: agent,
  });
  const text = await response.body.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  return { status: response.statusCode, body: parsed };
}

export function expectStatus(step, response, status) {
  if (response.status !== status) throw new Error(`${step}: ${response.status} ${JSON.stringify(response.body)}`);
  return response.body;
}

export const basicAuth = (id, secret) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

export async function closeHttp() {
  await agent.close();
}
