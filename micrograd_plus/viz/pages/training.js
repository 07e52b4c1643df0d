// The training page. HISTORY comes from micrograd_plus.training.TrainingRecorder.
let frame = 0, timer = null;
const slider = document.getElementById('slider');
slider.max = HISTORY.length - 1;
function colour(v, scale) {  // red for positive, blue for negative, white at 0
  const s = scale ? Math.min(1, Math.abs(v) / scale) : 0;
  const [r, g, b] = v > 0 ? [214, 39, 40] : [31, 119, 180];
  const mix = c => Math.round(255 + (c - 255) * Math.sqrt(s) * 0.85);
  return 'rgb(' + mix(r) + ',' + mix(g) + ',' + mix(b) + ')';
}
function drawCurves(k) {
  const c = document.getElementById('curves'), ctx = c.getContext('2d');
  ctx.clearRect(0, 0, c.width, c.height);
  const losses = HISTORY.map(f => f.loss), top = Math.max(...losses), bottom = Math.min(0, ...losses);
  const x = i => 30 + (c.width - 40) * (HISTORY.length > 1 ? i / (HISTORY.length - 1) : 0.5);
  const yl = v => 10 + (c.height - 30) * (1 - (v - bottom) / ((top - bottom) || 1));
  const ya = v => 10 + (c.height - 30) * (1 - v);
  ctx.strokeStyle = '#999'; ctx.strokeRect(30, 10, c.width - 40, c.height - 30);
  ctx.fillStyle = '#222'; ctx.font = '10px Helvetica';
  ctx.fillText(top.toPrecision(3), 0, 14); ctx.fillText('step ' + HISTORY[HISTORY.length - 1].step, c.width - 60, c.height - 4);
  for (const [values, y, style] of [[losses, yl, '#222'], [HISTORY.map(f => f.accuracy), ya, '#2e8b57']]) {
    if (values.some(v => v === undefined)) continue;
    ctx.strokeStyle = style; ctx.lineWidth = 1.5; ctx.beginPath();
    values.forEach((v, i) => { if (i === 0) ctx.moveTo(x(i), y(v)); else ctx.lineTo(x(i), y(v)); });
    ctx.stroke();
    ctx.fillStyle = style; ctx.beginPath(); ctx.arc(x(k), y(values[k]), 4, 0, 2 * Math.PI); ctx.fill();
  }
  ctx.strokeStyle = '#7b2cbf'; ctx.beginPath(); ctx.moveTo(x(k), 10); ctx.lineTo(x(k), c.height - 20); ctx.stroke();
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
}
function drawNorms(f) {
  const c = document.getElementById('norms'), ctx = c.getContext('2d');
  ctx.clearRect(0, 0, c.width, c.height);
  const largest = Math.max(...HISTORY.flatMap(h => h.layers.map(l => l.grad_norm))) || 1;
  const width = (c.width - 20) / f.layers.length;
  ctx.font = '10px Helvetica';
  f.layers.forEach((layer, i) => {
    const h = (c.height - 40) * layer.grad_norm / largest;
    ctx.fillStyle = '#d9822b'; ctx.fillRect(10 + i * width + 6, c.height - 20 - h, width - 12, h);
    ctx.fillStyle = '#222'; ctx.fillText(layer.name, 10 + i * width + 6, c.height - 6);
    ctx.fillText(layer.grad_norm.toPrecision(3), 10 + i * width + 6, c.height - 24 - h);
  });
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
    const name = document.createElement('div'); name.textContent = layer.name;
    const w = heatmap(layer.weights, wScale); w.className = 'weights';
    const g = heatmap(layer.grads, gScale); g.className = 'grads';
    div.append(name, w, document.createElement('br'), g);
    box.appendChild(div);
  });
}
function show(k) {
  frame = Math.max(0, Math.min(HISTORY.length - 1, k));
  slider.value = frame;
  const f = HISTORY[frame];
  document.getElementById('stepinfo').textContent = 'step ' + f.step + '  loss ' + f.loss.toPrecision(4) +
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
