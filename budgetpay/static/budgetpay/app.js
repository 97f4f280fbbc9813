/* Budget Pay pages: live notifications over the same WebSocket and protocol as API
 * clients (docs/websocket.md), forms that save without a reload, and the assistant.
 * Every page works without this file; it only makes them livelier. */
(function () {
  "use strict";

  var body = document.body;
  var TOAST_MS = 8000;
  var AUTH_FAILED = 4001, TOKEN_EXPIRED = 4002, FORBIDDEN = 4003, CREDENTIALS_CHANGED = 4005, TOO_MANY_SOCKETS = 4008;

  function csrfToken(scope) {
    var input = (scope || document).querySelector("input[name=csrfmiddlewaretoken]") ||
      document.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function loginUrl() {
    return (body.dataset.loginUrl || "/accounts/login/") + "?next=" + encodeURIComponent(location.pathname + location.search);
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function showStatus(html) {
    var status = document.getElementById("live-status");
    if (!status) return;
    status.innerHTML = html;
    status.hidden = false;
  }

  /* --- Toasts --------------------------------------------------------------------------- */

  /* The page of what a notification is about: the server's map (users/templatetags/ui.py,
   * RELATED_PAGES) with the related id in place of its 0. */
  var relatedUrls = {};
  try { relatedUrls = JSON.parse(body.dataset.relatedUrls || "{}"); } catch (error) { relatedUrls = {}; }

  function relatedUrl(data) {
    var pattern = relatedUrls[data.related_type];
    var id = Number(data.related_id);
    return pattern && Number.isInteger(id) && id > 0 ? pattern.replace("/0/", "/" + id + "/") : null;
  }

  /* Toasts never cover a primary action (a button in the page, such as the dashboard's
   * "Add expense"): the stack sits as low as it can in the window without overlapping one,
   * and moves again when the page scrolls or changes. */
  var PRIMARY_ACTIONS = "main .button:not(.danger-link), main button:not(.link):not(.chip-button):not(.ghost)";
  var TOAST_GAP = 12;
  var placing = false;

  function placeToasts() {
    var box = document.getElementById("toasts");
    if (!box || !box.children.length) return;
    var height = box.offsetHeight;
    var column = box.getBoundingClientRect();
    var view = window.innerHeight;
    var header = document.querySelector(".topbar");
    var highest = Math.max(TOAST_GAP, header ? header.getBoundingClientRect().bottom + TOAST_GAP : TOAST_GAP);
    var lowest = view - TOAST_GAP - height;
    var blocked = [];
    var nodes = Array.prototype.slice.call(document.querySelectorAll(PRIMARY_ACTIONS));
    var focused = document.activeElement;
    if (focused && focused.closest("main")) nodes.push(focused);  // nor what the person is typing in
    nodes.forEach(function (node) {
      var r = node.getBoundingClientRect();
      if (!r.width || !r.height || r.bottom < 0 || r.top > view || r.right <= column.left || r.left >= column.right) return;
      blocked.push([r.top - TOAST_GAP, r.bottom + TOAST_GAP]);
    });
    /* Candidates: either edge, or just above or below a button. The one covering the least
     * (nothing, wherever there is room), and of those the lowest. */
    var candidates = [lowest, highest];
    blocked.forEach(function (band) { candidates.push(band[0] - height, band[1]); });
    var best = null, bestCovered = Infinity;
    candidates.forEach(function (top) {
      top = Math.min(Math.max(top, highest), lowest);
      var covered = 0;
      blocked.forEach(function (band) { covered += Math.max(0, Math.min(top + height, band[1]) - Math.max(top, band[0])); });
      if (covered < bestCovered || (covered === bestCovered && top > best)) { best = top; bestCovered = covered; }
    });
    box.style.top = Math.round(best) + "px";
    box.style.bottom = "auto";
  }

  function placeToastsSoon() {
    if (placing) return;
    placing = true;
    requestAnimationFrame(function () { placing = false; placeToasts(); });
  }
  window.addEventListener("scroll", placeToastsSoon, { passive: true });
  window.addEventListener("resize", placeToastsSoon);

  function toast(title, message, level, href) {
    var box = document.getElementById("toasts");
    if (!box) return;
    var item = el("div", "toast level-" + (level || "info"));
    item.setAttribute("role", level === "alert" ? "alert" : "status");
    var text = el("div", "toast-body");
    var heading = el("p", "toast-title");
    if (href) {
      var link = el("a", "", title);
      link.href = href;
      heading.appendChild(link);
    } else {
      heading.textContent = title;
    }
    text.appendChild(heading);
    if (message) text.appendChild(el("p", "toast-message", message));
    var close = el("button", "toast-close", "×");
    close.type = "button";
    close.setAttribute("aria-label", "Dismiss");
    function remove() { item.remove(); placeToasts(); }
    close.addEventListener("click", remove);
    item.appendChild(text);
    item.appendChild(close);
    box.appendChild(item);
    placeToasts();
    /* It stays while the pointer is on it or the keyboard is in it (its link, its close button). */
    var timer = null;
    function later() { clearTimeout(timer); timer = setTimeout(remove, TOAST_MS); }
    item.addEventListener("mouseenter", function () { clearTimeout(timer); });
    item.addEventListener("mouseleave", function () { if (!item.contains(document.activeElement)) later(); });
    item.addEventListener("focusin", function () { clearTimeout(timer); });
    item.addEventListener("focusout", function (event) { if (!item.contains(event.relatedTarget) && !item.matches(":hover")) later(); });
    later();
  }

  /* --- Notifications: badge, bell list, socket ------------------------------------------- */

  var unread = null;
  var socket = null;
  var stopped = false;
  var attempt = 0;
  var reconnectTimer = null;
  var panelTimer = null;
  var lastId = Number(body.dataset.lastNotificationId || 0);

  function setLive(state, label) {
    body.dataset.live = state;
    document.querySelectorAll("[data-live-label]").forEach(function (node) { node.textContent = label; });
  }

  function setUnread(count) {
    var changed = unread !== null && count > unread;
    unread = count;
    document.querySelectorAll("[data-unread-badge]").forEach(function (badge) {
      badge.textContent = String(count);
      badge.hidden = count === 0;
      if (changed) {
        badge.classList.remove("bump");
        void badge.offsetWidth;
        badge.classList.add("bump");
      }
    });
    document.querySelectorAll("[data-bell-summary]").forEach(function (summary) {
      summary.setAttribute("aria-label", count ? "Notifications, " + count + " unread" : "Notifications");
    });
    document.title = document.title.replace(/^\(\d+\) /, "") ;
    if (count) document.title = "(" + count + ") " + document.title;
  }

  function refreshPanel() {
    clearTimeout(panelTimer);
    panelTimer = setTimeout(function () {
      var panel = document.querySelector("[data-notification-panel]");
      if (!panel || !body.dataset.panelUrl) return;
      var url = body.dataset.panelUrl + "?next=" + encodeURIComponent(location.pathname + location.search);
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (response.redirected) { signedOut(); return null; }
          return response.ok ? response.text() : null;
        })
        .then(function (html) { if (html !== null && html !== undefined) panel.innerHTML = html; })
        .catch(function () { /* the socket's next message tries again */ });
    }, 120);
  }

  function markReadLocally(id) {
    document.querySelectorAll('[data-notification-id="' + id + '"]').forEach(function (item) {
      item.classList.remove("unread");
      var form = item.querySelector("form[data-mark-read]");
      if (form) form.remove();
      var hint = item.querySelector(".notification-title .sr-only");
      if (hint) hint.remove();
    });
  }

  function signedOut() {
    stopped = true;
    setLive("signed-out", "Signed out");
    showStatus('You have been signed out. <a href="' + loginUrl() + '">Sign in again</a> to see live updates.');
  }

  function connect() {
    if (stopped || !body.dataset.lastNotificationId) return;
    clearTimeout(reconnectTimer);
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    var ws = new WebSocket(scheme + location.host + "/api/v1/notification/ws?unread_count=1&since=" + lastId);
    socket = ws;
    ws.onopen = function () {
      attempt = 0;
      setLive("open", "Live");
      var status = document.getElementById("live-status");
      if (status && body.dataset.live === "open") status.hidden = true;
    };
    ws.onmessage = function (event) {
      var message;
      try { message = JSON.parse(event.data); } catch (error) { return; }
      if (message.type === "notification") {
        var data = message.data;
        if (data.id <= lastId) return;
        lastId = data.id;
        body.dataset.lastNotificationId = String(lastId);
        toast(data.title, data.message, data.level, relatedUrl(data));
        refreshPanel();
      } else if (message.type === "unread_count") {
        var before = unread;
        setUnread(message.data.unread_count);
        if (before !== null && before !== message.data.unread_count) refreshPanel();
      }
    };
    ws.onclose = function (event) {
      if (socket === ws) socket = null;
      if (event.code === AUTH_FAILED) { signedOut(); return; }
      if (event.code === FORBIDDEN) {
        stopped = true;
        setLive("forbidden", "Off");
        showStatus("This account is disabled; live updates are off.");
        return;
      }
      if (event.code === TOKEN_EXPIRED) { location.reload(); return; }  // a page's session: reload re-authenticates
      if (event.code === TOO_MANY_SOCKETS) {
        // This tab's socket was the person's oldest; reconnecting would close another tab's.
        stopped = true;
        setLive("paused", "Paused");
        showStatus('Live updates are paused here because this account has many windows open. <a href="">Reload</a> to resume.');
        return;
      }
      if (stopped) return;
      setLive("reconnecting", "Reconnecting…");
      // After a password change the session is still good if this tab made the change:
      // come back soon (after the page has saved its refreshed session), not after a backoff.
      var delay = event.code === CREDENTIALS_CHANGED
        ? 1000 + 1000 * Math.random()
        : Math.min(30000, 1000 * Math.pow(2, attempt++)) * (0.5 + Math.random());
      reconnectTimer = setTimeout(connect, delay);
    };
  }

  function reconnectNow() {
    if (!stopped && !socket && body.dataset.lastNotificationId) { attempt = 0; connect(); }
  }

  function socketOpen() { return socket && socket.readyState === WebSocket.OPEN; }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.matches("form[data-mark-read]") && socketOpen()) {
      event.preventDefault();
      var id = Number(form.dataset.markRead);
      socket.send(JSON.stringify({ type: "mark_read", id: id }));
      markReadLocally(id);
    } else if (form.matches("form[data-mark-all-read]") && socketOpen()) {
      event.preventDefault();
      socket.send(JSON.stringify({ type: "mark_all_read" }));
      document.querySelectorAll("[data-notification-id]").forEach(function (item) { markReadLocally(item.dataset.notificationId); });
    }
  });

  /* --- The phone's menu: a disclosure button for the main navigation ---------------------- */

  var menuButton = document.querySelector("[data-menu-button]");
  var menu = menuButton && document.getElementById(menuButton.getAttribute("aria-controls"));

  function menuOpen() { return menuButton.getAttribute("aria-expanded") === "true"; }

  function setMenu(open) {
    menuButton.setAttribute("aria-expanded", String(open));
    menu.dataset.menu = open ? "open" : "closed";
  }

  if (menu) {
    /* Without this script the links wrap under the brand instead (app.css). */
    menuButton.hidden = false;
    setMenu(false);
    menuButton.addEventListener("click", function () { setMenu(!menuOpen()); });
  }

  /* The bell and the menu close on Escape and on a click elsewhere. */
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    document.querySelectorAll("details[data-bell][open]").forEach(function (bell) {
      bell.open = false;
      bell.querySelector("summary").focus();
    });
    if (menu && menuOpen()) {
      setMenu(false);
      menuButton.focus();
    }
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details[data-bell][open]").forEach(function (bell) {
      if (!bell.contains(event.target)) bell.open = false;
    });
    if (menu && menuOpen() && !menu.contains(event.target) && !menuButton.contains(event.target)) setMenu(false);
  });

  /* --- Forms that save without reloading the page --------------------------------------- */

  function formProblem(form, text) {
    var alert = form.querySelector("[data-form-problem]");
    if (!alert) {
      alert = el("div", "form-alert");
      alert.setAttribute("role", "alert");
      alert.dataset.formProblem = "";
      form.insertBefore(alert, form.querySelector(".field, .field-row"));
    }
    alert.textContent = text;
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("form[data-enhance]") || event.defaultPrevented) return;
    event.preventDefault();
    var button = form.querySelector("button[type=submit]");
    if (button) button.disabled = true;
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { Accept: "text/html" },
    })
      .then(function (response) {
        if (new URL(response.url).pathname.indexOf("/accounts/login") === 0) { location.href = loginUrl(); return null; }
        if (!response.ok) {
          /* Never send it again by ourselves: it may have been saved before the error. */
          formProblem(form, response.status === 403
            ? "This form has expired. Reload the page and try again."
            : "Something went wrong on our side. Reload the page to see whether it was saved.");
          if (button) button.disabled = false;
          return null;
        }
        return response.text();
      })
      .then(function (html) {
        if (html === null) return;
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("main");
        var main = document.getElementById("main");
        var holder = form.closest("[id]");
        var holderId = holder ? holder.id : null;
        main.innerHTML = fresh.innerHTML;
        placeToasts();
        var invalid = main.querySelector("[aria-invalid=true]");
        var again = holderId ? document.getElementById(holderId) : null;
        if (invalid) invalid.focus();
        else if (again) {
          var first = again.querySelector("input:not([type=hidden]), select, textarea");
          if (first) first.focus({ preventScroll: true });
        }
      })
      .catch(function () {
        formProblem(form, "No connection to the server. Check your connection and send it again.");
        if (button) button.disabled = false;
      });
  });

  /* --- Profile: time zone from this device ----------------------------------------------- */

  document.querySelectorAll("[data-detect-timezone]").forEach(function (button) {
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    var input = document.getElementById(button.dataset.detectTimezone);
    if (!zone || !input) return;
    button.textContent = "Use this device's time zone (" + zone + ")";
    button.hidden = false;
    button.addEventListener("click", function () { input.value = zone; input.focus(); });
  });

  /* --- Assistant: the chatbot's REST API -------------------------------------------------- */

  var chatForm = document.querySelector("form[data-chat-form]");

  function apiPost(url, payload) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken(chatForm) },
      body: JSON.stringify(payload || {}),
    }).then(function (response) {
      if (response.status === 401 || response.status === 403) { location.href = loginUrl(); throw new Error("signed out"); }
      return response.json().catch(function () { return {}; }).then(function (data) { return { status: response.status, data: data }; });
    });
  }

  function proposal(action) {
    var box = el("div", "proposal status-" + action.status);
    box.dataset.action = action.id;
    var summary = el("p");
    summary.appendChild(el("strong", "", action.summary));
    box.appendChild(summary);
    if (action.status === "pending") {
      var buttons = el("div", "actions");
      [["confirm", "Confirm", "small"], ["cancel", "Cancel", "secondary small"]].forEach(function (choice) {
        var button = el("button", choice[2], choice[1]);
        button.type = "button";
        button.dataset.decide = choice[0];
        buttons.appendChild(button);
      });
      box.appendChild(buttons);
    } else {
      box.appendChild(el("p", "chip", action.status));
    }
    return box;
  }

  function bubble(role, text, extraClass) {
    var item = el("li", "bubble " + role + (extraClass ? " " + extraClass : ""));
    item.appendChild(el("p", "bubble-who", role === "user" ? "You" : "Assistant"));
    item.appendChild(el("div", "bubble-text", text));
    return item;
  }

  if (chatForm) {
    var log = document.querySelector("[data-chat-log]");
    var textarea = chatForm.querySelector("textarea");
    var scrollDown = function () { log.scrollTop = log.scrollHeight; };
    scrollDown();

    textarea.addEventListener("keydown", function (event) {
      if (event.key === "Enter" && !event.shiftKey) { event.preventDefault(); chatForm.requestSubmit(); }
    });
    document.querySelectorAll("[data-suggest]").forEach(function (button) {
      button.addEventListener("click", function () { textarea.value = button.textContent; chatForm.requestSubmit(); });
    });

    chatForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var content = textarea.value.trim();
      var field = textarea.closest(".field");
      var old = field.querySelector(".error");
      if (old) old.remove();
      if (!content) {
        var error = el("p", "error", "Write a message.");
        error.id = textarea.id + "_error";
        field.appendChild(error);
        textarea.setAttribute("aria-invalid", "true");
        textarea.setAttribute("aria-describedby", error.id);
        textarea.focus();
        return;
      }
      textarea.removeAttribute("aria-invalid");
      var hint = log.querySelector("[data-chat-hint]");
      if (hint) hint.remove();
      log.appendChild(bubble("user", content));
      var waiting = bubble("assistant", "", "pending");
      log.appendChild(waiting);
      scrollDown();
      textarea.value = "";
      var button = chatForm.querySelector("button[type=submit]");
      button.disabled = true;
      var payload = { content: content };
      if (chatForm.dataset.conversation) payload.conversation = Number(chatForm.dataset.conversation);
      apiPost(chatForm.dataset.api, payload)
        .then(function (result) {
          if (result.status === 201) {
            var reply = bubble("assistant", result.data.reply.content);
            (result.data.reply.actions || []).forEach(function (action) { reply.appendChild(proposal(action)); });
            waiting.replaceWith(reply);
            if (!chatForm.dataset.conversation) {
              chatForm.dataset.conversation = String(result.data.conversation.id);
              history.replaceState(null, "", chatForm.dataset.chatUrl + result.data.conversation.id + "/");
            }
          } else {
            waiting.replaceWith(bubble("assistant", result.data.message || "The assistant could not answer. Try again.", "failed"));
            textarea.value = content;
          }
          scrollDown();
        })
        .catch(function () {
          waiting.replaceWith(bubble("assistant", "No connection to the server. Your message was not sent.", "failed"));
          textarea.value = content;
        })
        .finally(function () { button.disabled = false; textarea.focus(); });
    });

    log.addEventListener("click", function (event) {
      var button = event.target.closest("[data-decide]");
      if (!button) return;
      var box = button.closest("[data-action]");
      box.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      apiPost(chatForm.dataset.actionsApi + box.dataset.action + "/" + button.dataset.decide).then(function (result) {
        if (result.status === 200) box.replaceWith(proposal(result.data));
        else {
          box.appendChild(el("p", "error", result.data.message || "That did not work."));
          box.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
        }
      });
    });
    /* Server-rendered proposals use forms (for pages without JavaScript); answer them through the API too. */
    log.addEventListener("submit", function (event) {
      var form = event.target.closest("form[data-action-decision]");
      if (!form) return;
      event.preventDefault();
      var box = form.closest("[data-action]");
      apiPost(chatForm.dataset.actionsApi + box.dataset.action + "/" + form.dataset.actionDecision).then(function (result) {
        if (result.status === 200) box.replaceWith(proposal(result.data));
        else box.appendChild(el("p", "error", result.data.message || "That did not work."));
      });
    });
  }

  /* --- Start --------------------------------------------------------------------------- */

  if (body.dataset.lastNotificationId !== undefined) {
    var badge = document.querySelector("[data-unread-badge]");
    unread = badge ? Number(badge.textContent) || 0 : 0;
    setLive("connecting", "Connecting…");
    connect();
    window.addEventListener("online", reconnectNow);
    document.addEventListener("visibilitychange", function () { if (!document.hidden) reconnectNow(); });
  }
})();
