"""CSS of the lesson view that Streamlit has no option for: the phone layout and wide formulas."""

# On a phone Streamlit stacks the two columns, controls first: the chart would be off-screen while a
# slider moves, so there the chart column comes first and stays at the top of the screen, under
# Streamlit's header (3.75rem), while the controls scroll beneath it. It is at most as tall as leaves
# 15rem (three sliders) of controls in view; what does not fit (a tall multi-panel chart, the
# readouts) scrolls inside it, and a swipe past its end goes on scrolling the page. A control that
# takes the focus (Tab) scrolls into view below it (scroll-padding). Its background and
# rule are the theme's, published by lessons/chart.js (Streamlit sets them only round components).
# Wide formulas scroll instead of being clipped.
NARROW_SCREEN_CSS = """<style>
@media (max-width: 640px) {
  .st-key-lesson_view > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] {
    flex-direction: column-reverse;
  }
  .st-key-lesson_view > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"]
    > [data-testid="stColumn"]:last-child {
    position: sticky;
    top: 3.75rem;
    z-index: 3;
    max-height: calc(100svh - 3.75rem - 15rem);
    overflow-y: auto;
    scrollbar-width: thin;
    background: var(--lab-background, #fff);
    border-bottom: 1px solid var(--lab-rule, rgba(128, 128, 128, 0.3));
  }
  [data-testid="stMain"]:has(.st-key-lesson_view) { scroll-padding-top: calc(100svh - 15rem); }
}
.katex-display { overflow-x: auto; overflow-y: hidden; }
</style>"""
