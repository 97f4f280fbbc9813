/* Budget Pay's service worker, served at /sw.js (budgetpay/pwa.py) so that its scope is every
 * page. It shows web pushes (notifications/push.py writes their JSON) and, on a click, opens the
 * page the notification is about. It caches nothing: the pages need the server anyway.
 *
 * Delivery is at-least-once: a push may arrive again under the same id after a crash between
 * sending and marking it sent, so the ids of the last pushes shown are kept and a repeat is
 * not shown twice. They are kept in memory only: the browser stops an idle worker, and by then
 * a repeat would replace the first under its tag rather than add a second. */
"use strict";

var ICON = "/static/budgetpay/icons/icon-192.png";
var BADGE = "/static/budgetpay/icons/badge-96.png";
var FALLBACK_URL = "/notifications/";
var GENERIC_TITLE = "Budget Pay";
var SEEN_LIMIT = 50;
var MAX_TEXT = 1000;

var seenIds = [];

/* True the first time an id is seen (remembering it), false for a repeat. A push without an id
 * is always shown. */
function firstSight(id) {
  if (id === undefined || id === null || id === "") return true;
  var key = String(id);
  if (seenIds.indexOf(key) !== -1) return false;
  seenIds.push(key);
  if (seenIds.length > SEEN_LIMIT) seenIds.shift();
  return true;
}

/* The page a notification opens: a path on this site, else the notifications page. A full URL,
 * a protocol-relative "//host" or anything else that could lead off the site is refused. */
function targetUrl(url, origin) {
  if (typeof url !== "string" || url.charAt(0) !== "/" || url.charAt(1) === "/" || url.charAt(1) === "\\") {
    return new URL(FALLBACK_URL, origin).href;
  }
  var resolved;
  try {
    resolved = new URL(url, origin);
  } catch (error) {
    return new URL(FALLBACK_URL, origin).href;
  }
  return resolved.origin === new URL(origin).origin ? resolved.href : new URL(FALLBACK_URL, origin).href;
}

function text(value, fallback) {
  return typeof value === "string" && value ? value.slice(0, MAX_TEXT) : fallback;
}

/* What a push says, from its payload: the server's JSON, or plain text shown as it is. */
function pushNotification(raw) {
  var payload = null;
  try {
    payload = JSON.parse(raw);
  } catch (error) {
    payload = null;
  }
  if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
    return { id: null, title: GENERIC_TITLE, options: { body: text(raw, "You have a new notification."), icon: ICON, badge: BADGE, data: { url: FALLBACK_URL } } };
  }
  var id = payload.id !== undefined && payload.id !== null ? payload.id : payload.notification_id;
  var options = {
    body: text(payload.message, ""),
    icon: ICON,
    badge: BADGE,
    data: { url: typeof payload.url === "string" ? payload.url : FALLBACK_URL, id: id, notification_id: payload.notification_id },
    renotify: false,
  };
  if (typeof payload.tag === "string" && payload.tag) options.tag = payload.tag;
  if (typeof payload.created_at === "string") {
    var at = Date.parse(payload.created_at);
    if (!isNaN(at)) options.timestamp = at;
  }
  return { id: id, title: text(payload.title, GENERIC_TITLE), options: options };
}

function onPush(event) {
  var shown = pushNotification(event.data ? event.data.text() : "");
  if (!firstSight(shown.id)) return;
  event.waitUntil(self.registration.showNotification(shown.title, shown.options));
}

/* Bring a window of this site to the front at `url`: one already there, else an open one led
 * there (the focused or visible one first), else a new one. Focusing comes first, as the browser
 * allows it only while the click is fresh; a window that will not take the focus is still led to
 * the page, and one this worker does not control (navigate() refuses it) gives way to a new one. */
function openPage(url) {
  return self.clients.matchAll({ type: "window", includeUncontrolled: true }).then(function (windows) {
    for (var i = 0; i < windows.length; i++) {
      if (windows[i].url === url) return windows[i].focus().catch(function () { return null; });
    }
    if (!windows.length) return self.clients.openWindow(url);
    var client = windows.filter(function (each) { return each.focused; })[0] ||
      windows.filter(function (each) { return each.visibilityState === "visible"; })[0] || windows[0];
    return client.focus()
      .catch(function () { return client; })
      .then(function () { return client.navigate(url); })
      .then(function (navigated) { return navigated || self.clients.openWindow(url); })
      .catch(function () { return self.clients.openWindow(url); });
  });
}

function onNotificationClick(event) {
  var notification = event.notification;
  notification.close();
  var data = notification.data || {};
  event.waitUntil(openPage(targetUrl(data.url, self.location.origin)));
}

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });
self.addEventListener("push", onPush);
self.addEventListener("notificationclick", onNotificationClick);
