"""The plotly builders, checked on the JSON that Streamlit sends to the browser."""

from __future__ import annotations

import numpy as np
import pytest
from helpers_apptest import decode, figure_json, figure_spec

from lessons import contours, figures, simulate, still_figures
from lessons.figures import Panel
from lessons.settings import Settings

EXTENT = 3.5
GRID = np.linspace(-EXTENT, EXTENT, 32, dtype=np.float32)
TRACED = 6
MB = 1_000_000


def clouds(frames: int, particles: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).standard_normal((frames, particles, 2)).astype(np.float32)


def densities(frames: int | None, seed: int = 0) -> np.ndarray:
    shape = (len(GRID), len(GRID)) if frames is None else (frames, len(GRID), len(GRID))
    return np.random.default_rng(seed).integers(0, 256, shape, dtype=np.uint8)


def full_panel(frames: int, particles: int = 50, seed: int = 0, title: str = "full") -> Panel:
    """A panel with every layer: animated density, field arrows, the cloud and traced paths."""
    origins = np.stack(np.meshgrid(GRID[::8], GRID[::8]), -1).reshape(-1, 2)
    arrows = 0.1 * clouds(frames, len(origins), seed + 1)
    return Panel(
        title, clouds(frames, particles, seed), "#0072B2", densities(frames, seed), arrows, origins, TRACED
    )


def animation(panels: list[Panel], frames: int) -> dict:
    labels = [f"t = {k}" for k in range(frames)]
    return figure_spec(figures.cloud_animation(panels, labels, extent=EXTENT, grid=GRID))


def axis_suffixes(count: int) -> list[str]:
    return ["" if index == 1 else str(index) for index in range(1, count + 1)]


CONTOURS = ["scatter"]  # the density: one line trace, every contour level in it


def all_contours(image: np.ndarray) -> np.ndarray:
    """The x of every contour line of ``image`` (G, G) at every level, one level after another."""
    return np.concatenate(
        [contours.contour_lines(image, GRID, 255 * level)[0] for level in figures.CONTOUR_LEVELS]
    )


@pytest.mark.parametrize(
    ("panel", "types"),
    [
        (full_panel(5), [*CONTOURS, "scatter", "scatter", "scatter", "scatter"]),
        (Panel("bare", clouds(5, 30), "#009E73"), ["scatter"]),
        (Panel("many", clouds(5, figures.SVG_LIMIT + 1), "#009E73"), ["scattergl"]),
        (Panel("static", clouds(5, 30), "#009E73", densities(None)), [*CONTOURS, "scatter"]),
        (Panel("paths", clouds(5, 30), "#009E73", traced=3), ["scatter", "scatter", "scatter"]),
    ],
    ids=["all-layers", "cloud-only", "many-particles-in-webgl", "static-density", "traced-paths"],
)
def test_cloud_animation_draws_one_trace_per_layer_of_a_panel(panel, types):
    spec = animation([panel], 5)
    assert [trace["type"] for trace in spec["data"]] == types


@pytest.mark.parametrize(("particles", "redraw"), [(30, False), (figures.SVG_LIMIT + 1, True)])
def test_playback_redraws_the_whole_chart_only_when_a_cloud_is_drawn_in_webgl(particles, redraw):
    layout = animation([Panel("cloud", clouds(3, particles), "#009E73", densities(3))], 3)["layout"]
    play = layout["updatemenus"][0]["buttons"][0]["args"][1]
    assert play["frame"]["redraw"] is redraw
    assert all(step["args"][1]["frame"]["redraw"] is redraw for step in layout["sliders"][0]["steps"])


def test_cloud_animation_puts_each_panels_traces_on_its_own_axes():
    panels = [full_panel(4, seed=0), Panel("bare", clouds(4, 20), "#009E73"), full_panel(4, seed=3)]
    spec = animation(panels, 4)
    axes = [(trace.get("xaxis", "x"), trace.get("yaxis", "y")) for trace in spec["data"]]
    layers = len(CONTOURS) + 4  # contours, arrows, cloud, paths, their heads
    assert axes == [("x", "y")] * layers + [("x2", "y2")] + [("x3", "y3")] * layers
    titles = [annotation["text"] for annotation in spec["layout"]["annotations"]]
    assert titles == ["full", "bare", "full"]


@pytest.mark.parametrize("frames", [1, 2, 17, 41])
def test_cloud_animation_has_one_frame_and_one_slider_step_per_label(frames):
    labels = [f"τ = {0.05 * k:.2f}" for k in range(frames)]
    spec = figure_spec(figures.cloud_animation([full_panel(frames)], labels, extent=EXTENT, grid=GRID))
    assert [frame["name"] for frame in spec["frames"]] == [str(k) for k in range(frames)]
    steps = spec["layout"]["sliders"][0]["steps"]
    assert [step["label"] for step in steps] == labels
    assert [step["args"][0] for step in steps] == [[str(k)] for k in range(frames)]
    play = spec["layout"]["updatemenus"][0]["buttons"][0]
    assert play["method"] == "animate" and play["args"][0] is None


@pytest.mark.parametrize("count", [1, 2, 3])
def test_cloud_animation_fixes_every_axis_to_the_extent_with_equal_aspect(count):
    spec = animation([Panel(f"p{i}", clouds(3, 10, i), "#009E73") for i in range(count)], 3)
    layout = spec["layout"]
    for suffix in axis_suffixes(count):
        assert layout[f"xaxis{suffix}"]["range"] == [-EXTENT, EXTENT]
        assert layout[f"yaxis{suffix}"]["range"] == [-EXTENT, EXTENT]
        assert layout[f"yaxis{suffix}"]["scaleanchor"] == f"x{suffix}"
        assert layout[f"yaxis{suffix}"]["scaleratio"] == 1
    assert f"xaxis{count + 1}" not in layout


def test_frames_update_only_the_animated_traces_and_only_their_changing_keys():
    static = Panel("static", clouds(6, 40, 5), "#009E73", densities(None), traced=2)
    spec = animation([full_panel(6), static], 6)
    types = [trace["type"] for trace in spec["data"]]
    first_static = len(CONTOURS) + 4  # the second panel's contours: drawn once, never in a frame
    static_density = range(first_static, first_static + len(CONTOURS))
    animated = [index for index in range(len(types)) if index not in static_density]
    for frame in spec["frames"]:
        assert frame["traces"] == animated
        assert [trace["type"] for trace in frame["data"]] == [types[index] for index in animated]
        for trace in frame["data"]:
            assert set(trace) <= {"type", "x", "y"}, set(trace)


def test_frame_k_shows_the_cloud_and_the_density_contours_of_step_k():
    panel = full_panel(7, particles=30)
    spec = animation([panel], 7)
    levels = len(CONTOURS)
    for k, frame in enumerate(spec["frames"]):
        x = all_contours(panel.density[k])
        np.testing.assert_array_equal(decode(frame["data"][0]["x"]), x)
        cloud, paths, heads = frame["data"][levels + 1 :]
        np.testing.assert_array_equal(decode(cloud["x"]), panel.xs[k, :, 0])
        np.testing.assert_array_equal(decode(cloud["y"]), panel.xs[k, :, 1])
        assert len(decode(paths["x"])) == TRACED * (k + 2)  # k + 1 points and a gap per traced particle
        np.testing.assert_array_equal(decode(heads["x"]), panel.xs[k, :TRACED, 0])
        np.testing.assert_array_equal(decode(heads["y"]), panel.xs[k, :TRACED, 1])
    first = spec["data"][levels + 1]
    np.testing.assert_array_equal(decode(first["x"]), panel.xs[0, :, 0])


def test_traced_paths_follow_the_first_particles_and_are_broken_by_nan():
    panel = full_panel(5, particles=20)
    path = animation([panel], 5)["frames"][4]["data"][-2]
    assert path["x"]["dtype"] == "f4"  # a typed array: plotly.js breaks lines at its NaN (browser-tested)
    x, y = decode(path["x"]), decode(path["y"])
    np.testing.assert_array_equal(x.reshape(TRACED, 6)[:, :5], panel.xs[:, :TRACED, 0].T)
    np.testing.assert_array_equal(y.reshape(TRACED, 6)[:, :5], panel.xs[:, :TRACED, 1].T)
    assert np.isnan(x.reshape(TRACED, 6)[:, 5]).all()


def test_line_chart_draws_each_series_and_a_dashed_reference_level_named_in_the_legend():
    x = np.linspace(0.0, 4.0, 41)
    series = {"cloud vs exact": (np.exp(-x), "#0072B2"), "other": (np.ones_like(x), "#D55E00")}
    spec = figure_spec(
        still_figures.line_chart(x, series, x_title="t", y_title="SW", reference=("two exact samples", 0.07))
    )
    *lines, level = spec["data"]
    assert [trace["name"] for trace in lines] == list(series)
    for trace, (values, colour) in zip(lines, series.values(), strict=True):
        np.testing.assert_allclose(decode(trace["x"]), x)
        np.testing.assert_allclose(decode(trace["y"]), values)
        assert trace["line"]["color"] == colour
    assert level["name"] == "two exact samples" and level["line"]["dash"] == "dash"
    np.testing.assert_allclose(decode(level["x"]), [0.0, 4.0])  # across the whole plot
    np.testing.assert_allclose(decode(level["y"]), [0.07, 0.07])
    assert not spec["layout"].get("annotations"), "a label on the plot crosses the lines near the level"


def test_line_chart_without_a_reference_has_no_level():
    x = np.arange(5.0)
    spec = figure_spec(still_figures.line_chart(x, {"a": (x, "#0072B2")}, x_title="k", y_title="d"))
    assert [trace["name"] for trace in spec["data"]] == ["a"]


@pytest.mark.parametrize("names", [["forward"], ["forward", "backward", "langevin"]])
def test_drift_arrows_draws_one_arrow_trace_per_drift_from_the_first_particles(names):
    rng = np.random.default_rng(2)
    cloud = rng.standard_normal((100, 2)).astype(np.float32)
    drifts = {name: (0.3 * rng.standard_normal((12, 2)).astype(np.float32), "#0072B2") for name in names}
    spec = figure_spec(
        still_figures.drift_arrows(cloud, drifts, extent=EXTENT, grid=GRID, density=densities(None))
    )
    arrow_traces = [trace for trace in spec["data"] if trace.get("name") in drifts]
    assert [trace["name"] for trace in arrow_traces] == names
    levels = len(CONTOURS)
    assert [trace["mode"] for trace in spec["data"][:levels]] == ["lines"] * levels  # p_t as contours
    assert len(decode(spec["data"][levels]["x"])) == len(cloud)  # every particle is drawn
    for trace, (vectors, _) in zip(arrow_traces, drifts.values(), strict=True):
        x = decode(trace["x"]).reshape(12, 7)  # shaft start, tip, gap, head stroke, gap
        y = decode(trace["y"]).reshape(12, 7)
        np.testing.assert_allclose(x[:, 0], cloud[:12, 0])
        np.testing.assert_allclose(y[:, 1], cloud[:12, 1] + vectors[:, 1], rtol=1e-6)
        assert np.isnan(x[:, [2, 6]]).all() and np.isnan(y[:, [2, 6]]).all()
    assert spec["layout"]["yaxis"]["scaleanchor"] == "x"
    assert spec["layout"]["xaxis"]["range"] == [-EXTENT, EXTENT]


def test_split_triangle_draws_three_clouds_over_their_densities_on_square_axes():
    rng = np.random.default_rng(3)
    points = [rng.standard_normal((70, 2)).astype(np.float32) for _ in range(3)]
    spec = figure_spec(
        still_figures.split_triangle(
            *points, densities(None, 1), densities(None, 2), extent=EXTENT, grid=GRID
        )
    )
    levels = len(CONTOURS)
    assert [trace["type"] for trace in spec["data"]] == ["scatter"] * (levels + 1) * 3  # 70 points: SVG
    for index, cloud in enumerate(points):
        trace = spec["data"][(levels + 1) * index + levels]
        np.testing.assert_array_equal(decode(trace["x"]), cloud[:, 0])
        suffix = axis_suffixes(3)[index]
        assert trace.get("xaxis", "x") == f"x{suffix}"
        assert spec["layout"][f"yaxis{suffix}"]["scaleanchor"] == f"x{suffix}"
        assert spec["layout"][f"xaxis{suffix}"]["range"] == [-EXTENT, EXTENT]
    second = spec["data"][levels + 1]  # the second panel's contours, of its own density
    np.testing.assert_array_equal(decode(second["x"]), all_contours(densities(None, 2)))


def intricate_density(frames: int | None) -> np.ndarray:
    """The exact density of the preset with the longest contours (checkerboard), from t = 0."""
    if frames is None:
        return simulate.density_image(simulate.dataset(Settings(dataset="checkerboard")))
    return simulate.marginal_densities(Settings(dataset="checkerboard"), np.linspace(0.0, 4.0, frames))


@pytest.mark.parametrize(
    ("count", "particles", "animated_density", "traced"),
    [
        (1, 1000, False, TRACED),  # Langevin: one target, one density
        (1, 1000, True, TRACED),  # forward and backward
        (2, 500, True, TRACED),  # duality
        (3, 500, False, 0),  # splitting
    ],
    ids=["langevin", "forward-backward", "duality", "splitting"],
)
def test_a_default_size_animation_is_under_one_megabyte(count, particles, animated_density, traced):
    frames = simulate.num_frames(count * particles) + 1  # the engine records the start too
    panels = [
        Panel(
            f"panel {index}",
            clouds(frames, particles, index),
            "#0072B2",
            intricate_density(frames if animated_density else None),
            traced=traced,
        )
        for index in range(count)
    ]
    assert frames >= 21
    size = len(
        figure_json(
            figures.cloud_animation(panels, [str(k) for k in range(frames)], extent=EXTENT, grid=GRID)
        ).encode()
    )
    assert size < MB, f"{size / MB:.2f} MB"


def test_a_fading_tail_shows_only_the_last_positions_newest_brightest():
    tail = 4
    panel = Panel("tail", clouds(10, 20), "#D55E00", traced=TRACED, tail=tail)
    spec = animation([panel], 10)
    for k, frame in enumerate(spec["frames"]):
        path = frame["data"][-2]
        shown = min(k + 1, tail)
        x = decode(path["x"]).reshape(TRACED, shown + 1)
        np.testing.assert_array_equal(x[:, :shown], panel.xs[k + 1 - shown : k + 1, :TRACED, 0].T)
        opacity = decode(path["marker"]["opacity"]).reshape(TRACED, shown + 1)
        assert (np.diff(opacity[:, :shown], axis=1) > 0).all(), "older positions must be fainter"
        assert (opacity[:, shown - 1] == 1).all() and (opacity[:, shown] == 0).all()


def test_traced_paths_have_a_colour_no_cloud_has():
    path_colour = figures.COLOURS["path"]
    assert path_colour not in {figures.COLOURS[name] for name in ("forward", "backward", "langevin", "data")}
    panel = Panel("cloud", clouds(3, 20), figures.COLOURS["backward"], traced=TRACED, tail=2)
    spec = animation([panel], 3)
    paths, heads = spec["data"][-2:]
    assert paths["line"]["color"] == heads["marker"]["color"] == path_colour
    assert heads["marker"]["line"]["color"] == "#000000", "outlined, to read on a light background"


@pytest.mark.parametrize(("trail", "expected"), [("tail", 8), ("full", None)])
def test_the_lessons_draw_a_short_tail_by_default_and_the_whole_path_on_request(trail, expected):
    from lessons import lesson_figures

    assert lesson_figures.trail(Settings(trail=trail)) == expected
    assert Settings().trail == "tail"
