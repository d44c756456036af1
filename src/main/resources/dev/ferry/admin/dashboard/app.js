/*
 * Ferry's live dashboard. Polls GET /api/v1/status every second, computes rates from counter deltas in the
 * page, reads a director's tracked connections (GET /api/v1/directors/{d}/connections) while its list is open,
 * and calls PUT /api/v1/backends/{b}/servers/{s} for the buttons. Every text that comes from the API is
 * inserted with textContent / setAttribute (never innerHTML), so a server named "<script>" stays a name.
 */
'use strict';

(() => {
  const POLL_MS = 1000;
  const HISTORY_MS = 5 * 60 * 1000;
  // Rates in the tables use a few seconds of samples so a quiet server does not flicker between 0 and 1/s.
  const RATE_WINDOW_MS = 5000;
  const TOKEN_KEY = 'ferry.adminToken';
  const PALETTE = ['#2563eb', '#16a34a', '#d97706', '#9333ea', '#dc2626', '#0891b2', '#db2777', '#65a30d',
    '#7c3aed', '#ea580c', '#0d9488', '#4f46e5'];
  const STATES = [
    { action: 'ready', label: 'Ready', title: 'take new connections' },
    { action: 'drain', label: 'Drain', title: 'no new connections; live ones finish' },
    { action: 'maint', label: 'Maint', title: 'maintenance: out of rotation' },
  ];

  const $ = (id) => document.getElementById(id);

  /** Builds an element; string children become text nodes, so they are never parsed as HTML. */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') el.className = value;
      else if (key === 'dataset') Object.assign(el.dataset, value);
      else if (key.startsWith('on')) el.addEventListener(key.slice(2), value);
      else el.setAttribute(key, value === true ? '' : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      el.append(child instanceof Node ? child : String(child));
    }
    return el;
  }

  function setText(el, text) {
    const s = String(text);
    if (el.textContent !== s) el.textContent = s;
  }

  const fmt = {
    int: new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 }),
    rate: new Intl.NumberFormat(undefined, { minimumFractionDigits: 1, maximumFractionDigits: 1 }),
    pct: new Intl.NumberFormat(undefined, { style: 'percent', maximumFractionDigits: 1 }),
    number(n) { return n === null || n === undefined ? '—' : this.int.format(n); },
    perSecond(n) { return n === null ? '—' : this.rate.format(n); },
    percent(n) { return n === null ? '—' : this.pct.format(n); },
    ms(n) { return n === null || n === undefined ? '—' : (n < 10 ? n.toFixed(2) : n.toFixed(0)) + ' ms'; },
    bytes(n) {
      const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let v = n, i = 0;
      while (v >= 1024 && i < units.length - 1) { v /= 1024; i++; }
      return (i === 0 ? v.toFixed(0) : v.toFixed(1)) + ' ' + units[i];
    },
    duration(seconds) {
      const d = Math.floor(seconds / 86400), hrs = Math.floor(seconds / 3600) % 24;
      const m = Math.floor(seconds / 60) % 60, s = seconds % 60;
      if (d > 0) return `${d}d ${hrs}h`;
      if (hrs > 0) return `${hrs}h ${String(m).padStart(2, '0')}m`;
      if (m > 0) return `${m}m ${String(s).padStart(2, '0')}s`;
      return `${s}s`;
    },
  };

  // ---------------------------------------------------------------- admin API client (bearer token on demand)

  const client = {
    token: sessionStorage.getItem(TOKEN_KEY),
    asking: null,

    /** One API call; on a 401 asks for the token (once, however many calls are waiting) and retries once. */
    async call(method, path, body) {
      for (let attempt = 0; ; attempt++) {
        const headers = { Accept: 'application/json' };
        if (body !== undefined) headers['Content-Type'] = 'application/json';
        if (this.token) headers.Authorization = 'Bearer ' + this.token;
        const response = await fetch(path, {
          method, headers, cache: 'no-store',
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        const json = await response.json().catch(() => null);
        if (response.status === 401 && attempt === 0) {
          await this.askToken(Boolean(this.token));
          continue;
        }
        return { ok: response.ok, status: response.status, json };
      }
    },

    askToken(refused) {
      if (!this.asking) {
        this.asking = new Promise((resolve) => {
          const dialog = $('token-dialog');
          const problem = $('token-problem');
          problem.hidden = !refused;
          problem.textContent = refused ? 'That token was refused; check admin.token_file.' : '';
          $('token-input').value = '';
          $('token-form').addEventListener('submit', () => {
            this.token = $('token-input').value.trim();
            sessionStorage.setItem(TOKEN_KEY, this.token);
            this.asking = null;
            resolve();
          }, { once: true });
          dialog.showModal();
        });
      }
      return this.asking;
    },
  };

  function problemText(result) {
    const j = result.json;
    if (j && typeof j === 'object' && (j.error || j.detail)) {
      return [j.error, j.detail].filter(Boolean).join(': ');
    }
    return `HTTP ${result.status}`;
  }

  // ---------------------------------------------------------------- history of samples and rates

  /** Samples of one group of counters (a backend's servers, or the frontends), oldest first. */
  class History {
    constructor() { this.samples = []; }

    add(t, values) {
      this.samples.push({ t, values });
      while (this.samples.length > 2 && this.samples[0].t < t - HISTORY_MS - 2 * POLL_MS) this.samples.shift();
    }

    /** Per-second rate of {@code field} for {@code name} over the last window, or null while unknown. */
    rate(name, field, windowMs = RATE_WINDOW_MS) {
      const pair = this.window(name, windowMs);
      if (!pair) return null;
      const delta = pair.last.values[name][field] - pair.first.values[name][field];
      return delta < 0 ? null : delta / ((pair.last.t - pair.first.t) / 1000);
    }

    /** Share of failed connections over the last window (0 when nothing was tried), or null while unknown. */
    errorRatio(name, countField) {
      const pair = this.window(name, RATE_WINDOW_MS);
      if (!pair) return null;
      const tried = pair.last.values[name][countField] - pair.first.values[name][countField];
      const failed = pair.last.values[name].failures - pair.first.values[name].failures;
      if (tried < 0 || failed < 0) return null;
      if (tried === 0) return failed > 0 ? 1 : 0;
      return Math.min(1, failed / tried);
    }

    /**
     * The {@code q} quantile (0..1) in ms of the request durations of {@code name} between two samples, estimated
     * from the histogram buckets of the status API (linear within a bucket), or null when no request ended then.
     */
    static quantile(first, last, name, q) {
      const a = first.values[name], b = last.values[name];
      if (!a || !b || !a.durations || !b.durations) return null;
      const deltas = b.durations.map((c, i) => Math.max(0, c - (a.durations[i] || 0)));
      const total = deltas.reduce((sum, d) => sum + d, 0);
      if (total === 0) return null;
      const bounds = b.bounds;
      const rank = q * total;
      let seen = 0;
      for (let i = 0; i < deltas.length; i++) {
        if (deltas[i] > 0 && seen + deltas[i] >= rank) {
          if (i >= bounds.length) return bounds[bounds.length - 1]; // beyond the last bound: at least that
          const lower = i === 0 ? 0 : bounds[i - 1];
          return lower + (bounds[i] - lower) * ((rank - seen) / deltas[i]);
        }
        seen += deltas[i];
      }
      return bounds[bounds.length - 1];
    }

    /** The {@code q} quantile in ms of {@code name}'s request durations over the last window, or null. */
    percentile(name, q, windowMs = RATE_WINDOW_MS) {
      const pair = this.window(name, windowMs);
      return pair ? History.quantile(pair.first, pair.last, name, q) : null;
    }

    /** The samples spanning the {@code windowMs} that ends at sample {@code end} (default: the latest). */
    window(name, windowMs, end = this.samples.length - 1) {
      const n = end + 1;
      if (n < 2 || !this.samples[n - 1].values[name]) return null;
      const last = this.samples[n - 1];
      let first = null;
      for (let i = n - 2; i >= 0; i--) {
        const s = this.samples[i];
        if (!s.values[name]) break;
        first = s;
        if (s.t <= last.t - windowMs) break;
      }
      return first ? { first, last } : null;
    }
  }

  // ---------------------------------------------------------------- charts (Chart.js from the webjar)

  function cssVar(name) {
    return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  }

  function chartOptions(yTitle, stacked, yMax) {
    const text = cssVar('--muted');
    const grid = cssVar('--grid');
    return {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      normalized: true,
      interaction: { mode: 'nearest', axis: 'x', intersect: false },
      elements: { point: { radius: 0, hoverRadius: 3 }, line: { borderWidth: 1.6, tension: 0.25 } },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => items.length ? `${Math.round(-items[0].parsed.x)} s ago` : '',
            label: (item) => `${item.dataset.label}: ${stacked ? fmt.percent(item.parsed.y / 100) : fmt.ms(item.parsed.y)}`,
          },
        },
      },
      scales: {
        x: {
          type: 'linear', min: -60, max: 0,
          grid: { color: grid }, border: { display: false },
          ticks: {
            color: text, stepSize: 10, maxRotation: 0,
            callback: (v) => (v === 0 ? 'now' : v % 60 === 0 ? `${-v / 60}m` : `${-v}s`),
          },
        },
        y: {
          stacked, min: 0, max: yMax, beginAtZero: true,
          grid: { color: grid }, border: { display: false },
          title: { display: true, text: yTitle, color: text, font: { size: 11 } },
          ticks: { color: text, maxTicksLimit: 5, callback: stacked ? (v) => v + '%' : undefined },
        },
      },
    };
  }

  function withAlpha(hex, alpha) {
    const a = Math.round(alpha * 255).toString(16).padStart(2, '0');
    return hex + a;
  }

  /** A note laid over an empty chart, so blank axes do not look like a broken page. */
  function emptyNote(canvas, text) {
    const note = h('div', { class: 'chart-empty' }, text);
    canvas.parentElement.append(note);
    return note;
  }

  /**
   * The two charts of one backend: each server's share of its traffic (requests for HTTP backends, new connections
   * otherwise), and each server's latency (HTTP: p95 of the request time; TCP: connect time as a peak-EWMA).
   */
  class BackendCharts {
    constructor(shareCanvas, latencyCanvas, servers, http) {
      this.servers = servers;
      this.http = http;
      this.shareEmpty = emptyNote(shareCanvas, http ? 'No requests in this period' : 'No new connections in this period');
      this.latencyEmpty = emptyNote(latencyCanvas, 'No latency measured in this period');
      const datasets = (fill) => servers.map((s, i) => ({
        label: s.name, data: [], spanGaps: false,
        borderColor: PALETTE[i % PALETTE.length],
        backgroundColor: withAlpha(PALETTE[i % PALETTE.length], fill ? 0.35 : 0.15),
        fill: fill ? (i === 0 ? 'origin' : '-1') : false,
      }));
      this.share = new window.Chart(shareCanvas, {
        type: 'line', data: { datasets: datasets(true) }, options: chartOptions('share of traffic', true, 100),
      });
      this.latency = new window.Chart(latencyCanvas, {
        type: 'line', data: { datasets: datasets(false) },
        options: chartOptions(http ? 'p95 request time (ms)' : 'connect time, peak-EWMA (ms)', false, undefined),
      });
    }

    update(history, countField, now) {
      const points = this.servers.map(() => ({ share: [], latency: [] }));
      const samples = history.samples;
      // The time axis grows with the history (1 min, 2 min, ... up to 5), so a fresh page is not mostly empty.
      const age = samples.length ? (now - samples[0].t) / 1000 : 0;
      const span = Math.min(HISTORY_MS / 1000, Math.max(60, Math.ceil(age / 60) * 60));
      for (const chart of [this.share, this.latency]) {
        chart.options.scales.x.min = -span;
        chart.options.scales.x.ticks.stepSize = span <= 60 ? 10 : span <= 120 ? 30 : 60;
      }
      for (let i = 1; i < samples.length; i++) {
        const prev = samples[i - 1], cur = samples[i];
        const x = (cur.t - now) / 1000;
        if (x < -span) continue;
        const deltas = this.servers.map((s) => {
          const a = prev.values[s.name], b = cur.values[s.name];
          return a && b ? Math.max(0, b[countField] - a[countField]) : 0;
        });
        const total = deltas.reduce((sum, d) => sum + d, 0);
        this.servers.forEach((s, k) => {
          points[k].share.push({ x, y: total > 0 ? (100 * deltas[k]) / total : null });
          const v = cur.values[s.name];
          // HTTP: p95 of the requests that ended in the last 5 s before this sample.
          const from = this.http ? history.window(s.name, RATE_WINDOW_MS, i) : null;
          const y = this.http ? (from ? History.quantile(from.first, from.last, s.name, 0.95) : null)
            : v && v.latency !== null ? v.latency : null;
          points[k].latency.push({ x, y });
        });
      }
      points.forEach((p, k) => {
        this.share.data.datasets[k].data = p.share;
        this.latency.data.datasets[k].data = p.latency;
      });
      const known = (series) => points.some((p) => p[series].some((pt) => pt.y !== null));
      this.shareEmpty.hidden = known('share');
      this.latencyEmpty.hidden = known('latency');
      this.share.update('none');
      this.latency.update('none');
    }

    destroy() {
      this.share.destroy();
      this.latency.destroy();
    }
  }

  // ---------------------------------------------------------------- frontends

  const frontendHistory = new History();

  /** frontend name -> { signature, card, values: { key: element } }; cards are updated in place each second. */
  const frontendViews = new Map();

  const FRONTEND_STATS = [
    { key: 'connections_total', label: 'total', title: 'connections accepted since start', format: (v) => fmt.number(v) },
    { key: 'refused_no_server', label: 'no server', title: 'refused: no server could take them', format: (v) => fmt.number(v) },
    { key: 'over_limit', label: 'over limit', title: 'held back by the frontend max_connections', format: (v) => fmt.number(v) },
    { key: 'retries', label: 'retries', title: 'connect attempts retried on another server', format: (v) => fmt.number(v) },
    { key: 'bytes_in', label: 'in', title: 'bytes from clients', format: (v) => fmt.bytes(v) },
    { key: 'bytes_out', label: 'out', title: 'bytes to clients', format: (v) => fmt.bytes(v) },
  ];

  // http frontends: requests by the protocol the client spoke, and the HTTP/2 connections and streams open now. A
  // stat the status does not give is hidden, so a counter the API gains later is one more line here.
  const HTTP_STATS = [
    { key: 'http1-requests', label: 'http/1.1 req', title: 'requests received over HTTP/1.x since start',
      value: (f) => f.requests_by_protocol?.['http/1.1'] },
    { key: 'h2-requests', label: 'h2 req', title: 'requests (streams) received over HTTP/2 since start',
      value: (f) => f.requests_by_protocol?.h2 },
    { key: 'h2-connections', label: 'h2 conns', title: 'HTTP/2 client connections open now',
      value: (f) => f.http2?.active_connections },
    { key: 'h2-streams', label: 'h2 streams', title: 'streams open now on those HTTP/2 connections',
      value: (f) => f.http2?.active_streams },
  ];

  // Access rules and rate limits, summed over the frontend's rules (per rule in /api/v1/status); hidden without rules.
  const ADMISSION_STATS = [
    { key: 'denied', label: 'denied', title: 'refused by allow/deny (reset, dropped or 403) since start' },
    { key: 'limited', label: 'rate limited', title: 'refused by rate_limit (reset or 429) since start' },
    { key: 'tracked_keys', label: 'limit keys', title: 'keys the rate limits track now' },
  ];

  function updateAdmission(view, f) {
    const rules = f.admission || [];
    view.admission.hidden = rules.length === 0;
    for (const st of ADMISSION_STATS) {
      setText(view.values['admission-' + st.key], fmt.number(rules.reduce((n, r) => n + (r[st.key] || 0), 0)));
    }
  }

  function buildFrontend(f) {
    const values = { rate: h('span', { class: 'headline-value' }), active: h('strong') };
    const stats = FRONTEND_STATS.map((st) => {
      values[st.key] = h('span', { class: 'stat-value' });
      return h('div', { class: 'stat', title: st.title }, h('span', { class: 'stat-label' }, st.label), values[st.key]);
    });
    const httpStats = f.mode !== 'http' ? [] : HTTP_STATS.map((st) => {
      values[st.key] = h('span', { class: 'stat-value' });
      return h('div', { class: 'stat', title: st.title, dataset: { stat: st.key } },
        h('span', { class: 'stat-label' }, st.label), values[st.key]);
    });
    const admission = h('div', { class: 'stats admission-stats' }, ADMISSION_STATS.map((st) => {
      values['admission-' + st.key] = h('span', { class: 'stat-value' });
      return h('div', { class: 'stat', title: st.title, dataset: { admission: st.key } },
        h('span', { class: 'stat-label' }, st.label), values['admission-' + st.key]);
    }));
    const card = h('article', { class: 'card frontend', dataset: { frontend: f.name } },
      h('div', { class: 'card-head' },
        h('h3', { class: 'card-title' }, f.name),
        h('span', { class: 'pill' }, f.mode)),
      h('div', { class: 'route muted' },
        h('code', {}, f.listen || '—'), ' → ',
        f.backend ? h('strong', {}, f.backend) : f.mode === 'http' ? 'backends chosen by its routes' : 'no backend'),
      h('div', { class: 'headline' },
        values.rate,
        h('span', { class: 'headline-unit' }, f.mode === 'http' ? 'req/s' : 'conn/s'),
        h('span', { class: 'headline-side' }, values.active, ' active')),
      h('div', { class: 'stats' }, stats),
      httpStats.length ? h('div', { class: 'stats protocol-stats' }, httpStats) : null,
      admission);
    return { signature: JSON.stringify([f.mode, f.listen, f.backend]), card, values, http: httpStats, admission };
  }

  function updateHttpStats(view, f) {
    HTTP_STATS.forEach((st, i) => {
      const v = st.value(f);
      view.http[i].hidden = v === undefined || v === null;
      setText(view.values[st.key], fmt.number(v));
    });
  }

  function renderFrontends(frontends) {
    const root = $('frontends');
    if (frontends.length === 0) {
      frontendViews.clear();
      root.replaceChildren(h('p', { class: 'empty' }, 'No frontends.'));
      return;
    }
    const cards = frontends.map((f) => {
      let view = frontendViews.get(f.name);
      if (!view || view.signature !== JSON.stringify([f.mode, f.listen, f.backend])) {
        view = buildFrontend(f);
        frontendViews.set(f.name, view);
      }
      setText(view.values.rate, fmt.perSecond(frontendHistory.rate(f.name,
        f.mode === 'http' ? 'requests_total' : 'connections_total')));
      setText(view.values.active, fmt.number(f.active_connections));
      for (const st of FRONTEND_STATS) setText(view.values[st.key], st.format(f[st.key]));
      if (view.http.length) updateHttpStats(view, f);
      updateAdmission(view, f);
      return view.card;
    });
    const names = new Set(frontends.map((f) => f.name));
    for (const name of [...frontendViews.keys()]) {
      if (!names.has(name)) frontendViews.delete(name);
    }
    replaceIfChanged(root, cards);
  }

  /** Puts {@code children} in {@code root} only when they differ, so focus and selections survive a refresh. */
  function replaceIfChanged(root, children) {
    const same = children.length === root.children.length && children.every((el, i) => root.children[i] === el);
    if (!same) root.replaceChildren(...children);
  }

  // ---------------------------------------------------------------- backends and their servers

  /** backend name -> { signature, section, rows: Map(server -> row parts), charts, history } */
  const backendViews = new Map();

  /** What a backend's traffic is counted in: requests when an http frontend routes to it, else connections. */
  function countField(backend) {
    return backend.http ? 'requests_total' : 'connections_total';
  }

  function serverPath(backend, server) {
    return `/api/v1/backends/${encodeURIComponent(backend)}/servers/${encodeURIComponent(server)}`;
  }

  async function changeServer(view, backendName, serverName, body) {
    const row = view.rows.get(serverName);
    if (!row) return;
    row.tr.classList.add('busy');
    row.buttons.forEach((b) => { b.disabled = true; });
    try {
      const result = await client.call('PUT', serverPath(backendName, serverName), body);
      if (result.ok) {
        showRowError(row, null);
        if (body.weight !== undefined) row.weightInput.value = '';
      } else {
        showRowError(row, problemText(result));
      }
    } catch (e) {
      showRowError(row, `cannot reach Ferry: ${e.message}`);
    } finally {
      row.tr.classList.remove('busy');
      poll();
    }
  }

  function showRowError(row, text) {
    row.errorRow.hidden = text === null;
    row.errorText.textContent = text === null ? '' : text;
  }

  function buildServerRow(view, backendName, server, index) {
    const color = PALETTE[index % PALETTE.length];
    const cells = {
      state: h('span', { class: 'badge' }),
      reason: h('span', { class: 'state-reason', hidden: true }),
      overloaded: h('span', { class: 'badge badge-full', title: 'at max_connections: skipped until one closes', hidden: true }, 'full'),
      backup: h('span', { class: 'badge badge-backup', hidden: true }, 'backup'),
      weight: h('span', {}),
      effective: h('span', {}),
      active: h('span', {}),
      bar: h('span', { class: 'bar-fill' }),
      rate: h('span', {}),
      errors: h('span', {}),
      latency: h('span', {}),
    };
    const buttons = STATES.map((s) => h('button', {
      type: 'button', class: 'seg', title: s.title, dataset: { action: s.action },
      onclick: () => changeServer(view, backendName, server.name, { state: s.action }),
    }, s.label));
    const weightInput = h('input', {
      type: 'number', min: 0, max: 65535, step: 1, inputmode: 'numeric', class: 'weight-input',
      'aria-label': `new weight for ${server.name}`,
    });
    const weightButton = h('button', { type: 'submit', class: 'btn btn-small', dataset: { action: 'weight' } }, 'Set');
    const weightForm = h('form', {
      class: 'weight-form', novalidate: true, // the API checks the weight and its error is shown in the row
      onsubmit: (event) => {
        event.preventDefault();
        const raw = weightInput.value.trim();
        if (raw === '') {
          showRowError(view.rows.get(server.name), 'enter a weight (a whole number in 0..65535)');
          return;
        }
        changeServer(view, backendName, server.name, { weight: Number(raw) });
      },
    }, weightInput, weightButton);

    const tr = h('tr', { class: 'server-row', dataset: { backend: backendName, server: server.name } },
      h('td', { class: 'server-cell', 'data-label': 'Server' },
        h('span', { class: 'swatch', style: `background:${color}` }),
        h('span', { class: 'server-name' }, server.name),
        h('span', { class: 'server-address' }, server.address)),
      h('td', { 'data-label': 'State' }, cells.state, ' ', cells.overloaded, cells.backup, cells.reason),
      h('td', { class: 'num', 'data-label': 'Weight' }, cells.weight),
      h('td', { class: 'num', 'data-label': 'Effective' }, cells.effective),
      h('td', { class: 'num', 'data-label': 'Active' }, cells.active, h('span', { class: 'bar' }, cells.bar)),
      h('td', { class: 'num', 'data-label': 'Conn/s' }, cells.rate),
      h('td', { class: 'num', 'data-label': 'Errors' }, cells.errors),
      h('td', { class: 'num', 'data-label': 'Latency' }, cells.latency),
      h('td', { class: 'actions', 'data-label': 'Actions' },
        h('div', { class: 'segmented', role: 'group', 'aria-label': `state of ${server.name}` }, buttons),
        weightForm));
    const errorText = h('span', { class: 'inline-error' });
    const errorRow = h('tr', { class: 'row-error', hidden: true },
      h('td', { colspan: 9 }, errorText,
        h('button', { type: 'button', class: 'link', onclick: () => { errorRow.hidden = true; } }, 'dismiss')));
    return { tr, errorRow, errorText, cells, buttons: [...buttons, weightButton], stateButtons: buttons, weightButton,
      weightInput };
  }

  function buildBackend(backend) {
    const view = { signature: signature(backend), rows: new Map(), history: new History(), charts: null };
    const head = {
      summary: h('span', { class: 'muted' }),
      queue: h('span', { class: 'pill pill-queue', hidden: true }),
      rate: h('span', { class: 'backend-rate' }),
    };
    const http = Boolean(backend.http);
    const rateHeader = h('th', { class: 'num', title: http ? 'requests per second over the last 5 s'
      : 'new connections per second over the last 5 s' }, http ? 'Req/s' : 'Conn/s');
    const tbody = h('tbody');
    backend.servers.forEach((s, i) => {
      const row = buildServerRow(view, backend.name, s, i);
      view.rows.set(s.name, row);
      tbody.append(row.tr, row.errorRow);
    });
    const table = h('table', { class: 'servers' },
      h('thead', {}, h('tr', {},
        h('th', {}, 'Server'), h('th', {}, 'State'),
        h('th', { class: 'num', title: 'configured weight' }, 'Weight'),
        h('th', { class: 'num', title: 'the weight the scheduler uses now' }, 'Effective'),
        h('th', { class: 'num', title: 'open connections (of max_connections)' }, 'Active'),
        rateHeader,
        h('th', { class: 'num', title: 'failures (refused or timed-out connects, connections the server broke'
          + (http ? ', 5xx' : '') + ') per ' + (http ? 'request' : 'connection') + ', last 5 s' }, 'Errors'),
        h('th', { class: 'num', title: http ? 'p95 of the request time over the last 5 s'
          : 'connect time, peak-EWMA (decays over about 10 s)' }, http ? 'p95' : 'Connect'),
        h('th', {}, 'Actions'))),
      tbody);
    const shareCanvas = h('canvas', { 'aria-label': `share of traffic per server of ${backend.name}`, role: 'img' });
    const latencyCanvas = h('canvas', { 'aria-label': `latency per server of ${backend.name}`, role: 'img' });
    const legend = h('ul', { class: 'legend' }, backend.servers.map((s, i) => h('li', {},
      h('span', { class: 'swatch', style: `background:${PALETTE[i % PALETTE.length]}` }), s.name)));
    const charts = h('div', { class: 'charts' },
      h('figure', { class: 'chart' }, h('figcaption', {}, 'Share of traffic',
        h('span', { class: 'muted' }, http ? ' · requests per server' : ' · new connections per server')),
      h('div', { class: 'chart-box' }, shareCanvas)),
      h('figure', { class: 'chart' }, h('figcaption', {}, 'Latency', h('span', { class: 'muted' }, http
        ? ' · p95 of the request time per server, last 5 s'
        : ' · connect time per server, peak-EWMA (decays over ~10 s)')),
      h('div', { class: 'chart-box' }, latencyCanvas)));
    view.section = h('section', { class: 'card backend', dataset: { backend: backend.name } },
      h('div', { class: 'card-head' },
        h('h3', { class: 'card-title' }, backend.name),
        h('span', { class: 'pill', title: 'scheduler' }, backend.scheduler),
        head.summary,
        head.queue,
        h('span', { class: 'spacer' }),
        head.rate),
      backend.servers.length === 0
        ? h('p', { class: 'empty' }, 'No servers in this backend.')
        : [h('div', { class: 'table-wrap' }, table), charts, legend]);
    view.head = head;
    view.rateHeader = rateHeader;
    if (window.Chart && backend.servers.length > 0) {
      view.charts = new BackendCharts(shareCanvas, latencyCanvas, backend.servers, http);
    } else if (backend.servers.length > 0) {
      charts.replaceChildren(h('p', { class: 'empty' }, 'Charts unavailable: the chart library did not load.'));
    }
    return view;
  }

  function signature(backend) {
    return JSON.stringify([backend.scheduler, Boolean(backend.http), backend.servers.map((s) => [s.name, s.address])]);
  }

  function updateBackend(view, backend, now) {
    const field = countField(backend);
    setText(view.rateHeader, field === 'requests_total' ? 'Req/s' : 'Conn/s');
    let totalRate = 0, up = 0;
    for (const s of backend.servers) {
      const row = view.rows.get(s.name);
      const c = row.cells;
      setText(c.state, s.state);
      c.state.className = `badge state state-${s.state}`;
      c.state.dataset.state = s.state;
      c.overloaded.hidden = !s.overloaded;
      // A backup server takes traffic only while no primary is usable: "serving" says it does now.
      c.backup.hidden = !s.backup;
      setText(c.backup, s.serving ? 'backup · serving' : 'backup');
      c.backup.title = s.serving ? 'backup server: taking the traffic, no primary server is usable'
        : 'backup server: standing by while a primary server is usable';
      // Why a server is down: the health check's last reason (the API has it under health.last_reason); an ejected
      // server (passive health) says when it comes back.
      const reason = s.state === 'down' && s.health && s.health.last_reason ? s.health.last_reason
        : s.state === 'ejected' && s.ejection_remaining_ms != null
          ? `outlier detection: back in ${Math.ceil(s.ejection_remaining_ms / 1000)} s` : null;
      c.reason.hidden = reason === null;
      setText(c.reason, reason ?? '');
      c.state.title = reason ?? '';
      setText(c.weight, fmt.number(s.configured_weight));
      setText(c.effective, fmt.number(s.effective_weight));
      c.effective.className = s.effective_weight !== s.configured_weight ? 'differs' : '';
      setText(c.active, s.max_connections > 0
        ? `${fmt.number(s.active)} / ${fmt.number(s.max_connections)}` : fmt.number(s.active));
      const fill = s.max_connections > 0 ? Math.min(1, s.active / s.max_connections) : 0;
      c.bar.style.width = `${(fill * 100).toFixed(1)}%`;
      c.bar.parentElement.hidden = s.max_connections <= 0;
      c.active.title = `${fmt.number(s.active)} active, ${fmt.number(s.inactive)} inactive`;
      const rate = view.history.rate(s.name, field);
      totalRate += rate || 0;
      setText(c.rate, fmt.perSecond(rate));
      c.rate.title = `${fmt.number(s.connections_total)} connections since start; `
        + `${fmt.bytes(s.bytes_in)} in, ${fmt.bytes(s.bytes_out)} out`;
      c.errors.title = `${fmt.number(s.failures)} failures since start`;
      const errors = view.history.errorRatio(s.name, field);
      setText(c.errors, fmt.percent(errors));
      c.errors.className = errors === null || errors === 0 ? '' : errors >= 0.05 ? 'bad' : 'warn';
      if (backend.http) {
        setText(c.latency, fmt.ms(view.history.percentile(s.name, 0.95)));
        c.latency.title = 'p95 of the request time (head in to response end) over the last 5 s';
      } else {
        setText(c.latency, fmt.ms(s.latency_ms));
        c.latency.title = 'connect time, peak-EWMA (a slow connect shows at once, then decays over about 10 s)';
      }
      const current = s.state === 'up' || s.state === 'down' || s.state === 'ejected' ? 'ready' : s.state;
      const busy = row.tr.classList.contains('busy');
      for (const b of row.stateButtons) {
        const active = b.dataset.action === current;
        b.setAttribute('aria-pressed', String(active));
        b.disabled = active || busy;
      }
      row.weightButton.disabled = busy;
      row.weightInput.placeholder = String(s.configured_weight);
      if (s.state === 'up') up++;
    }
    setText(view.head.summary, `${backend.servers.length} server${backend.servers.length === 1 ? '' : 's'} · ${up} up`);
    setText(view.head.rate, `${fmt.perSecond(totalRate)} ${field === 'requests_total' ? 'req/s' : 'conn/s'}`);
    const q = backend.queue;
    view.head.queue.hidden = !q;
    if (q) {
      setText(view.head.queue, `queue ${fmt.number(q.length)} / ${fmt.number(q.size)}`);
      const avg = q.wait_count > 0 ? q.wait_seconds_sum / q.wait_count * 1000 : null;
      view.head.queue.title = `waiting now ${fmt.number(q.length)} (at most ${fmt.number(q.size)}, `
        + `for ${fmt.number(q.timeout_ms)} ms); since start ${fmt.number(q.queued_total)} waited, `
        + `${fmt.number(q.timeouts_total)} timed out, ${fmt.number(q.full_total)} refused (full), `
        + `${fmt.number(q.abandoned_total)} left; average wait ${fmt.ms(avg)}`;
      view.head.queue.classList.toggle('pill-busy', q.length > 0);
    }
    if (view.charts) view.charts.update(view.history, field, now);
  }

  function renderBackends(backends, now) {
    const root = $('backends');
    const seen = new Set();
    const ordered = [];
    for (const b of backends) {
      seen.add(b.name);
      let view = backendViews.get(b.name);
      if (!view || view.signature !== signature(b)) {
        const history = view ? view.history : new History();
        if (view) {
          if (view.charts) view.charts.destroy();
          view.section.remove();
        }
        view = buildBackend(b);
        view.history = history;
        backendViews.set(b.name, view);
      }
      const values = {};
      for (const s of b.servers) {
        values[s.name] = {
          connections_total: s.connections_total, requests_total: s.requests ? s.requests.total : null,
          failures: s.failures, latency: s.latency_ms ?? null,
          durations: s.requests ? s.requests.duration_counts : null,
          bounds: s.requests ? s.requests.duration_le_ms : null,
        };
      }
      view.history.add(now, values);
      updateBackend(view, b, now);
      ordered.push(view.section);
    }
    for (const [name, view] of backendViews) {
      if (!seen.has(name)) {
        if (view.charts) view.charts.destroy();
        backendViews.delete(name);
      }
    }
    if (backends.length === 0) {
      root.replaceChildren(h('p', { class: 'empty' }, 'No backends.'));
      return;
    }
    replaceIfChanged(root, ordered);
  }

  // ---------------------------------------------------------------- directors (LVS VS/NAT in user space)

  // The tracked connections are listed by the director's worker, so they are read less often than the status,
  // and only while the user has the list open.
  const CONNECTIONS_MS = 5000;
  const CONNECTIONS_SHOWN = 20;
  // TCP states shown even at zero (the ones operators look for); any other state shows while it has entries.
  const USUAL_STATES = ['ESTABLISHED', 'SYN_RECV', 'FIN_WAIT', 'TIME_WAIT', 'CLOSE'];

  const directorHistory = new History();

  /** director name -> { signature, card, values, services, states, drops, connections } */
  const directorViews = new Map();

  const DIRECTOR_RATES = [
    { key: 'packets_in', label: 'pkt/s in', title: 'packets from clients per second, last 5 s', format: (v) => fmt.perSecond(v) },
    { key: 'packets_out', label: 'pkt/s out', title: 'packets from real servers per second, last 5 s', format: (v) => fmt.perSecond(v) },
    { key: 'bytes_in', label: 'bytes in/s', title: 'bytes from clients per second, last 5 s', format: (v) => (v === null ? '—' : fmt.bytes(v) + '/s') },
    { key: 'bytes_out', label: 'bytes out/s', title: 'bytes from real servers per second, last 5 s', format: (v) => (v === null ? '—' : fmt.bytes(v) + '/s') },
    { key: 'expired', label: 'expired/s', title: 'entries removed by their timeout per second, last 5 s', format: (v) => fmt.perSecond(v) },
  ];

  const DIRECTOR_COUNTS = [
    { key: 'active', label: 'active', title: 'entries IPVS counts as active (states marked ● below)' },
    { key: 'inactive', label: 'inactive', title: 'every other entry: closing TCP states and UDP' },
    { key: 'udp', label: 'udp', title: 'UDP entries' },
    { key: 'passed', label: 'passed', title: 'packets passed on untouched since start (not for a virtual service)' },
  ];

  function directorSignature(d) {
    return JSON.stringify([d.device, d.workers, d.services.map((s) => [s.protocol, s.vip, s.backend, s.forwarding])]);
  }

  /** The numbers the rates are computed from: packet, byte and expiry counters, and each drop reason's count. */
  function directorCounters(d) {
    const values = {
      packets_in: d.packets.in, packets_out: d.packets.out, bytes_in: d.bytes.in, bytes_out: d.bytes.out,
      expired: d.expired,
    };
    for (const [reason, n] of Object.entries(d.drops)) values[`drop:${reason}`] = n;
    return values;
  }

  function buildDirectorService(s) {
    const counts = h('span', { class: 'muted' });
    const li = h('li', { class: 'director-service', dataset: { vip: s.vip, protocol: s.protocol } },
      h('code', {}, `${s.protocol} ${s.vip}`), ' → ', h('strong', {}, s.backend),
      h('span', { class: 'pill pill-quiet', title: s.forwarding === 'nat'
        ? 'VS/NAT: the director rewrites the destination, replies route back through it' : 'forwarding method' },
      s.forwarding),
      counts);
    return { li, counts };
  }

  function buildStateChips(d) {
    const active = new Set(d.active_states || []);
    const chips = new Map();
    for (const name of Object.keys(d.states)) {
      const count = h('strong', {});
      const chip = h('span', {
        class: `chip ${active.has(name) ? 'chip-active' : ''}`, dataset: { state: name },
        title: active.has(name) ? 'counted as active' : 'counted as inactive',
      }, name, ' ', count);
      chips.set(name, { chip, count });
    }
    return chips;
  }

  function buildDropChips(d) {
    const chips = new Map();
    for (const reason of Object.keys(d.drops)) {
      const count = h('strong', {});
      const rate = h('span', { class: 'muted' });
      const chip = h('span', { class: 'chip chip-bad', dataset: { reason }, hidden: true }, reason, ' ', count, rate);
      chips.set(reason, { chip, count, rate });
    }
    return chips;
  }

  /** The collapsible list of tracked connections; read from the API when opened, then every few seconds. */
  function buildConnectionsPanel(name) {
    const panel = {
      summary: h('summary', {}, 'Tracked connections'),
      rows: h('tbody'),
      note: h('p', { class: 'empty', hidden: true }),
      timer: null,
      loading: false,
    };
    const table = h('table', { class: 'servers connections' },
      h('thead', {}, h('tr', {},
        h('th', {}, 'Client'), h('th', {}, 'Virtual'), h('th', {}, 'Real server'), h('th', {}, 'State'),
        h('th', { class: 'num', title: 'until the entry expires unless a packet comes' }, 'Expires in'))),
      panel.rows);
    panel.details = h('details', { class: 'director-connections' }, panel.summary,
      h('div', { class: 'table-wrap' }, table), panel.note);
    panel.details.addEventListener('toggle', () => {
      clearInterval(panel.timer);
      panel.timer = null;
      if (panel.details.open) {
        loadConnections(name, panel);
        panel.timer = setInterval(() => loadConnections(name, panel), CONNECTIONS_MS);
      }
    });
    return panel;
  }

  async function loadConnections(name, panel) {
    if (panel.loading) return;
    panel.loading = true;
    try {
      const result = await client.call('GET',
        `/api/v1/directors/${encodeURIComponent(name)}/connections?limit=${CONNECTIONS_SHOWN}`);
      if (result.ok && result.json) {
        renderConnections(panel, result.json);
      } else {
        showConnectionsNote(panel, `The connections could not be read: ${problemText(result)}`);
      }
    } catch (e) {
      showConnectionsNote(panel, `Cannot reach Ferry's admin API (${e.message}).`);
    } finally {
      panel.loading = false;
    }
  }

  function showConnectionsNote(panel, text) {
    panel.note.hidden = text === null;
    setText(panel.note, text ?? '');
  }

  function renderConnections(panel, listing) {
    const shown = listing.connections.length;
    setText(panel.summary, `Tracked connections · ${shown < listing.total
      ? `first ${fmt.number(shown)} of ${fmt.number(listing.total)}` : fmt.number(listing.total)}`);
    panel.rows.replaceChildren(...listing.connections.map((c) => h('tr', { class: 'connection-row' },
      h('td', { 'data-label': 'Client' }, h('code', {}, c.client)),
      h('td', { 'data-label': 'Virtual' }, h('code', {}, `${c.protocol} ${c.virtual}`)),
      h('td', { 'data-label': 'Real server' }, h('code', {}, c.real), ' ', h('span', { class: 'muted' }, c.server)),
      h('td', { 'data-label': 'State' }, c.state),
      h('td', { class: 'num', 'data-label': 'Expires in' }, `${fmt.number(c.seconds_left)} s`))));
    showConnectionsNote(panel, shown === 0 ? 'No tracked connections.' : null);
  }

  function buildDirector(d) {
    const values = { rateIn: h('span', { class: 'backend-rate' }), table: h('span', {}), tableBar: h('span', { class: 'bar-fill' }) };
    const rateStats = DIRECTOR_RATES.map((st) => {
      values[st.key] = h('span', { class: 'stat-value' });
      return h('div', { class: 'stat', title: st.title }, h('span', { class: 'stat-label' }, st.label), values[st.key]);
    });
    const countStats = DIRECTOR_COUNTS.map((st) => {
      values[st.key] = h('span', { class: 'stat-value' });
      return h('div', { class: 'stat', title: st.title }, h('span', { class: 'stat-label' }, st.label), values[st.key]);
    });
    const services = d.services.map(buildDirectorService);
    const states = buildStateChips(d);
    const drops = buildDropChips(d);
    const noDrops = h('span', { class: 'muted' }, 'none');
    const connections = buildConnectionsPanel(d.name);
    const timeouts = Object.entries(d.timeouts || {}).map(([k, v]) => `${k} ${v}`).join(' · ');
    const card = h('section', { class: 'card director', dataset: { director: d.name } },
      h('div', { class: 'card-head' },
        h('h3', { class: 'card-title' }, d.name),
        h('span', { class: 'pill', title: 'a packet-level director (LVS) on a TUN device' }, 'director'),
        h('span', { class: 'muted' }, 'device ', h('code', {}, d.device),
          ` · ${d.workers} worker${d.workers === 1 ? '' : 's'}`),
        h('span', { class: 'spacer' }),
        values.rateIn),
      h('ul', { class: 'director-services' }, services.map((s) => s.li)),
      h('div', { class: 'director-table', title: 'entries in the connection table, of max_connections' },
        h('span', { class: 'stat-label' }, 'table'), values.table,
        h('span', { class: 'bar bar-wide' }, values.tableBar)),
      h('div', { class: 'stats director-stats' }, rateStats, countStats),
      h('div', { class: 'chip-row' }, h('span', { class: 'stat-label' }, 'states'),
        [...states.values()].map((c) => c.chip)),
      h('div', { class: 'chip-row' }, h('span', { class: 'stat-label' }, 'drops'), noDrops,
        [...drops.values()].map((c) => c.chip)),
      timeouts ? h('div', { class: 'muted director-timeouts' }, `timeouts: ${timeouts}`) : null,
      connections.details);
    return { signature: directorSignature(d), card, values, services, states, drops, noDrops, connections };
  }

  function updateDirectorTable(view, d) {
    setText(view.values.table, `${fmt.number(d.connections)} / ${fmt.number(d.max_connections)}`);
    const fill = d.max_connections > 0 ? Math.min(1, d.connections / d.max_connections) : 0;
    view.values.tableBar.style.width = `${(fill * 100).toFixed(1)}%`;
    view.values.tableBar.className = `bar-fill ${fill >= 0.95 ? 'bar-bad' : fill >= 0.8 ? 'bar-warn' : ''}`;
  }

  function updateDirectorStates(view, d) {
    for (const [name, c] of view.states) {
      const n = d.states[name] ?? 0;
      setText(c.count, fmt.number(n));
      c.chip.hidden = n === 0 && !USUAL_STATES.includes(name);
    }
  }

  /** Only the reasons that dropped something are shown, each with its count and its rate now. */
  function updateDirectorDrops(view, d) {
    let any = false;
    for (const [reason, c] of view.drops) {
      const n = d.drops[reason] ?? 0;
      c.chip.hidden = n === 0;
      any = any || n > 0;
      setText(c.count, fmt.number(n));
      const rate = directorHistory.rate(d.name, `drop:${reason}`);
      setText(c.rate, rate ? ` · ${fmt.perSecond(rate)}/s` : '');
    }
    view.noDrops.hidden = any;
  }

  function updateDirector(view, d) {
    updateDirectorTable(view, d);
    for (const st of DIRECTOR_RATES) setText(view.values[st.key], st.format(directorHistory.rate(d.name, st.key)));
    for (const st of DIRECTOR_COUNTS) setText(view.values[st.key], fmt.number(d[st.key]));
    setText(view.values.rateIn, `${fmt.perSecond(directorHistory.rate(d.name, 'packets_in'))} pkt/s in`);
    d.services.forEach((s, i) => {
      setText(view.services[i].counts, s.protocol === 'tcp'
        ? ` ${fmt.number(s.connections)} entries · ${fmt.number(s.active)} active, ${fmt.number(s.inactive)} inactive`
        : ` ${fmt.number(s.connections)} entries`);
    });
    updateDirectorStates(view, d);
    updateDirectorDrops(view, d);
  }

  function dropDirectorView(view) {
    clearInterval(view.connections.timer);
    view.connections.timer = null;
  }

  function renderDirectors(directors, now) {
    const root = $('directors');
    $('directors-section').hidden = directors.length === 0;
    const values = {};
    for (const d of directors) values[d.name] = directorCounters(d);
    directorHistory.add(now, values);
    const cards = directors.map((d) => {
      let view = directorViews.get(d.name);
      if (!view || view.signature !== directorSignature(d)) {
        if (view) dropDirectorView(view);
        view = buildDirector(d);
        directorViews.set(d.name, view);
      }
      updateDirector(view, d);
      return view.card;
    });
    const names = new Set(directors.map((d) => d.name));
    for (const [name, view] of [...directorViews]) {
      if (!names.has(name)) {
        dropDirectorView(view);
        directorViews.delete(name);
      }
    }
    replaceIfChanged(root, cards);
  }

  // ---------------------------------------------------------------- page chrome and polling

  function setLive(ok, text) {
    const live = $('live');
    live.className = `live ${ok ? 'live-ok' : 'live-down'}`;
    setText(live, text);
  }

  function showBanner(text) {
    const banner = $('banner');
    banner.hidden = text === null;
    setText(banner, text ?? '');
  }

  function render(report, now) {
    setText($('version'), report.version ? `v${report.version}` : '');
    setText($('uptime'), `up ${fmt.duration(report.uptime_seconds)}`);
    const values = {};
    for (const f of report.frontends) {
      values[f.name] = { connections_total: f.connections_total, requests_total: f.requests_total ?? null };
    }
    frontendHistory.add(now, values);
    renderFrontends(report.frontends);
    renderDirectors(report.directors || [], now);
    renderBackends(report.backends, now);
  }

  let timer = null;
  let polling = false;
  let again = false;

  async function poll() {
    if (polling) { again = true; return; }
    polling = true;
    clearTimeout(timer);
    try {
      const result = await client.call('GET', '/api/v1/status');
      if (result.ok && result.json) {
        render(result.json, Date.now());
        showBanner(null);
        setLive(true, `live · ${new Date().toLocaleTimeString()}`);
      } else {
        showBanner(`The status could not be read: ${problemText(result)}`);
        setLive(false, 'error');
      }
    } catch (e) {
      showBanner(`Cannot reach Ferry's admin API (${e.message}); retrying every second.`);
      setLive(false, 'offline');
    } finally {
      polling = false;
      if (again) {
        again = false;
        timer = setTimeout(poll, 0);
      } else {
        timer = setTimeout(poll, POLL_MS);
      }
    }
  }


  $('token-dialog').addEventListener('cancel', (event) => event.preventDefault());
  poll();
})();
