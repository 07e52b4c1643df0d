// The backprop player. DATA comes from micrograd_plus.viz.player.player_data.
const N = DATA.steps.length + 1;  // the steps of backward(), then the summary
const SVG_NS = 'http://www.w3.org/2000/svg';
// Legible when projected: the smallest text of the current step's boxes is READ_PX screen pixels high or
// more. A drawing whose fit keeps its texts that large is shown whole; a larger one is shown at that zoom,
// panned (smoothly, MOVE_MS) to keep the step's node and the parents it sends gradient to in view.
const READ_PX = 12, MOVE_MS = 350, MARGIN = 12;
let current = 0, timer = null, grads = [], shown = false, graphSvg = null, panZoom = null;
// The page may hold two drawings, left to right and top down (the second in a <template>, out of the document):
// it shows the one whose whole is drawn larger in its frame, and swaps them when a new window size turns that.
const drawings = [document.querySelector('#graph svg')];
const spare = document.getElementById('other-drawing');
if (spare && spare.content.firstElementChild) drawings.push(document.importNode(spare.content.firstElementChild, true));
// each drawing's [x, y, width, height], read before svg-pan-zoom takes the viewBox attribute over
const extents = new Map(drawings.map(d => [d, d.getAttribute('viewBox').trim().split(/[\s,]+/).map(Number)]));
function fitScale(svg) {
  const frame = document.getElementById('graph'), box = extents.get(svg);
  return Math.min(frame.clientWidth / box[2], frame.clientHeight / box[3]);
}
function bestDrawing() { return drawings.reduce((a, b) => (fitScale(b) > fitScale(a) * 1.001 ? b : a)); }
function useDrawing(svg) {
  const before = graphSvg || drawings[0];
  if (panZoom) { stop(); panZoom.destroy(); }
  if (svg !== before) before.replaceWith(svg);
  graphSvg = svg;
  // the container sizes the drawing; svg-pan-zoom fits the drawing's viewBox into it
  graphSvg.removeAttribute('width');
  graphSvg.removeAttribute('height');
  panZoom = svgPanZoom(graphSvg, {fit: true, center: true, minZoom: 0.05, maxZoom: 400, dblClickZoomEnabled: false,
    zoomScaleSensitivity: 0.25});
  textHeight = null;
  markTags();
  fitTexts();
}
const answers = DATA.steps.map(s => s.contributions.map(() => ({solved: false, tries: 0, revealed: false})));

function byId(id) { return document.getElementById(id); }
function gradCell(i) {
  const box = byId('v' + i);
  if (!box) return null;
  for (const t of box.querySelectorAll('text')) { if (t.textContent.startsWith('grad ')) return t; }
  return null;
}
function boxOf(i) { const g = byId('v' + i); return g ? g.querySelector('polygon') : null; }
function markTags() {  // the role tags the drawing put in each leaf's box
  DATA.roles.forEach((role, i) => {
    const g = byId('v' + i);
    if (!g || role === 'value') return;
    for (const t of g.querySelectorAll('text')) { if (t.textContent === role) t.classList.add('tag'); }
  });
}
// A box is white until the step that sets its gradient runs; after step k, the colours of steps 1..k.
function colour(k) {
  const fills = DATA.element.map(() => null);
  for (let s = 0; s < Math.min(k, DATA.steps.length); s++) {
    for (const [i, c] of DATA.steps[s].paint) fills[i] = c;
  }
  fills.forEach((c, i) => {
    const box = boxOf(i);
    if (!box) return;
    box.setAttribute('fill', c === null ? DATA.neutral : c);
    byId('v' + i).classList.toggle('set', c !== null);
  });
}
// Graphviz sized each table cell for its own font metrics; where the browser's font is wider, a text
// is narrowed to its cell, so it neither spills out of its chip nor runs into the next cell.
function fitTexts() {
  for (const t of graphSvg.querySelectorAll('g.node text[text-anchor="start"]')) {
    const cell = t.previousElementSibling;
    if (!cell || cell.tagName !== 'polygon') continue;
    const box = cell.getBBox(), room = box.x + box.width - t.getBBox().x - 2;
    if (room > 0 && t.getComputedTextLength() > room) {
      t.setAttribute('textLength', room);
      t.setAttribute('lengthAdjust', 'spacingAndGlyphs');
    }
  }
}
// svg-pan-zoom draws on the next animation frame, so places are computed from the drawing's coordinates
// and the pan-zoom state (screen = pan + realZoom × drawing), never measured on the screen.
let textHeight = null, motion = null;
function smallestText() {  // the height, in drawing units, of the smallest text in a box or on an edge (an op's symbol aside)
  if (textHeight === null) {
    const heights = [...graphSvg.querySelectorAll('g.node:not([id^="op"]) text, g.edge text')].map(t => t.getBBox().height).filter(h => h > 0);
    textHeight = heights.length ? Math.min(...heights) : 1;
  }
  return textHeight;
}
function readableZoom() { return READ_PX / smallestText(); }
function fitView() {  // the zoom and pan that show the whole drawing, centred
  panZoom.resize();
  const {width, height, viewBox} = panZoom.getSizes();
  const zoom = Math.min(width / viewBox.width, height / viewBox.height);
  return {zoom: zoom, pan: {x: (width - zoom * viewBox.width) / 2 - zoom * viewBox.x,
    y: (height - zoom * viewBox.height) / 2 - zoom * viewBox.y}};
}
function setView(zoom, pan) {
  const real = panZoom.getSizes().realZoom;
  if (Math.abs(zoom - real) > 1e-9 * real) panZoom.zoom(panZoom.getZoom() * zoom / real);
  panZoom.pan(pan);
}
function stop() { if (motion !== null) cancelAnimationFrame(motion); motion = null; }
function moveTo(view, smooth) {  // eased over MOVE_MS, or at once (the first view, or reduced motion asked for)
  stop();
  const still = window.matchMedia && window.matchMedia('(prefers-reduced-motion: reduce)').matches;
  if (!smooth || still) { setView(view.zoom, view.pan); return; }
  const z0 = panZoom.getSizes().realZoom, p0 = panZoom.getPan(), start = performance.now();
  const frame = now => {
    const t = Math.min(1, (now - start) / MOVE_MS), e = t * (2 - t);
    // the zoom moves geometrically, so a point between the two views' centres drifts evenly
    setView(z0 * Math.pow(view.zoom / z0, e), {x: p0.x + (view.pan.x - p0.x) * e, y: p0.y + (view.pan.y - p0.y) * e});
    motion = t < 1 ? requestAnimationFrame(frame) : null;
  };
  motion = requestAnimationFrame(frame);
}
function fit() { moveTo(fitView(), false); }
function extent(i) {  // the drawing-coordinate box of node i's element: [left, top, right, bottom]
  const g = byId(DATA.element[i]);
  if (!g) return null;
  const b = g.getBBox(), m = byId('graph0').transform.baseVal.consolidate().matrix;
  const xs = [b.x, b.x + b.width].map(x => m.a * x + m.e), ys = [b.y, b.y + b.height].map(y => m.d * y + m.f);
  return [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)];
}
// One axis of the pan: the group [lo, hi] centred if it fits in ``size``, else the node [nlo, nhi] kept in view
// as near to the group's middle as it can be; the pan is kept if it already shows them.
function axisPan(pan, zoom, size, lo, hi, nlo, nhi) {
  const inView = (a, b) => pan + zoom * a >= MARGIN && pan + zoom * b <= size - MARGIN;
  if (inView(lo, hi)) return pan;
  if (zoom * (hi - lo) <= size - 2 * MARGIN) return size / 2 - zoom * (lo + hi) / 2;
  const centred = size / 2 - zoom * (lo + hi) / 2;
  return Math.min(Math.max(centred, MARGIN - zoom * nlo), size - MARGIN - zoom * nhi);
}
// The view of a step: the whole drawing if that keeps its texts readable; else the readable zoom (or the
// user's, if closer and the group still fits) with the node and its parents in view.
function stepView(nodes) {
  const fitted = fitView(), readable = readableZoom();
  if (fitted.zoom >= readable) return fitted;
  const boxes = nodes.map(extent).filter(b => b !== null);
  if (!boxes.length) return null;
  const {width, height, realZoom} = panZoom.getSizes();
  const group = [0, 1, 2, 3].map(k => (k < 2 ? Math.min : Math.max)(...boxes.map(b => b[k])));
  const fits = z => z * (group[2] - group[0]) <= width - 2 * MARGIN && z * (group[3] - group[1]) <= height - 2 * MARGIN;
  const zoom = realZoom >= readable && fits(realZoom) ? realZoom : readable;
  let pan = panZoom.getPan();
  if (zoom !== realZoom) {  // zoom about the node's centre, so it stays where the eye is
    const [l, t, r, b] = boxes[0], cx = (l + r) / 2, cy = (t + b) / 2;
    pan = {x: pan.x + (realZoom - zoom) * cx, y: pan.y + (realZoom - zoom) * cy};
  }
  const node = boxes[0], {viewBox} = panZoom.getSizes();
  // an axis along which the whole drawing fits stays centred, so the view moves along the other one only;
  // along one where it does not, no blank shows beyond its edges (the root at the start sits at its side)
  const place = (p, size, lo, span, k) => {
    if (zoom * span <= size) return (size - zoom * span) / 2 - zoom * lo;
    const at = axisPan(p, zoom, size, group[k], group[k + 2], node[k], node[k + 2]);
    return Math.min(Math.max(at, size - MARGIN - zoom * (lo + span)), MARGIN - zoom * lo);
  };
  return {zoom: zoom, pan: {x: place(pan.x, width, viewBox.x, viewBox.width, 0),
    y: place(pan.y, height, viewBox.y, viewBox.height, 1)}};
}
function inView() {  // the nodes the current step keeps in view, the node first: the root at the start and end
  if (current === 0 || current === N) return [DATA.root].concat(DATA.steps.length ? DATA.steps[0].parents : []);
  const step = current < N ? DATA.steps[current - 1] : null;
  return step ? [step.node].concat(step.parents) : [];
}
function focus(nodes, smooth) {
  panZoom.resize();
  const view = stepView(nodes);
  if (view) moveTo(view, smooth);
}
function shortNumber(x) { return String(Number(x.toPrecision(4))); }
function gradsBefore(k, partial) {  // after steps 1..k (and the solved rows of step ``partial``, 0-based)
  const g = DATA.initial.map(([i, text]) => (DATA.exercise && i !== DATA.root) ? '?' : text);
  for (let s = 0; s < Math.min(k, DATA.steps.length); s++) {
    if (DATA.exercise) {
      DATA.steps[s].contributions.forEach((c, j) => { g[c.parent] = answers[s][j].solved ? shortNumber(answers[s][j].value) : '?'; });
    } else {
      for (const [i, text] of DATA.steps[s].updates) g[i] = text;
    }
  }
  if (DATA.exercise && partial !== undefined) {
    DATA.steps[partial].contributions.forEach((c, j) => { if (answers[partial][j].solved) g[c.parent] = shortNumber(answers[partial][j].value); });
  }
  return g;
}
function el(tag, attrs, text) {
  const e = document.createElementNS(SVG_NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}
function nearBox(svg, i, x, y, strong) {
  svg.appendChild(el('rect', {x: x, y: y, width: 170, height: 56, rx: 4, fill: strong ? '#f1e6fa' : '#ffffff',
    stroke: strong ? DATA.highlight : '#888888', 'stroke-width': strong ? 3 : 1}));
  svg.appendChild(el('text', {x: x + 6, y: y + 17, 'font-weight': 'bold', class: 'near-text'}, DATA.names[i]));
  svg.appendChild(el('text', {x: x + 6, y: y + 33, class: 'near-text'}, 'data ' + DATA.data[i]));
  svg.appendChild(el('text', {x: x + 6, y: y + 49, class: 'near-text'}, 'grad ' + grads[i]));
}
function narrow(svg) {  // a long parameter path is narrowed to its box rather than run into the next box
  for (const t of svg.querySelectorAll('.near-text')) {
    if (t.getComputedTextLength() > 158) { t.setAttribute('textLength', 158); t.setAttribute('lengthAdjust', 'spacingAndGlyphs'); }
  }
}
function drawNear(step) {
  const near = byId('near');
  near.textContent = '';
  if (!step) return;
  const rows = Math.max(step.parents.length, step.consumers.length, 1);
  const svg = el('svg', {id: 'near-svg', width: 560, height: 40 + rows * 66});
  svg.appendChild(el('text', {x: 10, y: 14}, 'operands'));
  svg.appendChild(el('text', {x: 380, y: 14}, 'used by'));
  const mid = 24 + (rows - 1) * 33;
  nearBox(svg, step.node, 195, mid, true);
  step.parents.forEach((p, r) => {
    const y = 24 + r * 66;
    svg.appendChild(el('line', {x1: 180, y1: y + 28, x2: 195, y2: mid + 28, stroke: '#555'}));
    nearBox(svg, p, 10, y, false);
  });
  step.consumers.forEach((c, r) => {
    const y = 24 + r * 66;
    svg.appendChild(el('line', {x1: 365, y1: mid + 28, x2: 380, y2: y + 28, stroke: '#555'}));
    nearBox(svg, c, 380, y, false);
  });
  near.appendChild(svg);
  narrow(svg);
}
function parseNumber(text) {
  const s = text.trim().replace('\u2212', '-');
  const fraction = s.match(/^([-+]?[0-9.eE+-]+)\s*\/\s*([-+]?[0-9.eE+-]+)$/);
  const x = fraction ? Number(fraction[1]) / Number(fraction[2]) : (s === '' ? NaN : Number(s));
  return Number.isFinite(x) ? x : null;
}
// SHA-256 (FIPS 180-4) as hex. The exercise page holds hashes of its answers, never the answers: a typed
// number is rounded as the page rounded them (answerKey) and its hash looked up.
const K256 = [];
(function () {
  const frac = x => Math.floor((x - Math.floor(x)) * 4294967296) >>> 0;
  for (let n = 2, found = 0; found < 64; n++) {
    let prime = true;
    for (let d = 2; d * d <= n; d++) if (n % d === 0) { prime = false; break; }
    if (prime) { K256.push(frac(Math.cbrt(n))); found++; }
  }
})();
function sha256(text) {
  const bytes = Array.from(new TextEncoder().encode(text)), bits = bytes.length * 8;
  bytes.push(0x80);
  while (bytes.length % 64 !== 56) bytes.push(0);
  for (let i = 7; i >= 0; i--) bytes.push(i >= 4 ? 0 : (bits >>> (8 * i)) & 255);
  const h = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];
  const rot = (x, n) => (x >>> n) | (x << (32 - n));
  for (let at = 0; at < bytes.length; at += 64) {
    const w = [];
    for (let i = 0; i < 64; i++) {
      if (i < 16) w.push((bytes[at + 4 * i] << 24) | (bytes[at + 4 * i + 1] << 16) | (bytes[at + 4 * i + 2] << 8) | bytes[at + 4 * i + 3]);
      else {
        const s0 = rot(w[i - 15], 7) ^ rot(w[i - 15], 18) ^ (w[i - 15] >>> 3);
        const s1 = rot(w[i - 2], 17) ^ rot(w[i - 2], 19) ^ (w[i - 2] >>> 10);
        w.push((w[i - 16] + s0 + w[i - 7] + s1) | 0);
      }
    }
    let [a, b, c, d, e, f, g, k] = h;
    for (let i = 0; i < 64; i++) {
      const t1 = (k + (rot(e, 6) ^ rot(e, 11) ^ rot(e, 25)) + ((e & f) ^ (~e & g)) + K256[i] + w[i]) | 0;
      const t2 = ((rot(a, 2) ^ rot(a, 13) ^ rot(a, 22)) + ((a & b) ^ (a & c) ^ (b & c))) | 0;
      k = g; g = f; f = e; e = (d + t1) | 0; d = c; c = b; b = a; a = (t1 + t2) | 0;
    }
    [a, b, c, d, e, f, g, k].forEach((x, i) => { h[i] = (h[i] + x) | 0; });
  }
  return h.map(x => (x >>> 0).toString(16).padStart(8, '0')).join('');
}
// 3 significant digits, written as micrograd_plus.viz.exercise_page.answer_key writes them
function answerKey(x) { return Math.abs(x) < 1e-9 ? '0' : x.toExponential(2); }
function lookup(c, field, x) { return c[field][sha256(c.salt + '|' + c.row + '.' + field + '|' + answerKey(x)).slice(0, 16)]; }
// The significant digits of a typed decimal ('-2.1' has 2; '0.0510' has 3); a fraction counts as exact.
function digits(text) {
  const s = text.trim().replace('\u2212', '-');
  if (s.includes('/')) return Infinity;
  const mantissa = s.replace(/^[-+]/, '').split(/e/i)[0];
  const whole = mantissa.includes('.') ? mantissa.replace('.', '') : mantissa.replace(/0+$/, '');
  return whole.replace(/^0+/, '').length;
}
// Returns [kind, message]: 'right', the likely misconception (found by the hash of the typed number), or,
// for a number typed with fewer than 3 significant digits that is neither, a request for more digits: its
// rounding may be all that is wrong with it.
function diagnose(c, local, total, localText, totalText) {
  const judge = (field, x, text) => {
    const k = lookup(c, field, x);
    if (k === 'right') return null;
    if (k) return [k, c.hints[k]];
    if (digits(text) < 3) return ['digits', 'Give at least 3 significant digits (e.g. 0.125, not 0.12) for the ' +
      (field === 'local' ? 'local derivative' : 'new gradient') + ': the page checks to 3 digits.'];
    return ['wrong-' + field, c.hints['wrong-' + field]];
  };
  const verdict = judge('local', local, localText || String(local)) || judge('total', total, totalText || String(total));
  return verdict || ['right', 'Right: ' + c.name + '.grad = ' + total.toPrecision(4) + '.'];
}
const ORDINAL = n => n + ((n % 100 >= 11 && n % 100 <= 13) ? 'th' : ({1: 'st', 2: 'nd', 3: 'rd'}[n % 10] || 'th'));
function score() {  // every answer row: solved first try, solved after a hint, revealed, or open
  const count = {solved: 0, hinted: 0, revealed: 0, open: 0};
  for (const row of answers.flat()) {
    count[row.revealed ? 'revealed' : !row.solved ? 'open' : row.tries ? 'hinted' : 'solved'] += 1;
  }
  return count;
}
function scoreText() {
  const c = score(), n = answers.flat().length;
  return 'Solved first try ' + c.solved + ', solved after a hint ' + c.hinted + ', revealed ' + c.revealed +
    ', still open ' + c.open + ' (of ' + n + ' answers).';
}
function showScore() { const e = byId('score'); if (e && DATA.exercise) e.textContent = scoreText(); }
function exerciseRows(s) {
  const box = byId('exercise');
  box.textContent = '';
  const step = DATA.steps[s];
  step.contributions.forEach((c, k) => {
    const state = answers[s][k];
    const row = document.createElement('div');
    row.className = 'row';
    row.id = 'row' + k;
    const label = document.createElement('span');
    const node = DATA.names[step.node];
    label.textContent = c.name + ' (' + ORDINAL(c.count) + ' contribution): d(' + node + ')/d(' + c.name + ') = ';
    const local = document.createElement('input'); local.className = 'local'; local.setAttribute('aria-label', 'local derivative');
    const mid = document.createElement('span'); mid.textContent = '  new ' + c.name + '.grad = ';
    const total = document.createElement('input'); total.className = 'total'; total.setAttribute('aria-label', 'new gradient');
    const check = document.createElement('button'); check.textContent = 'Check'; check.className = 'check';
    const reveal = document.createElement('button'); reveal.textContent = 'Show how'; reveal.className = 'reveal';
    const verdict = document.createElement('div'); verdict.className = 'verdict';
    // typing into a row brings its parent into view (beside the node where both fit): a far parent, too
    for (const box of [local, total]) {
      box.addEventListener('focus', () => focus([c.parent, step.node], true));
      box.addEventListener('keydown', e => { if (e.key === 'Enter') { e.preventDefault(); check.click(); } });
    }
    if (state.solved) { local.value = state.local; total.value = state.total; verdict.className = 'verdict right'; verdict.textContent = 'Solved.'; }
    check.onclick = () => {
      const a = parseNumber(local.value), b = parseNumber(total.value);
      if (a === null || b === null) {
        verdict.className = 'verdict wrong'; verdict.dataset.kind = 'not-a-number';
        verdict.textContent = 'Please type numbers, e.g. -0.5 or 3/4 (got ' + JSON.stringify(a === null ? local.value : total.value) + ').';
        return;
      }
      const [kind, message] = diagnose(c, a, b, local.value, total.value);
      verdict.dataset.kind = kind; verdict.textContent = message;
      verdict.className = 'verdict ' + (kind === 'right' ? 'right' : 'wrong');
      if (kind === 'right') {
        if (!state.solved) Object.assign(state, {solved: true, local: local.value.trim(), total: total.value.trim(), value: b});
        fill(s);
      } else if (!state.solved) state.tries += 1;
      showScore();
    };
    reveal.onclick = () => {  // the derivation with the page's public numbers; the arithmetic stays the student's
      if (!state.solved) state.revealed = true;
      verdict.dataset.kind = 'revealed'; verdict.className = 'verdict';
      verdict.textContent = c.reveal_local + '\n' + revealTotal(s, c);
      showScore();
    };
    // two parts that wrap between them, never inside: the derivative, then the new gradient and the buttons
    const derivative = document.createElement('span'), gradient = document.createElement('span');
    derivative.className = gradient.className = 'part';
    derivative.append(label, local);
    gradient.append(mid, total, check, reveal);
    row.append(derivative, gradient, verdict);
    box.appendChild(row);
  });
}
function fill(s) {  // gradients the student has found so far in this step
  paint(gradsBefore(s, s));
}
function paint(g) {
  grads = g;
  g.forEach((text, i) => { const t = gradCell(i); if (t) t.textContent = 'grad ' + text; });
  drawNear(current >= 1 && current <= DATA.steps.length ? DATA.steps[current - 1] : null);
}
function lastRow(i) {  // the answer state of the last contribution to node i's gradient
  let last = null;
  DATA.steps.forEach((step, s) => step.contributions.forEach((c, j) => { if (c.parent === i) last = answers[s][j]; }));
  return last;
}
function exerciseSummary() {
  const found = gradsBefore(N);
  const lines = DATA.leaves.map(i => {
    const row = lastRow(i);
    const how = found[i] !== '?' ? ' (yours)' : row && row.revealed ? ' (revealed: its derivation was shown)' : ' (not found yet)';
    return DATA.names[i] + '.grad = ' + found[i] + how;
  });
  return [scoreText(), ''].concat(lines);
}
// The new gradient's derivation: the upstream gradient and the parent's gradient so far as numbers where the
// student has found them (they are the student's own), else by name; the product is left to the student.
function revealTotal(s, c) {
  const known = gradsBefore(s), node = DATA.steps[s].node, name = DATA.names[node];
  const upstream = known[node] !== '?' ? '(' + known[node] + ')' : name + '.grad';
  let before = '0';
  if (c.count > 1) before = known[c.parent] !== '?' ? '(' + known[c.parent] + ')' : c.name + '.grad so far';
  return 'new ' + c.name + '.grad = ' + before + ' + local × upstream = ' + before + ' + d(' + name + ')/d(' + c.name +
    ') × ' + upstream;
}
function mark(id) { const e = byId(id); if (e) e.classList.add('current'); return e; }
// The step's text, numbers and neighbourhood (no view, no colours): show() and the panel's measuring use it.
function fillStep(k) {
  current = Math.max(0, Math.min(N, k));
  document.querySelectorAll('.current').forEach(e => e.classList.remove('current'));
  byId('counter').textContent = current === N ? 'summary' : 'step ' + current + ' / ' + DATA.steps.length;
  byId('exercise').textContent = '';
  byId('lines').textContent = '';
  if (current === 0) {
    byId('title').textContent = DATA.start;
    paint(gradsBefore(0));
  } else if (current === N) {
    byId('title').textContent = DATA.summary.title;
    byId('lines').textContent = (DATA.exercise ? exerciseSummary() : DATA.summary.lines).join('\n');
    paint(gradsBefore(N));
  } else {
    const step = DATA.steps[current - 1];
    byId('title').textContent = step.title;
    if (DATA.exercise && step.contributions.length) exerciseRows(current - 1);
    else byId('lines').textContent = step.lines.join('\n');
    if (DATA.exercise) fill(current - 1); else paint(gradsBefore(current));
  }
}
// The step panel gets the height of its tallest step (sampled, up to its 36vh cap; the summary scrolls) before the first view, so
// the graph's frame keeps its place and size as steps come and go.
function reserveStep() {
  const panel = byId('step'), at = current;
  panel.style.height = '';
  const every = Math.max(1, Math.ceil((N + 1) / 40));
  let tallest = 0;
  for (let k = 0; k < N; k++) {  // the summary's text scrolls in the space the steps need
    if (k % every && k !== N - 1) continue;
    fillStep(k);
    tallest = Math.max(tallest, panel.scrollHeight);
  }
  panel.style.height = Math.min(tallest, 0.36 * innerHeight) + 'px';
  fillStep(at);
}
function show(k) {
  fillStep(k);
  colour(current);
  if (current === 0) {
    mark(DATA.element[DATA.root]);
    focus(inView(), shown);
    shown = true;
  } else if (current === N) {
    focus([DATA.root], true);  // the whole graph where it is readable, else the output
  } else {
    const step = DATA.steps[current - 1];
    mark(step.element);
    mark('op' + step.node);
    for (const id of step.edges) mark(id);
    focus(inView(), true);
  }
}
function play() {
  if (timer) { clearInterval(timer); timer = null; byId('play').textContent = 'Play'; return; }
  byId('play').textContent = 'Pause';
  if (current >= N) show(0);  // play again from the start
  timer = setInterval(() => { if (current >= N) { play(); } else { show(current + 1); } }, 1200);
}
function showSum(event) {
  const g = event.target.closest('g.node');
  if (!g) return;
  const match = /^(?:v|op)(\d+)$/.exec(g.id);
  byId('sum').textContent = match ? DATA.sums[Number(match[1])] :
    'A collapsed module call: step to one of its nodes to see it beside the graph.';
}
byId('prev').onclick = () => show(current - 1);
byId('next').onclick = () => show(current + 1);
byId('play').onclick = play;
byId('graph').addEventListener('click', showSum);
byId('zoom-in').onclick = () => { stop(); panZoom.zoomIn(); };
byId('zoom-out').onclick = () => { stop(); panZoom.zoomOut(); };
byId('fit').onclick = fit;
// the reader's own pan or zoom wins over a move still under way
for (const kind of ['mousedown', 'wheel', 'touchstart']) byId('graph').addEventListener(kind, stop, {passive: true});
const PAN = {ArrowLeft: [80, 0], ArrowRight: [-80, 0], ArrowUp: [0, 80], ArrowDown: [0, -80]};
new ResizeObserver(() => panZoom.resize()).observe(byId('graph'));
// a new window size (a projector, full screen) gets the step's view anew: whole if now readable so
window.addEventListener('resize', () => {
  reserveStep();
  const best = bestDrawing();
  if (best !== graphSvg) { useDrawing(best); show(current); }
  else focus(inView(), false);
});
document.addEventListener('keydown', e => {
  if (e.target && e.target.tagName === 'INPUT') return;
  if (e.shiftKey && PAN[e.key]) { e.preventDefault(); stop(); panZoom.panBy({x: PAN[e.key][0], y: PAN[e.key][1]}); }
  else if (e.key === '+' || e.key === '=') { stop(); panZoom.zoomIn(); }
  else if (e.key === '-') { stop(); panZoom.zoomOut(); }
  else if (e.key === '0') fit();
  else if (e.key === 'ArrowRight') show(current + 1);
  else if (e.key === 'ArrowLeft') show(current - 1);
  else if (e.key === ' ') { e.preventDefault(); play(); }
});
showScore();
reserveStep();
useDrawing(bestDrawing());
show(0);
