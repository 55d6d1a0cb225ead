"""A small learned score s_θ(x, t) and its training by denoising score matching (MATH.md §7).

Forward OU marginal:  x_t = e^{−t} x₀ + σ_t ε,  σ_t = √(1 − e^{−2t}),  ε ~ N(0, I).
Loss (the noise-prediction form of denoising score matching, ε_θ = −σ_t s_θ):

    L(θ) = E_{x₀, t, ε} ‖σ_t s_θ(x_t, t) + ε‖² = E ‖ε_θ(x_t, t) − ε‖²,   log t ~ Uniform[log t_min, log t_max].

t is drawn log-uniformly from [t_min, t_max]: the score has its fine structure at small t (that is
where the sampler draws the shape), while for t ≳ 1 p_t is close to N(0, I) and easy to learn.

Parameterisation. F_θ is an MLP (SiLU) on [x, sin(xB), cos(xB), e(t)]: x, random Fourier features of
x (B (2, F) ~ N(0, scale²), fixed at initialisation, stored with the weights) and a Fourier embedding
e(t) of log t. Then

    ε_θ(x, t) = σ_t x + F_θ(x, t),        s_θ(x, t) = −ε_θ(x, t) / σ_t = −x − F_θ(x, t) / σ_t.

The skip term σ_t x is the exact noise predictor when the data are N(0, I): presets have unit spread,
so a fresh network (its output layer starts at zero, F_θ ≡ 0) gives the score of N(0, I), which is
right for large t, and training only learns the correction. Predicting ε (size ~1 at every t) rather
than s (size ~1/σ_t) keeps the regression targets well scaled; the Fourier features of x let a small
MLP bend sharply (eight modes, a spiral) within a few hundred Adam steps on one CPU core.

Times are clamped to [t_min, t_max] when the model is evaluated: σ_t vanishes at t = 0, and the
network has never seen times outside the training range (beyond t_max ≈ 5, p_t is N(0, I) anyway).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields

import torch
from torch import Tensor, nn
from torch.nn.utils import skip_init

from core import _checks
from core.mixture import GaussianMixture

FINAL_LR_FRACTION = 0.05  # the learning rate decays along a half cosine from lr to lr × this
Callback = Callable[[int, float], object]  # callback(step, loss); returning False stops training


@dataclass(frozen=True)
class ScoreNetConfig:
    """Architecture and time range of a ``ScoreNet`` (the defaults have 11,714 parameters).

    hidden            width H of every hidden layer
    layers            number of hidden layers (Linear + SiLU), >= 1
    embedding_dim     size E of the time embedding (even): E/2 sines and E/2 cosines of log t
    fourier_features  number F of random frequencies for x (2F features: sines and cosines)
    fourier_scale     standard deviation of those frequencies (larger: finer detail, noisier fits)
    t_min, t_max      training range of t, also the clamp applied to t at evaluation (0 < t_min < t_max)
    """

    hidden: int = 64
    layers: int = 3
    embedding_dim: int = 16
    fourier_features: int = 16
    fourier_scale: float = 2.0
    t_min: float = 0.01
    t_max: float = 5.0

    def __post_init__(self) -> None:
        _checks.positive_int(self.hidden, "hidden")
        _checks.positive_int(self.layers, "layers")
        _checks.positive_int(self.embedding_dim, "embedding_dim")
        _checks.positive_int(self.fourier_features, "fourier_features")
        object.__setattr__(self, "fourier_scale", _checks.positive_float(self.fourier_scale, "fourier_scale"))
        if self.embedding_dim % 2:
            raise ValueError(f"embedding_dim must be even, got {self.embedding_dim!r}")
        t_min = _checks.positive_float(self.t_min, "t_min")
        t_max = _checks.positive_float(self.t_max, "t_max")
        if t_max <= t_min:
            raise ValueError(f"t_max must be larger than t_min, got t_min={t_min!r}, t_max={t_max!r}")
        object.__setattr__(self, "t_min", t_min)
        object.__setattr__(self, "t_max", t_max)


class ScoreNet(nn.Module):
    """s_θ(x, t) = −x − F_θ(x, e(t)) / σ_t;  x (N, 2), t float or (N,) -> (N, 2).

    Usable directly as ``score_fn(x, t)`` in ``core.sde.backward`` / ``split_step``.
    Initialised from ``generator`` (torch's global RNG when None): the Fourier frequencies
    B ~ N(0, fourier_scale²), the hidden layers uniform in ±1/√fan_in like ``nn.Linear``, and the
    output layer at zero (so a fresh network is the N(0, I) score −x).
    """

    def __init__(
        self, config: ScoreNetConfig | None = None, generator: torch.Generator | None = None
    ) -> None:
        super().__init__()
        self.config = config if config is not None else ScoreNetConfig()
        if not isinstance(self.config, ScoreNetConfig):
            raise ValueError(f"config must be a ScoreNetConfig, got {type(config).__name__}")
        cfg = self.config
        half = cfg.embedding_dim // 2
        # frequencies π/2 · (1, …, E/2) on the normalised log-time u ∈ [−1, 1]
        self.register_buffer("frequencies", 0.5 * math.pi * torch.arange(1, half + 1, dtype=torch.float32))
        # random Fourier features of x: B (2, F) ~ N(0, scale²), drawn in _initialise
        self.register_buffer("projections", torch.zeros(2, cfg.fourier_features))
        blocks: list[nn.Module] = []
        for index in range(cfg.layers):
            fan_in = 2 + 2 * cfg.fourier_features + cfg.embedding_dim if index == 0 else cfg.hidden
            blocks += [skip_init(nn.Linear, fan_in, cfg.hidden), nn.SiLU()]
        self.body = nn.Sequential(*blocks)  # (N, 2 + 2F + E) -> (N, H)
        self.head = skip_init(nn.Linear, cfg.hidden, 2)  # (N, H) -> (N, 2)
        self._initialise(generator)

    def _initialise(self, generator: torch.Generator | None) -> None:
        with torch.no_grad():
            self.projections.normal_(0.0, self.config.fourier_scale, generator=generator)
            for layer in self.body:
                if isinstance(layer, nn.Linear):
                    bound = 1.0 / math.sqrt(layer.in_features)
                    layer.weight.uniform_(-bound, bound, generator=generator)
                    layer.bias.uniform_(-bound, bound, generator=generator)
            self.head.weight.zero_()
            self.head.bias.zero_()

    def num_parameters(self) -> int:
        """Number of trainable parameters."""
        return sum(p.numel() for p in self.parameters())

    def times(self, t: float | Tensor, count: int) -> Tensor:
        """t (a number, 0-d or (N,) tensor) clamped to [t_min, t_max] as an (N,) float32 tensor."""
        if not isinstance(t, Tensor):
            t = _checks.non_negative_float(t, "t")
        t = torch.as_tensor(t, dtype=torch.float32)
        if t.ndim == 0:
            t = t.expand(count)
        if t.shape != (count,):
            raise ValueError(f"t must be a number or have shape ({count},), got {tuple(t.shape)}")
        return t.clamp(self.config.t_min, self.config.t_max)

    def embed(self, t: Tensor) -> Tensor:
        """Fourier embedding of (clamped) times t (N,) -> (N, E).

        u = 2 (log t − log t_min) / (log t_max − log t_min) − 1 ∈ [−1, 1] (log time: the score
        changes fastest near t = 0);  e(t) = [sin(ω_k u), cos(ω_k u)]_k,  ω_k = kπ/2, k = 1 … E/2.
        """
        log_min, log_max = math.log(self.config.t_min), math.log(self.config.t_max)
        u = (2.0 / (log_max - log_min)) * (t.log() - log_min) - 1.0  # (N,)
        angles = u[:, None] * self.frequencies  # (N, E/2)
        return torch.cat([angles.sin(), angles.cos()], dim=-1)  # (N, E)

    def noise(self, x: Tensor, t: float | Tensor) -> Tensor:
        """Noise prediction ε_θ(x, t) = σ_t x + F_θ(x, t);  x (N, 2), t number or (N,) -> (N, 2)."""
        x = _checks.points(x, "x", check_finite=False)
        t = self.times(t, x.shape[0])  # (N,)
        return self._noise(x, t, _sigma(t))

    def forward(self, x: Tensor, t: float | Tensor) -> Tensor:
        """Score s_θ(x, t) = −ε_θ(x, t) / σ_t;  x (N, 2), t number or (N,) -> (N, 2).

        t is clamped to [t_min, t_max] (so t = 0 gives the score at t_min, never a division by 0).
        """
        x = _checks.points(x, "x", check_finite=False)
        t = self.times(t, x.shape[0])  # (N,)
        sigma = _sigma(t)  # (N, 1)
        return -self._noise(x, t, sigma) / sigma

    def _noise(self, x: Tensor, t: Tensor, sigma: Tensor) -> Tensor:
        """ε_θ for x (N, 2), clamped t (N,) and σ_t (N, 1) -> (N, 2)."""
        phases = x @ self.projections  # (N, F)
        features = torch.cat([x, phases.sin(), phases.cos(), self.embed(t)], dim=-1)  # (N, 2 + 2F + E)
        return sigma * x + self.head(self.body(features))  # (N, 2)


def denoising_loss(model: ScoreNet, x0: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """Monte-Carlo DSM loss  mean_i ‖ε_θ(x_t,i, t_i) − ε_i‖²  for data x0 (B, 2) -> scalar.

    log t_i ~ Uniform[log t_min, log t_max], ε_i ~ N(0, I), x_t,i = e^{−t_i} x0_i + σ_{t_i} ε_i.
    Since ε_θ = −σ_t s_θ this is ‖σ_t s_θ(x_t, t) + ε‖² of MATH §7. Draws t, then ε, from ``generator``.
    """
    cfg = model.config
    x0 = _checks.points(x0, "x0", check_finite=False)
    batch = x0.shape[0]
    u = torch.rand(batch, generator=generator)  # (B,)
    t = cfg.t_min * (cfg.t_max / cfg.t_min) ** u  # (B,) log-uniform
    eps = torch.randn(batch, 2, generator=generator)  # (B, 2)
    sigma = _sigma(t)  # (B, 1)
    xt = torch.exp(-t)[:, None] * x0 + sigma * eps  # (B, 2)
    return (model._noise(xt, t, sigma) - eps).square().sum(-1).mean()


def train(
    mixture_or_points: GaussianMixture | Tensor,
    *,
    steps: int,
    batch_size: int,
    lr: float,
    generator: torch.Generator | None = None,
    callback: Callback | None = None,
    config: ScoreNetConfig | None = None,
    model: ScoreNet | None = None,
) -> tuple[ScoreNet, list[float]]:
    """Fit s_θ by denoising score matching with Adam;  returns (model, per-step losses).

    Learning rate at step k = 1 … steps:  lr (f + (1 − f) ½ (1 + cos(π (k − 1)/steps))),  f = 1/20:
    a half cosine from lr down to lr/20, which settles the weights at the end of a run (a constant
    rate leaves them jittering, and samples drawn with them visibly change from step to step).

    Data: each step draws x₀ (batch_size, 2) from ``mixture.sample(batch_size, generator)`` for a
    ``GaussianMixture``, or uniformly with replacement from the rows of an (M, 2) points tensor.
    Loss per step: mean over the batch of ‖σ_t s_θ(x_t, t) + ε‖² (see ``denoising_loss``).

    ``callback(step, loss)`` runs after every step (step = 1, 2, … counts completed steps); if it
    returns ``False`` (exactly False, not merely falsy) training stops there and the model trained
    so far is returned with the losses so far. Exceptions raised by the callback propagate.
    The callback may look at the model being trained (pass ``model`` to hold a reference), e.g. to
    draw the learned field, under ``torch.no_grad()``.

    ``model`` continues training an existing network in place (a warm start with a fresh Adam state
    and a fresh cosine cycle; ``config`` must then be None); otherwise a fresh ``ScoreNet(config, generator)`` is built.
    Everything random (initial weights, batches, t, ε) is drawn from ``generator`` (torch's global RNG
    when None), so a fixed seed reproduces weights and losses exactly. Returns the model in eval mode.
    Raises ValueError naming the argument for steps, batch_size or lr <= 0 and for data that are
    neither a GaussianMixture nor finite (M, 2) points with M >= 1.
    """
    steps = _checks.positive_int(steps, "steps")
    batch_size = _checks.positive_int(batch_size, "batch_size")
    lr = _checks.positive_float(lr, "lr")
    draw = _data_sampler(mixture_or_points)
    if model is None:
        model = ScoreNet(config, generator=generator)
    elif not isinstance(model, ScoreNet):
        raise ValueError(f"model must be a ScoreNet, got {type(model).__name__}")
    elif config is not None and config != model.config:
        raise ValueError("config must be None (or model.config) when a model is given")
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    losses: list[float] = []
    try:
        model.train()
        with torch.enable_grad():  # also when called under torch.no_grad()
            for step in range(1, steps + 1):
                progress = (step - 1) / steps  # 0 at the first step, < 1 at the last
                decay = FINAL_LR_FRACTION + (1 - FINAL_LR_FRACTION) * 0.5 * (1 + math.cos(math.pi * progress))
                for group in optimizer.param_groups:
                    group["lr"] = lr * decay
                loss = denoising_loss(model, draw(batch_size, generator), generator)  # scalar
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                losses.append(float(loss.detach()))
                if callback is not None and callback(step, losses[-1]) is False:
                    break
    finally:
        model.eval()
    return model, losses


def save(model: ScoreNet, path: torch.types.FileLike) -> None:
    """Write {"config": asdict(model.config), "state_dict": model.state_dict()} with ``torch.save``.

    Only numbers, strings and tensors: ``load`` reads it back with ``torch.load(weights_only=True)``.
    ``path`` is a file name or a binary file object.
    """
    if not isinstance(model, ScoreNet):
        raise ValueError(f"model must be a ScoreNet, got {type(model).__name__}")
    torch.save({"config": asdict(model.config), "state_dict": model.state_dict()}, path)


def load(path: torch.types.FileLike) -> ScoreNet:
    """Read a model written by ``save`` with ``torch.load(weights_only=True)``; returns it in eval mode.

    Raises ValueError when the file holds something else.
    """
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or set(payload) != {"config", "state_dict"}:
        raise ValueError("path does not hold a saved ScoreNet (expected keys 'config' and 'state_dict')")
    names = {f.name for f in fields(ScoreNetConfig)}
    stored = payload["config"]
    if not isinstance(stored, dict) or set(stored) != names:
        found = sorted(stored) if isinstance(stored, dict) else type(stored).__name__
        raise ValueError(f"path holds a config {found}, expected the keys {sorted(names)}")
    model = ScoreNet(ScoreNetConfig(**stored), generator=torch.Generator())  # weights replaced below
    try:
        model.load_state_dict(payload["state_dict"])
    except RuntimeError as error:
        raise ValueError(f"path holds weights that do not match its config: {error}") from error
    return model.eval()


def _sigma(t: Tensor) -> Tensor:
    """σ_t = √(1 − e^{−2t}) for t (N,) -> (N, 1)."""
    return torch.sqrt(-torch.expm1(-2.0 * t))[:, None]


def _data_sampler(data: object) -> Callable[[int, torch.Generator | None], Tensor]:
    """draw(batch, generator) -> (batch, 2) from a mixture or from the rows of an (M, 2) tensor."""
    if isinstance(data, GaussianMixture):
        return data.sample
    points = _checks.points(data, "mixture_or_points")  # (M, 2)

    def draw(batch: int, generator: torch.Generator | None) -> Tensor:
        return points[torch.randint(len(points), (batch,), generator=generator)]  # (batch, 2)

    return draw
