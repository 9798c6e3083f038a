// The built-in authenticator: enrolment with a passkey, the user's pending sign-in requests, and
// decisions signed with the passkey. Plain browser JavaScript, no build step. Text from the server
// (client names, scopes, binding messages) only ever reaches the page through textContent.

const API = '/authenticator/api';
const DEVICE_STORAGE_KEY = 'backchannel.authenticator.device';
const REFRESH_MS = 5000;
const SCREENS = ['screen-loading', 'screen-not-enrolled', 'screen-enrol', 'screen-requests', 'screen-request'];

const NO_LONGER_WAITING = 'This request is no longer waiting for you.';

const DECIDED_MESSAGES = {
  approve: 'Approved. You can go back to where you started.',
  deny: 'Denied.',
  not_me: 'Denied, and recorded as a request you did not make.',
};

const element = (id) => document.getElementById(id);

const state = {
  device: loadDevice(),
  /** What the address shows: the list, one request, an enrolment, or "not enrolled". */
  view: { name: 'list' },
  /** The pending requests as last listed, and when (for the countdowns). */
  requests: [],
  listedAt: 0,
  listed: false,
  /** The answer given to the request on screen, once recorded. */
  answered: null,
  busy: false,
};

class ApiError extends Error {
  constructor(status, description) {
    super(description);
    this.status = status;
  }
}

function loadDevice() {
  try {
    const device = JSON.parse(localStorage.getItem(DEVICE_STORAGE_KEY) ?? 'null');
    return device && typeof device.deviceToken === 'string' ? device : null;
  } catch {
    return null;
  }
}

function saveDevice(device) {
  localStorage.setItem(DEVICE_STORAGE_KEY, JSON.stringify(device));
  state.device = device;
}

function forgetDevice() {
  localStorage.removeItem(DEVICE_STORAGE_KEY);
  state.device = null;
}

async function api(method, path, body) {
  const headers = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = 'application/json';
  if (state.device) headers.authorization = `Bearer ${state.device.deviceToken}`;
  const response = await fetch(`${API}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    cache: 'no-store',
  });
  const text = await response.text();
  let answer = null;
  try {
    answer = text ? JSON.parse(text) : null;
  } catch {
    // not JSON (a proxy's error page): the status says enough
  }
  if (!response.ok) {
    throw new ApiError(response.status, answer?.error_description ?? `The server answered ${response.status}.`);
  }
  return answer;
}

function messageOf(error) {
  if (error instanceof ApiError) return error.message;
  if (error?.name === 'NotAllowedError') return 'The passkey prompt was cancelled or timed out. Try again.';
  return error?.message || 'Something went wrong. Try again.';
}

/**
 * Text as sent, except that characters which would act instead of show (controls other than line
 * breaks and tabs, bidi overrides and isolates) are written out as U+XXXX, so they cannot reorder
 * or hide what the user reads. /bc-authorize refuses them in binding messages; this is the backstop.
 */
function withVisibleControls(text) {
  return text.replace(
    /(?![\n\t])[\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069]/gu,
    (char) => `[U+${char.codePointAt(0).toString(16).toUpperCase().padStart(4, '0')}]`,
  );
}

function show(screen) {
  for (const id of SCREENS) element(id).hidden = id !== screen;
}

function passkeysSupported() {
  return typeof SimpleWebAuthnBrowser !== 'undefined' && SimpleWebAuthnBrowser.browserSupportsWebAuthn();
}

// ---- routing: #/enrol/<code>, #/requests/<request id>, #/ (the list) ----

function viewOf(hash) {
  const path = hash.replace(/^#/, '') || '/';
  const enrolment = /^\/enrol\/([A-Za-z0-9_-]+)$/.exec(path);
  if (enrolment) return { name: 'enrol', code: enrolment[1] };
  if (!state.device) return { name: 'not-enrolled' };
  const request = /^\/requests\/([^/]+)$/.exec(path);
  if (request) return { name: 'request', requestId: decodeURIComponent(request[1]) };
  return { name: 'list' };
}

function route() {
  const view = viewOf(location.hash);
  if (view.name !== 'request' || view.requestId !== state.view.requestId) {
    state.answered = null;
    element('decision-status').textContent = '';
  }
  state.view = view;
  if (view.name === 'enrol') showEnrolment(view.code);
  render();
}

function navigate(path) {
  // replaceState, so an enrolment code does not stay in the history
  history.replaceState(null, '', `#${path}`);
  route();
}

function render() {
  switch (state.view.name) {
    case 'enrol':
      return show('screen-enrol');
    case 'not-enrolled':
      return show('screen-not-enrolled');
    case 'list':
      if (!state.listed) return show('screen-loading');
      show('screen-requests');
      renderRequests();
      return tick();
    case 'request':
      if (!state.listed) return show('screen-loading');
      show('screen-request');
      renderRequest();
      return tick();
  }
}

// ---- enrolment ----

function showEnrolment(code) {
  const button = element('enrol-button');
  const supported = passkeysSupported();
  button.disabled = !supported;
  element('enrol-status').textContent = supported ? '' : 'This browser cannot create passkeys.';
  button.onclick = () => enrol(code);
}

async function enrol(code) {
  const button = element('enrol-button');
  const status = element('enrol-status');
  button.disabled = true;
  status.textContent = 'Creating your passkey…';
  try {
    const optionsJSON = await api('POST', '/enrolment/options', { code });
    const response = await SimpleWebAuthnBrowser.startRegistration({ optionsJSON });
    const name = element('device-name').value.trim();
    const device = await api('POST', '/enrolment/verify', { code, response, ...(name && { device_name: name }) });
    saveDevice({ deviceId: device.device_id, deviceToken: device.device_token });
    status.textContent = 'This device is set up.';
    subscribeToPush({ ask: true });
    await refreshRequests();
    navigate('/');
  } catch (error) {
    status.textContent = messageOf(error);
    button.disabled = false;
  }
}

// ---- Web Push: optional; without it the list still refreshes while the app is open ----

function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.register('/authenticator/sw.js', { scope: '/authenticator/' }).catch(() => {
    setPushStatus(false);
  });
  // from sw.js: a request was pushed, or its notification was clicked
  navigator.serviceWorker.addEventListener('message', (event) => {
    if (event.data?.type === 'request') refreshRequests();
    if (event.data?.type === 'open' && typeof event.data.requestId === 'string') {
      location.hash = `#/requests/${encodeURIComponent(event.data.requestId)}`;
    }
  });
}

function withTimeout(promise, milliseconds) {
  return Promise.race([
    promise,
    new Promise((_, reject) => setTimeout(() => reject(new Error('timed out')), milliseconds)),
  ]);
}

function base64urlToBytes(value) {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64.padEnd(Math.ceil(base64.length / 4) * 4, '=')), (char) => char.charCodeAt(0));
}

/** Subscribes this device to Web Push; `ask` asks for the permission (only right after a user action). */
async function subscribeToPush({ ask }) {
  try {
    if (!('serviceWorker' in navigator) || !('PushManager' in window) || !('Notification' in window)) {
      throw new Error('Web Push is not supported');
    }
    let permission = Notification.permission;
    if (permission === 'default' && ask) permission = await Notification.requestPermission();
    if (permission !== 'granted') throw new Error('notifications are not allowed');
    const registration = await withTimeout(navigator.serviceWorker.ready, 10_000);
    const { public_key: publicKey } = await api('GET', '/push-key');
    const subscription =
      (await registration.pushManager.getSubscription()) ??
      (await registration.pushManager.subscribe({
        userVisibleOnly: true,
        applicationServerKey: base64urlToBytes(publicKey),
      }));
    await api('POST', '/push-subscription', subscription.toJSON());
    setPushStatus(true);
  } catch {
    setPushStatus(false);
  }
}

function setPushStatus(on) {
  const badge = element('push-status');
  badge.hidden = false;
  badge.dataset.state = on ? 'on' : 'off';
  badge.textContent = on ? 'Notifications on' : 'Notifications off';
  // the permission can still be asked for, with a click
  element('push-button').hidden = on || !('Notification' in window) || Notification.permission !== 'default';
}

// ---- the list of pending requests ----

async function refreshRequests() {
  if (!state.device) return;
  try {
    state.requests = await api('GET', '/requests');
    state.listedAt = Date.now();
    state.listed = true;
    element('connection-status').textContent = '';
  } catch (error) {
    if (error.status === 401) {
      forgetDevice();
      element('not-enrolled-reason').textContent = 'This device is no longer enrolled. Ask for a new enrolment link.';
      route();
      return;
    }
    element('connection-status').textContent = messageOf(error);
  }
  render();
}

function secondsLeft(request) {
  return Math.max(0, Math.round(request.expires_in - (Date.now() - state.listedAt) / 1000));
}

function formatTimeLeft(seconds) {
  if (seconds <= 0) return 'expired';
  const minutes = Math.floor(seconds / 60);
  return `${minutes}:${String(seconds % 60).padStart(2, '0')}`;
}

function renderRequests() {
  const list = element('request-list');
  const ids = state.requests.map((request) => request.request_id).join(' ');
  element('requests-empty').hidden = state.requests.length > 0;
  // rebuilt only when the requests change, so the periodic refresh does not churn the page
  if (list.dataset.ids === ids) return;
  list.dataset.ids = ids;
  list.replaceChildren(
    ...state.requests.map((request) => {
      const item = document.createElement('li');
      item.dataset.testid = 'request-item';
      item.dataset.requestId = request.request_id;
      const link = document.createElement('a');
      link.href = `#/requests/${encodeURIComponent(request.request_id)}`;
      const name = document.createElement('span');
      name.className = 'client-name';
      name.textContent = withVisibleControls(request.client_name);
      const timeLeft = document.createElement('span');
      timeLeft.className = 'time-left';
      timeLeft.dataset.requestId = request.request_id;
      link.append(name, timeLeft);
      item.append(link);
      return item;
    }),
  );
}

// ---- one request, and the decision ----

function currentRequest() {
  return state.view.name === 'request'
    ? state.requests.find((request) => request.request_id === state.view.requestId)
    : undefined;
}

function renderRequest() {
  const request = currentRequest();
  if (request) {
    element('client-name').textContent = withVisibleControls(request.client_name);
    // the scopes, then the claims asked for one by one, each in the words the server chose
    element('scope-list').replaceChildren(
      ...request.scopes.map(({ scope, description }) => listItem(description, scope)),
      ...request.claims.map(({ claim, description }) => listItem(description, claim)),
    );
    element('details-box').hidden = request.authorization_details.length === 0;
    element('details-list').replaceChildren(...request.authorization_details.map(detailCard));
    element('binding-message-box').hidden = request.binding_message === null;
    element('binding-message').textContent = withVisibleControls(request.binding_message ?? '');
  }
  const status = element('decision-status');
  if (!request && !state.answered) status.textContent = NO_LONGER_WAITING;
  else if (request && status.textContent === NO_LONGER_WAITING) status.textContent = '';
  const open = request !== undefined && state.answered === null;
  element('decision-actions').hidden = !open;
  element('time-left').hidden = !open;
}

function listItem(text, title) {
  const item = document.createElement('li');
  item.textContent = text;
  item.title = title;
  return item;
}

/** One RFC 9396 authorization detail: its type's description, then each field as label and text. */
function detailCard({ type, description, fields }) {
  const card = document.createElement('section');
  card.className = 'detail-card';
  card.dataset.testid = 'authorization-detail';
  const heading = document.createElement('h3');
  heading.textContent = description;
  heading.title = type;
  const list = document.createElement('dl');
  for (const { label, value } of fields) {
    const term = document.createElement('dt');
    term.textContent = label;
    const text = document.createElement('dd');
    text.textContent = value;
    text.dir = 'auto';
    list.append(term, text);
  }
  card.append(heading, list);
  return card;
}

async function decide(decision) {
  const path = `/requests/${encodeURIComponent(state.view.requestId)}`;
  const status = element('decision-status');
  setBusy(true);
  status.textContent = 'Confirm with your passkey…';
  try {
    const optionsJSON = await api('POST', `${path}/challenge`, { decision });
    const response = await SimpleWebAuthnBrowser.startAuthentication({ optionsJSON });
    await api('POST', `${path}/decision`, { decision, response });
    state.answered = decision;
    status.textContent = DECIDED_MESSAGES[decision];
    await refreshRequests();
  } catch (error) {
    status.textContent = messageOf(error);
  } finally {
    setBusy(false);
  }
}

function setBusy(busy) {
  state.busy = busy;
  tick();
}

// ---- countdowns: from the seconds the server gave, so this device's clock does not matter ----

function tick() {
  for (const timeLeft of element('request-list').querySelectorAll('.time-left')) {
    const request = state.requests.find((candidate) => candidate.request_id === timeLeft.dataset.requestId);
    if (request) timeLeft.textContent = formatTimeLeft(secondsLeft(request));
  }
  const current = currentRequest();
  const seconds = current ? secondsLeft(current) : 0;
  element('countdown').textContent = formatTimeLeft(seconds);
  for (const id of ['approve-button', 'deny-button', 'not-me-button']) {
    element(id).disabled = state.busy || seconds <= 0;
  }
}

// ---- start ----

element('approve-button').addEventListener('click', () => decide('approve'));
element('deny-button').addEventListener('click', () => decide('deny'));
element('not-me-button').addEventListener('click', () => decide('not_me'));
element('push-button').addEventListener('click', () => subscribeToPush({ ask: true }));
window.addEventListener('hashchange', route);
document.addEventListener('visibilitychange', () => {
  if (document.visibilityState === 'visible') refreshRequests();
});
setInterval(refreshRequests, REFRESH_MS);
setInterval(tick, 1000);
registerServiceWorker();
route();
if (state.device) {
  refreshRequests();
  subscribeToPush({ ask: false });
}
