"""CSS of the lesson view that Streamlit has no option for: the phone layout and wide formulas."""

# On a phone Streamlit stacks the two columns, controls first: the chart would be off-screen while a
# slider moves, so there the chart column comes first. Wide formulas scroll instead of being clipped.
NARROW_SCREEN_CSS = """<style>
@media (max-width: 640px) {
  .st-key-lesson_view > [data-testid="stLayoutWrapper"] > [data-testid="stHorizontalBlock"] {
    flex-direction: column-reverse;
  }
}
.katex-display { overflow-x: auto; overflow-y: hidden; }
</style>"""
