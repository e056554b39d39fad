/*
 * The order-tracking page (orders/tracking/page.html, project/tracking.py), kept live without reload.
 *
 * It follows the order over the API's websocket, `orderUpdated(id, token)`, with graph/graphql-ws.js (which
 * answers pings, reconnects after any drop with a growing pause, and subscribes again). Every message carries the
 * order as it is now, with its whole timeline, so the page is redrawn from it: a message missed while the socket
 * was down costs nothing, since the first message of each new subscription is the current state. Messages older
 * than what the page shows (two sockets overlapping) are skipped by their event id.
 *
 * Words come from the JSON catalog the server rendered in the page's language (#tracking-catalog); nothing inline,
 * nothing from elsewhere. data-state on #tracking says where the connection is: "connecting", "live",
 * "reconnecting", "stopped" ("static" until this script runs); data-status and data-payment-status mirror the order,
 * data-last-event is the id of the latest event drawn.
 *
 * Shipments: every parcel of the order (`Order.shipments`), as the server draws them.
 */
(function () {
  "use strict";

  var page = document.getElementById("tracking");
  var catalogElement = document.getElementById("tracking-catalog");
  if (!page || !catalogElement || !window.GraphQLWS || page.dataset.started) {
    return;
  }
  page.dataset.started = "1";

  var SUBSCRIPTION = "subscription TrackOrder($id: ID!, $token: String) { orderUpdated(id: $id, token: $token) { " +
    "order { status paymentStatus refundedTotal { amount currency } shipments { carrier trackingNumber trackingUrl } " +
    "events { id type createdAt } } event { id } } }";
  var catalog = JSON.parse(catalogElement.textContent);
  var lang = document.documentElement.lang || undefined;
  var dateFormat = new Intl.DateTimeFormat(lang, { dateStyle: "medium", timeStyle: "short" });
  var lastEvent = 0;

  function field(name) {
    return page.querySelector('[data-field="' + name + '"]');
  }

  function pkOf(globalId) {
    try {
      var decoded = window.atob(globalId);
      return parseInt(decoded.slice(decoded.indexOf(":") + 1), 10);
    } catch (error) {
      return NaN;
    }
  }

  function amount(text) {
    var decimals = (String(text).split(".")[1] || "").length;
    return new Intl.NumberFormat(lang, { minimumFractionDigits: decimals, maximumFractionDigits: decimals,
                                         useGrouping: false }).format(Number(text));
  }

  function time(iso) {
    var element = document.createElement("time");
    element.dateTime = iso;
    element.textContent = dateFormat.format(new Date(iso));
    return element;
  }

  function webLink(url) {
    return /^https?:\/\//i.test(url || "") ? url : "";
  }

  function setState(state) {
    page.dataset.state = state;
    var label = page.querySelector("[data-live-state]");
    label.textContent = catalog.state[state] || "";
    label.hidden = false;
  }

  function labelled(label, value, name) {
    var paragraph = document.createElement("p");
    var span = document.createElement("span");
    span.className = "label";
    span.textContent = label;
    var text = document.createElement("span");
    text.dataset.field = name;
    text.textContent = value;
    paragraph.append(span, " ", text);
    return paragraph;
  }

  function drawShipments(shipments) {
    var list = page.querySelector("[data-shipments]");
    list.replaceChildren.apply(list, shipments.map(function (shipment) {
      var item = document.createElement("li");
      item.className = "shipment";
      if (shipment.carrier) {
        item.append(labelled(catalog.shipment.carrier, shipment.carrier, "carrier"));
      }
      if (shipment.trackingNumber) {
        item.append(labelled(catalog.shipment.trackingNumber, shipment.trackingNumber, "tracking-number"));
      }
      if (webLink(shipment.trackingUrl)) {
        var link = document.createElement("a");
        link.href = webLink(shipment.trackingUrl);
        link.rel = "noreferrer noopener";
        link.dataset.field = "tracking-link";
        link.textContent = catalog.shipment.link;
        var paragraph = document.createElement("p");
        paragraph.append(link);
        item.append(paragraph);
      }
      return item;
    }));
    page.querySelector("[data-no-shipments]").hidden = shipments.length > 0;
  }

  function drawTimeline(events) {
    var list = page.querySelector("[data-timeline]");
    var shown = events.filter(function (event) { return catalog.event[event.type]; })
      .sort(function (a, b) { return pkOf(a.id) - pkOf(b.id); });
    list.replaceChildren.apply(list, shown.map(function (event) {
      var item = document.createElement("li");
      item.dataset.eventPk = String(pkOf(event.id));
      item.dataset.type = event.type;
      var label = document.createElement("span");
      label.className = "event";
      label.textContent = catalog.event[event.type];
      item.append(label, " ", time(event.createdAt));
      return item;
    }));
  }

  function announce(order) {
    page.querySelector("[data-announce]").textContent = catalog.announce
      .replace("%(status)s", catalog.status[order.status] || order.status)
      .replace("%(payment)s", catalog.payment[order.paymentStatus] || order.paymentStatus);
  }

  function draw(update) {
    var eventPk = pkOf(update.event.id);
    if (eventPk < lastEvent) {
      return; // older than what the page shows
    }
    lastEvent = eventPk;
    page.dataset.lastEvent = String(eventPk);
    var order = update.order;
    var changed = order.status !== page.dataset.status || order.paymentStatus !== page.dataset.paymentStatus;
    page.dataset.status = order.status;
    page.dataset.paymentStatus = order.paymentStatus;
    field("status").textContent = catalog.status[order.status] || order.status;
    field("payment-status").textContent = catalog.payment[order.paymentStatus] || order.paymentStatus;
    field("refunded").textContent = amount(order.refundedTotal.amount);
    page.querySelector("[data-refunded]").hidden = Number(order.refundedTotal.amount) === 0;
    drawShipments(order.shipments);
    drawTimeline(order.events);
    if (changed) {
      announce(order);
    }
  }

  // The server wrote times in UTC; the reader's own clock and language read better, and match what draws later.
  page.querySelectorAll("time[datetime]").forEach(function (element) {
    element.textContent = dateFormat.format(new Date(element.dateTime));
  });

  var client = window.GraphQLWS.createClient({
    url: window.GraphQLWS.sameOriginUrl(page.dataset.graphqlPath),
    onState: function (state) { setState(state === "open" ? "live" : state); },
  });
  client.subscribe(
    { query: SUBSCRIPTION, variables: { id: page.dataset.orderId, token: page.dataset.token } },
    function (payload) {
      if (payload.data && payload.data.orderUpdated) {
        draw(payload.data.orderUpdated);
      }
    }
  );
})();
