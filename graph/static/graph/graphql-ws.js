/*
 * A small GraphQL-over-WebSocket client for this project's pages (the admin's live order board, the order
 * tracking page): the graphql-transport-ws protocol as /graphql/ speaks it (graph/transport/consumers.py), with
 * no dependency, no build step and nothing inline, so a page using it runs under a strict Content-Security-Policy.
 *
 *   const client = GraphQLWS.createClient({
 *     url: "wss://shop.example/graphql/",          // default: /graphql/ on the page's own origin
 *     connectionParams: async ({ lastClose }) =>    // connection_init's payload, asked for at every connection
 *       ({ Authorization: "Bearer " + token }),     //   (so a renewed token is used); reject with an Error whose
 *                                                   //   `fatal` is true to stop for good (e.g. signed out)
 *     onState: (state) => {},                       // "connecting", "open", "reconnecting", "stopped"
 *   });
 *   const unsubscribe = client.subscribe(
 *     { query, variables },                        // variables may be a function, called at each (re)subscribe
 *     (payload) => {},                             // every `next`: { data, errors }
 *     (errors) => {},                              // an `error` on the operation (it is subscribed again after
 *   );                                             //   a pause), optional
 *   client.restart();   // connect again now (a new token): the new socket is subscribed before the old one
 *                       //   closes, so nothing is missed in between; a payload may come twice, dedupe by an id
 *   client.dispose();   // close for good
 *
 * What it does for the page: answers the server's `ping`, sends its own every `keepAlive` ms and reconnects when no
 * `pong` comes back (a connection a proxy dropped silently); reconnects after any close with a growing, jittered
 * pause (0.5 s doubling to 30 s, back to the start once a connection is acknowledged), and subscribes every
 * operation again on the new connection. Each message is handled as the protocol says: `connection_ack`, `next`,
 * `error` (ends that operation; this client subscribes it again after a pause), `complete`, `ping`, `pong`.
 */
(function (root) {
  "use strict";

  var PROTOCOL = "graphql-transport-ws";

  function sameOriginUrl(path) {
    var location = root.location;
    return (location.protocol === "https:" ? "wss://" : "ws://") + location.host + (path || "/graphql/");
  }

  function createClient(options) {
    options = options || {};
    var url = options.url || sameOriginUrl();
    var keepAlive = options.keepAlive || 15000;
    var minDelay = options.minDelay || 500;
    var maxDelay = options.maxDelay || 30000;
    var overlap = options.overlap || 2000; // ms the replaced socket stays open after the new one is subscribed
    var operations = {}; // id -> { request, onNext, onError, retries, timer }
    var lastId = 0;
    var current = null; // the acknowledged connection the operations run on
    var pending = null; // a connection being opened (the first one, after a close, or to replace `current`)
    var attempts = 0;
    var retryTimer = null;
    var lastClose = null;
    var stopped = false;

    function setState(state) {
      if (options.onState) {
        options.onState(state);
      }
    }

    function delay(tries) {
      var base = Math.min(maxDelay, minDelay * Math.pow(2, tries));
      return base / 2 + Math.random() * base / 2;
    }

    function send(connection, message) {
      if (connection && connection.socket && connection.socket.readyState === 1) {
        connection.socket.send(JSON.stringify(message));
      }
    }

    function subscribeOn(connection, id) {
      var request = operations[id].request;
      var variables = typeof request.variables === "function" ? request.variables() : request.variables;
      var payload = { query: request.query, variables: variables || {} };
      if (request.operationName) {
        payload.operationName = request.operationName;
      }
      if (request.extensions) {
        payload.extensions = request.extensions;
      }
      send(connection, { id: id, type: "subscribe", payload: payload });
    }

    function stopTimers(connection) {
      clearInterval(connection.pingTimer);
      clearTimeout(connection.pongTimer);
    }

    function finish(connection) {
      connection.deliberate = true;
      stopTimers(connection);
      if (connection.socket && connection.socket.readyState <= 1) {
        connection.socket.close(1000, "Normal Closure");
      }
    }

    function startKeepAlive(connection) {
      connection.pingTimer = setInterval(function () {
        send(connection, { type: "ping" });
        clearTimeout(connection.pongTimer);
        connection.pongTimer = setTimeout(function () {
          if (connection.socket) {
            connection.socket.close(4408, "No pong"); // closed as if by the server: reconnect
          }
        }, keepAlive);
      }, keepAlive);
    }

    function acknowledged(connection) {
      attempts = 0;
      var replaced = current;
      current = connection;
      pending = null;
      Object.keys(operations).forEach(function (id) { subscribeOn(connection, id); });
      startKeepAlive(connection);
      setState("open");
      if (replaced) {
        setTimeout(function () { finish(replaced); }, overlap);
      }
    }

    function receive(connection, data) {
      var message;
      try {
        message = JSON.parse(data);
      } catch (error) {
        connection.socket.close(4400, "Invalid message");
        return;
      }
      var operation = message.id !== undefined ? operations[message.id] : undefined;
      switch (message.type) {
        case "connection_ack":
          if (connection === pending) {
            acknowledged(connection);
          } else {
            finish(connection); // superseded by a newer attempt while it was opening
          }
          break;
        case "ping":
          send(connection, { type: "pong" });
          break;
        case "pong":
          clearTimeout(connection.pongTimer);
          break;
        case "next":
          if (operation) {
            operation.retries = 0;
            operation.onNext(message.payload);
          }
          break;
        case "error":
          if (operation && connection === current) {
            if (operation.onError) {
              operation.onError(message.payload);
            }
            clearTimeout(operation.timer);
            operation.timer = setTimeout(function () {
              if (operations[message.id] === operation && current) {
                subscribeOn(current, message.id);
              }
            }, delay(operation.retries++));
          }
          break;
        case "complete":
          if (operation && connection === current) {
            delete operations[message.id];
          }
          break;
      }
    }

    function closed(connection, event) {
      stopTimers(connection);
      if (connection.deliberate || stopped) {
        return;
      }
      lastClose = { code: event.code, reason: event.reason };
      if (connection === pending) {
        pending = null;
      }
      if (connection === current) {
        current = null;
      }
      if (!pending) {
        setState(current ? "open" : "reconnecting");
        schedule();
      }
    }

    function schedule() {
      clearTimeout(retryTimer);
      retryTimer = setTimeout(connect, delay(attempts++));
    }

    function connect() {
      if (stopped) {
        return;
      }
      if (pending) {
        finish(pending);
      }
      var connection = { socket: null, deliberate: false, pingTimer: null, pongTimer: null };
      pending = connection;
      if (!current) {
        setState(attempts ? "reconnecting" : "connecting");
      }
      var params = options.connectionParams;
      Promise.resolve(typeof params === "function" ? params({ lastClose: lastClose }) : params).then(
        function (payload) {
          if (stopped || connection !== pending) {
            return;
          }
          connection.socket = new root.WebSocket(url, PROTOCOL);
          connection.socket.onopen = function () {
            send(connection, { type: "connection_init", payload: payload || {} });
          };
          connection.socket.onmessage = function (event) { receive(connection, event.data); };
          connection.socket.onclose = function (event) { closed(connection, event); };
        },
        function (error) {
          if (connection !== pending) {
            return;
          }
          pending = null;
          if (error && error.fatal) {
            dispose();
          } else {
            schedule();
          }
        }
      );
    }

    function dispose() {
      stopped = true;
      clearTimeout(retryTimer);
      Object.keys(operations).forEach(function (id) { clearTimeout(operations[id].timer); });
      [current, pending].forEach(function (connection) {
        if (connection) {
          finish(connection);
        }
      });
      current = pending = null;
      setState("stopped");
    }

    connect();

    return {
      subscribe: function (request, onNext, onError) {
        var id = String(++lastId);
        operations[id] = { request: request, onNext: onNext, onError: onError, retries: 0, timer: null };
        if (current) {
          subscribeOn(current, id);
        }
        return function unsubscribe() {
          if (operations[id]) {
            clearTimeout(operations[id].timer);
            delete operations[id];
            send(current, { id: id, type: "complete" });
          }
        };
      },
      restart: function () {
        clearTimeout(retryTimer);
        connect();
      },
      dispose: dispose,
    };
  }

  root.GraphQLWS = { createClient: createClient, sameOriginUrl: sameOriginUrl };
})(window);
