/* ecocast forecast review page.
 *
 * Plain JavaScript, no build step, no requests outside this server. It reads the
 * public API (stations, cities, observations) and the forecaster API (draft runs,
 * edits, publish), which needs a bearer token kept in sessionStorage.
 * The AQI level colours and warning labels come from the standards data files,
 * handed over by the server in the #review-config JSON block.
 */
(function () {
  "use strict";

  var CONFIG = JSON.parse(document.getElementById("review-config").textContent);
  var API = "api/v1";
  var TOKEN_KEY = "ecocast.review.token";
  var OBS_HOURS = 168;
  var VARIABLES = [
    { id: "pm25", label: "PM2.5", unit: "µg/m³" },
    { id: "pm10", label: "PM10", unit: "µg/m³" },
    { id: "o3", label: "O3", unit: "µg/m³" },
    { id: "no2", label: "NO2", unit: "µg/m³" },
    { id: "so2", label: "SO2", unit: "µg/m³" },
    { id: "co", label: "CO", unit: "mg/m³" },
  ];
  var POLLUTANT_LABELS = {
    pm25: "PM2.5", pm10: "PM10", so2: "SO2", no2: "NO2", co: "CO", o3: "O3",
    o3_8h: "O3 (8-h)", o3_1h: "O3 (1-h)",
  };
  var FIELD_LABELS = {
    aqi_low: "AQI low", aqi_high: "AQI high", level: "Level", primary_pollutant: "Primary pollutant",
  };
  var EDIT_FIELDS = ["aqi_low", "aqi_high", "level", "primary_pollutant"];

  var state = {
    runs: [],        // draft runs (and the current run, whatever its status)
    run: null,       // the selected run
    stations: [],    // [{station, name, city, ...}]
    cities: [],      // [{city, stations: [...]}]
    entity: null,    // {name, kind}
    hourly: [],      // hourly items of the entity
    observations: [],// [{valid_at, pm25, ...}]
    days: [],        // daily rows of the entity
    seq: 0,          // guards against out-of-order loads
  };

  function $(id) { return document.getElementById(id); }

  // ---------------------------------------------------------------- helpers

  function setState(value) { document.body.dataset.state = value; }

  function showStatus(text, isError) {
    var el = $("status");
    el.textContent = text || "";
    el.className = "status" + (isError ? " error" : "");
  }

  function token() { return window.sessionStorage.getItem(TOKEN_KEY) || ""; }

  function ApiError(status, message, detail) {
    this.status = status;
    this.message = message;
    this.detail = detail;
  }
  ApiError.prototype = Object.create(Error.prototype);

  function describeError(err) {
    if (err instanceof ApiError) {
      if (err.status === 401) { return "The server needs a valid access token (401): " + err.message; }
      if (err.status === 403) { return "This token may not do that (403): " + err.message; }
      return "Error " + err.status + ": " + err.message;
    }
    return String(err && err.message ? err.message : err);
  }

  function api(path, options) {
    var opts = options || {};
    var headers = { Accept: "application/json" };
    var init = { method: opts.method || "GET", headers: headers, cache: "no-store" };
    if (opts.auth) {
      var t = token();
      if (!t) { return Promise.reject(new ApiError(401, "enter an access token first")); }
      headers.Authorization = "Bearer " + t;
    }
    if (opts.body !== undefined) {
      headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(opts.body);
    }
    return fetch(API + path, init).then(function (response) {
      return response.text().then(function (text) {
        var payload = null;
        if (text) { try { payload = JSON.parse(text); } catch (e) { payload = null; } }
        if (!response.ok) {
          var e = payload && payload.error;
          var msg = e && e.message ? e.message : response.statusText;
          throw new ApiError(response.status, msg, e);
        }
        return payload;
      });
    });
  }

  function asList(payload, keys) {
    if (Array.isArray(payload)) { return payload; }
    for (var i = 0; payload && i < keys.length; i++) {
      if (Array.isArray(payload[keys[i]])) { return payload[keys[i]]; }
    }
    return [];
  }

  function enc(text) { return encodeURIComponent(text); }

  var formatters = {};
  function localStamp(iso, tz) {
    // "YYYY-MM-DD HH:MM" wall time in tz; plotly draws naive times as given.
    var key = tz || "";
    if (!formatters[key]) {
      var opts = {
        year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", hourCycle: "h23",
      };
      if (tz) { opts.timeZone = tz; }
      formatters[key] = new Intl.DateTimeFormat("en-CA", opts);
    }
    var parts = {};
    formatters[key].formatToParts(new Date(iso)).forEach(function (p) { parts[p.type] = p.value; });
    return parts.year + "-" + parts.month + "-" + parts.day + " " + parts.hour + ":" + parts.minute;
  }

  function runZone() { return (state.run && state.run.timezone) || undefined; }

  function pollutantLabel(code) {
    if (!code) { return "—"; }
    return String(code).split("+").map(function (p) { return POLLUTANT_LABELS[p] || p; }).join(", ");
  }

  // The HJ 633 edition of the selected run (its levels and colours), else the one in force.
  function edition() {
    var key = state.run && state.run.standard_edition;
    return (key && CONFIG.editions[key]) || { source: CONFIG.level_source, levels: CONFIG.levels };
  }

  function levelInfo(level) {
    var levels = edition().levels;
    for (var i = 0; i < levels.length; i++) {
      if (levels[i].level === Number(level)) { return levels[i]; }
    }
    return null;
  }

  function textColourOn(hex) {
    // Relative luminance (WCAG 2.x) of the background decides black or white text.
    var c = [1, 3, 5].map(function (i) {
      var v = parseInt(hex.substr(i, 2), 16) / 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    var lum = 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2];
    return lum > 0.3 ? "#000000" : "#ffffff";
  }

  function warningInfo(scheme, level) {
    var s = CONFIG.warning_schemes[scheme];
    if (!s || level < 1 || level > s.levels.length) { return null; }
    return s.levels[level - 1];
  }

  function modelValue(row, field) {
    if (row["model_" + field] !== undefined) { return row["model_" + field]; }
    if (row.model && row.model[field] !== undefined) { return row.model[field]; }
    return undefined;
  }

  function isNumber(v) { return typeof v === "number" && isFinite(v); }

  function signed(n) { return (n > 0 ? "+" : n < 0 ? "−" : "±") + Math.abs(n); }

  // Difference of an edited value from the model value, as shown in the table.
  function difference(field, value, model) {
    if (model === undefined || model === null || value === model) { return null; }
    if (field === "primary_pollutant") {
      return "model " + pollutantLabel(model);
    }
    if (isNumber(value) && isNumber(model)) { return signed(value - model); }
    return "model " + model;
  }

  // ---------------------------------------------------------------- token

  function refreshTokenState() {
    $("token-state").textContent = token() ? "token set for this tab" : "no token";
  }

  function saveToken(event) {
    event.preventDefault();
    var value = $("token-input").value.trim();
    if (value) { window.sessionStorage.setItem(TOKEN_KEY, value); }
    $("token-input").value = "";
    refreshTokenState();
    loadRuns();
  }

  function clearToken() {
    window.sessionStorage.removeItem(TOKEN_KEY);
    refreshTokenState();
    state.runs = [];
    state.run = null;
    renderRunSelect();
    renderRunInfo();
  }

  // ---------------------------------------------------------------- runs

  function runLabel(run) {
    var when = localStamp(run.issued_at, run.timezone) + " " + (run.timezone || "");
    var tag = run.status === "draft" ? "draft" : run.status + " v" + run.version;
    return when + " · " + tag + " · #" + run.id + (run.degraded ? " · degraded" : "");
  }

  function renderRunSelect() {
    var select = $("run-select");
    select.innerHTML = "";
    if (!state.runs.length) {
      var none = document.createElement("option");
      none.value = "";
      none.textContent = token() ? "(no draft runs)" : "(enter a token to list drafts)";
      select.appendChild(none);
      select.disabled = true;
      return;
    }
    state.runs.forEach(function (run) {
      var option = document.createElement("option");
      option.value = String(run.id);
      option.textContent = runLabel(run);
      select.appendChild(option);
    });
    select.disabled = false;
    if (state.run) { select.value = String(state.run.id); }
  }

  function renderRunInfo() {
    var run = state.run;
    var el = $("run-info");
    el.innerHTML = "";
    $("publish-button").disabled = !run || run.status !== "draft";
    $("revise-button").hidden = !run || run.status !== "published";
    $("edit-submit").disabled = !run || run.status !== "draft";
    if (!run) { return; }
    var bits = [
      "Run #" + run.id,
      "status " + run.status + (run.version ? " (version " + run.version + ")" : ""),
      "issued " + localStamp(run.issued_at, run.timezone),
      "standard " + (run.standard_edition || "?"),
    ];
    if (run.data_cutoff) { bits.push("data cut-off " + localStamp(run.data_cutoff, run.timezone)); }
    el.textContent = bits.join(" · ");
    el.dataset.status = run.status;
    if (run.degraded) {
      var deg = document.createElement("div");
      deg.className = "degraded";
      var reasons = (run.degraded_reasons || []).join("; ");
      deg.textContent = "Degraded run" + (reasons ? ": " + reasons : "");
      el.appendChild(deg);
    }
  }

  function upsertRun(run) {
    var found = false;
    state.runs = state.runs.map(function (r) {
      if (r.id === run.id) { found = true; return run; }
      return r;
    });
    if (!found) { state.runs.unshift(run); }
  }

  function loadRuns() {
    if (!token()) {
      renderRunSelect();
      showStatus("Enter an access token (forecaster or admin) to list and edit draft runs.");
      return Promise.resolve();
    }
    return api("/review/runs?status=draft", { auth: true }).then(function (payload) {
      var runs = asList(payload, ["items", "runs", "data"]);
      var current = state.run;
      state.runs = runs;
      if (current) { upsertRun(current); }
      if (!state.run && runs.length) { state.run = runs[0]; }
      renderRunSelect();
      renderRunInfo();
      return loadEntity();
    }).catch(function (err) {
      setState("error");
      showStatus(describeError(err), true);
    });
  }

  function selectRun() {
    var id = $("run-select").value;
    state.run = state.runs.filter(function (r) { return String(r.id) === id; })[0] || null;
    renderRunInfo();
    loadEntity();
  }

  // ---------------------------------------------------------------- entities

  function loadEntities() {
    return Promise.all([
      api("/stations?network=air"),
      api("/cities").catch(function () { return []; }),
    ]).then(function (results) {
      state.stations = asList(results[0], ["items", "stations", "data"]);
      state.cities = asList(results[1], ["items", "cities", "data"]);
      renderEntitySelect();
    });
  }

  function renderEntitySelect() {
    var select = $("entity-select");
    select.innerHTML = "";
    var placeholder = document.createElement("option");
    placeholder.value = "";
    placeholder.textContent = "(choose a station or city)";
    select.appendChild(placeholder);
    var groups = [
      ["Cities", state.cities.map(function (c) { return ["city", c.city, c.city]; })],
      ["Stations", state.stations.map(function (s) {
        var label = s.name && s.name !== s.station ? s.station + " · " + s.name : s.station;
        return ["station", s.station, label + (s.city ? " (" + s.city + ")" : "")];
      })],
    ];
    groups.forEach(function (g) {
      if (!g[1].length) { return; }
      var group = document.createElement("optgroup");
      group.label = g[0];
      g[1].forEach(function (e) {
        var option = document.createElement("option");
        option.value = e[0] + ":" + e[1];
        option.textContent = e[2];
        group.appendChild(option);
      });
      select.appendChild(group);
    });
    if (state.entity) { select.value = state.entity.kind + ":" + state.entity.name; }
  }

  function selectEntity() {
    var value = $("entity-select").value;
    if (!value) { state.entity = null; return; }
    var cut = value.indexOf(":");
    state.entity = { kind: value.slice(0, cut), name: value.slice(cut + 1) };
    loadEntity();
  }

  function cityStations(city) {
    var entry = state.cities.filter(function (c) { return c.city === city; })[0];
    if (entry && Array.isArray(entry.stations) && entry.stations.length) {
      return entry.stations.map(function (s) { return typeof s === "string" ? s : s.station; });
    }
    return state.stations.filter(function (s) { return s.city === city; })
      .map(function (s) { return s.station; });
  }

  function loadObservations(entity) {
    var stations = entity.kind === "city" ? cityStations(entity.name) : [entity.name];
    var query = "?hours=" + OBS_HOURS;
    if (state.run && state.run.issued_at) { query += "&end=" + enc(state.run.issued_at); }
    return Promise.all(stations.map(function (station) {
      return api("/observations/" + enc(station) + query)
        .then(function (p) { return asList(p, ["items"]); })
        .catch(function () { return []; });
    })).then(function (lists) {
      return lists.length === 1 ? lists[0] : meanObservations(lists);
    });
  }

  // The city's observed series: the mean over its stations of each hour's values.
  function meanObservations(lists) {
    var byTime = {};
    lists.forEach(function (items) {
      items.forEach(function (item) {
        var key = new Date(item.valid_at).getTime();
        var acc = byTime[key] || (byTime[key] = { valid_at: item.valid_at, sums: {}, counts: {} });
        VARIABLES.forEach(function (v) {
          if (isNumber(item[v.id])) {
            acc.sums[v.id] = (acc.sums[v.id] || 0) + item[v.id];
            acc.counts[v.id] = (acc.counts[v.id] || 0) + 1;
          }
        });
      });
    });
    return Object.keys(byTime).map(Number).sort(function (a, b) { return a - b; }).map(function (k) {
      var acc = byTime[k];
      var row = { valid_at: acc.valid_at };
      VARIABLES.forEach(function (v) {
        row[v.id] = acc.counts[v.id] ? acc.sums[v.id] / acc.counts[v.id] : null;
      });
      return row;
    });
  }

  function loadEntity() {
    var run = state.run;
    var entity = state.entity;
    if (!run || !entity) {
      setState(run ? "idle" : "no-run");
      return Promise.resolve();
    }
    var seq = ++state.seq;
    setState("loading");
    showStatus("Loading " + entity.name + "…");
    var base = "/review/runs/" + enc(run.id) + "/entities/" + enc(entity.name);
    var kind = "?entity_kind=" + enc(entity.kind);
    return Promise.all([
      api(base + "/hourly" + kind, { auth: true }),
      api(base + "/daily" + kind, { auth: true }),
      loadObservations(entity),
    ]).then(function (results) {
      if (seq !== state.seq) { return; }
      state.hourly = asList(results[0], ["items"]);
      state.days = asList(results[1], ["days", "items"]).slice().sort(function (a, b) {
        return a.day - b.day;
      });
      state.observations = results[2];
      renderAll();
      showStatus("");
      setState("ready");
    }).catch(function (err) {
      if (seq !== state.seq) { return; }
      state.hourly = [];
      state.days = [];
      state.observations = [];
      renderAll();
      showStatus(describeError(err), true);
      setState("error");
    });
  }

  // ---------------------------------------------------------------- rendering

  function renderAll() {
    $("level-source").textContent = edition().source;
    renderChart();
    renderTable();
    renderBanner();
    renderEditDates();
  }

  function currentVariable() {
    var id = $("variable-select").value || "pm25";
    return VARIABLES.filter(function (v) { return v.id === id; })[0];
  }

  function renderChart() {
    var variable = currentVariable();
    var tz = runZone();
    var items = state.hourly.filter(function (i) { return i.variable === variable.id; })
      .sort(function (a, b) { return new Date(a.valid_at) - new Date(b.valid_at); });
    var x = items.map(function (i) { return localStamp(i.valid_at, tz); });
    var obs = state.observations.filter(function (o) { return o[variable.id] !== undefined; });
    var traces = [
      {
        name: "observed", x: obs.map(function (o) { return localStamp(o.valid_at, tz); }),
        y: obs.map(function (o) { return o[variable.id]; }),
        mode: "lines", line: { color: "#333333", width: 1.5 }, connectgaps: false,
      },
      {
        name: "q10", x: x, y: items.map(function (i) { return i.q10; }),
        mode: "lines", line: { width: 0, color: "#1f77b4" }, showlegend: false,
      },
      {
        name: "q10–q90", x: x, y: items.map(function (i) { return i.q90; }),
        mode: "lines", line: { width: 0, color: "#1f77b4" }, fill: "tonexty",
        fillcolor: "rgba(31,119,180,0.25)",
      },
      {
        name: "forecast (median)", x: x, y: items.map(function (i) { return i.value; }),
        mode: "lines", line: { color: "#1f77b4", width: 2 },
      },
    ];
    var shapes = [];
    if (state.run) {
      var issued = localStamp(state.run.issued_at, tz);
      shapes.push({
        type: "line", xref: "x", yref: "paper", x0: issued, x1: issued, y0: 0, y1: 1,
        line: { color: "#888888", dash: "dot", width: 1 },
      });
    }
    var layout = {
      margin: { l: 60, r: 20, t: 10, b: 40 },
      xaxis: { type: "date", title: { text: "local time" + (tz ? " (" + tz + ")" : "") } },
      yaxis: { title: { text: variable.label + " [" + variable.unit + "]" }, rangemode: "tozero" },
      legend: { orientation: "h", y: 1.08 },
      shapes: shapes,
      hovermode: "x unified",
    };
    $("chart-caption").textContent = state.entity
      ? "· " + state.entity.name + " · " + variable.label + " · " + items.length + " forecast hours, "
        + obs.length + " observed hours"
      : "";
    var chart = $("fan-chart");
    chart.dataset.points = String(items.length);
    chart.dataset.observed = String(obs.length);
    if (window.Plotly) {
      window.Plotly.react(chart, traces, layout, { displaylogo: false, responsive: true });
    } else {
      chart.textContent = "plotly.js did not load";
    }
  }

  function cell(tr, text, field) {
    var td = document.createElement("td");
    td.textContent = text;
    if (field) { td.dataset.field = field; }
    tr.appendChild(td);
    return td;
  }

  function markEdited(td, field, row) {
    var diff = difference(field, row[field], modelValue(row, field));
    if (diff === null) { return; }
    td.classList.add("edited");
    var span = document.createElement("span");
    span.className = "diff";
    span.textContent = " (" + diff + ")";
    td.appendChild(span);
  }

  function renderTable() {
    var tbody = $("daily-table").querySelector("tbody");
    tbody.innerHTML = "";
    state.days.forEach(function (row) {
      var tr = document.createElement("tr");
      tr.dataset.day = String(row.day);
      tr.dataset.date = String(row.date);
      cell(tr, String(row.day));
      cell(tr, String(row.date));
      cell(tr, isNumber(row.aqi) ? String(row.aqi) : "—", "aqi");
      markEdited(cell(tr, String(row.aqi_low), "aqi_low"), "aqi_low", row);
      markEdited(cell(tr, String(row.aqi_high), "aqi_high"), "aqi_high", row);
      var info = levelInfo(row.level);
      var lv = cell(tr, info ? row.level + " · " + info.category + " (" + info.category_en + ")"
        : String(row.level), "level");
      if (info) {
        lv.style.backgroundColor = info.hex;
        lv.style.color = textColourOn(info.hex);
        lv.dataset.colour = info.hex;
      }
      markEdited(lv, "level", row);
      markEdited(cell(tr, pollutantLabel(row.primary_pollutant), "primary_pollutant"),
        "primary_pollutant", row);
      var w = warningInfo(row.warning_scheme, Number(row.warning_level));
      var wc = cell(tr, w ? w.name_en + " (" + w.name_zh + ")"
        : Number(row.warning_level) > 0 ? "level " + row.warning_level : "none", "warning_level");
      if (w) { wc.classList.add("warn"); wc.style.borderLeftColor = w.colour; }
      var changes = cell(tr, changesText(row), "changes");
      var notes = (row.edits || []).map(function (e) {
        return FIELD_LABELS[e.field] + ": " + e.before + " → " + e.after + " by " + e.author
          + " (" + e.reason + ")";
      });
      if (notes.length) { changes.title = notes.join("\n"); }
      tbody.appendChild(tr);
    });
    if (!state.days.length) {
      var empty = document.createElement("tr");
      var td = cell(empty, state.entity ? "No daily forecast for this entity." : "");
      td.colSpan = 9;
      tbody.appendChild(empty);
    }
  }

  function changesText(row) {
    var parts = [];
    EDIT_FIELDS.forEach(function (field) {
      var model = modelValue(row, field);
      var diff = difference(field, row[field], model);
      if (diff === null) { return; }
      var shown = field === "primary_pollutant" ? pollutantLabel(row[field]) : row[field];
      var was = field === "primary_pollutant" ? pollutantLabel(model) : model;
      parts.push(FIELD_LABELS[field] + " " + shown + " (model " + was
        + (field === "primary_pollutant" ? "" : ", " + diff) + ")");
    });
    return parts.length ? parts.join("; ") : "—";
  }

  function renderBanner() {
    var banner = $("warning-banner");
    var warned = state.days.filter(function (r) { return Number(r.warning_level) > 0; });
    if (!warned.length) {
      banner.hidden = true;
      banner.textContent = "";
      return;
    }
    var top = warned.reduce(function (a, b) {
      return Number(b.warning_level) > Number(a.warning_level) ? b : a;
    });
    var info = warningInfo(top.warning_scheme, Number(top.warning_level));
    var label = info ? info.name_en + " (" + info.name_zh + ")" : "warning level " + top.warning_level;
    banner.textContent = "Heavy-pollution warning for " + (state.entity ? state.entity.name : "")
      + ": " + label + " on " + warned.map(function (r) { return r.date; }).join(", ")
      + (top.warning_scheme ? " · scheme " + top.warning_scheme : "");
    banner.style.borderColor = info ? info.colour : "#cc0000";
    banner.dataset.level = String(top.warning_level);
    banner.hidden = false;
  }

  // ---------------------------------------------------------------- editing

  function renderEditDates() {
    var select = $("edit-date");
    var previous = select.value;
    select.innerHTML = "";
    state.days.forEach(function (row) {
      var option = document.createElement("option");
      option.value = String(row.date);
      option.textContent = "Day " + row.day + " · " + row.date;
      select.appendChild(option);
    });
    if (previous) { select.value = previous; }
    prefillValue();
  }

  function prefillValue() {
    var field = $("edit-field").value;
    var input = $("edit-value");
    var row = state.days.filter(function (r) { return String(r.date) === $("edit-date").value; })[0];
    if (field === "primary_pollutant") {
      input.type = "text";
      input.removeAttribute("min");
      input.removeAttribute("max");
    } else {
      input.type = "number";
      input.step = "1";
      input.min = field === "level" ? "1" : "0";
      if (field === "level") { input.max = String(edition().levels.length); } else { input.removeAttribute("max"); }
    }
    input.value = row && row[field] !== undefined && row[field] !== null ? String(row[field]) : "";
  }

  function submitEdit(event) {
    event.preventDefault();
    var run = state.run;
    var entity = state.entity;
    var out = $("edit-result");
    if (!run || !entity) { out.textContent = "Choose a run and a station or city first."; return; }
    var field = $("edit-field").value;
    var raw = $("edit-value").value.trim();
    var reason = $("edit-reason").value.trim();
    if (!reason) { out.textContent = "Give a reason for the edit."; out.className = "result error"; return; }
    var value = field === "primary_pollutant" ? raw : Number(raw);
    if (field !== "primary_pollutant" && (!raw || !Number.isInteger(value))) {
      out.textContent = FIELD_LABELS[field] + " must be a whole number.";
      out.className = "result error";
      return;
    }
    var body = { entity: entity.name, date: $("edit-date").value, field: field, value: value, reason: reason };
    out.textContent = "Saving…";
    out.className = "result";
    api("/review/runs/" + enc(run.id) + "/edits", { method: "POST", auth: true, body: body })
      .then(function () {
        $("edit-reason").value = "";
        return loadEntity();
      })
      .then(function () {
        var row = state.days.filter(function (r) { return String(r.date) === body.date; })[0];
        var diff = row ? difference(field, row[field], modelValue(row, field)) : null;
        out.textContent = "Saved: " + FIELD_LABELS[field] + " = " + (row ? row[field] : value)
          + " on " + body.date + (diff ? " (" + (field === "primary_pollutant" ? diff : diff + " from the model") + ")" : " (same as the model)");
        out.className = "result ok";
      })
      .catch(function (err) {
        out.textContent = describeError(err);
        out.className = "result error";
      });
  }

  // ---------------------------------------------------------------- publishing

  function afterRunChange(run, message) {
    state.run = run;
    upsertRun(run);
    renderRunSelect();
    renderRunInfo();
    var out = $("publish-result");
    out.textContent = message;
    out.className = "result ok";
    return loadEntity();
  }

  function publish() {
    var run = state.run;
    if (!run) { return; }
    var out = $("publish-result");
    out.textContent = "Publishing…";
    out.className = "result";
    $("publish-button").disabled = true;
    api("/review/runs/" + enc(run.id) + "/publish", { method: "POST", auth: true })
      .then(function (published) {
        var p = published && published.run ? published.run : published;
        return afterRunChange(p, "Published run #" + p.id + " as version " + p.version
          + (p.published_at ? " at " + localStamp(p.published_at, p.timezone) : "") + ".");
      })
      .catch(function (err) {
        out.textContent = describeError(err);
        out.className = "result error";
        renderRunInfo();
      });
  }

  function revise() {
    var run = state.run;
    if (!run) { return; }
    api("/review/runs/" + enc(run.id) + "/revise", { method: "POST", auth: true })
      .then(function (draft) {
        var d = draft && draft.run ? draft.run : draft;
        return afterRunChange(d, "New draft #" + d.id + " from version " + run.version + ".");
      })
      .catch(function (err) {
        $("publish-result").textContent = describeError(err);
        $("publish-result").className = "result error";
      });
  }

  // ---------------------------------------------------------------- start

  function init() {
    VARIABLES.forEach(function (v) {
      var option = document.createElement("option");
      option.value = v.id;
      option.textContent = v.label + " [" + v.unit + "]";
      $("variable-select").appendChild(option);
    });
    Object.keys(POLLUTANT_LABELS).forEach(function (code) {
      var option = document.createElement("option");
      option.value = code;
      option.label = POLLUTANT_LABELS[code];
      $("pollutant-names").appendChild(option);
    });
    $("token-form").addEventListener("submit", saveToken);
    $("token-clear").addEventListener("click", clearToken);
    $("run-select").addEventListener("change", selectRun);
    $("entity-select").addEventListener("change", selectEntity);
    $("variable-select").addEventListener("change", renderChart);
    $("reload-button").addEventListener("click", function () { loadRuns(); });
    $("edit-form").addEventListener("submit", submitEdit);
    $("edit-field").addEventListener("change", prefillValue);
    $("edit-date").addEventListener("change", prefillValue);
    $("publish-button").addEventListener("click", publish);
    $("revise-button").addEventListener("click", revise);
    refreshTokenState();
    renderRunInfo();
    setState("starting");
    loadEntities()
      .then(loadRuns)
      .then(function () {
        if (document.body.dataset.state === "starting") { setState(state.run ? "idle" : "no-run"); }
      })
      .catch(function (err) {
        showStatus(describeError(err), true);
        setState("error");
      });
  }

  document.addEventListener("DOMContentLoaded", init);
}());
