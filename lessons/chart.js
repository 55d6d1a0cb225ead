// One plotly chart that is updated in place: Streamlit calls this module again with the new figure
// (UTF-8 JSON bytes) whenever the script reruns, and Plotly.react changes only what changed, so
// moving a slider does not build a new chart (st.plotly_chart mounts a new one for every new figure);
// a figure that differs only in its points, frames and time labels is swapped in without even that
// (see swap).
// plotly.js itself is loaded once per page from the app's static folder; __PLOTLY_SRC__ is filled in
// by lessons/chart.py.

const PLOTLY_SRC = "__PLOTLY_SRC__";
const CONFIG = { displayModeBar: false, displaylogo: false }; // width: followWidth below

function loadPlotly() {
  if (!window.__labPlotly) {
    window.__labPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      script.src = PLOTLY_SRC;
      script.onload = () => resolve(window.Plotly);
      script.onerror = () => reject(new Error(`could not load ${PLOTLY_SRC}`));
      document.head.appendChild(script);
    });
  }
  return window.__labPlotly;
}

// Streamlit's look for what the figure leaves open (fonts, grids, margins), as the template Streamlit
// gives st.plotly_chart, with colours from the --st-* properties it sets around every component:
// they follow the viewer's light or dark theme.
function streamlitTemplate(element) {
  const css = getComputedStyle(element);
  const read = (name, fallback) => css.getPropertyValue(name).trim() || fallback;
  const text = read("--st-text-color", "#31333f");
  const faded = read("--st-gray-text-color", "#808495");
  const grid = read("--st-border-color-light", "rgba(128, 128, 128, 0.25)");
  const font = read("--st-font", "sans-serif");
  const panel = read("--st-secondary-background-color", "#f0f2f6");
  const border = read("--st-border-color", "#d6d6d9");
  const ticks = { color: faded, size: 12 };
  const axis = { gridcolor: grid, zerolinecolor: grid, tickcolor: grid, tickfont: ticks, automargin: true };
  return {
    layout: {
      font: { family: font, color: faded, size: 12 },
      title: { font: { family: read("--st-heading-font", font), color: read("--st-heading-color", text), size: 16 } },
      paper_bgcolor: "rgba(0, 0, 0, 0)",
      plot_bgcolor: "rgba(0, 0, 0, 0)",
      xaxis: { ...axis, showgrid: false, zeroline: false, title: { font: { color: faded, size: 14 }, standoff: 20 } },
      yaxis: { ...axis, title: { font: { color: faded, size: 14 }, standoff: 24 } },
      margin: { pad: 8, r: 0, l: 0 },
      modebar: { bgcolor: "rgba(0, 0, 0, 0)", color: faded, activecolor: text },
      hoverlabel: {
        bgcolor: read("--st-background-color", "#ffffff"),
        bordercolor: read("--st-border-color", grid),
        font: { family: font, color: text, size: 12 },
      },
      // the Play row and the time slider in the theme's colours, not plotly's light grey boxes (the
      // hover colour and the slider's grip are set in CHART_CSS: plotly.js has no attribute for them)
      updatemenudefaults: { bgcolor: panel, bordercolor: border, font: { color: text } },
      sliderdefaults: {
        bgcolor: panel, bordercolor: border, activebgcolor: read("--st-primary-color", "#ff4b4b"),
        tickcolor: faded, font: { color: faded }, currentvalue: { font: { color: text } },
      },
    },
  };
}

const CHART_CSS = `
.lab-chart .updatemenu-button { cursor: pointer; }
.lab-chart .updatemenu-button:hover .updatemenu-item-rect {
  fill: color-mix(in srgb, var(--st-primary-color, #ff4b4b) 18%, var(--st-secondary-background-color, #f0f2f6))
    !important; }
.lab-chart .slider-grip-rect {
  fill: var(--st-primary-color, #ff4b4b) !important; stroke: var(--st-primary-color, #ff4b4b) !important; }
`;

// The page's background and rule colours for the lesson view's CSS (lessons/layout_css.py: the chart
// column that stays at the top of a phone's screen), which Streamlit sets only round components.
function publishPageColours(element) {
  const css = getComputedStyle(element);
  const root = document.documentElement.style;
  for (const [name, from] of [["--lab-background", "--st-background-color"], ["--lab-rule", "--st-border-color"]]) {
    const value = css.getPropertyValue(from).trim();
    if (value && root.getPropertyValue(name) !== value) root.setProperty(name, value);
  }
}

function addStyle(id, css) {
  if (document.getElementById(id)) return;
  const style = document.createElement("style");
  style.id = id;
  style.textContent = css;
  document.head.appendChild(style);
}

// A canvas to draw on (lessons/drawing.py): a figure whose layout.meta.drawing describes the toolbar
// (tools, pen spacings) and the drawing (tool, spacing, eraser radius, points, undoable, the last edit
// applied). The toolbar is built here, so a tool switches at once. A <canvas> laid over the plot area
// takes the pointer: pressing and dragging records the path in data coordinates and shows it at once
// (the pen's points every `spacing` along it, as drawing.stroke_points lays them; the eraser's swath;
// the box or lasso outline), and letting go sends it; Python decides what it does. Every edit (stroke,
// undo, clear, a change of tool or spacing) has an id, and all edits Python has not applied yet
// (id > applied) are sent together: one made while the last is still being applied is neither lost
// nor applied twice, and a stroke stays on show until plotly draws its points.
const MIN_PIXELS = 1.5; // pointer moves shorter than this add nothing to a path
const RESEND_MS = 2000; // an edit not applied this long after it was sent is sent again
const TOOLBAR_CSS = `
.lab-tools { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1rem; margin-bottom: 0.25rem; }
.lab-tool-group { display: flex; align-items: center; }
.lab-tool-group > button { display: inline-flex; align-items: center; gap: 0.3rem; min-height: 2.5rem;
  padding: 0.25rem 0.75rem; font: inherit; font-size: 0.95rem; color: var(--st-text-color, #31333f);
  background: var(--st-background-color, #fff); border: 1px solid var(--st-border-color, #d6d6d9);
  cursor: pointer; }
.lab-tool-group > button + button { margin-left: -1px; }
.lab-tool-group > button:first-of-type { border-radius: var(--st-button-radius, 0.5rem) 0 0 var(--st-button-radius, 0.5rem); }
.lab-tool-group > button:last-of-type { border-radius: 0 var(--st-button-radius, 0.5rem) var(--st-button-radius, 0.5rem) 0; }
.lab-tool-group > button:only-of-type { border-radius: var(--st-button-radius, 0.5rem); }
.lab-tool-group > button:hover:not(:disabled) { border-color: var(--st-primary-color, #ff4b4b); color: var(--st-primary-color, #ff4b4b); z-index: 1; }
.lab-tool-group > button[aria-pressed="true"] { color: var(--st-primary-color, #ff4b4b); border-color: var(--st-primary-color, #ff4b4b);
  background: color-mix(in srgb, var(--st-primary-color, #ff4b4b) 10%, var(--st-background-color, #fff)); z-index: 2; }
.lab-tool-group > button:disabled { opacity: 0.45; cursor: not-allowed; }
.lab-tool-group > button:focus-visible { outline: 2px solid var(--st-primary-color, #ff4b4b); outline-offset: 1px; z-index: 3; }
.lab-tool-label { margin-right: 0.5rem; font-size: 0.875rem; color: var(--st-text-color, #31333f); }
.lab-icon { font-family: "Material Symbols Rounded"; font-size: 1.25rem; line-height: 1; font-weight: normal;
  font-style: normal; letter-spacing: normal; text-transform: none; white-space: nowrap; direction: ltr;
  font-feature-settings: "liga"; -webkit-font-smoothing: antialiased; }
.lab-tool-hint { flex-basis: 100%; margin: 0; font-size: 0.875rem; color: var(--st-gray-text-color, #808495); }
.lab-pen { position: absolute; touch-action: none; cursor: crosshair; z-index: 1; }
`;

function drawingPad(chart) {
  if (chart.__labPad) return chart.__labPad;
  addStyle("lab-tools-css", TOOLBAR_CSS);
  const toolbar = document.createElement("div");
  toolbar.className = "lab-tools";
  toolbar.setAttribute("role", "toolbar");
  toolbar.setAttribute("aria-label", "Drawing tools");
  chart.before(toolbar);
  const overlay = document.createElement("canvas");
  overlay.className = "lab-pen";
  overlay.style.display = "none";
  chart.style.position = "relative";
  chart.appendChild(overlay); // plotly leaves other children of its div alone
  const pad = (chart.__labPad = {
    chart, toolbar, overlay, settings: null, send: null, tool: null, spacing: null,
    edits: [], sentAt: new Map(), shown: [], next: 1, stroke: null, hover: null, frame: 0,
  });
  overlay.addEventListener("pointerdown", (event) => startStroke(pad, event));
  overlay.addEventListener("pointermove", (event) => moveStroke(pad, event));
  overlay.addEventListener("pointerup", (event) => endStroke(pad, event));
  overlay.addEventListener("pointercancel", () => { pad.stroke = null; redraw(pad); });
  overlay.addEventListener("pointerleave", () => { pad.hover = null; redraw(pad); });
  return pad;
}

// A new figure arrives: its settings, and the tool and spacing unless the user has just changed them
// (an edit Python has not applied yet). The dot grid shows clearly while a fill tool is on.
function receive(pad, settings, setTriggerValue, figure) {
  pad.settings = settings;
  pad.send = () => setTriggerValue("edits", pad.edits.slice());
  const pending = (kind) => pad.edits.some((edit) => edit.kind === kind && edit.id > settings.applied);
  if (!pending("tool")) pad.tool = settings.tool;
  if (!pending("spacing")) pad.spacing = settings.spacing;
  pad.next = Math.max(pad.next, settings.applied + 1);
  const [grid, points] = figure.data;
  if (grid) grid.marker = { ...grid.marker, opacity: gridOpacity(pad, pad.tool) };
  if (points && pad.pointSize) points.marker = { ...points.marker, size: pad.pointSize };
  buildToolbar(pad);
}

// Once plotly has drawn the figure: the edits it shows are forgotten. One still waiting long after it
// was sent is sent again (its rerun may have been cut short before it was read); Python skips any
// edit it has already applied.
function acknowledge(pad) {
  const applied = pad.settings.applied;
  pad.shown = pad.shown.filter((stroke) => stroke.id > applied);
  pad.edits = pad.edits.filter((edit) => edit.id > applied);
  for (const id of pad.sentAt.keys()) if (id <= applied) pad.sentAt.delete(id);
  const now = performance.now();
  if (pad.edits.some((edit) => now - pad.sentAt.get(edit.id) > RESEND_MS)) {
    pad.edits.forEach((edit) => pad.sentAt.set(edit.id, now));
    pad.send();
  }
  fitPoints(pad);
  if (!pad.following) { // a resize redraws the plot: the overlay follows
    pad.following = true;
    pad.chart.on("plotly_afterplot", () => place(pad));
  }
  place(pad);
}

// Points 8 px across, smaller on a small canvas (a phone): neighbours 0.1 apart stay apart.
function fitPoints(pad) {
  const traces = pad.chart._fullData;
  if (!traces?.[1] || !pad.chart._fullLayout?.xaxis) return;
  const size = Math.round(Math.min(8, Math.max(5, 0.12 * pixelsPerUnit(pad))));
  pad.pointSize = size;
  if (traces[1].visible && traces[1].marker.size !== size) window.Plotly.restyle(pad.chart, { "marker.size": size }, [1]);
}

function addEdit(pad, edit) {
  const id = pad.next++;
  pad.edits.push({ id, ...edit });
  pad.sentAt.set(id, performance.now());
  pad.send();
  buildToolbar(pad);
  return id;
}

function button(label, icon, title) {
  const element = document.createElement("button");
  element.type = "button";
  element.title = title;
  if (icon) {
    const glyph = document.createElement("span");
    glyph.className = "lab-icon";
    glyph.setAttribute("aria-hidden", "true");
    glyph.textContent = icon;
    element.append(glyph);
  }
  element.append(label);
  return element;
}

function group(label, buttons, caption) {
  const element = document.createElement("div");
  element.className = "lab-tool-group";
  element.setAttribute("role", "group");
  element.setAttribute("aria-label", label);
  if (caption) {
    const text = document.createElement("span");
    text.className = "lab-tool-label";
    text.textContent = caption;
    element.append(text);
  }
  element.append(...buttons);
  return element;
}

function hintOf(pad) {
  const tool = pad.settings.tools.find((entry) => entry.name === pad.tool);
  return (tool?.hint || "").replace("{spacing}", `${pad.spacing}`).replace("{radius}", `${pad.settings.eraser}`);
}

// The toolbar, built again on every change (a dozen buttons): tools, pen spacing, Undo and Clear.
function buildToolbar(pad) {
  const { settings } = pad;
  const tools = settings.tools.map(({ name, label, icon }) => {
    const element = button(label, icon, label);
    element.setAttribute("aria-pressed", String(name === pad.tool));
    element.addEventListener("click", () => chooseTool(pad, name));
    return element;
  });
  const spacings = settings.spacings.map((value) => {
    const element = button(`${value}`, null, `A point every ${value} along a pen stroke`);
    element.setAttribute("aria-pressed", String(value === pad.spacing));
    element.addEventListener("click", () => {
      if (value === pad.spacing) return;
      pad.spacing = value;
      addEdit(pad, { kind: "spacing", spacing: value });
    });
    return element;
  });
  const strokes = pad.edits.filter((edit) => !["tool", "spacing"].includes(edit.kind)).length;
  const undo = button("Undo", "undo", "Take back the last stroke, erasure, fill or clear");
  undo.disabled = !settings.undoable && !strokes;
  undo.addEventListener("click", () => addEdit(pad, { kind: "undo" }));
  const clear = button("Clear", "delete", "Remove every point (Undo brings them back)");
  clear.disabled = !settings.count && !strokes;
  clear.addEventListener("click", () => addEdit(pad, { kind: "clear" }));
  const hint = document.createElement("p");
  hint.className = "lab-tool-hint";
  hint.textContent = hintOf(pad);
  const focused = pad.toolbar.contains(document.activeElement) ? document.activeElement.textContent : null;
  pad.toolbar.replaceChildren(
    group("Tool", tools), group("Pen spacing", spacings, "Pen spacing"), group("Edit", [undo, clear]), hint,
  );
  if (focused) [...pad.toolbar.querySelectorAll("button")].find((b) => b.textContent === focused)?.focus();
}

function gridOpacity(pad, tool) {
  return pad.settings.grid_opacity[pad.settings.fills.includes(tool) ? "fill" : "draw"];
}

function chooseTool(pad, name) {
  if (name === pad.tool) return;
  pad.tool = name;
  pad.stroke = null;
  addEdit(pad, { kind: "tool", tool: name });
  const opacity = gridOpacity(pad, name);
  if (pad.chart._fullData?.[0] && pad.chart._fullData[0].marker.opacity !== opacity) {
    window.Plotly.restyle(pad.chart, { "marker.opacity": opacity }, [0]);
  }
  redraw(pad);
}

// The overlay covers the plot area exactly (it moves with the axes when the chart resizes).
function place(pad) {
  const { chart, overlay } = pad;
  const xa = chart._fullLayout?.xaxis;
  const ya = chart._fullLayout?.yaxis;
  if (!xa || !ya || !pad.settings) return;
  const ratio = window.devicePixelRatio || 1;
  Object.assign(overlay.style, {
    display: "block", left: `${xa._offset}px`, top: `${ya._offset}px`,
    width: `${xa._length}px`, height: `${ya._length}px`,
  });
  overlay.width = Math.round(xa._length * ratio);
  overlay.height = Math.round(ya._length * ratio);
  overlay.getContext("2d").setTransform(ratio, 0, 0, ratio, 0, 0);
  redraw(pad);
}

function axes(pad) {
  return [pad.chart._fullLayout.xaxis, pad.chart._fullLayout.yaxis];
}

// Pointer position -> data coordinates (kept inside the axes' ranges), rounded to 1e-4.
function dataAt(pad, event) {
  const [xa, ya] = axes(pad);
  const box = pad.overlay.getBoundingClientRect();
  const within = (value, range) => Math.min(Math.max(value, Math.min(...range)), Math.max(...range));
  const x = within(xa.p2d(event.clientX - box.left), xa.range);
  const y = within(ya.p2d(event.clientY - box.top), ya.range);
  return [Math.round(x * 1e4) / 1e4, Math.round(y * 1e4) / 1e4];
}

function pixelOf(pad, [x, y]) {
  const [xa, ya] = axes(pad);
  return [xa.d2p(x), ya.d2p(y)];
}

function pixelsPerUnit(pad) {
  const [xa] = axes(pad);
  return Math.abs(xa.d2p(1) - xa.d2p(0));
}

function startStroke(pad, event) {
  if (!pad.settings || (event.pointerType === "mouse" && event.button !== 0)) return;
  event.preventDefault();
  pad.overlay.setPointerCapture(event.pointerId);
  const at = dataAt(pad, event);
  pad.stroke = { kind: pad.tool, spacing: pad.spacing, path: [at], laid: [at], carry: 0 };
  pad.hover = at;
  redraw(pad);
}

function moveStroke(pad, event) {
  if (!pad.settings) return;
  const moves = event.getCoalescedEvents ? event.getCoalescedEvents() : [];
  for (const move of moves.length ? moves : [event]) {
    const at = dataAt(pad, move);
    pad.hover = at;
    const stroke = pad.stroke;
    if (!stroke) continue;
    const last = stroke.path[stroke.path.length - 1];
    const [px, py] = pixelOf(pad, last);
    const [qx, qy] = pixelOf(pad, at);
    if (Math.hypot(qx - px, qy - py) < MIN_PIXELS) continue;
    stroke.path.push(at);
    if (stroke.kind === "pen") lay(stroke, last, at);
  }
  redraw(pad);
}

// The pen's points every `spacing` of the path's length, from its start: drawing.stroke_points.
function lay(stroke, from, to) {
  const length = Math.hypot(to[0] - from[0], to[1] - from[1]);
  let along = stroke.spacing - stroke.carry;
  while (along <= length) {
    const share = along / length;
    stroke.laid.push([from[0] + (to[0] - from[0]) * share, from[1] + (to[1] - from[1]) * share]);
    along += stroke.spacing;
  }
  stroke.carry = length - (along - stroke.spacing);
}

function endStroke(pad, event) {
  const stroke = pad.stroke;
  if (!stroke) return;
  moveStroke(pad, event);
  pad.stroke = null;
  if (pad.overlay.hasPointerCapture(event.pointerId)) pad.overlay.releasePointerCapture(event.pointerId);
  const edit = { kind: stroke.kind, path: stroke.path };
  if (stroke.kind === "pen") edit.spacing = stroke.spacing;
  stroke.id = addEdit(pad, edit);
  pad.shown.push(stroke);
  redraw(pad);
}

// What the overlay shows: the strokes sent but not drawn by plotly yet, the stroke under way, and the
// eraser's reach around the pointer.
function redraw(pad) {
  if (pad.frame) return;
  pad.frame = requestAnimationFrame(() => {
    pad.frame = 0;
    const { overlay } = pad;
    const context = overlay.getContext("2d");
    context.clearRect(0, 0, overlay.width, overlay.height);
    if (!pad.settings || overlay.style.display === "none") return;
    for (const stroke of [...pad.shown, ...(pad.stroke ? [pad.stroke] : [])]) paint(pad, context, stroke);
    if (pad.tool === "eraser" && pad.hover) {
      const [x, y] = pixelOf(pad, pad.hover);
      context.beginPath();
      context.arc(x, y, pad.settings.eraser * pixelsPerUnit(pad), 0, 2 * Math.PI);
      context.lineWidth = 1.5;
      context.strokeStyle = cssColour(pad, "--st-text-color", "#31333f");
      context.setLineDash([4, 3]);
      context.stroke();
      context.setLineDash([]);
    }
  });
}

function cssColour(pad, name, fallback) {
  return getComputedStyle(pad.chart).getPropertyValue(name).trim() || fallback;
}

function tracePath(pad, context, path, close) {
  context.beginPath();
  path.forEach((point, index) => {
    const [x, y] = pixelOf(pad, point);
    if (index === 0) context.moveTo(x, y);
    context.lineTo(x, y);
  });
  if (close) context.closePath();
}

function paint(pad, context, stroke) {
  const accent = cssColour(pad, "--st-primary-color", "#ff4b4b");
  if (stroke.kind === "eraser") { // the swath, in the page's background colour: what it covers is gone
    tracePath(pad, context, stroke.path, false);
    context.strokeStyle = cssColour(pad, "--st-background-color", "#ffffff");
    context.lineWidth = 2 * pad.settings.eraser * pixelsPerUnit(pad);
    context.lineCap = context.lineJoin = "round";
    context.stroke();
  } else if (stroke.kind === "box" || stroke.kind === "lasso") {
    const path = stroke.path;
    if (stroke.kind === "box") {
      const [[x0, y0], [x1, y1]] = [path[0], path[path.length - 1]];
      tracePath(pad, context, [[x0, y0], [x1, y0], [x1, y1], [x0, y1]], true);
    } else {
      tracePath(pad, context, path, true);
    }
    context.fillStyle = `color-mix(in srgb, ${accent} 12%, transparent)`;
    context.fill("evenodd");
    context.strokeStyle = accent;
    context.lineWidth = 1.5;
    context.setLineDash([5, 4]);
    context.stroke();
    context.setLineDash([]);
  } else {
    context.fillStyle = pad.settings.colour || "#CC79A7";
    context.strokeStyle = "#ffffff";
    context.lineWidth = 1;
    for (const point of stroke.laid) { // as plotly draws them: pointSize across, a white rim
      const [x, y] = pixelOf(pad, point);
      context.beginPath();
      context.arc(x, y, (pad.pointSize || 8) / 2, 0, 2 * Math.PI);
      context.fill();
      context.stroke();
    }
  }
}

// ---- The layout for the chart's own width ----
// A figure is written for a laptop's column. Before each draw it is fitted to the width the chart has
// (and fitted again when that changes): the time slider goes on a row of its own below the buttons
// when it would not fit beside them; equal-aspect panels side by side (titled_row) are stacked when
// they would be too narrow, and their titles made smaller when they would run into each other; and
// the chart is made no taller than its squares need (a fixed height left a band under them). Only
// the layout (and a colour bar's place) changes, never the data or the frames, so Plotly.react still
// patches the chart in place. What plotly adds round the plot (margins pushed by tick labels, the
// slider, a colour bar) is measured after a draw, kept per chart, and used for the next one: a draw at
// a width seen before takes one pass, a new width at most FIT.passes.
const FIT = {
  minPanel: 180, // px: panels narrower than this are stacked on a narrow chart (a phone, a small laptop)
  narrow: 480, // px: a chart narrower than this is such a column
  tinyPanel: 100, // px: panels narrower than this are stacked on any chart
  minSlider: 200, // px: the shortest time slider put beside the buttons
  sliderGap: 12, // px between the buttons and a slider beside them
  passes: 3, // draws at most, each measuring what the last left round the plot
};
// The frame-step buttons added to an animation's Play row: plotly.js buttons can only animate to a
// named frame, so these do nothing themselves ("skip") and followFrameSteps moves the time slider.
// They are added here, not in figures.py: a figure saved as HTML (lessons/downloads.py) has no
// chart.js, and there they would do nothing.
const FRAME_STEPS = [
  { label: "◀ 1", name: "lab-frame-back", by: -1 },
  { label: "1 ▶", name: "lab-frame-forward", by: 1 },
];

function textWidth(text, size, family) {
  const context = (textWidth.context ||= document.createElement("canvas").getContext("2d"));
  context.font = `${size}px ${family}`;
  return context.measureText(String(text ?? "")).width;
}

// The suffixes ("", "2", …) of the equal-aspect panels laid side by side from the left, as
// traces.panels_layout writes them: none for other charts (lines, the home page's triangle).
function panelsOf(layout) {
  const panels = [];
  for (let index = 0; ; index++) {
    const suffix = index ? String(index + 1) : "";
    const x = layout[`xaxis${suffix}`];
    const y = layout[`yaxis${suffix}`];
    if (!x?.domain || !y || y.domain || y.scaleanchor !== `x${suffix}`) return panels;
    panels.push(suffix);
  }
}

// The index in layout.annotations of each panel's title (a paper note on the top edge, above it), or -1.
function titlesOf(layout, panels) {
  const notes = layout.annotations || [];
  return panels.map((suffix) => {
    const [left, right] = layout[`xaxis${suffix}`].domain;
    return notes.findIndex((note) => note.xref === "paper" && note.yref === "paper" && note.y === 1
      && note.x >= left && note.x <= right);
  });
}

// Whether the figure is an animation with a Play row and a time slider (figures.cloud_animation).
function isAnimation(layout) {
  const menu = layout.updatemenus?.[0];
  const animates = (item) => item.method === "animate";
  return Boolean(menu?.buttons?.some(animates) && (menu.type ?? "buttons") === "buttons"
    && layout.sliders?.[0]?.steps?.some(animates));
}

// What plotly leaves round the plot, before any draw has measured it.
function guessMetrics(layout, data, template) {
  const margin = { ...template.layout.margin, ...layout.margin };
  const colourBar = data.some((trace) => trace.colorbar && trace.showscale !== false) ? 60 : 0;
  const controls = layout.sliders?.length ? 120 : 0;
  return {
    padW: (margin.l ?? 80) + (margin.r ?? 80) + 28 + colourBar,
    padH: (margin.t ?? 100) + (margin.b ?? 80) + 24 + controls,
  };
}

function measure(chart) {
  const full = chart._fullLayout;
  const size = full?._size;
  if (!size || !(size.w > 0) || !(size.h > 0)) return null;
  return { padW: full.width - size.w, padH: full.height - size.h };
}

// The layout (and data: a colour bar's place) for a chart `width` px wide, given what plotly leaves
// round the plot (`metrics`); `state.active` is the time slider's frame to keep, if any.
function plan(spec, state, width, metrics) {
  const { figure, template } = spec;
  const source = figure.layout || {};
  // a copy to change and hand to plotly.js, which writes into the layout it draws (an axis's
  // constrained domain): the figure's own layout stays as written, for the next fit
  const layout = { ...structuredClone(source), template, autosize: true };
  // the width planned for, exactly: plotly's own autosize keeps a width that changed by less than 1 px
  if (width > 0) layout.width = width;
  let data = state.data;
  const family = source.font?.family || template.layout.font.family;
  const size = source.font?.size || template.layout.font.size;
  const shape = { stacked: false, below: false };
  if (isAnimation(source)) {
    const [menu, slider] = [layout.updatemenus[0], layout.sliders[0]];
    if (!menu.buttons.some((button) => button.name?.startsWith("lab-frame"))) {
      const steps = FRAME_STEPS.map(({ label, name }) => ({ label, name, method: "skip", args: [] }));
      menu.buttons = [...menu.buttons, ...steps];
    }
    if (state.active != null && state.active < slider.steps.length) slider.active = state.active;
    // the row starts below the x tick labels (larger in presenter mode)
    const tickSize = source.xaxis?.tickfont?.size ?? template.layout.xaxis.tickfont.size;
    const tickRoom = Math.ceil(1.3 * tickSize + 14);
    for (const item of [menu, slider]) item.pad = { ...item.pad, t: Math.max(item.pad?.t ?? 0, tickRoom) };
    if (width > 0) shape.below = placeControls(menu, slider, width - metrics.padW, family, size);
  }
  const panels = width > 0 ? panelsOf(source) : [];
  if (panels.length) data = placePanels(layout, data, panels, width, metrics, family, size, shape);
  const summary = JSON.stringify([
    layout.height, shape, layout.sliders?.[0]?.x, panels.map((suffix) => layout[`yaxis${suffix}`].domain),
  ]);
  return { layout, data, shape, summary };
}

// The Play row and the time slider across a plot `plotW` px wide: the slider beside the buttons if it
// has room there for its longest label, else on its own row below them (changes `menu` and `slider`;
// true for below). Buttons wider than the plot get a smaller font.
function placeControls(menu, slider, plotW, family, size) {
  let fontSize = menu.font?.size ?? size;
  const labels = menu.buttons.map((button) => button.label);
  const fixed = (menu.pad?.l ?? 0) + (menu.pad?.r ?? 0) + 2 * (labels.length - 1);
  const padding = 24 * labels.length; // plotly.js's updatemenus: 24 px round each label, 30 px at least
  const measured = (label, font) => textWidth(label, font, menu.font?.family || family);
  const texts = (font) => labels.reduce((sum, label) => sum + measured(label, font), 0);
  const button = (label, font) => Math.max(Math.ceil(measured(label, font)) + 24, 30);
  const rowWidth = (font) => fixed + labels.reduce((sum, label) => sum + button(label, font), 0);
  let buttons = rowWidth(fontSize);
  if (buttons > plotW) {
    fontSize = Math.max(8, Math.floor(fontSize * (plotW - fixed - padding) / texts(fontSize)));
    menu.font = { ...menu.font, size: fontSize };
    buttons = rowWidth(fontSize);
  }
  const value = slider.currentvalue || {};
  const valueSize = value.font?.size ?? slider.font?.size ?? size;
  const shown = (step) => `${value.prefix || ""}${step.label}${value.suffix || ""}`;
  const valueFamily = value.font?.family || family;
  const longest = Math.max(...slider.steps.map((step) => textWidth(shown(step), valueSize, valueFamily)));
  const room = plotW - buttons - FIT.sliderGap;
  if (room >= Math.max(FIT.minSlider, longest + 24)) {
    slider.x = (buttons + FIT.sliderGap) / plotW;
    slider.len = 1 - slider.x;
    slider.xanchor = "left";
    return false;
  }
  const buttonHeight = Math.ceil(Math.max(fontSize * 1.3, 30) + 3); // plotly.js's updatemenus
  Object.assign(slider, {
    x: 0, len: 1, xanchor: "left", y: menu.y ?? slider.y, yanchor: menu.yanchor ?? slider.yanchor,
    pad: { ...slider.pad, t: (menu.pad?.t ?? 0) + buttonHeight + 6 },
  });
  return true;
}

// Equal-aspect panels in a chart `width` px wide (changes `layout`, returns the data).
function placePanels(layout, data, panels, width, metrics, family, size, shape) {
  const own = layout.height || 450;
  const ownSide = Math.max(150, own - metrics.padH); // the square side the figure was written for
  const plotW = Math.max(60, width - metrics.padW);
  const [left, right] = layout[`xaxis${panels[0]}`].domain;
  const cell = plotW * (right - left);
  const count = panels.length;
  const titles = titlesOf(layout, panels);
  const notes = [...(layout.annotations || [])];
  const titleSize = (index) => notes[index]?.font?.size ?? size;
  const fit = (index, room) => { // a title no wider than `room`
    const note = notes[index];
    const text = textWidth(note.text, titleSize(index), note.font?.family || family);
    if (text <= room) return;
    const smaller = Math.max(9, Math.floor((titleSize(index) * room) / text));
    notes[index] = { ...note, font: { ...note.font, size: smaller } };
  };
  shape.stacked = count > 1 && (cell < FIT.tinyPanel || (cell < FIT.minPanel && width < FIT.narrow));
  if (!shape.stacked) {
    const side = Math.min(cell, ownSide);
    layout.height = Math.round(Math.min(own, side + metrics.padH));
    titles.forEach((index) => index >= 0 && fit(index, plotW / count - 8));
    layout.annotations = notes;
    return data;
  }
  // one above the other, each as wide as the plot (at most the figure's own square), with room
  // between them for the next one's title and the x tick labels of the one above it
  const side = Math.min(plotW, ownSide);
  const tickSize = layout.xaxis?.tickfont?.size ?? 12;
  const title = Math.max(...titles.map((index) => (index >= 0 ? titleSize(index) : 0)));
  const gap = Math.ceil(1.3 * title + 1.3 * tickSize + 22);
  const plotH = count * side + (count - 1) * gap;
  layout.height = Math.round(plotH + metrics.padH);
  const [h, g] = [side / plotH, gap / plotH];
  panels.forEach((suffix, index) => {
    const top = 1 - index * (h + g);
    layout[`xaxis${suffix}`] = { ...layout[`xaxis${suffix}`], domain: [0, 1] };
    layout[`yaxis${suffix}`] = { ...layout[`yaxis${suffix}`], domain: [Math.max(0, top - h), top] };
    if (titles[index] >= 0) {
      notes[titles[index]] = { ...notes[titles[index]], x: 0.5, y: top };
      fit(titles[index], plotW - 8);
    }
  });
  layout.annotations = notes;
  return data.map((trace) => { // a colour bar beside its own panel, not the whole chart
    if (!trace.colorbar || trace.showscale === false) return trace;
    const [bottom, top] = layout[`yaxis${(trace.yaxis || "y").slice(1)}`]?.domain || [0, 1];
    const place = { y: top, yanchor: "top", lenmode: "fraction", len: 0.8 * (top - bottom) };
    return { ...trace, colorbar: { ...trace.colorbar, ...place } };
  });
}

// Draw the chart fitted to its width (see FIT): `state` is {data, frames, active}; `first`, the plan for
// the width it has now, if one was made already (planAt). What plotly leaves round the plot depends
// on the plot itself: a panel's tick labels push the margin only when the panel reaches the plot
// area's edge. So the most measured so far (at this width, in this shape) is what is planned for: a
// draw then has room for every label, and the next pass changes nothing; once a draw has settled, the
// metrics it was planned with are the ones kept.
async function drawFitted(chart, Plotly, state, first) {
  chart.dataset.labFitting = "true";
  try {
    await fit(chart, Plotly, state, first);
  } finally {
    delete chart.dataset.labFitting;
  }
  if (!sameWidth(chart)) chart.__labRefit?.(); // the column moved on while it was drawn
}

// The chart's width as plotly.js reads it (fractional px; 0 while it is not laid out)...
function widthOf(chart) {
  return parseFloat(getComputedStyle(chart).width) || 0;
}

// ...and whether the chart was last fitted to the width it has now.
function sameWidth(chart) {
  return widthOf(chart) === 0 || Math.abs(widthOf(chart) - Number(chart.dataset.labWidth)) < 0.1;
}

// The plan for the chart's figure at `width`, with the most measured so far round a plot of its
// shape: {planned, metrics}.
function planAt(chart, state, width) {
  const spec = chart.__labSpec;
  const known = (chart.__labMetrics ||= {});
  let metrics = known.last || guessMetrics(spec.figure.layout || {}, state.data, spec.template);
  let planned = plan(spec, state, width, metrics);
  if (known[metricsKey(width, planned.shape)]) {
    metrics = known[metricsKey(width, planned.shape)];
    planned = plan(spec, state, width, metrics);
  }
  return { planned, metrics };
}

function metricsKey(width, shape) {
  return `${Math.round(width)}:${shape.stacked}:${shape.below}`;
}

async function fit(chart, Plotly, state, first) {
  const spec = chart.__labSpec;
  const width = widthOf(chart);
  let { planned, metrics } = first || planAt(chart, state, width);
  const known = chart.__labMetrics;
  for (let pass = 1; ; pass++) {
    const frames = pass === 1 ? state.frames : undefined; // undefined: the frames stay as they are
    const drawn = outline(planned); // before plotly.js writes into the layout
    chart.__labOutline = null;
    await Plotly.react(chart, { data: planned.data, layout: planned.layout, frames, config: spec.config });
    chart.__labOutline = drawn;
    if (frames) chart.__labFrameNames = frameNames(frames);
    const got = measure(chart);
    if (!got || width <= 0) break;
    const slot = metricsKey(width, planned.shape);
    const before = known[slot];
    const most = before ? { padW: Math.max(before.padW, got.padW), padH: Math.max(before.padH, got.padH) }
      : got;
    const settled = Math.abs(most.padW - metrics.padW) <= 6 && Math.abs(most.padH - metrics.padH) <= 6;
    // settled: kept as the metrics the drawn plan was made from, so that the next figure is planned as
    // this one was drawn (and can be swapped in) rather than a pixel off
    known[slot] = known.last = settled ? metrics : most;
    if (settled || pass >= FIT.passes) break;
    const next = plan(spec, state, width, most);
    metrics = most;
    if (next.summary === planned.summary) break;
    planned = next;
  }
  Object.assign(chart.dataset, {
    labWidth: String(width), labPanels: planned.shape.stacked ? "stacked" : "row",
    labSlider: planned.shape.below ? "below" : "beside",
  });
}

// What a plan draws apart from its traces' x and y arrays (their values and lengths), its time slider's
// steps (their labels, frames and number: a Particles move changes every cloud's length and, within
// the message budget, the number of frames) and its frame: two plans with the same outline differ
// only in what `swap` changes in place.
// Keys that start with "_" are left out: plotly.js writes its own into the objects it is given (a
// decoded typed array's `_inputArray`), and a plan drawn twice (a second fitting pass) carries them.
// Made once per plan: the check for a swap and the draw that follows when there is none share it.
const outlines = new WeakMap();
function outline(planned) {
  if (!outlines.has(planned)) outlines.set(planned, outlineOf(planned));
  return outlines.get(planned);
}

function outlineOf(planned) {
  const data = planned.data.map((trace) => ({ ...trace, x: "x" in trace, y: "y" in trace }));
  const layout = { ...planned.layout };
  if (layout.sliders?.length) {
    const [slider, ...others] = layout.sliders;
    const steps = [...new Set(slider.steps?.map(stepShape))]; // the kinds of step, not how many
    layout.sliders = [{ ...slider, steps, active: null }, ...others];
  }
  return JSON.stringify([data, layout], (key, value) => (key.startsWith("_") ? undefined : value));
}

function stepShape(step) {
  return JSON.stringify({ ...step, label: null, args: [null, ...(step.args?.slice(1) || [])] });
}

function frameNames(frames) {
  return JSON.stringify(frames.map((frame) => frame.name));
}

function sameValues(a, b) {
  if (a?.bdata !== undefined && b?.bdata !== undefined) return a.dtype === b.dtype && a.bdata === b.bdata;
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

// Whether every axis of the drawn chart has a range of its own: moving points by Plotly.animate, as
// swap does, leaves the ranges as they are, where a draw would fit an autoranged axis to the new data.
function fixedRanges(chart) {
  const layout = chart._fullLayout || {};
  return Object.keys(layout).every((name) => !/^[xy]axis[0-9]*$/.test(name) || layout[name].autorange === false);
}

// Whether `planned` differs from the plan on screen only in its traces' x and y, its frames and its
// time slider's steps (a control moved on an animation, most often), on a chart whose axes have fixed
// ranges: then swap can show it.
function swappable(chart, planned) {
  if (!chart._fullData || widthOf(chart) <= 0 || !sameWidth(chart) || !fixedRanges(chart)) return false;
  return outline(planned) === chart.__labOutline;
}

// Show a swappable plan by changing the chart in place, the points moved as a Play frame moves them,
// where Plotly.react would draw the whole chart again. The chart ends as a draw of the figure leaves
// it: its frames, its data, its slider on the figure's frame.
async function swap(chart, Plotly, planned, frames) {
  const slider = planned.layout.sliders?.[0];
  if (slider) {
    const steps = { "sliders[0].steps": slider.steps, "sliders[0].active": slider.active ?? 0 };
    await Plotly.relayout(chart, steps);
  }
  const names = frameNames(frames);
  if (names !== chart.__labFrameNames) { // other frames: the old ones go, last first (deleteFrames sorts
    // the indices it is given as strings, so a list of them can delete the wrong ones)
    const count = JSON.parse(chart.__labFrameNames || "[]").length;
    for (let index = count - 1; index >= 0; index--) await Plotly.deleteFrames(chart, [index]);
  }
  if (frames.length) await Plotly.addFrames(chart, frames); // each replaces its namesake
  chart.__labFrameNames = names;
  const moved = planned.data.flatMap((trace, index) => {
    const shown = chart.data[index];
    return sameValues(shown.x, trace.x) && sameValues(shown.y, trace.y) ? [] : [index];
  });
  if (moved.length) {
    const data = moved.map((index) => ({ x: planned.data[index].x, y: planned.data[index].y }));
    const still = { mode: "immediate", frame: { duration: 0, redraw: false }, transition: { duration: 0 } };
    await Plotly.animate(chart, { data, traces: moved }, still);
  }
}

// The frame-step buttons: the time slider one frame back or on, as its own steps move it; nothing at
// either end. Quick clicks add up (a step still being drawn counts).
function followFrameSteps(chart, Plotly) {
  if (chart.__labSteps) return;
  chart.__labSteps = true;
  chart.on("plotly_buttonclicked", (event) => {
    const step = FRAME_STEPS.find(({ name }) => name === event?.button?.name);
    const slider = chart.layout?.sliders?.[0];
    if (!step || !slider?.steps?.length) return;
    const from = chart.__labStepTo ?? slider.active ?? 0;
    const to = Math.min(Math.max(from + step.by, 0), slider.steps.length - 1);
    if (to === from) return;
    chart.__labStepTo = to;
    Plotly.animate(chart, ...slider.steps[to].args).catch(() => {}).finally(() => { // (or cut short)
      if (chart.__labStepTo === to) chart.__labStepTo = null;
    });
  });
}

// The chart follows its column's width (the sidebar opening or closing, not only the window resizing):
// drawn again for the new width (`__labRefit`) whenever it is not the one it was fitted to (a chart
// drawn while hidden, 0 px wide, is fitted once it shows). The drawing canvas is resized.
function followWidth(chart) {
  if (chart.__labResize) return;
  let width = chart.clientWidth;
  chart.__labResize = new ResizeObserver(() => {
    if (chart.dataset.labWidth !== undefined) {
      if (!sameWidth(chart)) chart.__labRefit?.();
    } else if (chart.clientWidth !== width && chart.clientWidth > 0) {
      width = chart.clientWidth;
      chart.__labRefit?.();
    }
  });
  chart.__labResize.observe(chart);
}

// Charts draw one at a time, with a chance to paint after each: a page's first chart appears without
// waiting for the others to be drawn (the learning page has four; together they take most of a second).
// A draw that never settles holds the others back for 5 s at most.
function inTurn(draw) {
  const drawn = (window.__labQueue || Promise.resolve()).then(draw);
  window.__labQueue = Promise.race([drawn.catch(() => {}), delay(5000)]).then(afterPaint);
  return drawn;
}

function afterPaint() {
  if (document.hidden) return Promise.resolve(); // a hidden tab paints nothing and throttles timers
  return new Promise((resolve) => {
    requestAnimationFrame(() => setTimeout(resolve, 0));
    setTimeout(resolve, 100); // in case the tab is hidden before the next frame
  });
}

function delay(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function sameBytes(a, b) {
  if (!a || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export default function ({ data, parentElement, setTriggerValue }) {
  if (data == null) { // the preloader: fetch and compile plotly.js while the server is still simulating
    parentElement.replaceChildren(); // not a chart
    loadPlotly().catch(() => {}); // a chart that needs plotly.js reports the failure
    return;
  }
  const chart = parentElement.querySelector(".lab-chart");
  const problem = parentElement.querySelector(".lab-chart-problem");
  const template = streamlitTemplate(chart);
  publishPageColours(chart);
  const look = JSON.stringify(template);
  if (chart.__labLook === look && sameBytes(chart.__labBytes, data)) return; // a rerun left it as it is
  chart.__labLook = look;
  chart.__labBytes = data;
  const figure = JSON.parse(new TextDecoder().decode(data));
  const drawing = figure.selectable ? figure.layout?.meta?.drawing : null;
  const revision = (chart.__labRevision = (chart.__labRevision || 0) + 1);
  loadPlotly().then((Plotly) => inTurn(async () => {
    if (chart.__labRevision !== revision) return; // a newer figure arrived while this one waited
    const config = { ...CONFIG, ...figure.config };
    if (drawing) { // a square canvas: on a narrow screen, no empty band below it
      const layout = { ...figure.layout, template, autosize: true };
      layout.height = Math.min(layout.height || 520, Math.max(300, chart.clientWidth + 20));
      receive(drawingPad(chart), drawing, setTriggerValue, figure); // the toolbar, before the plot
      await Plotly.react(chart, { data: figure.data, layout, frames: figure.frames || [], config });
      chart.__labRefit = () => Plotly.Plots.resize(chart);
      acknowledge(drawingPad(chart));
    } else {
      addStyle("lab-chart-css", CHART_CSS);
      // the figure drawn already, in another look (the theme changed): it stays on the frame it shows
      const again = chart._fullData && sameBytes(chart.__labSpec?.bytes, data);
      // the frame on screen: plotly.js moves the drawn slider (_fullLayout), not the layout it was given
      const shown = () => ({ data: chart.data, active: (chart._fullLayout || chart.layout)?.sliders?.[0]?.active });
      chart.__labSpec = { figure: again ? chart.__labSpec.figure : figure, bytes: data, template, config };
      const state = again ? shown() : { data: figure.data, frames: figure.frames || [] };
      const first = planAt(chart, state, widthOf(chart));
      if (!again && swappable(chart, first.planned)) {
        await swap(chart, Plotly, first.planned, state.frames);
      } else {
        await drawFitted(chart, Plotly, state, first);
      }
      followFrameSteps(chart, Plotly);
      chart.__labRefit = () => { // the same figure at the new width, on the same frame
        if (chart.__labRefitting) return; // one is waiting already: it fits the width it finds
        chart.__labRefitting = true;
        inTurn(() => {
          chart.__labRefitting = false;
          return drawFitted(chart, Plotly, shown());
        }).catch(() => {});
      };
    }
    followWidth(chart);
    problem.hidden = true;
  })).catch((error) => {
    if (chart.__labRevision === revision) chart.__labBytes = null; // try again on the next run
    problem.textContent = `This chart could not be drawn (${error.message}). Reload the page to try again.`;
    problem.hidden = false;
  });
}
