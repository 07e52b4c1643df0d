// The graph explorer. DATA comes from micrograd_plus.viz.explorer.explorer_data.
// Only what is open is laid out: each open cluster's items (its own nodes and its sub-clusters) are
// ranked by a longest-path layering of the edges between them, each column ordered by where its
// items' inputs sit, then the cluster is one block in its parent's layout.
const NS = 'http://www.w3.org/2000/svg';
const FONT = '12px Helvetica, Arial, sans-serif', BOLD = 'bold 12px Helvetica, Arial, sans-serif';
const CHIP_FONT = '10px Helvetica, Arial, sans-serif';
const LINE = 16, PAD = 6, GAP_X = 46, GAP_Y = 12, TITLE = 22, INSET = 10, READABLE = 1.0, WRAP = 12;
const C = DATA.clusters.map(([label, detail, kind, parent, children, size, first]) =>
  ({label, detail, kind, parent, children, size, first, nodes: []}));
DATA.cluster.forEach((c, i) => C[c].nodes.push(i));
const open = new Set(DATA.open);
const N = DATA.names.length;
const marks = DATA.marks || {};
const marked = new Map();  // cluster -> the strongest mark of a node inside it
const RANK = {grad: 1, value: 2, op: 3, extra: 4};
for (const [i, kind] of Object.entries(marks)) {
  for (let c = DATA.cluster[+i]; c > 0; c = C[c].parent) {
    if (!marked.has(c) || RANK[kind] > RANK[marked.get(c)]) marked.set(c, kind);
  }
}
let step = -1;  // -1: the final gradients; k >= 0: after the first k steps of backward()
let current = -1, found = -1, pos = new Map(), items = [];
let reps = [];  // per node, what stands for it on screen: 'n' + node, or 'c' + its outermost closed cluster
const svg = document.querySelector('#graph svg'), scene = document.getElementById('scene');
const measurer = document.createElement('canvas').getContext('2d');
function byId(id) { return document.getElementById(id); }
function width(text, font) { measurer.font = font; return measurer.measureText(text).width; }
function el(name, attrs, parent) {
  const e = document.createElementNS(NS, name);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  if (parent) parent.appendChild(e);
  return e;
}
function label(x, y, text, cls, parent) { const t = el('text', {x, y, class: cls || ''}, parent); t.textContent = text; return t; }

// ---- what stands for a node on screen: itself, or its outermost closed cluster
function representatives() {
  const rep = new Array(N);
  for (let i = 0; i < N; i++) {
    let r = 'n' + i;
    for (let c = DATA.cluster[i]; c > 0; c = C[c].parent) if (!open.has(c)) r = 'c' + c;
    rep[i] = r;
  }
  return rep;
}
function chain(key) {  // the open clusters from the top down to the one holding this item, then the item
  const out = [key];
  let c = key[0] === 'n' ? DATA.cluster[+key.slice(1)] : C[+key.slice(1)].parent;
  for (; c >= 0; c = C[c].parent) out.unshift(c);
  return out;
}
function visibleEdges(rep) {  // aggregated edges between items on screen, and per cluster between its items
  const counts = new Map();
  for (let i = 0; i < N; i++) {
    for (const p of DATA.parents[i]) {
      if (rep[p] === rep[i]) continue;
      const key = rep[p] + '|' + rep[i];
      counts.set(key, (counts.get(key) || 0) + 1);
    }
  }
  const edges = [], inner = new Map();
  for (const [key, count] of counts) {
    const [a, b] = key.split('|');
    edges.push({a, b, count});
    const ca = chain(a), cb = chain(b);
    let k = 0;
    while (k < ca.length - 1 && k < cb.length - 1 && ca[k] === cb[k]) k++;
    const owner = ca[k - 1], ia = ca[k], ib = cb[k];  // the common cluster, and the items in it on each side
    if (ia === ib) continue;
    if (!inner.has(owner)) inner.set(owner, []);
    inner.get(owner).push([typeof ia === 'number' ? 'c' + ia : ia, typeof ib === 'number' ? 'c' + ib : ib]);
  }
  return {edges, inner};
}

// ---- sizes of boxes
function gradText(i) { return step < 0 ? DATA.grads[i] : (state.text[i] || '0'); }
function nodeLines(i) {
  const head = DATA.names[i] + (DATA.ops[i] ? ' = ' + DATA.ops[i] : '');
  const tail = 'data ' + DATA.data[i] + (DATA.roles[i] === 'constant' ? '' : '   grad ' + DATA.grads[i]);
  return [head, tail];
}
function nodeSize(i) {
  const [head, tail] = nodeLines(i);
  const role = DATA.roles[i];
  const chip = role === 'value' ? 0 : width(role, CHIP_FONT) + 14;
  // room for the widest gradient a step can show before the final one
  const gradRoom = DATA.roles[i] === 'constant' ? 0 : Math.max(0, width('-8.888e-88', FONT) - width(DATA.grads[i], FONT));
  return {w: Math.ceil(Math.max(width(head, BOLD) + chip, width(tail, FONT) + gradRoom)) + 2 * PAD, h: 2 * LINE + 2 * PAD};
}
function closedLines(c) {
  const size = C[c].size + (C[c].size === 1 ? ' node' : ' nodes');
  return ['▸ ' + C[c].label, C[c].detail ? C[c].detail + ' · ' + size : size];
}
function closedSize(c) {
  const [head, tail] = closedLines(c);
  return {w: Math.ceil(Math.max(width(head, BOLD), width(tail, FONT))) + 2 * PAD + 6, h: 2 * LINE + 2 * PAD + 6};
}
function titleText(c) { return '▾ ' + C[c].label + (C[c].detail ? '  (' + C[c].detail + ')' : ''); }

// ---- layered layout of one open cluster
function ranks(list, edges) {
  const at = new Map(list.map((it, k) => [it.key, k]));
  const out = list.map(() => []), into = list.map(() => []), indeg = list.map(() => 0);
  for (const [a, b] of edges) {
    const i = at.get(a), j = at.get(b);
    if (i === undefined || j === undefined || i === j) continue;
    out[i].push(j); into[j].push(i); indeg[j]++;
  }
  const byFirst = list.map((_, k) => k).sort((p, q) => list[p].first - list[q].first);
  const rank = list.map(() => 0), done = list.map(() => false), queue = byFirst.filter(k => indeg[k] === 0);
  for (let count = 0; count < list.length; count++) {
    let k = queue.length ? queue.shift() : byFirst.find(j => !done[j]);  // a cycle: take the earliest left
    while (done[k]) k = queue.length ? queue.shift() : byFirst.find(j => !done[j]);
    done[k] = true;
    for (const j of out[k]) { if (!done[j]) { rank[j] = Math.max(rank[j], rank[k] + 1); if (--indeg[j] === 0) queue.push(j); } }
  }
  for (const k of byFirst) {  // an item with no inputs sits just before its first user, not in column 0
    if (!into[k].length && out[k].length) rank[k] = Math.max(0, Math.min(...out[k].map(j => rank[j])) - 1);
  }
  return {rank, into};
}
// A tall column of items with no inputs among them (a group of leaves, the n calls of a "×n" box) is
// folded into several columns side by side, so an open group reads as a block, not a strip.
function wrap(columns, into) {
  for (let r = 0; r < columns.length; r++) {
    const column = columns[r];
    if (!column || column.length <= WRAP || column.some(k => into[k].length)) continue;
    const per = Math.max(WRAP, Math.ceil(Math.sqrt(column.length * 3)));
    const pieces = [];
    for (let k = 0; k < column.length; k += per) pieces.push(column.slice(k, k + per));
    columns.splice(r, 1, ...pieces);
    r += pieces.length - 1;
  }
}
function layoutCluster(c, inner) {
  const list = [];
  for (const i of C[c].nodes) list.push({key: 'n' + i, node: i, first: i, ...nodeSize(i)});
  for (const k of C[c].children) {
    if (open.has(k)) { const sub = layoutCluster(k, inner); list.push({key: 'c' + k, cluster: k, open: true, first: C[k].first, w: sub.w, h: sub.h, sub}); }
    else list.push({key: 'c' + k, cluster: k, open: false, first: C[k].first, ...closedSize(k)});
  }
  const {rank, into} = ranks(list, inner.get(c) || []);
  const columns = [];
  list.forEach((it, k) => { (columns[rank[k]] = columns[rank[k]] || []).push(k); });
  wrap(columns, into);
  let x = 0, height = 0;
  const centre = list.map(() => null);
  for (const column of columns) {
    if (!column) continue;
    const want = k => { const ys = into[k].map(j => centre[j]).filter(y => y !== null); return ys.length ? ys.reduce((s, y) => s + y, 0) / ys.length : null; };
    column.sort((p, q) => (want(p) ?? list[p].first * 1e-6 - 1e9) - (want(q) ?? list[q].first * 1e-6 - 1e9) || list[p].first - list[q].first);
    let y = 0, w = 0;
    for (const k of column) {
      const it = list[k], wanted = want(k);
      it.x = x; it.y = Math.max(y, wanted === null ? y : wanted - it.h / 2);
      centre[k] = it.y + it.h / 2; y = it.y + it.h + GAP_Y; w = Math.max(w, it.w);
    }
    height = Math.max(height, y - GAP_Y); x += w + GAP_X;
  }
  const inset = c === 0 ? 0 : INSET, top = c === 0 ? 0 : TITLE;
  const w = Math.max(x - GAP_X, c === 0 ? 0 : width(titleText(c), BOLD)) + 2 * inset;
  return {w, h: height + top + 2 * inset, list, inset, top};
}

// ---- drawing
function drawNode(i, x, y, w, h, parent) {
  const g = el('g', {id: 'n' + i, class: `box node ${DATA.roles[i]}` + (marks[i] ? ' mark-' + marks[i] : ''), 'data-node': i}, parent);
  el('rect', {class: 'face', x, y, width: w, height: h, rx: 3, fill: DATA.neutral}, g);
  const [head, tail] = nodeLines(i);
  const name = label(x + PAD, y + PAD + 12, DATA.names[i], 'bold', g);
  if (DATA.ops[i]) { const t = el('tspan', {class: 'op'}, name); t.textContent = ' = ' + DATA.ops[i]; t.setAttribute('font-weight', 'normal'); }
  const role = DATA.roles[i];
  if (role !== 'value') {
    const cx = x + PAD + width(head, BOLD) + 6, cw = width(role, CHIP_FONT) + 8;
    el('rect', {x: cx, y: y + PAD + 1, width: cw, height: 14, rx: 3, fill: DATA.chips[role]}, g);
    label(cx + 4, y + PAD + 12, role, 'chip', g);
  }
  const data = label(x + PAD, y + PAD + LINE + 12, 'data ' + DATA.data[i], '', g);
  if (role !== 'constant') { const t = el('tspan', {class: 'grad'}, data); t.textContent = '   grad ' + gradText(i); }
  el('title', {}, g).textContent = tail;
  return g;
}
function drawClosed(c, x, y, w, h, parent) {
  const g = el('g', {id: 'c' + c, class: 'closed' + (marked.has(c) ? ' mark-' + marked.get(c) : ''), 'data-cluster': c}, parent);
  el('rect', {class: 'back', x: x + 6, y, width: w - 6, height: h - 6, rx: 3}, g);
  el('rect', {class: 'face', x, y: y + 6, width: w - 6, height: h - 6, rx: 3}, g);
  const [head, tail] = closedLines(c);
  label(x + PAD, y + 6 + PAD + 12, head, 'bold', g);
  label(x + PAD, y + 6 + PAD + LINE + 12, tail, '', g);
  g.addEventListener('click', () => toggle(c));
}
function drawCluster(c, block, x, y, parent, frames) {  // frames: the layer under the edges
  let g = parent;
  if (c !== 0) {
    g = el('g', {id: 'c' + c, class: 'cluster', 'data-cluster': c}, parent);
    el('rect', {class: 'frame', x, y, width: block.w, height: block.h, rx: 5}, frames);
    label(x + block.inset, y + block.inset + 13, titleText(c), 'bold title', g).addEventListener('click', () => toggle(c));
  }
  for (const it of block.list) {
    const ix = x + block.inset + it.x, iy = y + block.inset + block.top + it.y;
    pos.set(it.key, {x: ix, y: iy, w: it.w, h: it.h});
    if (it.node !== undefined) { drawNode(it.node, ix, iy, it.w, it.h, g); items.push(it.node); }
    else if (it.open) drawCluster(it.cluster, it.sub, ix, iy, g, frames);
    else drawClosed(it.cluster, ix, iy, it.w, it.h, g);
  }
}
function drawEdges(edges, layer) {
  // hundreds of edges (a parameter into each of 100 calls) fade, so the boxes stay readable through them
  layer.setAttribute('opacity', Math.max(0.2, Math.min(1, 200 / Math.max(1, edges.length))));
  for (const {a, b, count} of edges) {
    const p = pos.get(a), q = pos.get(b);
    if (!p || !q) continue;
    const x1 = p.x + p.w, y1 = p.y + p.h / 2, x2 = q.x, y2 = q.y + q.h / 2, bend = Math.max(30, Math.abs(x2 - x1) / 2);
    const path = el('path', {class: 'edge', d: `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`,
      'stroke-width': 1 + Math.log2(count) / 2, 'data-from': a, 'data-to': b}, layer);
    el('title', {}, path).textContent = count === 1 ? '1 edge' : count + ' edges';
  }
}
let panZoom = null, moved = false;  // moved: the reader has panned, zoomed, opened or searched
function render(keep) {
  const before = keep !== undefined && pos.has(keep) ? screenOf(pos.get(keep)) : null;
  scene.replaceChildren();
  pos = new Map(); items = [];
  reps = representatives();
  const {edges, inner} = visibleEdges(reps);
  const block = layoutCluster(0, inner);
  const frames = el('g', {id: 'frames'}, scene), edgeLayer = el('g', {id: 'edges'}, scene);
  drawCluster(0, block, 0, 0, el('g', {id: 'boxes'}, scene), frames);
  drawEdges(edges, edgeLayer);
  paint();
  if (!panZoom) {
    panZoom = svgPanZoom(svg, {fit: true, center: true, minZoom: 0.02, maxZoom: 40, dblClickZoomEnabled: false, zoomScaleSensitivity: 0.25});
    firstView();
  } else {
    panZoom.updateBBox();
    if (before && pos.has(keep)) {  // the box that was clicked stays where it was on screen
      const now = pos.get(keep), z = panZoom.getSizes().realZoom;
      panZoom.pan({x: before.x - now.x * z, y: before.y - now.y * z});
    }
  }
}
// The first view: the whole open graph when it can be read at that size (a margin left for the outlines,
// which a fit to the boxes' bounding box would cut), else the root and what feeds it at a readable size.
const MARGIN = 12, SMALLEST = 0.5, LARGEST = 1.5;
function firstView() {
  panZoom.resize(); panZoom.fit();
  const {width: w, height: h, realZoom} = panZoom.getSizes();
  const z = Math.min(LARGEST, realZoom * Math.min((w - 2 * MARGIN) / w, (h - 2 * MARGIN) / h));
  if (z >= SMALLEST) { panZoom.zoom(panZoom.getZoom() * z / realZoom); panZoom.center(); return; }
  panZoom.zoom(panZoom.getZoom() * READABLE / realZoom);
  const p = pos.get(reps[DATA.root]);
  panZoom.pan({x: w - MARGIN - (p.x + p.w) * READABLE, y: h / 2 - (p.y + p.h / 2) * READABLE});
}
function screenOf(p) { const z = panZoom.getSizes().realZoom, pan = panZoom.getPan(); return {x: p.x * z + pan.x, y: p.y * z + pan.y}; }
function toggle(c) {  // an opened box is shown (showBox); the step's node, if now drawn, is kept in view
  moved = true;
  if (open.has(c)) open.delete(c); else open.add(c);
  render('c' + c); if (open.has(c)) showBox('c' + c); say();
  if (current >= 0 && drawn(current)) keepInView(pos.get(reps[current]), reps[current]);
}
function showBox(key) {  // a box just opened: whole (zoomed out to SMALLEST at most), else from its top left corner
  const p = pos.get(key), {width: w, height: h, realZoom} = panZoom.getSizes(), s = screenOf(p);
  if (s.x >= 0 && s.y >= 0 && s.x + p.w * realZoom <= w && s.y + p.h * realZoom <= h) return;  // in view already
  const z = Math.max(SMALLEST, Math.min(realZoom, (w - 2 * MARGIN) / p.w, (h - 2 * MARGIN) / p.h));
  panZoom.zoom(panZoom.getZoom() * z / realZoom);
  const x = p.w * z <= w - 2 * MARGIN ? (w - p.w * z) / 2 : MARGIN, y = p.h * z <= h - 2 * MARGIN ? (h - p.h * z) / 2 : MARGIN;
  panZoom.pan({x: x - p.x * z, y: y - p.y * z});
}
function fit() { panZoom.updateBBox(); panZoom.resize(); panZoom.fit(); panZoom.center(); }
function focus(key) {  // zoom to a readable size with one item at the centre
  const p = pos.get(key);
  if (!p) return;
  moved = true;
  panZoom.resize();  // the lines above the drawing (search results, the step's text) change its height
  const {width: w, height: h, realZoom} = panZoom.getSizes();
  const z = Math.max(realZoom, READABLE);
  if (z !== realZoom) panZoom.zoom(panZoom.getZoom() * z / realZoom);
  panZoom.pan({x: w / 2 - (p.x + p.w / 2) * z, y: h / 2 - (p.y + p.h / 2) * z});
}

// ---- stepping through backward(): the state after the first k steps
const state = {fill: [], text: []};
function replay(k) {
  state.fill = new Array(N).fill(null); state.text = new Array(N).fill(null);
  if (k > 0) { state.fill[DATA.root] = null; state.text[DATA.root] = '1'; }
  for (let s = 0; s < k; s++) {
    const [node, upstream, contributions] = DATA.steps[s];
    if (s === 0) state.fill[node] = DATA.colours[node];
    for (const [p, , , total, colour] of contributions) { state.text[p] = total; if (colour) state.fill[p] = colour; }
  }
}
function paint() {
  for (const i of items) {
    const g = byId('n' + i), face = g.querySelector('rect.face'), grad = g.querySelector('tspan.grad');
    const fill = step < 0 ? (DATA.roles[i] === 'constant' ? null : DATA.colours[i]) : state.fill[i];
    face.setAttribute('fill', fill || DATA.neutral);
    g.classList.toggle('set', step >= 0 && fill !== null);
    g.classList.toggle('current', i === current);
    g.classList.toggle('found', i === found);
    if (grad) grad.textContent = '   grad ' + gradText(i);
  }
  for (const g of scene.querySelectorAll('g.closed')) g.classList.toggle('current', current >= 0 && reps[current] === g.id);
  for (const e of scene.querySelectorAll('path.edge')) e.classList.toggle('current', current >= 0 && e.dataset.to === 'n' + current);
}
function drawn(i) { return pos.has('n' + i); }
function say() {
  const count = byId('counter'), said = byId('said');
  if (step < 0) { count.textContent = 'final gradients'; said.textContent = ''; return; }
  count.textContent = `step ${step} of ${DATA.steps.length}`;
  if (step > 0 && hidden(step - 1)) { said.textContent = skipped(runStart(step - 1), step - 1); return; }
  if (step === 0) { said.textContent = `Start: d(${DATA.names[DATA.root]})/d(${DATA.names[DATA.root]}) = 1, every other gradient 0; no box is coloured yet.`; return; }
  const [node, upstream, contributions, note, expression] = DATA.steps[step - 1];
  const name = DATA.names[node], root = DATA.names[DATA.root];
  const lines = [`${name} = ${expression}; upstream gradient d(${root})/d(${name}) = ${upstream}` + (node === DATA.root ? ' (the root)' : '')];
  for (const [p, local, product, total] of contributions) {
    lines.push(`${DATA.names[p]}.grad += ${local} × ${upstream} = ${product}   → ${DATA.names[p]}.grad = ${total}`);
  }
  if (note) lines.push(note);
  said.textContent = lines.join('\n');
}
function go(k) {
  step = k; replay(Math.max(k, 0));
  current = k > 0 ? DATA.steps[k - 1][0] : -1;
  paint(); say();
  if (current >= 0) { const p = pos.get(reps[current]); if (p) keepInView(p, reps[current]); }
}
function keepInView(p, key) {
  const {width: w, height: h} = panZoom.getSizes(), s = screenOf(p), z = panZoom.getSizes().realZoom;
  if (z < 0.6 || s.x < 0 || s.y < 0 || s.x + p.w * z > w || s.y + p.h * z > h) focus(key);
}
// Steps whose node is inside a closed box are stepped over as one run (a box's steps are mostly
// consecutive, the calls of a "×n" box one after another), so Next always advances and says where.
function hidden(s) { return !drawn(DATA.steps[s][0]); }
function runOf(s) { return reps[DATA.steps[s][0]]; }
function runEnd(s) { const r = runOf(s); while (s + 1 < DATA.steps.length && runOf(s + 1) === r) s++; return s; }
function runStart(s) { const r = runOf(s); while (s > 0 && runOf(s - 1) === r) s--; return s; }
function skipped(first, last) {  // the text for steps first..last (from 0) run inside one closed box
  const c = +runOf(last).slice(1), box = C[c].label + (C[c].detail ? ` (${C[c].detail})` : '');
  const which = first === last ? `Step ${last + 1} runs` : `Steps ${first + 1}–${last + 1} (${last - first + 1} steps) run`;
  return `${which} inside ${box}, which is closed: click it to open it and see ` +
    (first === last ? 'that step. The gradients it passes' : 'them. The gradients these steps pass') + ' to boxes on screen are shown.';
}
function next() {
  const s = Math.max(step, 0);
  if (s >= DATA.steps.length) { go(s); byId('said').textContent = `backward() is done: all ${s} steps have run.`; return; }
  go(hidden(s) ? runEnd(s) + 1 : s + 1);
}
function prev() {
  if (step <= 0) { go(0); return; }
  go(hidden(step - 1) ? runStart(step - 1) : step - 1);
}

// ---- search
function reveal(i) {
  for (let c = DATA.cluster[i]; c > 0; c = C[c].parent) open.add(c);
  found = i; render(); focus('n' + i); paint();
}
function search(text, jump) {
  const results = byId('results');
  results.replaceChildren();
  const q = text.trim().toLowerCase();
  if (!q) return [];
  const hits = [];
  for (let i = 0; i < N && hits.length < 40; i++) if (DATA.names[i].toLowerCase().includes(q)) hits.push(i);
  results.append(hits.length ? `${hits.length === 40 ? 'first 40' : hits.length} found: ` : `no node's name contains "${text}"`);
  for (const i of hits) {
    const b = document.createElement('button');
    b.textContent = DATA.names[i]; b.onclick = () => reveal(i); results.appendChild(b);
  }
  if (jump && hits.length) reveal(hits[0]);
  return hits;
}

// ---- the page around the drawing
function legend() {
  const chip = (role, c) => `<span class="tag" style="background:${c}">${role}</span>`;
  byId('legend').innerHTML = 'Box fill: the gradient (red &gt; 0, blue &lt; 0, deeper for larger |grad|); while stepping, a box ' +
    'stays white until the step that sets its gradient runs. Tags: ' + Object.entries(DATA.chips).map(([r, c]) => chip(r, c)).join(' ') +
    (DATA.report.length ? '. Marks: <b style="color:#c00000">extra</b>, <b style="color:#7b2cbf">other op</b>, ' +
      '<b style="color:#b35900">value differs</b>, <b style="color:#1f5fa8">gradient differs</b>.' : '.');
  byId('report').textContent = DATA.report.join('\n');
}
legend();
byId('next').onclick = next; byId('prev').onclick = prev; byId('final').onclick = () => go(-1); byId('fit').onclick = fit;
byId('close-all').onclick = () => { open.clear(); open.add(0); render(); fit(); };
byId('search').addEventListener('keydown', e => { if (e.key === 'Enter') search(e.target.value, true); });
byId('search').addEventListener('input', e => search(e.target.value, false));
document.addEventListener('keydown', e => {
  if (e.target.tagName === 'INPUT') return;
  if (e.key === 'ArrowRight') next(); else if (e.key === 'ArrowLeft') prev(); else if (e.key === '0') fit();
});
// Until the reader moves the drawing, a change of the window's size (also one that lands just after
// loading) redoes the first view; after that it only resizes.
for (const kind of ['pointerdown', 'wheel']) svg.addEventListener(kind, () => { moved = true; });
window.addEventListener('resize', () => { if (moved) panZoom.resize(); else firstView(); });
render(); say();
window.explorer = {open, toggle, firstView, view: () => ({...panZoom.getSizes(), pan: panZoom.getPan()}), reveal, search, next, prev, go, fit, items: () => items.slice(), state, step: () => step};
window.explorerReady = performance.now();
