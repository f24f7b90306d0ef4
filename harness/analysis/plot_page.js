// The script of report.html (sluice plot): draws the data that
// harness/analysis/plot.cc put into <script id="sluice-data"> with Chart.js,
// which the page holds inline. Nothing is fetched. The page of `sluice
// compare --plot` (data.kind "compare") is drawn by the same script: its
// overlaid percentile curves and its bars of change against the baseline.
//
// For tests and screenshots, the page says on <body> how drawing went:
//   data-sluice-charts   how many charts the page has
//   data-sluice-drawn    how many of them have drawn
//   data-sluice-status   "loading", then "ok" once every chart has drawn, or
//                        "error" after a script error or a blocked request
//                        (the handlers are installed before Chart.js; what
//                        happened is written into #sluice-errors)
(function () {
  'use strict';
  const data = JSON.parse(document.getElementById('sluice-data').textContent);
  const root = document.getElementById('sluice-root');
  const body = document.body;

  // A screenshot shows the final chart; no font is fetched.
  Chart.defaults.animation = false;
  Chart.defaults.responsive = true;
  Chart.defaults.maintainAspectRatio = false;
  Chart.defaults.font.family = 'system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

  const charts = [];
  const drawn = new Set();
  let built = false;
  function checkDone() {
    body.setAttribute('data-sluice-drawn', String(drawn.size));
    if (built && drawn.size === charts.length && body.getAttribute('data-sluice-status') === 'loading') {
      body.setAttribute('data-sluice-status', 'ok');
    }
  }
  Chart.register({
    id: 'sluiceDrawn',
    afterRender(chart) {
      chart.canvas.setAttribute('data-drawn', '1');
      drawn.add(chart.id);
      checkDone();
    },
  });

  // Whiskers: the repetitions' min and max around a sweep point
  // (dataset.whiskers[i] = [min, max] or null).
  Chart.register({
    id: 'sluiceWhiskers',
    afterDatasetsDraw(chart) {
      const y = chart.scales.y;
      const ctx = chart.ctx;
      chart.data.datasets.forEach((ds, i) => {
        if (!ds.whiskers || !chart.isDatasetVisible(i)) return;
        ctx.save();
        ctx.strokeStyle = ds.borderColor;
        ctx.lineWidth = 1.5;
        chart.getDatasetMeta(i).data.forEach((point, j) => {
          const w = ds.whiskers[j];
          if (!w || w[0] === w[1]) return;
          const top = y.getPixelForValue(w[1]);
          const bottom = y.getPixelForValue(w[0]);
          ctx.beginPath();
          ctx.moveTo(point.x, top);
          ctx.lineTo(point.x, bottom);
          ctx.moveTo(point.x - 5, top);
          ctx.lineTo(point.x + 5, top);
          ctx.moveTo(point.x - 5, bottom);
          ctx.lineTo(point.x + 5, bottom);
          ctx.stroke();
        });
        ctx.restore();
      });
    },
  });

  const palette = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2',
                   '#17becf', '#7f7f7f', '#bcbd22'];
  function colour(i) {
    return i < palette.length ? palette[i] : 'hsl(' + ((i * 47) % 360) + ', 60%, 45%)';
  }
  const kindColour = {end_to_end: '#1f77b4', queue_wait: '#ff7f0e', worker: '#9467bd',
                      kafka: '#2ca02c', consume: '#8c564b'};

  function el(tag, attributes, text) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attributes || {})) e.setAttribute(k, v);
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // A chart in a box of the grid; `make` gets the canvas.
  function addChart(parent, note, make, wide) {
    const frame = el('div', {class: wide ? 'chart wide' : 'chart'});
    const box = el('div', {class: 'box'});
    const canvas = el('canvas', {id: 'chart-' + charts.length});
    box.appendChild(canvas);
    frame.appendChild(box);
    if (note) frame.appendChild(el('div', {class: 'note'}, note));
    parent.appendChild(frame);
    const chart = make(canvas);
    charts.push(chart);
    return chart;
  }

  // ---- header ----------------------------------------------------------------
  const info = data.info;
  root.appendChild(el('h1', {}, 'sluice: ' + (info.scenario || '(unnamed scenario)')));
  if (info.description) root.appendChild(el('p', {class: 'description'}, info.description));
  const meta = el('dl', {class: 'meta'});
  for (const [name, value] of [['broker', info.broker], ['kafka_version', info.kafka_version],
                               ['revision', info.revision], ['started', info.started],
                               ['swept', data.swept_keys.join(', ')],
                               ['command', info.command_line], ['folder', data.folder]]) {
    if (!value) continue;
    meta.appendChild(el('dt', {}, name));
    meta.appendChild(el('dd', {}, value));
  }
  root.appendChild(meta);
  if (info.broker_note) root.appendChild(el('div', {class: 'caveat'}, info.broker_note));

  // ---- percentile distributions ------------------------------------------------
  // HdrHistogram's convention: x = 1/(1-p) on a log scale.
  function percentLabel(v) {
    if (v <= 1) return '0%';
    const p = 100 * (1 - 1 / v);
    const digits = Math.max(0, Math.round(Math.log10(v)) - 2);
    return p.toFixed(digits) + '%';
  }
  let largest = 100;
  for (const c of data.cells || []) {
    for (const curve of c.curves) for (const p of curve.points) largest = Math.max(largest, p.x);
  }
  for (const curve of data.curves || []) for (const p of curve.points) largest = Math.max(largest, p.x);
  const xMax = Math.pow(10, Math.ceil(Math.log10(largest)));
  const percentileTicks = [1, 2, 10, 100, 1000, 10000, 100000, 1000000].filter((v) => v <= xMax);
  function percentileOptions(title) {
    return {
      parsing: true,
      plugins: {
        title: {display: true, text: title},
        tooltip: {callbacks: {label: (item) => item.dataset.label + ': ' + item.parsed.y + ' ms at ' +
                                                (100 * (1 - 1 / item.parsed.x)).toPrecision(6) + '%'}},
      },
      scales: {
        x: {type: 'logarithmic', min: 1, max: xMax,
            title: {display: true, text: 'percentile'},
            afterBuildTicks: (axis) => { axis.ticks = percentileTicks.map((v) => ({value: v})); },
            ticks: {callback: (v) => percentLabel(v)}},
        y: {beginAtZero: true, title: {display: true, text: 'latency (ms)'}},
      },
    };
  }
  function curveDataset(label, points, c) {
    return {label: label, data: points.map((p) => ({x: p.x, y: p.y})), borderColor: c,
            backgroundColor: c, pointRadius: 0, borderWidth: 2, showLine: true};
  }

  // ---- sluice compare --plot: its own page ---------------------------------------
  if (data.kind === 'compare') {
    drawCompare();
    body.setAttribute('data-sluice-charts', String(charts.length));
    built = true;
    checkDone();
    return;
  }
  function drawCompare() {
    const list = el('ul', {class: 'reports'});
    data.reports.forEach((r, i) => list.appendChild(el('li', {}, r + (i === 0 ? '  (baseline)' : ''))));
    root.appendChild(list);
    root.appendChild(el('p', {class: 'differences', id: 'differences'},
                        'The runs differ in: ' + (data.differences.length ? data.differences.join(', ') :
                                                  'nothing recorded (revision, overrides, scenario, broker alike)')));
    for (const n of data.notes) root.appendChild(el('div', {class: 'caveat'}, n));
    const grid = el('div', {class: 'grid'});
    root.appendChild(grid);
    if (data.curves.length) {
      const options = percentileOptions('end_to_end latency percentiles, every report');
      options.plugins.legend = {position: 'bottom', labels: {boxWidth: 14}};
      // A report's curves share its colour; its line-ups differ by dash.
      const dashes = [[], [6, 3], [2, 2], [10, 4, 2, 4]];
      const perReport = new Map();
      addChart(grid, 'one curve per report and combination of swept values (its first repetition).',
               (canvas) => new Chart(canvas, {
        type: 'line',
        data: {datasets: data.curves.map((c) => {
          const k = perReport.get(c.report) || 0;
          perReport.set(c.report, k + 1);
          const ds = curveDataset(c.label, c.points, colour(c.report));
          ds.borderDash = dashes[k % dashes.length];
          return ds;
        })},
        options: options,
      }), true);
    }
    // Significance by colour and by a second line of each bar's label.
    const verdictColour = {'significant': '#d62728', 'not significant': '#7f7f7f',
                           'too few repetitions': '#bcbd22'};
    for (const metric of data.metrics) {
      const bars = data.bars.filter((b) => b.metric === metric);
      if (!bars.length) continue;
      addChart(grid, 'change against A in percent, the table\'s numbers; red: significant, grey: not ' +
                     'significant, olive: too few repetitions (U test); no bar: no value or a zero baseline.',
               (canvas) => new Chart(canvas, {
        type: 'bar',
        data: {labels: bars.map((b) => [b.report + ': ' + b.line, b['class']]),
               datasets: [{label: metric + ' change against A (%)',
                           data: bars.map((b) => b.change_pct),
                           backgroundColor: bars.map((b) => verdictColour[b['class']] || '#000000')}]},
        options: {
          plugins: {
            title: {display: true, text: metric + ': change against A'},
            legend: {display: false},
            tooltip: {callbacks: {label: (item) => item.parsed.y.toPrecision(4) + '%: ' +
                                                   bars[item.dataIndex].verdict}},
          },
          scales: {y: {title: {display: true, text: 'change (%)'}}},
        },
      }));
    }
    if (!charts.length) root.appendChild(el('p', {}, 'Nothing to draw.'));
  }

  // ---- overview: all cells for one kind, and the sweep charts ----------------------
  root.appendChild(el('h2', {}, data.sweeps.length ? 'Overview: latency and the sweep' : 'Overview'));
  const overview = el('div', {class: 'grid'});
  root.appendChild(overview);
  if (data.latency_kinds.length) {
    const controls = el('div', {class: 'controls'}, 'latency kind: ');
    const select = el('select', {id: 'overlay-kind'});
    for (const k of data.latency_kinds) select.appendChild(el('option', {value: k}, k));
    const initial = data.latency_kinds.includes('end_to_end') ? 'end_to_end' : data.latency_kinds[0];
    select.value = initial;
    controls.appendChild(select);
    const overlayDatasets = (kind) => data.cells
        .map((c, i) => ({c: c, i: i, curve: c.curves.find((k) => k.kind === kind)}))
        .filter((x) => x.curve)
        .map((x) => curveDataset(x.c.label + ' ' + kind, x.curve.points, colour(x.i)));
    // The width of the page, and a legend of many cells below the curves
    // (beside them, Chart.js 3 cuts long labels).
    const overlayOptions = percentileOptions('Latency percentiles of every cell: ' + initial);
    overlayOptions.plugins.legend = {position: 'bottom', labels: {boxWidth: 14}};
    const overlay = addChart(overview, null, (canvas) => new Chart(canvas, {
      type: 'line',
      data: {datasets: overlayDatasets(initial)},
      options: overlayOptions,
    }), true);
    overview.lastChild.insertBefore(controls, overview.lastChild.firstChild);
    select.addEventListener('change', () => {
      overlay.data.datasets = overlayDatasets(select.value);
      overlay.options.plugins.title.text = 'Latency percentiles of every cell: ' + select.value;
      overlay.update();
    });
  }

  function formatMetric(metric, v) {
    if (v === null || v === undefined) return '';
    if (metric.name === 'drop_share') return (100 * v).toPrecision(3) + '%';
    const a = Math.abs(v);
    const s = a >= 1e6 ? (v / 1e6).toPrecision(4) + 'M' : a >= 1e4 ? (v / 1e3).toPrecision(4) + 'k'
                                                                     : Number(v.toPrecision(4)).toString();
    return s + (metric.unit && metric.unit !== 'events/s' ? ' ' + metric.unit : metric.unit ? '/s' : '');
  }
  for (const s of data.sweeps) {
    let lo = Infinity;
    let hi = -Infinity;
    const datasets = s.lines.map((line, li) => {
      const byX = new Map(line.points.map((p, pi) => [p.x, {p: p, pi: pi}]));
      const at = s.x.map((x) => byX.get(x));
      for (const a of at) if (a) { lo = Math.min(lo, a.p.min); hi = Math.max(hi, a.p.max); }
      const best = (pi) => li === s.best_line && pi === s.best_point;
      return {
        label: line.label,
        data: at.map((a) => (a ? a.p.median : null)),
        whiskers: at.map((a) => (a ? [a.p.min, a.p.max] : null)),
        borderColor: colour(li), backgroundColor: colour(li), spanGaps: true, borderWidth: 2,
        pointStyle: at.map((a) => (a && best(a.pi) ? 'star' : 'circle')),
        pointRadius: at.map((a) => (a && best(a.pi) ? 12 : 3)),
        pointBorderWidth: at.map((a) => (a && best(a.pi) ? 2 : 1)),
      };
    });
    let note = 'median of the repetitions; whiskers: min to max.';
    if (s.best_line >= 0) {
      const p = s.lines[s.best_line].points[s.best_point];
      note = 'best (' + (s.metric.better > 0 ? 'highest' : 'lowest') + ', marked \u2605): ' +
             (s.lines.length > 1 ? s.lines[s.best_line].label + ' ' : '') + s.short_key + '=' + p.x + ': ' +
             formatMetric(s.metric, p.median) + '. ' + note;
    }
    // A flat line (no drop at all, say) still gets an axis that starts at 0
    // and never goes below it: every headline metric is >= 0.
    const span = hi - lo > 0 ? hi - lo : Math.abs(hi) > 0 ? 0.1 * Math.abs(hi) : 0.01;
    addChart(overview, note, (canvas) => new Chart(canvas, {
      type: 'line',
      data: {labels: s.x, datasets: datasets},
      options: {
        plugins: {
          title: {display: true, text: s.metric.title + ' by ' + s.short_key},
          tooltip: {callbacks: {label: (item) => item.dataset.label + ': ' +
                                                 formatMetric(s.metric, item.parsed.y)}},
        },
        scales: {
          x: {title: {display: true, text: s.key}},
          y: {min: lo - 0.05 * span < 0 ? 0 : undefined,
              suggestedMin: Math.max(0, lo - 0.05 * span), suggestedMax: hi + 0.05 * span,
              title: {display: true, text: s.metric.name + (s.metric.unit ? ' (' + s.metric.unit + ')' : '')},
              ticks: {callback: (v) => formatMetric(s.metric, v)}},
        },
      },
    }));
  }

  // ---- the table -----------------------------------------------------------------
  root.appendChild(el('h2', {}, 'Figures per cell'));
  const columns = data.table_columns.filter((c) => data.cells.some((cell) => c in cell.figures));
  const repeated = data.cells.some((c) => c.repetition !== data.cells[0].repetition);
  const heads = data.swept_keys.map((k, i) => ({name: data.short_keys[i], text: true,
                                               get: (c) => c.parameters[k]}));
  if (!heads.length) heads.push({name: 'scenario', text: true, get: (c) => c.label});
  if (repeated) heads.push({name: 'repetition', get: (c) => String(c.repetition)});
  for (const col of columns) heads.push({name: col, get: (c) => c.figures[col]});
  if (data.cells.some((c) => c.error)) heads.push({name: 'error', text: true, get: (c) => c.error});
  const table = el('table', {class: 'figures', id: 'figures'});
  const headRow = el('tr');
  heads.forEach((h) => headRow.appendChild(el('th', {}, h.name)));
  table.appendChild(el('thead')).appendChild(headRow);
  const tbody = table.appendChild(el('tbody'));
  const rows = data.cells.map((c) => {
    const tr = el('tr');
    heads.forEach((h) => {
      const v = h.get(c) || '';
      tr.appendChild(el('td', h.text ? {class: 'text'} : {}, v));
    });
    return {tr: tr, cell: c};
  });
  rows.forEach((r) => tbody.appendChild(r.tr));
  let sortedBy = -1;
  let ascending = true;
  headRow.querySelectorAll('th').forEach((th, i) => th.addEventListener('click', () => {
    ascending = sortedBy === i ? !ascending : true;
    sortedBy = i;
    const key = (r) => heads[i].get(r.cell) || '';
    rows.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      const nx = parseFloat(x);
      const ny = parseFloat(y);
      const order = !isNaN(nx) && !isNaN(ny) ? nx - ny : x.localeCompare(y);
      return ascending ? order : -order;
    });
    rows.forEach((r) => tbody.appendChild(r.tr));
    headRow.querySelectorAll('th').forEach((other) => other.classList.remove('sorted-up', 'sorted-down'));
    th.classList.add(ascending ? 'sorted-up' : 'sorted-down');
  }));
  const scroll = el('div', {class: 'scroll'});
  scroll.appendChild(table);
  root.appendChild(scroll);

  // ---- per cell --------------------------------------------------------------------
  const withCurves = data.cells.filter((c) => c.curves.length);
  if (withCurves.length) {
    root.appendChild(el('h2', {}, 'Latency percentiles per cell'));
    const perCell = el('div', {class: 'grid'});
    root.appendChild(perCell);
    for (const c of withCurves) {
      addChart(perCell, null, (canvas) => new Chart(canvas, {
        type: 'line',
        data: {datasets: c.curves.map((curve, i) =>
          curveDataset(c.label + ' ' + curve.kind, curve.points, kindColour[curve.kind] || colour(i)))},
        options: percentileOptions('Latency percentiles: ' + c.label),
      }));
    }
  }
  if (!charts.length) root.appendChild(el('p', {}, 'Nothing to draw: no cell has a latency histogram.'));

  body.setAttribute('data-sluice-charts', String(charts.length));
  built = true;
  checkDone();
})();
