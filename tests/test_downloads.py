"""Each lesson's downloads (lessons/downloads.py): the clip of its run carries the app's own frame
labels and a title; duality's files follow the backward run; splitting has all three panels; lesson 6
saves its trained network; own data as CSV. Small settings throughout."""

from __future__ import annotations

import csv
import io
import weakref
from dataclasses import replace

import numpy as np
import pytest
import torch
from PIL import Image
from test_pages import assert_no_exception, open_page

from core import score_net
from lessons import (
    downloads,
    duality_figures,
    lesson_figures,
    registry,
    render,
    score_learning,
    training_store,
    user_data,
)
from lessons.figures import COLOURS
from lessons.settings import Settings

SMALL = {"particles": 100}
pytestmark = pytest.mark.usefixtures("single_thread")  # small tensors: one torch thread is quicker


def slider_labels(figure: dict) -> list[str]:
    """The frame labels the app's time slider shows."""
    return [step["label"] for step in figure["layout"]["sliders"][0]["steps"]]


def run_of(name: str, **changes):
    page = registry.page(name)
    settings = replace(page.defaults, **{**SMALL, **changes})
    return page, settings, page.run(settings)


def rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def png_of(clip: downloads.Clip) -> Image.Image:
    return Image.open(io.BytesIO(downloads.last_frame_png(clip)))


@pytest.mark.parametrize("name", ["langevin", "forward", "backward"])
def test_a_one_cloud_lesson_s_files_are_labelled_as_the_app_labels_its_frames(name):
    page, settings, run = run_of(name, num_steps=50, step_size=0.1, t_end=1.0)
    clip = downloads.run_clip(page, settings, run)
    app = slider_labels(lesson_figures.cloud_figure(page, run, settings, None))
    assert list(clip.labels) == app
    image = png_of(clip)
    assert image.text["Label"] == app[-1]
    assert image.text["Title"] == clip.title and clip.title.startswith(page.title + " · ")
    header = downloads.trajectories_csv(clip).split("\n", 1)[0]
    if name == "langevin":
        assert app[-1].startswith("τ = ") and header == "frame,tau,particle,x,y"
    elif name == "backward":
        assert app[-1] == f"t = 0.00 · t′ = {settings.t_end:.2f}" and header == "frame,t,t_prime,particle,x,y"
    else:
        assert app[-1] == f"t = {settings.t_end:.2f}" and header == "frame,t,particle,x,y"


def test_the_title_names_the_lesson_and_its_setup():
    page = registry.page("backward")
    assert (
        downloads.title_line(page, page.defaults)
        == "4 · Backward diffusion · Two moons, N = 1,000, h = 0.02, T = 4, λ = 1"
    )
    langevin = registry.page("langevin")
    assert "start: box" in downloads.title_line(langevin, langevin.defaults)


def test_duality_s_pictures_follow_the_backward_run_from_noise_to_the_data():
    page, settings, run = run_of("duality", step_size=0.1, t_end=1.0)
    clip = downloads.duality_clip(page, settings, run)
    (pictured,) = clip.pictured
    assert pictured.name == "backward" and pictured.colour == COLOURS["backward"]
    assert np.array_equal(pictured.xs[-1], run.backward[0])  # the last frame: t′ = T, i.e. t = 0
    assert np.array_equal(pictured.xs[0], run.backward[-1])  # the GIF starts at N(0, I), t′ = 0
    assert clip.labels[0] == "t = 1.00 · t′ = 0.00" and clip.labels[-1] == "t = 0.00 · t′ = 1.00"
    app = slider_labels(duality_figures.duality_figure(run, settings))
    assert list(clip.labels) == app[::-1]  # the app's labels, in the backward run's order
    image = png_of(clip)
    assert image.size == (render.SIZE, render.SIZE) and image.text["Label"] == "t = 0.00 · t′ = 1.00"
    layout = render.layout(1, clip.title, panel_titles=True)
    centres = np.round(layout.pixels(0, run.backward[0], 3.5)).astype(int)
    inside = (np.abs(run.backward[0]) < 3.4).all(axis=1)
    colour = Image.new("RGB", (1, 1), COLOURS["backward"]).getpixel((0, 0))
    drawn = [image.convert("RGB").getpixel((int(x), int(y))) == colour for x, y in centres[inside]]
    assert all(drawn)  # every particle of the data end of the backward run is a dot of the PNG
    gif = Image.open(io.BytesIO(downloads.animation_gif(clip)))
    assert gif.n_frames == len(run.times)


def test_duality_s_csv_has_both_clouds_with_t_and_t_prime():
    page, settings, run = run_of("duality", step_size=0.1, t_end=1.0)
    table = rows(downloads.trajectories_csv(downloads.duality_clip(page, settings, run)))
    frames, count = run.backward.shape[:2]
    assert list(table[0]) == ["cloud", "frame", "t", "t_prime", "particle", "x", "y"]
    assert len(table) == 2 * frames * count
    assert {row["cloud"] for row in table} == {"forward", "backward"}
    for row in table[:: count // 3]:
        assert float(row["t"]) + float(row["t_prime"]) == pytest.approx(settings.t_end, abs=1e-3)
    last = [row for row in table if row["cloud"] == "backward" and row["frame"] == str(frames - 1)]
    assert float(last[0]["t"]) == 0.0 and float(last[0]["t_prime"]) == 1.0
    assert np.allclose([[float(r["x"]), float(r["y"])] for r in last], run.backward[0], atol=1e-5)
    start = [row for row in table if row["cloud"] == "forward" and float(row["t"]) == 0.0]
    assert np.allclose([[float(r["x"]), float(r["y"])] for r in start], run.forward[0], atol=1e-5)


def test_splitting_has_a_csv_png_and_gif_of_its_three_panels():
    page, settings, run = run_of("splitting")
    clip = downloads.split_clip(page, settings, run)
    app = slider_labels(lesson_figures.split_animation(run, settings))
    assert list(clip.labels) == app
    table = rows(downloads.trajectories_csv(clip))
    assert list(table[0])[:2] == ["panel", "frame"]
    assert [row["panel"] for row in table[:: len(table) // 3]] == list(run.panels)
    frames = len(app)
    assert len(table) == 3 * frames * settings.particles
    image = png_of(clip)
    assert image.size == (3 * render.SIZE, render.SIZE) and image.text["Label"] == app[-1]
    gif = Image.open(io.BytesIO(downloads.animation_gif(clip)))
    assert gif.n_frames == frames and gif.size == image.size


def test_file_names_say_what_each_file_holds():
    page, settings, run = run_of("duality", step_size=0.1, t_end=1.0)
    names = downloads.file_names("duality", settings, {}, downloads.duality_clip(page, settings, run), None)
    assert names == {
        "html": "langevin-lab-duality-figure.html",
        "csv": "langevin-lab-duality-forward-and-backward-trajectories.csv",
        "png": "langevin-lab-duality-backward-last-frame.png",
        "gif": "langevin-lab-duality-backward-animation.gif",
    }
    page, settings, run = run_of("splitting")
    names = downloads.file_names("splitting", settings, {}, downloads.split_clip(page, settings, run), None)
    assert names["gif"] == "langevin-lab-splitting-three-panels-animation.gif"
    assert downloads.file_names("learning", settings, None, None, None) == {}


def test_different_clips_make_different_animations():
    page, settings, run = run_of("forward", step_size=0.2, t_end=1.0)
    first = downloads.animation_gif(downloads.run_clip(page, settings, run))
    other = downloads.animation_gif(
        downloads.run_clip(page, replace(settings, seed=1), page.run(replace(settings, seed=1)))
    )
    assert first != other  # the cache tells clips apart by their contents


@pytest.fixture(scope="module")
def trained() -> score_learning.TrainedScore:
    return score_learning.train_score(Settings(dataset="two_moons", train_steps=20, seed=3))


def test_the_trained_network_downloads_as_weights_that_load_safely_and_reproduce_it(trained):
    weights = downloads.trained_weights(trained)
    saved = torch.load(io.BytesIO(weights), map_location="cpu", weights_only=True)
    model = score_net.ScoreNet(score_net.ScoreNetConfig(**saved["config"]))
    model.load_state_dict(saved["state_dict"])
    model.eval()
    x = torch.randn(64, 2, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        for t in (0.05, 0.5, 2.0):
            assert torch.equal(model(x, t), trained.model()(x, t))
            assert torch.equal(score_net.load(io.BytesIO(weights))(x, t), trained.model()(x, t))
    assert downloads.file_names("learning", Settings(dataset="two_moons"), None, None, trained) == {
        "pt": "langevin-lab-learning-score-net-two_moons-20-steps.pt"
    }


def test_the_weights_button_holds_the_network_only_through_the_session(trained):
    owned = downloads._Downloads(None, None, trained)
    view = weakref.ref(owned)
    assert downloads._deferred(view, downloads._weights)()[:2] == b"PK"  # torch.save's zip file
    del owned
    assert view() is None


def test_own_data_download_reads_back_as_the_same_points():
    points = np.random.default_rng(2).normal(size=(40, 2))
    text = downloads.own_data_csv(points)
    assert text.startswith("x,y\n")
    parsed, notes = user_data.parse_csv(text.encode())
    assert np.allclose(parsed, points, atol=1e-5) and not notes


def test_every_lesson_page_offers_its_files_and_lesson_6_its_trained_network():
    at = open_page("splitting", particles="100")
    assert_no_exception(at)
    labels = {button.key: button.label for button in at.download_button}
    assert labels == {
        "download_html": "Figure (HTML)",
        "download_csv": "Trajectories (CSV)",
        "download_png": "Last frame (PNG)",
        "download_gif": "Animation (GIF)",
    }
    training_store._model_store().clear()
    at = open_page("learning", train_steps="50", particles="100", seed="7")
    assert not at.download_button  # nothing trained yet
    at.button(key="train").click().run()
    assert_no_exception(at)
    assert [button.key for button in at.download_button] == ["download_pt"]


def test_the_own_data_page_offers_the_points_as_a_csv_it_reads_back():
    from lessons import drawing, user_data

    at = open_page("home")
    points = np.array([[0.0, 0.0], [1.0, 0.5], [-1.0, 0.2], [0.3, -1.0], [0.8, 0.9], [-0.5, -0.5]])
    at.session_state["drawing"] = drawing.Drawing(points=points)
    at.switch_page("lessons/own_data.py").run()
    assert_no_exception(at)
    (button,) = [button for button in at.get("download_button") if "Your points" in button.proto.label]
    assert button.proto.label == "Your points (CSV)"
    np.testing.assert_allclose(
        user_data.parse_csv(downloads.own_data_csv(points).encode())[0], points, atol=1e-5
    )
