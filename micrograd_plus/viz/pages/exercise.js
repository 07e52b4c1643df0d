// The player's exercise mode: the student types each chain-rule step's local derivative and new gradient,
// the page tells right from wrong (and names the likely misconception) by hashes of the answers, never the
// answers, and keeps the score. Runs before player.js in the same script, which calls these functions
// (exerciseRows, fill, exerciseSummary, showScore) only when DATA.exercise is set; DATA comes from
// micrograd_plus.viz.exercise_page.exercise_data.
// One state per answer row: solved (first try or after hints), how many wrong tries, whether it was revealed.
const answers = DATA.steps.map(s => s.contributions.map(() => ({solved: false, tries: 0, revealed: false})));
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
// The 3-significant-digit numbers that x, typed with d < 3 significant digits, is a rounding of: a hundred of
// them for one digit, ten for two (from both decades when the range crosses a power of ten).
function roundings(x, d) {
  const e = Math.floor(Math.log10(Math.abs(x))), half = 0.5 * Math.pow(10, e - d + 1);
  const lo = Math.abs(x) - half, hi = Math.abs(x) + half, found = [];
  for (let p = Math.floor(Math.log10(lo)); p <= e; p++) {
    for (let m = 100; m < 1000; m++) {
      const y = Number((m * Math.pow(10, p - 2)).toPrecision(3));
      if (y >= lo && y < hi) found.push(Math.sign(x) * y);
    }
  }
  return found;
}
// Returns [kind, message]: 'right', the likely misconception (found by the hash of the typed number), a request
// for more digits when the number has fewer than 3 significant digits and a right answer rounds to it (its
// rounding is all that is wrong with it), or wrong.
function diagnose(c, local, total, localText, totalText) {
  const judge = (field, x, text) => {
    const k = lookup(c, field, x);
    if (k === 'right') return null;
    if (k) return [k, c.hints[k]];
    const d = digits(text);
    if (x !== 0 && d < 3 && roundings(x, d).some(y => lookup(c, field, y) === 'right')) {
      return ['digits', 'Close: give at least 3 significant digits (e.g. 0.125, not 0.12) for the ' +
        (field === 'local' ? 'local derivative' : 'new gradient') + ': the page checks to 3 digits.'];
    }
    return ['wrong-' + field, c.hints['wrong-' + field]];
  };
  const verdict = judge('local', local, localText || String(local)) || judge('total', total, totalText || String(total));
  const typed = (totalText || String(total)).trim();
  return verdict || ['right', 'Right: ' + c.name + '.grad = ' + typed + ' (to 3 significant digits).'];
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
      } else if (!state.solved && kind !== 'digits') state.tries += 1;  // more digits asked for: not a wrong try
      verdict.scrollIntoView({block: 'nearest'});  // the step's text may scroll: its answer stays in sight
      showScore();
    };
    reveal.onclick = () => {  // the derivation with the page's public numbers; the arithmetic stays the student's
      if (!state.solved) state.revealed = true;
      verdict.dataset.kind = 'revealed'; verdict.className = 'verdict';
      verdict.textContent = c.reveal_local + '\n' + revealTotal(s, c);
      verdict.scrollIntoView({block: 'nearest'});
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
