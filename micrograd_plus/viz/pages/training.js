// The training page. HISTORY comes from micrograd_plus.viz.training_page.TrainingRecorder: one frame per
// recorded step, its loss and accuracy measured before that step's update (the gradients are that step's).
let frame = 0, timer = null;
const SVG_NS = document.getElementById('boundary-axes').namespaceURI;  // SVG's, read off the page's own <svg>
const slider = document.getElementById('slider');
slider.max = HISTORY.length - 1;
const LAST = HISTORY[HISTORY.length - 1].step;
function colour(v, scale) {  // red for positive, blue for negative, white at 0; deeper for larger |v|
  const s = scale ? Math.min(1, Math.abs(v) / scale) : 0;
  const [r, g, b] = v > 0 ? [214, 39, 40] : [31, 119, 180];
  const mix = c => Math.round(255 + (c - 255) * Math.sqrt(s) * 0.85);
  return 'rgb(' + mix(r) + ',' + mix(g) + ',' + mix(b) + ')';
}
function el(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function svg(width, height, cls) { return el('svg', {width: width, height: height, class: cls || ''}); }
function short(v) { return String(Number(v.toPrecision(3))); }
// About n round tick values from lo to hi (steps of 1, 2, 2.5 or 5 times a power of ten).
function niceTicks(lo, hi, n) {
  const span = (hi - lo) || Math.abs(hi) || 1, raw = span / n, magnitude = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map(m => m * magnitude).find(s => s >= raw * 0.999);
  const ticks = [];
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9 * span; v += step) ticks.push(Number(v.toPrecision(12)));
  return ticks;
}
// Loss (left axis) and accuracy (right axis, 0 to 100%) against the step the terminal prints.
function drawCurves(k) {
  const box = document.getElementById('curves');
  box.textContent = '';
  const W = 540, H = 280, left = 60, right = W - 64, top = 36, bottom = H - 46;
  const chart = svg(W, H, 'chart');
  const losses = HISTORY.map(f => f.loss), steps = HISTORY.map(f => f.step);
  const lossTicks = niceTicks(Math.min(0, ...losses), Math.max(...losses), 5);
  if (lossTicks.length > 1 && lossTicks[lossTicks.length - 1] < Math.max(...losses)) {  // the axis ends on a tick
    lossTicks.push(Number((2 * lossTicks[lossTicks.length - 1] - lossTicks[lossTicks.length - 2]).toPrecision(12)));
  }
  const low = lossTicks[0], high = Math.max(lossTicks[lossTicks.length - 1], Math.max(...losses)) || 1;
  const first = steps[0], last = steps[steps.length - 1];
  const x = s => left + (right - left) * (last > first ? (s - first) / (last - first) : 0.5);
  const yl = v => bottom - (bottom - top) * (v - low) / ((high - low) || 1);
  const ya = v => bottom - (bottom - top) * v;
  chart.appendChild(el('rect', {x: left, y: top, width: right - left, height: bottom - top, fill: 'none', stroke: '#999'}));
  for (const v of lossTicks) {
    chart.appendChild(el('line', {x1: left - 5, x2: left, y1: yl(v), y2: yl(v), stroke: '#222'}));
    chart.appendChild(el('text', {x: left - 8, y: yl(v) + 4, 'text-anchor': 'end', class: 'tick'}, short(v)));
  }
  const hasAccuracy = HISTORY.every(f => f.accuracy !== undefined);
  if (hasAccuracy) {
    for (const v of [0, 0.25, 0.5, 0.75, 1]) {
      chart.appendChild(el('line', {x1: right, x2: right + 5, y1: ya(v), y2: ya(v), stroke: '#2e8b57'}));
      chart.appendChild(el('text', {x: right + 8, y: ya(v) + 4, class: 'tick accuracy'}, Math.round(100 * v) + '%'));
    }
    chart.appendChild(el('text', {transform: 'translate(' + (W - 8) + ',' + ((top + bottom) / 2) + ') rotate(90)',
      'text-anchor': 'middle', class: 'axis accuracy'}, 'accuracy'));
  }
  const stepTicks = niceTicks(first, last, 6).filter(s => s >= first && s <= last);
  for (const s of stepTicks) {
    chart.appendChild(el('line', {x1: x(s), x2: x(s), y1: bottom, y2: bottom + 5, stroke: '#222'}));
    chart.appendChild(el('text', {x: x(s), y: bottom + 18, 'text-anchor': 'middle', class: 'tick'}, String(s)));
  }
  chart.appendChild(el('text', {x: (left + right) / 2, y: H - 8, 'text-anchor': 'middle', class: 'axis'}, 'step'));
  chart.appendChild(el('text', {transform: 'translate(16,' + ((top + bottom) / 2) + ') rotate(-90)',
    'text-anchor': 'middle', class: 'axis'}, 'loss'));
  const series = [[losses, yl, '#222222', 'loss (left axis)']];
  if (hasAccuracy) series.push([HISTORY.map(f => f.accuracy), ya, '#2e8b57', 'accuracy (right axis)']);
  series.forEach(([values, y, stroke, name], i) => {
    chart.appendChild(el('polyline', {points: values.map((v, j) => x(steps[j]) + ',' + y(v)).join(' '),
      fill: 'none', stroke: stroke, 'stroke-width': 1.8, class: 'series'}));
    chart.appendChild(el('circle', {cx: x(steps[k]), cy: y(values[k]), r: 4, fill: stroke}));
    const at = left + i * 190;  // the legend, above the plot
    chart.appendChild(el('line', {x1: at, x2: at + 22, y1: 14, y2: 14, stroke: stroke, 'stroke-width': 2.5}));
    chart.appendChild(el('text', {x: at + 28, y: 18, class: 'legend'}, name));
  });
  chart.appendChild(el('line', {x1: x(steps[k]), x2: x(steps[k]), y1: top, y2: bottom, stroke: '#7b2cbf', class: 'now'}));
  box.appendChild(chart);
}
// A colour bar from -scale (blue) through 0 (white) to +scale (red), titled, with its three values.
function colourBar(scale, title, width) {
  const bar = svg(width, 48, 'colour-bar');
  bar.appendChild(el('text', {x: 0, y: 11, class: 'legend'}, title));
  const n = 40;
  for (let i = 0; i < n; i++) {
    const v = scale * (2 * (i + 0.5) / n - 1);
    bar.appendChild(el('rect', {x: 2 + (width - 4) * i / n, y: 16, width: (width - 4) / n + 0.5, height: 12, fill: colour(v, scale)}));
  }
  bar.appendChild(el('rect', {x: 2, y: 16, width: width - 4, height: 12, fill: 'none', stroke: '#888'}));
  [[-scale, 'start', 2], [0, 'middle', width / 2], [scale, 'end', width - 2]].forEach(([v, anchor, at]) => {
    bar.appendChild(el('line', {x1: at, x2: at, y1: 28, y2: 32, stroke: '#222'}));
    bar.appendChild(el('text', {x: at, y: 44, 'text-anchor': anchor, class: 'tick'}, short(v)));
  });
  return bar;
}
function drawBoundary(f) {
  const panel = document.getElementById('boundary-panel');
  if (!f.boundary) { panel.style.display = 'none'; return; }
  const c = document.getElementById('boundary'), ctx = c.getContext('2d');
  const {extent: [left, right, bottom, top], scores, points, labels} = f.boundary;
  const n = scores.length, cell = c.width / n;
  const scale = Math.max(...scores.flat().map(Math.abs));
  scores.forEach((row, r) => row.forEach((s, col) => {
    ctx.fillStyle = colour(s, scale); ctx.fillRect(col * cell, r * cell, cell + 1, cell + 1);
  }));
  points.forEach(([a, b], i) => {
    ctx.fillStyle = labels[i] ? '#8b0000' : '#0b3d91'; ctx.strokeStyle = '#fff';
    ctx.beginPath();
    ctx.arc((a - left) / (right - left) * c.width, (top - b) / (top - bottom) * c.height, 3.5, 0, 2 * Math.PI);
    ctx.fill(); ctx.stroke();
  });
  const axes = document.getElementById('boundary-axes');
  axes.textContent = '';
  const X0 = 48, Y0 = 4, S = c.width;  // where the canvas sits in the axes' drawing
  for (const v of niceTicks(left, right, 5)) {
    const at = X0 + (v - left) / (right - left) * S;
    axes.appendChild(el('line', {x1: at, x2: at, y1: Y0 + S, y2: Y0 + S + 5, stroke: '#222'}));
    axes.appendChild(el('text', {x: at, y: Y0 + S + 18, 'text-anchor': 'middle', class: 'tick'}, short(v)));
  }
  for (const v of niceTicks(bottom, top, 5)) {
    const at = Y0 + (top - v) / (top - bottom) * S;
    axes.appendChild(el('line', {x1: X0 - 5, x2: X0, y1: at, y2: at, stroke: '#222'}));
    axes.appendChild(el('text', {x: X0 - 8, y: at + 4, 'text-anchor': 'end', class: 'tick'}, short(v)));
  }
  axes.appendChild(el('text', {x: X0 + S / 2, y: Y0 + S + 36, 'text-anchor': 'middle', class: 'axis'}, 'x₁'));
  axes.appendChild(el('text', {x: 12, y: Y0 + S / 2, 'text-anchor': 'middle', class: 'axis'}, 'x₂'));
  const key = document.getElementById('boundary-key');
  key.textContent = '';
  key.appendChild(colourBar(scale, 'model score (its sign is the class)', S));
  const points_key = svg(S, 20, 'points-key');
  [['#8b0000', 'class 1 (score > 0)', 6], ['#0b3d91', 'class 0 (score < 0)', 150]].forEach(([fill, name, at]) => {
    points_key.appendChild(el('circle', {cx: at + 4, cy: 10, r: 4, fill: fill}));
    points_key.appendChild(el('text', {x: at + 13, y: 14, class: 'legend'}, name));
  });
  key.appendChild(points_key);
}
// One bar per layer, on one log scale for the whole run (the axis on the left): a norm that falls a
// hundredfold as training settles stays as visible as the first steps' norms.
function drawNorms(f) {
  const box = document.getElementById('norms');
  box.textContent = '';
  const W = 320, H = 260, left = 52, base = H - 30, top = 24;
  const chart = svg(W, H, 'chart');
  const all = HISTORY.flatMap(h => h.layers.map(l => l.grad_norm)).filter(v => v > 0 && Number.isFinite(v));
  const lo = all.length ? Math.floor(Math.log10(Math.min(...all))) : -1;
  const hi = all.length ? Math.max(lo + 1, Math.ceil(Math.log10(Math.max(...all)))) : 0;
  const y = v => base - (base - top) * (Math.log10(v) - lo) / (hi - lo);
  const every = Math.ceil((hi - lo) / 6);
  for (let p = lo; p <= hi; p += every) {
    chart.appendChild(el('line', {x1: left - 5, x2: left, y1: y(10 ** p), y2: y(10 ** p), stroke: '#222'}));
    chart.appendChild(el('text', {x: left - 8, y: y(10 ** p) + 4, 'text-anchor': 'end', class: 'tick'}, short(10 ** p)));
  }
  chart.appendChild(el('line', {x1: left, x2: left, y1: top, y2: base, stroke: '#222'}));
  chart.appendChild(el('line', {x1: left, x2: W - 6, y1: base, y2: base, stroke: '#222'}));
  chart.appendChild(el('text', {transform: 'translate(14,' + ((top + base) / 2) + ') rotate(-90)',
    'text-anchor': 'middle', class: 'axis'}, 'norm (log scale)'));
  const width = (W - left - 6) / f.layers.length;
  f.layers.forEach((layer, i) => {
    const v = layer.grad_norm, at = left + i * width + width / 2;
    const h = v > 0 && Number.isFinite(v) ? base - y(Math.min(v, 10 ** hi)) : 0;
    chart.appendChild(el('rect', {x: left + i * width + 8, y: base - h, width: width - 16, height: h, fill: '#d9822b'}));
    chart.appendChild(el('text', {x: at, y: base + 18, 'text-anchor': 'middle', class: 'tick'}, layer.name));
    chart.appendChild(el('text', {x: at, y: base - h - 6, 'text-anchor': 'middle', class: 'tick value'}, short(v)));
  });
  box.appendChild(chart);
}
function heatmap(matrix, scale) {
  const rows = matrix.length, cols = rows ? matrix[0].length : 0, cell = Math.max(4, Math.min(14, 160 / Math.max(rows, cols)));
  const c = document.createElement('canvas');
  c.width = cols * cell; c.height = rows * cell;
  const ctx = c.getContext('2d');
  matrix.forEach((row, r) => row.forEach((v, col) => { ctx.fillStyle = colour(v, scale); ctx.fillRect(col * cell, r * cell, cell, cell); }));
  return c;
}
function drawLayers(f) {
  const box = document.getElementById('layers');
  box.textContent = '';
  f.layers.forEach((layer, i) => {
    const wScale = Math.max(...HISTORY.flatMap(h => h.layers[i].weights.flat().map(Math.abs)));
    const gScale = Math.max(...layer.grads.flat().map(Math.abs));
    const div = document.createElement('div'); div.className = 'layer';
    const name = document.createElement('div'); name.className = 'layer-name'; name.textContent = layer.name;
    const w = heatmap(layer.weights, wScale); w.className = 'weights';
    const g = heatmap(layer.grads, gScale); g.className = 'grads';
    const width = Math.max(190, w.width);
    div.append(name, w, colourBar(wScale, 'weights (whole run)', width), g, colourBar(gScale, 'gradients (this step)', width));
    box.appendChild(div);
  });
}
function show(k) {
  frame = Math.max(0, Math.min(HISTORY.length - 1, k));
  slider.value = frame;
  const f = HISTORY[frame];
  slider.setAttribute('aria-valuetext', 'step ' + f.step);
  document.getElementById('stepinfo').textContent = 'step ' + f.step + ' / ' + LAST + '  loss ' + f.loss.toPrecision(4) +
    (f.accuracy !== undefined ? '  accuracy ' + (100 * f.accuracy).toFixed(1) + '%' : '');
  drawCurves(frame); drawBoundary(f); drawNorms(f); drawLayers(f);
}
function play() {
  const button = document.getElementById('play');
  if (timer) { clearInterval(timer); timer = null; button.textContent = 'Play'; return; }
  button.textContent = 'Pause';
  if (frame >= HISTORY.length - 1) show(0);
  timer = setInterval(() => { if (frame >= HISTORY.length - 1) play(); else show(frame + 1); }, 250);
}
slider.addEventListener('input', () => show(Number(slider.value)));
document.getElementById('play').onclick = play;
show(0);
