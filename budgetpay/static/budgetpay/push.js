/* "Turn on notifications on this device" (templates/notifications/includes/push_control.html):
 * registers the service worker (/sw.js), asks the browser for permission on the click, subscribes
 * with the site's VAPID key and hands the browser's PushSubscription.toJSON() to the API
 * (POST /api/v1/notification/push-subscriptions); turning off unsubscribes and DELETEs it there.
 * The API calls ride on the page's session, with its CSRF token as the API asks of a session.
 * Without JavaScript, or in a browser without web push, the control only says so. */
(function () {
  "use strict";

  var LABEL_ON = "Turn on notifications on this device";
  var LABEL_OFF = "Turn off on this device";
  var SAYS = {
    checking: "Checking this device…",
    unsupported: "This browser does not support notifications from websites, so it cannot show Budget Pay's.",
    unconfigured: "Push notifications are not configured on this server, so devices cannot receive them yet.",
    blocked: "Notifications from Budget Pay are blocked in this browser's settings. Allow them there for this site, then reload this page.",
    dismissed: "Off: the browser was not given permission to show notifications. Press the button to be asked again.",
    on: "On: this device shows your notifications, even when Budget Pay is closed.",
    off: "Off: this device does not show your notifications when Budget Pay is closed.",
    turningOn: "Turning on…",
    turningOff: "Turning off…",
    offline: "No connection to the server. Check your connection and try again.",
    signedOut: "You are no longer signed in. Reload the page and sign in again.",
  };

  function supported() {
    return window.isSecureContext !== false && "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
  }

  function parts(control) {
    return {
      status: control.querySelector("[data-push-status]"),
      button: control.querySelector("[data-push-button]"),
    };
  }

  /* Shows a state: its sentence in the live region, and the button that changes it (none when
   * the person can do nothing here). */
  function show(control, sentence, action) {
    var found = parts(control);
    found.status.textContent = sentence;
    if (!action) {
      found.button.hidden = true;
      return;
    }
    found.button.hidden = false;
    found.button.disabled = false;
    found.button.dataset.pushAction = action;
    found.button.textContent = action === "on" ? LABEL_ON : LABEL_OFF;
    found.button.classList.toggle("secondary", action === "off");
  }

  function busy(control, sentence) {
    var found = parts(control);
    found.status.textContent = sentence;
    found.button.disabled = true;
  }

  /* A 400's first field error as it is written ({"errors": {"endpoint": ["The endpoint must…"]}}):
   * the sentence without the API's field name in front. */
  function fieldError(data) {
    var errors = data && data.errors;
    if (!errors || typeof errors !== "object") return "";
    for (var field in errors) {
      var messages = errors[field];
      if (Array.isArray(messages) && typeof messages[0] === "string") return messages[0];
    }
    return "";
  }

  /* The API on this page's session; the answer's JSON, or an Error saying what went wrong. */
  function api(control, method, url, body) {
    return fetch(url, {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": control.dataset.csrfToken || "" },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(
      function (response) {
        return response.text().then(function (text) {
          var data = null;
          try { data = text ? JSON.parse(text) : null; } catch (error) { data = null; }
          if (response.ok) return data;
          var problem = new Error(
            response.status === 401 || response.status === 403 ? SAYS.signedOut
              : fieldError(data) || (data && data.message) || "The server could not do that (" + response.status + "). Try again in a moment."
          );
          problem.status = response.status;
          throw problem;
        });
      },
      function () { throw new Error(SAYS.offline); }
    );
  }

  /* The VAPID public key as pushManager.subscribe() takes it: base64url → bytes. */
  function keyBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    base64 += "===".slice((base64.length + 3) % 4);
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameBytes(buffer, bytes) {
    if (!buffer) return false;
    var view = new Uint8Array(buffer);
    if (view.length !== bytes.length) return false;
    for (var i = 0; i < view.length; i++) if (view[i] !== bytes[i]) return false;
    return true;
  }

  /* This browser's push subscription on this site, if it has one. */
  function currentSubscription(control) {
    return navigator.serviceWorker.getRegistration(control.dataset.workerScope).then(function (registration) {
      return registration ? registration.pushManager.getSubscription() : null;
    });
  }

  function refresh(control) {
    if (!supported()) {
      show(control, SAYS.unsupported, null);
      return Promise.resolve();
    }
    busy(control, SAYS.checking);
    return api(control, "GET", control.dataset.keyUrl)
      .then(function (key) {
        if (!key || !key.enabled || !key.public_key) {
          show(control, SAYS.unconfigured, null);
          return null;
        }
        control.pushKey = key.public_key;
        if (Notification.permission === "denied") {
          show(control, SAYS.blocked, null);
          return null;
        }
        return currentSubscription(control).then(function (subscription) {
          if (!subscription || Notification.permission !== "granted") {
            show(control, SAYS.off, "on");
            return null;
          }
          // On only when the server sends this person's pushes to this subscription: it may have
          // dropped it (the push service said it was gone) or another person may have taken it.
          return api(control, "GET", control.dataset.subscriptionsUrl).then(function (devices) {
            var mine = (devices || []).some(function (device) { return device.endpoint === subscription.endpoint; });
            show(control, mine ? SAYS.on : SAYS.off, mine ? "off" : "on");
          });
        });
      })
      .catch(function (error) {
        show(control, error.message, null);
      });
  }

  /* Notification.requestPermission(), as a promise also where it only takes a callback. */
  function askPermission() {
    if (Notification.permission === "granted") return Promise.resolve("granted");
    return new Promise(function (resolve) {
      var asked = Notification.requestPermission(resolve);
      if (asked && asked.then) asked.then(resolve);
    });
  }

  function turnOn(control) {
    // Asked first, in the click itself: browsers show the question only to a person's gesture.
    var permission = askPermission();
    busy(control, SAYS.turningOn);
    var applicationServerKey = keyBytes(control.pushKey);
    return permission
      .then(function (answer) {
        if (answer === "denied") {
          show(control, SAYS.blocked, null);
          return;
        }
        if (answer !== "granted") {
          show(control, SAYS.dismissed, "on");
          return;
        }
        return navigator.serviceWorker.register(control.dataset.workerUrl, { scope: control.dataset.workerScope })
          .then(function () { return navigator.serviceWorker.ready; })
          .then(function (registration) {
            return registration.pushManager.getSubscription().then(function (existing) {
              if (existing && sameBytes(existing.options && existing.options.applicationServerKey, applicationServerKey)) return existing;
              // Subscribed with another key (the server's keys changed): pushes signed with the new one would be refused.
              var cleared = existing ? existing.unsubscribe() : Promise.resolve(true);
              return cleared.then(function () {
                return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: applicationServerKey });
              });
            });
          })
          .then(function (subscription) {
            return api(control, "POST", control.dataset.subscriptionsUrl, subscription.toJSON());
          })
          .then(function () { show(control, SAYS.on, "off"); });
      })
      .catch(function (error) {
        show(control, error.message || String(error), "on");
      });
  }

  function turnOff(control) {
    busy(control, SAYS.turningOff);
    return currentSubscription(control)
      .then(function (subscription) {
        if (!subscription) return null;
        return api(control, "DELETE", control.dataset.subscriptionsUrl, { endpoint: subscription.endpoint })
          .catch(function (error) {
            if (error.status !== 404) throw error;  // not the server's any more: only the browser's to end
          })
          .then(function () { return subscription.unsubscribe(); });
      })
      .then(function () { show(control, SAYS.off, "on"); })
      .catch(function (error) {
        show(control, error.message || String(error), "off");
      });
  }

  function setUp(control) {
    control.dataset.pushReady = "";
    refresh(control);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-push-button]");
    var control = button && button.closest("[data-push-control]");
    if (!control || button.disabled) return;
    if (button.dataset.pushAction === "on") turnOn(control);
    else if (button.dataset.pushAction === "off") turnOff(control);
  });

  function setUpAll() {
    document.querySelectorAll("[data-push-control]:not([data-push-ready])").forEach(setUp);
  }

  setUpAll();
  // A form that saves without a reload (app.js) puts a fresh copy of the page's main part in place.
  new MutationObserver(setUpAll).observe(document.body, { childList: true, subtree: true });
})();
