/*
 * The admin's live order board (admin/dashboard/live_board.html): every order change the staff subscription
 * `ordersUpdated` announces, newest first, one row per order, without reload.
 *
 * It signs in to the API with a short-lived access token the admin session hands out (data-token-url, a POST with
 * the page's CSRF token: commerce/live_board.py), renews it before it runs out and reconnects with the new one
 * (the client subscribes the new socket before it closes the old one, and rows are deduplicated by event id).
 * When the session no longer may have one (signed out, permission gone) the board stops and says so.
 *
 * data-state on the board says where it is: "connecting", "live" (subscribed), "reconnecting", "stopped".
 */
(function () {
  "use strict";

  var board = document.getElementById("live-board");
  if (!board || !window.GraphQLWS || board.dataset.started) {
    return;
  }
  board.dataset.started = "1";

  var SUBSCRIPTION = "subscription LiveOrderBoard { ordersUpdated { " +
    "order { id number email status paymentStatus total { amount currency } } " +
    "event { id type status createdAt } } }";
  var STATE_LABELS = { connecting: "connecting…", live: "live", reconnecting: "reconnecting…",
                       stopped: "stopped: reload the page to sign in again" };
  var RENEW_AT = 0.8; // of the token's lifetime
  var rows = board.querySelector("[data-live-rows]");
  var stateLabel = board.querySelector("[data-live-state]");
  var maxRows = parseInt(board.dataset.maxRows, 10) || 50;
  var token = null;
  var renewAt = 0;
  var renewTimer = null;
  var client = null;

  function setState(state) {
    board.dataset.state = state;
    stateLabel.textContent = STATE_LABELS[state] || state;
  }

  function fetchToken() {
    return fetch(board.dataset.tokenUrl, {
      method: "POST", credentials: "same-origin", redirect: "manual", cache: "no-store",
      headers: { "X-CSRFToken": board.dataset.csrfToken, "Accept": "application/json" },
    }).then(function (response) {
      if (response.ok) {
        return response.json();
      }
      var refused = new Error("The admin session gave no token (" + (response.status || "redirect") + ")");
      // A redirect (to the login page) or a refusal is the session's answer, not a passing trouble.
      refused.fatal = response.type === "opaqueredirect" || response.status === 403 || response.status === 405;
      throw refused;
    }).then(function (answer) {
      token = answer.token;
      var lifetime = answer.expiresIn * 1000;
      renewAt = Date.now() + lifetime * RENEW_AT;
      clearTimeout(renewTimer);
      renewTimer = setTimeout(function () { client.restart(); }, lifetime * RENEW_AT);
      return token;
    });
  }

  function connectionParams(context) {
    var refused = context.lastClose && context.lastClose.code === 4403; // the token was not good: a new one
    var ready = token && Date.now() < renewAt && !refused ? Promise.resolve(token) : fetchToken();
    return ready.then(function (current) { return { Authorization: "Bearer " + current }; });
  }

  function decodedPk(globalId) {
    try {
      var decoded = window.atob(globalId);
      return parseInt(decoded.slice(decoded.indexOf(":") + 1), 10);
    } catch (error) {
      return NaN;
    }
  }

  function cell(row, text) {
    var td = document.createElement("td");
    td.textContent = text;
    row.appendChild(td);
    return td;
  }

  function orderLink(order) {
    var link = document.createElement("a");
    link.href = board.dataset.orderUrl.replace("/0/", "/" + decodedPk(order.id) + "/");
    link.textContent = order.number;
    return link;
  }

  function render(update) {
    var order = update.order;
    var event = update.event;
    var eventPk = decodedPk(event.id);
    var existing = rows.querySelector('tr[data-order-id="' + window.CSS.escape(order.id) + '"]');
    if (existing && Number(existing.dataset.eventPk) >= eventPk) {
      return; // seen already (two sockets overlapping), or older than what the row shows
    }
    var row = document.createElement("tr");
    row.className = "live-board-row live-board-fresh";
    row.dataset.orderId = order.id;
    row.dataset.orderNumber = order.number;
    row.dataset.status = order.status;
    row.dataset.eventPk = String(eventPk);
    cell(row, "").appendChild(orderLink(order));
    cell(row, order.email);
    cell(row, order.total.amount + " " + order.total.currency);
    cell(row, order.status).className = "live-board-status";
    cell(row, order.paymentStatus);
    cell(row, event.type);
    cell(row, new Date(event.createdAt).toLocaleTimeString());
    if (existing) {
      existing.remove();
    }
    var empty = rows.querySelector("[data-live-empty]");
    if (empty) {
      empty.remove();
    }
    rows.insertBefore(row, rows.firstChild);
    while (rows.children.length > maxRows) {
      rows.removeChild(rows.lastChild);
    }
  }

  client = window.GraphQLWS.createClient({
    url: window.GraphQLWS.sameOriginUrl(board.dataset.graphqlPath),
    connectionParams: connectionParams,
    onState: function (state) {
      setState(state === "open" ? "live" : state);
      if (state === "stopped") {
        clearTimeout(renewTimer);
      }
    },
  });
  client.subscribe({ query: SUBSCRIPTION }, function (payload) {
    if (payload.data && payload.data.ordersUpdated) {
      render(payload.data.ordersUpdated);
    }
  });
})();
