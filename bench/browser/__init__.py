"""Interactivity benchmark in a real browser: headless system Chromium driving `streamlit run app.py`.

Every page of the app (the lesson registry) is measured where it applies; medians of 10 tries (3 with
--quick). Times are read inside the page (``performance.now()``, lab.js), so the driver's own delays
do not count:

- load: a new browser context (empty HTTP cache, new Streamlit session) opens the page with a new seed
  (the server simulates); navigation start -> first chart drawn, with where the time goes. The first 2
  tries also reload the page in the same context (a repeat visit: scripts cached);
- slider: every select slider of every lesson page, focused and moved one value down and up with the
  arrow keys after each seed bump (new runs) and back (cached runs); keydown -> the last chart change,
  per slider and per direction, with the bytes received; the step size also at 10,000 particles;
- toggle: on Backward diffusion at 5,000 particles, the server's CPU time (the streamlit process,
  /proc/<pid>/stat) for a new simulation (seed + 1) against display toggles that must not simulate
  again (exact density off/on, arrows on/off), and their ratio;
- fps: frames per second while playing (plotly_animatingframe events) with the Play button and with
  ``Plotly.animate`` at frame duration 0, what rendering alone allows;
- classroom: N sessions (browser contexts) on one server, each moving the step size for a minute with
  1-3 s pauses; errors, latency percentiles, the server's RSS, and the CPU time of the server, of the
  browser and of everything else on the machine. 30 sessions; if that does not hold, three more runs
  bisect for the largest size that holds.

Modules: session (a browser context and what it does in the page), lab.js (the instrumentation injected
into every page), scenarios (load, slider, toggle, playback), classroom, processes (CPU and memory from
/proc), report (the markdown), run (options, the whole run, RESULTS.md).

Run from the repository root; rewrites the "browser" section of bench/RESULTS.md (load, fps, classroom)
and the "browser-controls" section (slider, toggle), each only when one of its parts ran:

    .venv/bin/python -m bench.browser [--quick] [--tries N] [--only load,slider,toggle,fps,classroom]
                                      [--sessions 30,3] [--json raw.json]
"""
