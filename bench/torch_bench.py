"""The reference side of `npm run bench:train`: the same four models in PyTorch, on the CPU
(`torch_bench.py STEPS`) or on CUDA (`torch_bench.py STEPS cuda`, synchronized before the clock
stops). Prints one JSON object {model name: samples/s} on its last line."""
import json, sys, time
import torch
from torch import nn

T, F, B = 60, 31, 256
STEPS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
DEVICE = torch.device(sys.argv[2] if len(sys.argv) > 2 else 'cpu')
torch.manual_seed(1)


class Lstm(nn.Module):
    def __init__(self, layers, units, bidirectional):
        super().__init__()
        self.rnn = nn.LSTM(F, units, layers, batch_first=True, bidirectional=bidirectional, dropout=0.2 if layers > 1 else 0)
        self.head = nn.Linear(units * (2 if bidirectional else 1), 1)

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1]).squeeze(-1)


class Tcn(nn.Module):
    def __init__(self, channels=32, k=3, dilations=(1, 2, 4, 8), dropout=0.1):
        super().__init__()
        self.drop = nn.Dropout(dropout) if dropout > 0 else nn.Identity()  # after each convolution's ReLU, as gatebook's TCN (models/tcn.ts)
        self.blocks = nn.ModuleList()
        self.skips = nn.ModuleList()
        size = F
        for d in dilations:
            self.blocks.append(nn.ModuleList([nn.Conv1d(size, channels, k, dilation=d), nn.Conv1d(channels, channels, k, dilation=d)]))
            self.skips.append(nn.Conv1d(size, channels, 1) if size != channels else nn.Identity())
            size = channels
        self.k, self.dilations = k, dilations
        self.head = nn.Linear(channels, 1)

    def forward(self, x):
        h = x.transpose(1, 2)
        for (c1, c2), skip, d in zip(self.blocks, self.skips, self.dilations):
            pad = (self.k - 1) * d
            y = self.drop(torch.relu(c1(nn.functional.pad(h, (pad, 0)))))
            y = self.drop(torch.relu(c2(nn.functional.pad(y, (pad, 0)))))
            h = torch.relu(y + skip(h))
        return self.head(h[:, :, -1]).squeeze(-1)


class Transformer(nn.Module):
    def __init__(self, d=64, heads=4, layers=2, ff=128):
        super().__init__()
        self.inp = nn.Linear(F, d)
        self.pos = nn.Parameter(torch.randn(T, d) * 0.02)
        layer = nn.TransformerEncoderLayer(d, heads, ff, dropout=0.1, batch_first=True)
        self.enc = nn.TransformerEncoder(layer, layers)
        self.head = nn.Linear(d, 1)

    def forward(self, x):
        return self.head(self.enc(self.inp(x) + self.pos).mean(1)).squeeze(-1)


def sync():
    if DEVICE.type == 'cuda':
        torch.cuda.synchronize()


def rate(model):
    model = model.to(DEVICE)
    opt = torch.optim.Adam(model.parameters(), 1e-3)
    x, y = torch.randn(B, T, F, device=DEVICE), torch.randint(0, 2, (B,), device=DEVICE).float()
    loss_fn = nn.BCEWithLogitsLoss()

    def step():
        opt.zero_grad()
        loss_fn(model(x), y).backward()
        opt.step()

    step()
    sync()
    start = time.perf_counter()
    for _ in range(STEPS):
        step()
    sync()
    return STEPS * B / (time.perf_counter() - start)


print(json.dumps({
    '_threads': torch.get_num_threads(),
    '_device': torch.cuda.get_device_name(0) if DEVICE.type == 'cuda' else 'cpu',
    'lstm 2x64': rate(Lstm(2, 64, False)),
    'bilstm 64': rate(Lstm(1, 64, True)),
    'tcn 32x[1,2,4,8]': rate(Tcn()),
    'tcn 32x[1,2,4,8] no dropout': rate(Tcn(dropout=0)),
    'transformer 2x4x64': rate(Transformer()),
}))
