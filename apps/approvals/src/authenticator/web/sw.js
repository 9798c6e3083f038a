// The authenticator's service worker: shows a notification for each pushed sign-in request and
// opens that request when the notification is clicked. The push message is the notifier's
// { requestId, clientName, bindingMessage, expiresAt } (see channels/web-push).

self.addEventListener('install', () => self.skipWaiting());

self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));

function pushedRequest(event) {
  try {
    const message = event.data?.json();
    return message && typeof message.requestId === 'string' ? message : null;
  } catch {
    return null;
  }
}

self.addEventListener('push', (event) => {
  const request = pushedRequest(event);
  const title = request?.clientName ? `${request.clientName} asks you to sign in` : 'New sign-in request';
  const body = request?.bindingMessage ? `Check: ${request.bindingMessage}` : 'Open to approve or deny.';
  event.waitUntil(
    Promise.all([
      self.registration.showNotification(title, {
        body,
        icon: '/authenticator/icon.svg',
        tag: request?.requestId ?? 'sign-in-request',
        requireInteraction: true,
        data: { requestId: request?.requestId ?? null },
      }),
      // an open authenticator lists the new request at once
      self.clients
        .matchAll({ type: 'window' })
        .then((windows) => windows.forEach((client) => client.postMessage({ type: 'request' }))),
    ]),
  );
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const requestId = event.notification.data?.requestId;
  const url = requestId ? `/authenticator/#/requests/${encodeURIComponent(requestId)}` : '/authenticator/';
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const open = windows.find((client) => new URL(client.url).pathname.startsWith('/authenticator'));
      if (!open) return self.clients.openWindow(url);
      open.postMessage({ type: 'open', requestId });
      return open.focus();
    }),
  );
});
