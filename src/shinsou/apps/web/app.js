// shinsou serve: draw on the canvas; a short pause after each change sends the drawing to
// POST /api/predict and draws the answer (probabilities, the net's input, saliency, first layer).
"use strict";

const DEBOUNCE_MS = 120; // wait this long after the last stroke change before asking
const LINE_WIDTH = 20; // pen width on the 280×280 pad: a 20×20 box leaves MNIST-like strokes

const pad = document.getElementById("pad");
const ctx = pad.getContext("2d");
const statusEl = document.getElementById("status");

const state = {
  drawing: false,
  last: null, // the previous pointer position while drawing
  version: 0, // bumped by every change of the drawing
  shown: 0, // the version whose answer is on the page
  timer: null,
  classes: [],
};

function setStatus(kind, text) {
  statusEl.dataset.state = kind;
  statusEl.textContent = text;
}

// ---------------------------------------------------------------- drawing
function clearPad() {
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, pad.width, pad.height);
  state.version += 1;
  state.shown = state.version;
  clearTimeout(state.timer);
  state.timer = null;
  showBlank();
  setStatus("idle", "draw with the mouse or a finger");
}

function point(event) {
  const r = pad.getBoundingClientRect();
  return {
    x: ((event.clientX - r.left) * pad.width) / r.width,
    y: ((event.clientY - r.top) * pad.height) / r.height,
  };
}

function stroke(from, to) {
  ctx.strokeStyle = "#fff";
  ctx.fillStyle = "#fff";
  ctx.lineWidth = LINE_WIDTH;
  ctx.lineCap = "round";
  ctx.lineJoin = "round";
  ctx.beginPath();
  ctx.moveTo(from.x, from.y);
  ctx.lineTo(to.x, to.y);
  ctx.stroke();
}

function changed() {
  state.version += 1;
  clearTimeout(state.timer);
  setStatus("waiting", "…");
  state.timer = setTimeout(ask, DEBOUNCE_MS);
}

pad.addEventListener("pointerdown", (e) => {
  e.preventDefault();
  pad.setPointerCapture(e.pointerId);
  state.drawing = true;
  state.last = point(e);
  stroke(state.last, state.last); // a dot
  changed();
});
pad.addEventListener("pointermove", (e) => {
  if (!state.drawing) return;
  const p = point(e);
  stroke(state.last, p);
  state.last = p;
  changed();
});
for (const name of ["pointerup", "pointercancel"]) {
  pad.addEventListener(name, () => {
    state.drawing = false;
    state.last = null;
  });
}
document.getElementById("clear").addEventListener("click", clearPad);

// ---------------------------------------------------------------- asking the server
async function ask() {
  state.timer = null;
  const version = state.version;
  setStatus("busy", "thinking…");
  let answer;
  try {
    const response = await fetch("api/predict", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ image: pad.toDataURL("image/png") }),
    });
    answer = await response.json();
    if (!response.ok) throw new Error(answer.error || response.statusText);
  } catch (err) {
    if (version === state.version) setStatus("error", `error: ${err.message}`);
    return;
  }
  if (version !== state.version) return; // the drawing changed meanwhile: a newer answer comes
  state.shown = version;
  if (answer.blank) {
    showBlank();
    setStatus("ready", "no ink found: draw something");
    return;
  }
  show(answer);
  setStatus("ready", "ready");
}

// ---------------------------------------------------------------- showing the answer
function showBlank() {
  const pred = document.getElementById("prediction");
  pred.textContent = "–";
  pred.dataset.class = "";
  document.getElementById("probability").textContent = "";
  drawBars(state.classes.map(() => 0), -1);
  for (const id of ["input-view", "saliency-view"]) {
    const c = document.getElementById(id);
    c.getContext("2d").clearRect(0, 0, c.width, c.height);
  }
  document.getElementById("layer").replaceChildren();
}

function drawBars(probabilities, top) {
  const bars = document.getElementById("bars");
  bars.replaceChildren();
  probabilities.forEach((p, i) => {
    const row = document.createElement("div");
    row.className = i === top ? "bar-row top" : "bar-row";
    row.setAttribute("role", "listitem");
    row.dataset.class = state.classes[i];
    const label = document.createElement("span");
    label.className = "label";
    label.textContent = state.classes[i];
    const track = document.createElement("span");
    track.className = "track";
    const fill = document.createElement("span");
    fill.className = "fill";
    fill.style.display = "block";
    fill.style.width = `${(100 * p).toFixed(1)}%`;
    track.append(fill);
    const pct = document.createElement("span");
    pct.className = "pct";
    pct.textContent = `${(100 * p).toFixed(1)}%`;
    row.append(label, track, pct);
    bars.append(row);
  });
}

// paint a 2-D array of values on a canvas of its size, through colour(v) -> [r, g, b]
function paint(canvas, rows, colour) {
  const h = rows.length;
  const w = rows[0].length;
  canvas.width = w;
  canvas.height = h;
  const c = canvas.getContext("2d");
  const img = c.createImageData(w, h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const [r, g, b] = colour(rows[y][x]);
      const k = 4 * (y * w + x);
      img.data[k] = r;
      img.data[k + 1] = g;
      img.data[k + 2] = b;
      img.data[k + 3] = 255;
    }
  }
  c.putImageData(img, 0, 0);
}

const gray = (v) => [255 * v, 255 * v, 255 * v];
// black -> red -> yellow -> white, for values in [0, 1]
const hot = (v) => [255 * Math.min(1, 3 * v), 255 * Math.min(1, Math.max(0, 3 * v - 1)),
  255 * Math.max(0, 3 * v - 2)];
// blue (−1) -> white (0) -> red (+1)
const signed = (v) => (v >= 0 ? [255, 255 * (1 - v), 255 * (1 - v)]
  : [255 * (1 + v), 255 * (1 + v), 255]);

function show(a) {
  const top = a.probabilities.indexOf(Math.max(...a.probabilities));
  const pred = document.getElementById("prediction");
  pred.textContent = a.prediction;
  pred.dataset.class = a.prediction;
  document.getElementById("probability").textContent = `${(100 * a.probability).toFixed(1)} %`;
  drawBars(a.probabilities, top);
  paint(document.getElementById("input-view"), a.input, gray);
  paint(document.getElementById("saliency-view"), a.saliency, hot);
  const layer = document.getElementById("layer");
  layer.replaceChildren();
  if (!a.layer) {
    document.getElementById("layer-title").textContent = "The first layer: nothing to show";
    return;
  }
  const title = a.layer.title;
  document.getElementById("layer-title").textContent = title[0].toUpperCase() + title.slice(1);
  a.layer.images.forEach((rows, i) => {
    const fig = document.createElement("figure");
    const canvas = document.createElement("canvas");
    paint(canvas, rows, signed);
    const cap = document.createElement("figcaption");
    cap.textContent = a.layer.labels[i];
    fig.append(canvas, cap);
    layer.append(fig);
  });
}

// ---------------------------------------------------------------- start
async function start() {
  clearPad();
  try {
    const info = await (await fetch("api/info")).json();
    state.classes = info.classes;
    document.getElementById("run").textContent =
      `${info.recipe} (${info.model}) trained on ${info.dataset}: ${info.classes.length} classes`;
    const clothes = /fashion/i.test(info.dataset);
    document.getElementById("hint").textContent = clothes
      ? "Draw a piece of clothing" : "Draw a digit";
    drawBars(state.classes.map(() => 0), -1);
    document.body.dataset.ready = "1";
  } catch (err) {
    setStatus("error", `cannot reach the server: ${err.message}`);
  }
}

start();
