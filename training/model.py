"""Networks: EQ encoder (13 -> 32, training only), EQ decoder (32 -> 13, residual MLP of
docs/MODEL_FORMAT.md), audio encoder (log-mel [64,176] -> 32, MODEL_FORMAT.md)."""
from __future__ import annotations

import numpy as np
import torch
from torch import nn

from . import dsp


class EQEncoder(nn.Module):
    """Normalised 13 parameters -> z. Used to build the latent space and the term table."""

    def __init__(self, latent=dsp.LATENT, hidden=256):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(13 + dsp.N_GRID, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(),
                                 nn.Linear(hidden, hidden), nn.ReLU(), nn.Linear(hidden, latent))

    def forward(self, params):
        x = dsp.torch_normalise_params(params.double()).float()
        r = dsp.torch_response_db(params) / 12.0  # the response makes equivalent settings look alike
        return self.net(torch.cat([x, r], dim=1))


class Block(nn.Module):
    def __init__(self, h):
        super().__init__()
        self.fc1 = nn.Linear(h, h)
        self.fc2 = nn.Linear(h, h)

    def forward(self, h):
        return torch.relu(h + self.fc2(torch.relu(self.fc1(h))))


class EQDecoder(nn.Module):
    """z -> raw u (13); params = dsp.torch_params_from_raw(u). Names match the model file."""

    def __init__(self, latent=dsp.LATENT, hidden=dsp.DEC_HIDDEN, blocks=dsp.DEC_BLOCKS):
        super().__init__()
        self.inp = nn.Linear(latent, hidden)
        self.blocks = nn.ModuleList([Block(hidden) for _ in range(blocks)])
        self.out = nn.Linear(hidden, 13)

    def raw(self, z):
        h = torch.relu(self.inp(z))
        for b in self.blocks:
            h = b(h)
        return self.out(h)

    def forward(self, z):
        return dsp.torch_params_from_raw(self.raw(z))

    def state_for_file(self):
        sd = {}
        sd["dec.in.weight"], sd["dec.in.bias"] = self.inp.weight, self.inp.bias
        for i, b in enumerate(self.blocks):
            sd[f"dec.blocks.{i}.fc1.weight"], sd[f"dec.blocks.{i}.fc1.bias"] = b.fc1.weight, b.fc1.bias
            sd[f"dec.blocks.{i}.fc2.weight"], sd[f"dec.blocks.{i}.fc2.bias"] = b.fc2.weight, b.fc2.bias
        sd["dec.out.weight"], sd["dec.out.bias"] = self.out.weight, self.out.bias
        return {k: v.detach().float().contiguous() for k, v in sd.items()}


class AudioEncoder(nn.Module):
    """Normalised log-mel [B, 64, 176] -> z_audio [B, 32]. No batch-norm.

    `grid` is the last pooling's (mel rows, time columns); the model file format fixes 4×4,
    other grids are for experiments (`training.pool_experiment`)."""

    def __init__(self, latent=dsp.LATENT, grid=(4, 4)):
        super().__init__()
        self.grid = grid
        self.dw1 = nn.Conv2d(1, 1, 3, padding=1)
        self.pw1 = nn.Conv2d(1, 32, 1)
        self.dw2 = nn.Conv2d(32, 32, 3, padding=1, groups=32)
        self.pw2 = nn.Conv2d(32, 64, 1)
        self.fc1 = nn.Linear(64 * grid[0] * grid[1], 128)
        self.fc2 = nn.Linear(128, latent)

    def forward(self, x):
        x = x.unsqueeze(1)
        x = torch.relu(self.pw1(self.dw1(x)))
        x = nn.functional.avg_pool2d(x, 2)
        x = torch.relu(self.pw2(self.dw2(x)))
        x = nn.functional.adaptive_avg_pool2d(x, self.grid)
        x = torch.relu(self.fc1(x.flatten(1)))
        return self.fc2(x)

    def state_for_file(self):
        return {f"audio.{k}": v.detach().float().contiguous() for k, v in self.state_dict().items()}


class LogMel(nn.Module):
    """Exact MODEL_FORMAT.md front end in torch (float32): audio [B, N] -> L [B, 64, frames] dB."""

    def __init__(self):
        super().__init__()
        self.register_buffer("fb", torch.tensor(dsp.mel_filterbank(), dtype=torch.float32))
        self.register_buffer("win", torch.tensor(dsp.hann(), dtype=torch.float32))

    def forward(self, x):
        fr = x.unfold(-1, dsp.N_FFT, dsp.HOP) * self.win
        X = torch.fft.rfft(fr, dim=-1)
        P = X.real ** 2 + X.imag ** 2
        M = P @ self.fb.T
        return (10 * torch.log10(M.clamp_min(1e-10))).transpose(-1, -2)


class MelNorm(nn.Module):
    def __init__(self, mean, std):
        super().__init__()
        self.register_buffer("mean", torch.as_tensor(mean, dtype=torch.float32))
        self.register_buffer("std", torch.as_tensor(std, dtype=torch.float32))

    def forward(self, L):
        return (L - self.mean[:, None]) / self.std[:, None]


def count_params(m: nn.Module) -> int:
    return int(sum(p.numel() for p in m.parameters()))


def seed_all(seed: int):
    np.random.seed(seed)
    torch.manual_seed(seed)
