// One plotly chart that is updated in place: Streamlit calls this module again with the new figure
// (UTF-8 JSON bytes) whenever the script reruns, and Plotly.react changes only what changed, so
// moving a slider does not build a new chart (st.plotly_chart mounts a new one for every new figure).
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
    },
  };
}

// Selections report the indices of the chosen points of the first trace: a click gives one point,
// a box or lasso all the points inside it. The listeners are attached once per chart; each run hands
// over its own setTriggerValue.
function reportSelections(chart, setTriggerValue) {
  chart.__labReport = setTriggerValue;
  if (chart.__labListening) return;
  chart.__labListening = true;
  const send = (points) => chart.__labReport("selected",
    points.filter((p) => p.curveNumber === 0).map((p) => p.pointIndex));
  chart.on("plotly_click", (event) => send(event.points));
  chart.on("plotly_selected", (event) => event && send(event.points));
}

// The chart follows its column's width (the sidebar opening or closing, not only the window resizing).
function followWidth(chart, Plotly) {
  if (chart.__labResize) return;
  let width = chart.clientWidth;
  chart.__labResize = new ResizeObserver(() => {
    if (chart.clientWidth !== width && chart.clientWidth > 0) {
      width = chart.clientWidth;
      Plotly.Plots.resize(chart);
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
  const look = JSON.stringify(template);
  if (chart.__labLook === look && sameBytes(chart.__labBytes, data)) return; // a rerun left it as it is
  chart.__labLook = look;
  chart.__labBytes = data;
  const figure = JSON.parse(new TextDecoder().decode(data));
  const revision = (chart.__labRevision = (chart.__labRevision || 0) + 1);
  loadPlotly().then((Plotly) => inTurn(async () => {
    if (chart.__labRevision !== revision) return; // a newer figure arrived while this one waited
    const layout = { ...figure.layout, template, autosize: true };
    const config = { ...CONFIG, ...figure.config };
    await Plotly.react(chart, { data: figure.data, layout, frames: figure.frames || [], config });
    followWidth(chart, Plotly);
    if (figure.selectable) reportSelections(chart, setTriggerValue);
    problem.hidden = true;
  })).catch((error) => {
    if (chart.__labRevision === revision) chart.__labBytes = null; // try again on the next run
    problem.textContent = `This chart could not be drawn (${error.message}). Reload the page to try again.`;
    problem.hidden = false;
  });
}
