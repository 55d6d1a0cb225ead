"""Lesson 7's denoiser view (MATH §9): a few hundred exact draws x_t ~ p_t at the page's time t, each
joined to its Tweedie prediction D_t(x_t) = E[x₀ | x_t] = e^{t}(x_t + σ_t² s_t(x_t)) over the exact
p₀, with how widely the predictions spread compared with the data and how many of them lie on it.

The measures (no Streamlit) come first; ``denoiser_panel`` draws them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from core.mixture import GaussianMixture
from core.samplers import tweedie
from lessons import denoiser_figures, simulate
from lessons.presenter import show
from lessons.settings import Settings
from lessons.traces import CONTOUR_LEVELS

PARTICLES = 300  # enough to show the spread, few enough that every line stays visible
ON_DATA_LEVEL = CONTOUR_LEVELS[0] ** 2  # of p₀'s peak on the chart's grid: the outermost contour drawn


@dataclass(frozen=True)
class Denoised:
    """At time ``time``: the particles x_t (N, 2), their predictions D_t(x_t) (N, 2), the predictions'
    ``spread`` as a fraction of the data's, and the share of them ``on_data`` (inside p₀'s outer contour)."""

    time: float
    noisy: np.ndarray
    predictions: np.ndarray
    spread: float
    on_data: float


def denoise(data: GaussianMixture, t: float, *, count: int = PARTICLES, seed: int = 0) -> Denoised:
    """``count`` exact draws x_t ~ p_t (the same x₀ and noise at every t for one ``seed``) and their
    Tweedie predictions, measured against the data."""
    generator = torch.Generator().manual_seed(seed)
    noisy = data.sample_diffused([t], count, generator)[0]  # (N, 2)
    predictions = tweedie(data.marginal_score, noisy, t)  # (N, 2)
    return Denoised(
        time=t,
        noisy=noisy.numpy(),
        predictions=predictions.numpy(),
        spread=spread(predictions) / math.sqrt(0.5 * float(data.cov().trace())),
        on_data=share_on_data(predictions, data),
    )


def spread(points: torch.Tensor) -> float:
    """√(½ mean_n ‖x_n − x̄‖²) of points (N, 2): their root-mean-square distance from their mean, per
    axis (½ trace of their covariance, square-rooted, as the data's unit spread is measured)."""
    offsets = points - points.mean(0)  # (N, 2)
    return math.sqrt(0.5 * float(offsets.square().sum(1).mean()))


def share_on_data(points: torch.Tensor, data: GaussianMixture) -> float:
    """The share of points (N, 2) where p₀ ≥ ON_DATA_LEVEL × its largest value on the chart's grid:
    inside the outermost contour line the chart draws."""
    xx, yy = np.meshgrid(simulate.GRID, simulate.GRID)
    peak = data.log_prob(torch.from_numpy(np.stack([xx.ravel(), yy.ravel()], -1))).max()  # over (G², 2)
    return float((data.log_prob(points) >= peak + math.log(ON_DATA_LEVEL)).float().mean())


def caption(denoised: Denoised) -> str:
    """What the chart shows, and its two measures at this t."""
    return (
        f"At t = {denoised.time:g}, {len(denoised.noisy)} exact draws x_t ~ p_t (blue) joined to their "
        f"predictions E[x₀ | x_t] (vermillion): the predictions spread {denoised.spread:.0%} as wide as "
        f"the data, and {denoised.on_data:.0%} of them lie on it (inside p₀'s outer contour)."
    )


def denoiser_panel(settings: Settings, density: np.ndarray) -> None:
    """The chart at ``settings.time`` over p₀'s ``density`` image, with its caption."""
    denoised = _denoised(simulate.data_only(settings), settings.time, settings.seed)
    st.markdown(f"**What the denoiser predicts** at t = {settings.time:g} (the **Time t** control)")
    figure = denoiser_figures.denoiser_figure(
        denoised.noisy, denoised.predictions, extent=simulate.EXTENT, grid=simulate.GRID, density=density
    )
    show(figure, "denoiser")
    st.caption(caption(denoised))


@st.cache_data(max_entries=512, show_spinner=False)
def _denoised(data_only: Settings, t: float, seed: int) -> Denoised:
    """``denoise`` of the data of ``data_only`` at t, cached for every session."""
    return denoise(simulate.dataset(data_only), t, seed=seed)
