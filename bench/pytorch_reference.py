"""python bench/pytorch_reference.py [transpose|subpixel]: the same network and step in
PyTorch (CPU), for the comparison in the README: L1 + KL + the angular triplet hinge on
4 triplets per anchor (drawn at random, without jsemrep's label masks), Adam.

PyTorch is not a dependency: run this with a Python that has torch installed
(pip install torch==2.13.0)."""

import statistics
import sys
import time

import torch
from torch import nn
import torch.nn.functional as F

BATCH = 256


def upsample(cin, cout, kind):
  if kind == 'transpose':
    return nn.ConvTranspose2d(cin, cout, 4, 2, 1)
  return nn.Sequential(nn.ZeroPad2d((0, 1, 0, 1)), nn.Conv2d(cin, 4 * cout, 2), nn.PixelShuffle(2))


class VAE(nn.Module):

  def __init__(self, kind):
    super().__init__()
    self.encoder = nn.Sequential(
        nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(),
        nn.Conv2d(64, 128, 4, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(2048, 512), nn.ReLU(),
        nn.Linear(512, 256), nn.ReLU(), nn.Linear(256, 128))
    self.decoder = nn.Sequential(
        nn.Linear(64, 256), nn.ReLU(), nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 2048),
        nn.ReLU(), nn.Unflatten(1, (128, 4, 4)), upsample(128, 64, kind), nn.ReLU(),
        upsample(64, 32, kind), nn.ReLU(), upsample(32, 1, kind))

  def forward(self, x):
    mu, logvar = self.encoder(x).chunk(2, 1)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    return self.decoder(z), mu, logvar, z


def angle(u, v):
  u, v = F.normalize(u, dim=-1), F.normalize(v, dim=-1)
  return 2 * torch.atan2((u - v).norm(dim=-1), (u + v).norm(dim=-1))


def main(kind):
  torch.manual_seed(0)
  model = VAE(kind)
  opt = torch.optim.Adam(model.parameters(), 1e-3)
  data = torch.rand(60000, 1, 32, 32)

  def step():
    x = data[torch.randint(0, len(data), (BATCH,))]
    decoded, mu, logvar, z = model(x)
    rec = (decoded - x).abs().mean()
    kl = (0.5 * (logvar.exp() + mu ** 2 - 1 - logvar).sum(1)).mean()
    a = torch.arange(BATCH).repeat(4)
    p, n = torch.randint(0, BATCH, (2, 4 * BATCH))
    atn = F.relu(angle(z[a], z[p]) - angle(z[a], z[n]) + 1.2).mean()
    opt.zero_grad()
    (10 * rec + 1e-4 * kl + atn).backward()
    opt.step()

  for _ in range(5):
    step()
  times = []
  for _ in range(5):
    start = time.perf_counter()
    for _ in range(10):
      step()
    times.append((time.perf_counter() - start) / 10)
  seconds = statistics.median(times)
  print(f'torch {torch.__version__}, {torch.get_num_threads()} threads, {kind}: '
        f'{seconds * 1e3:.1f} ms/step, {BATCH / seconds:,.0f} images/s')


if __name__ == '__main__':
  main(sys.argv[1] if len(sys.argv) > 1 else 'transpose')
