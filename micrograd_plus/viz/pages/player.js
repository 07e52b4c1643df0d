// The backprop player. DATA comes from micrograd_plus.viz.player.player_data; exercise.js (its exercise mode)
// runs before it in the same script.
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
    byId('lines').textContent = DATA.order.join('\n');
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
  const match = /^(?:v|op)(\d+)$/.exec(g.id), i = match ? Number(match[1]) : -1;
  const later = match && current < DATA.final[i] ? 'When step ' + DATA.final[i] + ' has run (its last contribution):\n' : '';
  byId('sum').textContent = match ? later + DATA.sums[i] :
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
