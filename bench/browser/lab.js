// Instrumentation added to every page of the browser benchmark before the page's own scripts run
// (bench/browser/session.py reads this file). It sets window.__lab:
//
// - a requestAnimationFrame loop records the script state changes, the first chart drawn and, after
//   mark(), every frame in which any chart shows other data than the frame before: a move or a toggle
//   is over (settled()) once the script has finished and no chart has changed for QUIET_MS;
// - keydown/pointerdown times mark the start of an interaction; websocket messages and Plotly.react
//   calls are timed;
// - the functions the benchmark evaluates in the page: loadTimes, moveTimes, problems, chartJson,
//   webglReplay, and the playback helpers listen, rewind and unpaced.
//
// The loop sleeps while nothing is pending (page loaded, idle, no move measured) and wakes on input and
// mark(), so that idle pages of a classroom do not cost the browser a rAF loop each.
window.__lab = (() => {
    const QUIET_MS = window.__labQuietMs;  // session.py's QUIET_MS, set just before this script
    const lab = {state: null, stateAt: 0, states: [], firstChart: null, marked: null, shown: null,
                 firstChange: null, lastChange: null, inputAt: null, frames: [], animated: null,
                 messages: [], reacts: [], plotlyReady: null};
    const Native = window.WebSocket;  // arrival time and size of every message the page receives
    window.WebSocket = class extends Native {
        constructor(...args) {
            super(...args);
            this.addEventListener('message', e => lab.messages.push(
                [performance.now(), e.data.byteLength ?? e.data.size ?? e.data.length]));
        }
    };
    let plotly;  // plotly.js sets window.Plotly once evaluated: note when, and time each Plotly.react
    Object.defineProperty(window, 'Plotly', {configurable: true, get: () => plotly, set: P => {
        plotly = P;
        lab.plotlyReady = performance.now();
        const react = P.react;
        P.react = function (...args) {
            const start = performance.now();
            const done = react.apply(this, args);
            Promise.resolve(done).then(() => lab.reacts.push([start, performance.now()]));
            return done;
        };
    }});

    const charts = () => [...document.querySelectorAll('.js-plotly-plot')];
    const drawn = g => !!(g._fullData && g._fullData.some(t => t.x && t.x.length));
    lab.cloud = () => charts().find(g => g._fullLayout && (g._fullLayout.sliders || []).length);

    // A short summary of an array (typed, plotly's {bdata} spec, or nested lists): its length and 64
    // values spread over it, so that two runs differ in it whatever setting changed.
    const SPREAD = 64;
    const sample = v => {
        if (v === null || v === undefined) return '';
        if (v.bdata) {
            const s = v.bdata, step = Math.max(1, Math.floor(s.length / SPREAD));
            let picked = '';
            for (let i = 0; i < s.length; i += step) picked += s[i];
            return `${s.length}:${picked}`;
        }
        if (ArrayBuffer.isView(v) || Array.isArray(v)) {
            const step = Math.max(1, Math.floor(v.length / SPREAD));
            const picked = [];
            for (let i = 0; i < v.length; i += step) {
                const x = v[i];
                picked.push(Array.isArray(x) || ArrayBuffer.isView(x) || (x && x.bdata) ? sample(x) : x);
            }
            return `${v.length}:${picked.join(',')}`;
        }
        return JSON.stringify(v).slice(0, 96);
    };
    const traces = data => (data || []).map(t => [t.type, t.meta, t.name, sample(t.x), sample(t.y),
                                                  sample(t.z)].join('|')).join(';');
    // What one chart shows: its traces, its animation frames and slider labels, and its title. Read
    // afresh every time: chart.js changes a chart's data and frames in place as well as by Plotly.react.
    const print = g => {
        if (!g.data) return 'not drawn';
        const frames = (g._transitionData && g._transitionData._frames) || [];
        const last = frames.length ? traces(frames[frames.length - 1].data) : '';
        const layout = g.layout || {};
        const labels = ((layout.sliders || [])[0] || {steps: []}).steps.map(s => s.label).join('|');
        const title = JSON.stringify(layout.title || '').slice(0, 200);
        return [traces(g.data), frames.length, labels, last, title].join('#');
    };
    lab.pagePrint = () => charts().map(print).join('\n');

    const scriptState = () => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app ? app.dataset.testScriptState : null;
    };
    lab.settled = (now = performance.now()) => lab.firstChange !== null && lab.state === 'notRunning'
        && now - Math.max(lab.lastChange, lab.stateAt) >= QUIET_MS;
    lab.loaded = () => lab.firstChart !== null && lab.state === 'notRunning';
    const pending = now => lab.firstChart === null || lab.state !== 'notRunning'
        || (lab.marked !== null && !lab.settled(now));
    let looping = false;
    const wake = () => { if (!looping) { looping = true; requestAnimationFrame(watch); } };
    function watch() {
        const now = performance.now();
        const state = scriptState();
        if (state !== lab.state) { lab.states.push([state, now]); lab.state = state; lab.stateAt = now; }
        if (lab.firstChart === null && charts().some(drawn)) lab.firstChart = now;
        if (lab.marked !== null) {
            const shown = lab.pagePrint();
            if (shown !== lab.shown) {
                lab.shown = shown;
                lab.lastChange = now;
                if (lab.firstChange === null) lab.firstChange = now;
            }
        }
        if (pending(now)) requestAnimationFrame(watch); else looping = false;
    }
    // Before an interaction: remember what the charts show, forget the last interaction's timeline.
    lab.mark = () => {
        lab.marked = lab.shown = lab.pagePrint();
        lab.state = scriptState();
        lab.stateAt = performance.now();
        lab.firstChange = lab.lastChange = null;
        lab.messages = []; lab.reacts = []; lab.states = [[lab.state, lab.stateAt]];
        charts().forEach(div => { div.__old = true; });
        wake();
    };
    const input = () => { lab.inputAt = performance.now(); wake(); };
    window.addEventListener('keydown', input, true);
    window.addEventListener('pointerdown', input, true);
    wake();

    // Where a cold load's time went: the median try's timeline from navigation start.
    lab.loadTimes = () => {
        const nav = performance.getEntriesByType('navigation')[0];
        const first = s => (lab.states.find(([name]) => name === s) || [null, null])[1];
        const resources = performance.getEntriesByType('resource');
        const plotlyJs = resources.find(e => /plotly[^/]*[.]js/.test(e.name));
        const react = lab.reacts.length ? lab.reacts[0] : [null, null];
        return {chart: lab.firstChart, dom: nav.domContentLoadedEventEnd, running: first('running'),
                finished: first('notRunning'), plotly_js: plotlyJs ? plotlyJs.responseEnd : null,
                plotly_asked: plotlyJs ? plotlyJs.startTime : null, plotly_ready: lab.plotlyReady,
                react_start: react[0], react_ms: react[1] - react[0], animated: !!lab.cloud(),
                static_bytes: nav.encodedBodySize + resources.reduce((sum, e) => sum + e.encodedBodySize, 0),
                static_decoded: nav.decodedBodySize + resources.reduce((sum, e) => sum + e.decodedBodySize, 0),
                plotly_bytes: plotlyJs ? plotlyJs.decodedBodySize : null};
    };
    // The last interaction, from its keydown or pointerdown to the last chart change (ms) and the first.
    lab.moveTimes = () => {
        const start = lab.inputAt, end = lab.lastChange;
        const run = lab.states.find(([s, t]) => s === 'running' && t >= start);
        const messages = lab.messages.filter(([t]) => t >= start && t <= end);
        const reacts = lab.reacts.filter(([a]) => a >= start && a <= end);
        return {ms: end - start, first_ms: lab.firstChange - start, rerun_start: run ? run[1] - start : null,
                last_message: messages.length ? messages[messages.length - 1][0] - start : null,
                react_ms: reacts.length ? Math.max(...reacts.map(([a, b]) => b - a)) : null,
                reacts: reacts.length, replaced: charts().filter(div => !div.__old).length,
                charts: charts().length};
    };
    lab.problems = () => [...document.querySelectorAll(
        '[data-testid="stException"], [data-testid="stAlertContentError"]')].map(e => e.innerText.slice(0, 200));
    // The size of the animated chart's figure as JSON (data, layout, frames).
    lab.chartJson = () => {
        const g = lab.cloud();
        return g ? JSON.stringify({data: g.data, layout: g.layout, frames: g._transitionData._frames.map(
            f => ({name: f.name, data: f.data, traces: f.traces}))}).length : 0;
    };

    // Playback: record each animation frame shown, rewind to the first frame, play at frame duration 0.
    lab.listen = () => {
        const g = lab.cloud(); lab.frames = []; lab.animated = null;
        g.removeAllListeners && g.removeAllListeners('plotly_animatingframe');
        g.removeAllListeners && g.removeAllListeners('plotly_animated');
        g.on('plotly_animatingframe', e => lab.frames.push([performance.now(), e.name]));
        g.on('plotly_animated', () => { lab.animated = performance.now(); });
    };
    // the chart's own choice: a full redraw per frame only when a cloud is drawn with WebGL
    lab.redraw = () => lab.cloud().layout.updatemenus[0].buttons[0].args[1].frame.redraw;
    lab.rewind = () => window.Plotly.animate(lab.cloud(), ['0'],
        {frame: {duration: 0, redraw: lab.redraw()}, transition: {duration: 0}, mode: 'immediate'});
    lab.unpaced = () => { window.Plotly.animate(lab.cloud(), null,
        {frame: {duration: 0, redraw: lab.redraw()}, transition: {duration: 0}, fromcurrent: true}); };

    // Baseline, the design before: the animated chart re-drawn off-screen with its clouds in WebGL
    // (scattergl) and played at frame duration 0 with a full redraw per frame: frames per second.
    lab.webglReplay = async () => {
        const g = lab.cloud(), clone = x => JSON.parse(JSON.stringify(x));
        const clouds = new Set(g.data.map((t, i) => t.meta === 'particles' ? i : -1).filter(i => i >= 0));
        const gl = t => ({...t, type: 'scattergl'});
        const data = g.data.map((t, i) => clouds.has(i) ? gl(clone(t)) : clone(t));
        const frames = g._transitionData._frames.map(f => ({name: f.name, traces: f.traces,
            data: f.data.map((d, k) => clouds.has(f.traces[k]) ? gl(clone(d)) : clone(d))}));
        const div = document.createElement('div');
        div.style.width = g.offsetWidth + 'px';
        document.body.appendChild(div);
        await Plotly.newPlot(div, data, clone(g.layout), {displayModeBar: false});
        await Plotly.addFrames(div, frames);
        const stamps = [];
        div.on('plotly_animatingframe', () => stamps.push(performance.now()));
        await Plotly.animate(div, null, {frame: {duration: 0, redraw: true}, transition: {duration: 0}});
        Plotly.purge(div);
        div.remove();
        const gaps = stamps.slice(1).map((t, k) => t - stamps[k]).sort((a, b) => a - b);
        return {fps: (stamps.length - 1) / ((stamps[stamps.length - 1] - stamps[0]) / 1000),
                gap_ms: gaps[Math.floor(gaps.length / 2)], frames: stamps.length};
    };
    return lab;
})();
