/*! Verity messenger client v1: identifies the page's user to the Verity gateway. */
(function (w, d) {
  "use strict";
  var me = d.currentScript;
  var src = me && me.src ? me.src : location.href;
  var PING = new URL("ping", src).href;
  var CONSOLE = new URL("/", src).href;
  var FIELDS = ["user_id", "email", "user_hash", "user_jwt", "app_version"];
  var MAX_RETRIES = 3;
  var MAX_DELAY = 60000;
  var settings = null;
  var generation = 0;
  var listeners = [];
  var last = null;

  function dataSettings(el) {
    var s = {};
    if (!el || !el.dataset || !el.dataset.appId) return null;
    var keys = ["app_id"].concat(FIELDS, ["jwt_refresh_url"]);
    for (var i = 0; i < keys.length; i++) {
      var v = el.dataset[keys[i].replace(/_(\w)/g, function (m, c) { return c.toUpperCase(); })];
      if (v != null && v !== "") s[keys[i]] = v;
    }
    return s;
  }

  function copy(into, from) {
    for (var k in from) if (Object.prototype.hasOwnProperty.call(from, k)) into[k] = from[k];
    return into;
  }

  function body(s) {
    var b = { app_id: String(s.app_id), platform: "web" };
    for (var i = 0; i < FIELDS.length; i++) {
      var v = s[FIELDS[i]];
      if (v != null && v !== "") b[FIELDS[i]] = typeof v === "number" ? String(v) : v;
    }
    return JSON.stringify(b);
  }

  function explainUrl(s, code) {
    var base = CONSOLE + "w/" + encodeURIComponent(s.app_id) + "/";
    var q = [];
    function add(k, v) { if (v != null && v !== "") q.push(k + "=" + encodeURIComponent(v)); }
    if (/^jwt_/.test(code)) {
      add("user_id", s.user_id);
      add("code", code);
      return base + "jwt/debugger/" + (q.length ? "?" + q.join("&") : "");
    }
    if (code === "hmac_not_allowed") return base + "security/";
    if (/user_hash/.test(code)) {
      add("platform", "web");
      add("user_id", s.user_id);
      add("email", s.user_id == null ? s.email : null);
      return base + "hash-checker/?" + q.join("&");
    }
    if (code === "untrusted_domain") return base + "trusted-domains/";
    return base + "install/";
  }

  function emit(outcome) {
    last = outcome;
    for (var i = 0; i < listeners.length; i++) {
      try { listeners[i](outcome); } catch (e) { w.console && console.error(e); }
    }
  }

  function report(s, status, json) {
    var code = json.error || json.warning;
    var head = json.error ? "refused (" + (status || "no answer") + " " + code + "): " :
      "not verified (" + code + ", served because web is not enforced; enforcing would refuse it): ";
    var text = "Verity: identity " + head + (json.message || "") +
      (json.request_id ? " request_id " + json.request_id + "." : "") +
      (status ? " Explained at " + explainUrl(s, code) : "");
    if (w.console) console.error(text);
  }

  function refreshToken(s) {
    if (typeof s.jwtRefresh === "function") return Promise.resolve().then(s.jwtRefresh);
    if (s.jwt_refresh_url) {
      return fetch(s.jwt_refresh_url, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (j) { return j.user_jwt; });
    }
    return null;
  }

  function send(g, retries, refreshed) {
    var s = settings;
    fetch(PING, {
      method: "POST",
      mode: "cors",
      credentials: "omit",
      headers: { "Content-Type": "application/json" },
      body: body(s)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (json) {
        if (g !== generation) return;
        var code = json.error || json.warning;
        if ((r.status === 429 || r.status === 503) && retries < MAX_RETRIES) {
          var after = parseFloat(r.headers.get("Retry-After"));
          var delay = after >= 0 ? after * 1000 : 1000 * Math.pow(2, retries) * (1 + Math.random() / 2);
          setTimeout(function () { if (g === generation) send(g, retries + 1, refreshed); }, Math.min(delay, MAX_DELAY));
          return;
        }
        if (code === "jwt_expired" && !refreshed) {
          var fresh = refreshToken(s);
          if (fresh) {
            fresh.then(function (token) {
              if (g !== generation) return;
              if (typeof token !== "string" || !token) throw new Error("jwtRefresh gave no token");
              s.user_jwt = token;
              send(g, retries, true);
            }).catch(function (e) {
              if (g !== generation) return;
              if (w.console) console.error("Verity: jwtRefresh failed:", e);
              finish(s, r.status, json);
            });
            return;
          }
        }
        finish(s, r.status, json);
      });
    }, function () {
      if (g !== generation) return;
      finish(s, 0, { error: "network_error", message: "the gateway " + PING + " could not be reached (offline, blocked by the page's Content-Security-Policy connect-src, or a CORS failure)." });
    });
  }

  function finish(s, status, json) {
    if (!json.identity && !json.error) json = { error: "http_" + status, message: "unexpected answer from " + PING + "." };
    var outcome = { identity: json.identity || "refused", status: status, request_id: json.request_id || null };
    if (json.warning) outcome.warning = json.warning;
    if (json.error) { outcome.error = json.error; outcome.message = json.message; }
    if (json.error || json.warning) report(s, status, json);
    emit(outcome);
  }

  function boot(s) {
    settings = copy({}, s || {});
    generation++;
    last = null;
    if (!settings.app_id) {
      if (w.console) console.error("Verity: boot needs settings.app_id (your workspace's app_id, on the console's Install page).");
      return;
    }
    send(generation, 0, false);
  }

  var api = function (command, arg) {
    if (command === "boot") boot(arg);
    else if (command === "update") { if (settings) boot(copy(copy({}, settings), arg || {})); else boot(arg); }
    else if (command === "shutdown") { settings = null; last = null; generation++; }
    else if (command === "onIdentity") {
      if (typeof arg !== "function") return;
      listeners.push(arg);
      if (last) { var o = last; setTimeout(function () { arg(o); }, 0); }
    } else if (w.console) console.error("Verity: unknown command " + command);
  };

  var queued = w.Verity && w.Verity.q;
  w.Verity = api;
  var initial = w.veritySettings || dataSettings(me);
  if (queued) for (var i = 0; i < queued.length; i++) api.apply(null, queued[i]);
  if (initial && !settings) boot(initial);
})(window, document);
