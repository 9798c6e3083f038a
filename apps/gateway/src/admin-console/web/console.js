// The admin console: plain JS, no inline code (CSP). The admin token lives in sessionStorage only
// for this tab; every figure comes from /admin/v1/console/*, and text is only ever set as text.
'use strict';

const TOKEN_KEY = 'backchannel-admin-token';
const $ = (id) => document.getElementById(id);

function element(tag, text, className) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = String(text);
  if (className) node.className = className;
  return node;
}

function row(cells) {
  const tr = document.createElement('tr');
  for (const cell of cells) tr.append(cell instanceof Node ? wrap(cell) : element('td', cell));
  return tr;
}

function wrap(node) {
  const td = document.createElement('td');
  td.append(node);
  return td;
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : '');

async function api(path, options = {}) {
  const response = await fetch(`/admin/v1/console/${path}`, {
    ...options,
    headers: { authorization: `Bearer ${sessionStorage.getItem(TOKEN_KEY)}` },
  });
  if (response.status === 401) {
    signOut('The admin token was refused.');
    throw new Error('unauthorized');
  }
  if (!response.ok) throw new Error(`${path}: ${response.status}`);
  return response.json();
}

async function showRequests() {
  const { requests } = await api('requests?limit=50');
  const rows = $('request-rows');
  rows.replaceChildren();
  for (const request of requests) {
    const tr = row([
      when(request.requestedAt),
      element('span', request.requestId, 'mono'),
      request.clientId,
      request.subject,
      request.deliveryMode,
      element('span', request.status, `status status-${request.status}`),
    ]);
    tr.className = 'request';
    tr.dataset.streamId = request.streamId;
    tr.addEventListener('click', () => showTimeline(request).catch(report));
    rows.append(tr);
  }
  $('no-requests').hidden = requests.length > 0;
}

async function showTimeline(request) {
  const { events } = await api(`requests/${encodeURIComponent(request.streamId)}/timeline`);
  $('timeline-request').textContent = request.requestId;
  const list = $('timeline-events');
  list.replaceChildren();
  for (const event of events) {
    const item = element('li');
    item.append(element('strong', event.type), ` v${event.version} at ${when(event.at)} by ${event.actor}`);
    item.append(element('pre', JSON.stringify(event.facts, null, 2)));
    list.append(item);
  }
  $('timeline').hidden = false;
}

async function verify() {
  const result = $('verification-result');
  result.className = '';
  result.textContent = 'Verifying every chain and checkpoint…';
  const verified = await api('verification', { method: 'POST' });
  const broken = verified.breaks.length + verified.checkpoints.breaks.length;
  result.className = broken === 0 ? 'ok' : 'error';
  result.textContent =
    `${verified.events} events in ${verified.streams} streams: ` +
    (broken === 0 ? 'every chain holds' : `${broken} broken`) +
    `; ${verified.checkpoints.checkpoints} signed checkpoints, ` +
    `${verified.checkpoints.uncoveredEvents} events not covered by one yet (verified ${when(verified.verifiedAt)}).`;
}

async function showConsumers() {
  const { readers } = await api('consumers');
  const rows = $('consumer-rows');
  rows.replaceChildren(...readers.map((reader) => row([reader.subscription, reader.behind, when(reader.updated_at)])));
}

async function showDeadLetters() {
  const { deadLetters } = await api('dead-letters');
  const rows = $('dead-letter-rows');
  rows.replaceChildren(
    ...deadLetters.map((letter) =>
      row([
        letter.id,
        when(letter.failedAt),
        letter.consumerGroup,
        `${letter.headers.eventType ?? 'not an event'} ${letter.key ?? ''}`,
        `${letter.kind}: ${letter.errorName}: ${letter.errorMessage}`,
      ]),
    ),
  );
  $('no-dead-letters').hidden = deadLetters.length > 0;
}

function report(error) {
  if (error.message !== 'unauthorized') console.error(error);
}

async function refresh() {
  await Promise.all([showRequests(), showConsumers(), showDeadLetters()]);
}

function signOut(message) {
  sessionStorage.removeItem(TOKEN_KEY);
  $('dashboard').hidden = true;
  $('sign-out').hidden = true;
  $('sign-in').hidden = false;
  $('sign-in-error').hidden = !message;
  $('sign-in-error').textContent = message ?? '';
}

async function signIn(token) {
  sessionStorage.setItem(TOKEN_KEY, token);
  await refresh();
  $('sign-in').hidden = true;
  $('dashboard').hidden = false;
  $('sign-out').hidden = false;
}

document.addEventListener('DOMContentLoaded', () => {
  $('sign-in-form').addEventListener('submit', (event) => {
    event.preventDefault();
    signIn($('admin-token').value).catch(report);
  });
  $('sign-out').addEventListener('click', () => signOut());
  $('refresh').addEventListener('click', () => refresh().catch(report));
  $('verify').addEventListener('click', () => verify().catch(report));
  if (sessionStorage.getItem(TOKEN_KEY)) signIn(sessionStorage.getItem(TOKEN_KEY)).catch(report);
});
