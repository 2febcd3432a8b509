#!/usr/bin/env python3
"""gan-engine's networks in PyTorch, with the engine's parameter names.

A reference for moving weights between the engine and PyTorch through
safetensors (docs/export.md): every module here has the same structure and
state_dict names as its engine twin (models/dcgan.cpp, models/cyclegan.cpp,
models/pix2pix.cpp), so

    nets = load_gan_safetensors("g.safetensors")     # from `gan export --format safetensors`
    images = nets["G"](torch.randn(16, nets["G"].nz))

runs an exported generator in PyTorch, and

    save_gan_safetensors("mine.safetensors", {"G": g, "D": d}, gan_metadata(...))

writes a file that `gan sample --weights` and `gan train --init-from` read.
Names are the network prefix ("G", "D"; CycleGAN "G_AB", "G_BA", "D_A",
"D_B") then the state_dict key: "G.main.0.weight". PyTorch's BatchNorm
counters (num_batches_tracked) are not written (the engine has none). Needs
torch and safetensors; not used by the engine's build or tests.
"""
import torch
from torch import nn


class DcganGenerator(nn.Module):
    """z [N, nz] (+ class ids [N] when conditional) -> images [N, C, S, S] in [-1, 1]."""

    def __init__(self, image_size=28, channels=1, nz=100, ngf=64, num_classes=0, **_):
        super().__init__()
        self.nz, self.num_classes = nz, num_classes
        base = 7 if image_size == 28 else 4
        stages = {28: 2, 32: 3, 64: 4}[image_size]
        ch = ngf << (stages - 1)
        layers = [nn.ConvTranspose2d(nz + num_classes, ch, base, 1, 0, bias=False), nn.BatchNorm2d(ch), nn.ReLU()]
        for _ in range(1, stages):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(ch // 2), nn.ReLU()]
            ch //= 2
        layers += [nn.ConvTranspose2d(ch, channels, 4, 2, 1, bias=False), nn.Tanh()]
        self.main = nn.Sequential(*layers)

    def forward(self, z, labels=None):
        if self.num_classes:
            z = torch.cat([z, nn.functional.one_hot(labels, self.num_classes).to(z.dtype)], 1)
        return self.main(z.reshape(z.shape[0], -1, 1, 1))


class DcganDiscriminator(nn.Module):
    """images [N, C, S, S] (+ class ids [N]) -> logits [N, 1]."""

    def __init__(self, image_size=28, channels=1, ndf=64, discriminator_batchnorm=True, num_classes=0, **_):
        super().__init__()
        self.image_size, self.num_classes = image_size, num_classes
        base = 7 if image_size == 28 else 4
        stages = {28: 2, 32: 3, 64: 4}[image_size]
        ch = ndf
        layers = [nn.Conv2d(channels + num_classes, ch, 4, 2, 1, bias=False), nn.LeakyReLU(0.2)]
        for _ in range(1, stages):
            layers.append(nn.Conv2d(ch, ch * 2, 4, 2, 1, bias=not discriminator_batchnorm))
            if discriminator_batchnorm:
                layers.append(nn.BatchNorm2d(ch * 2))
            layers.append(nn.LeakyReLU(0.2))
            ch *= 2
        layers += [nn.Conv2d(ch, 1, base, 1, 0, bias=False), nn.Flatten()]
        self.main = nn.Sequential(*layers)

    def forward(self, x, labels=None):
        if self.num_classes:
            n, s = x.shape[0], self.image_size
            code = nn.functional.one_hot(labels, self.num_classes).to(x.dtype)
            x = torch.cat([x, code.reshape(n, -1, 1, 1).expand(n, self.num_classes, s, s)], 1)
        return self.main(x)


def _norm(kind, channels):
    # The engine's instance norm has no affine parameters; its batch norm has.
    return nn.InstanceNorm2d(channels) if kind == "instance" else nn.BatchNorm2d(channels)


class ResnetBlock(nn.Module):
    def __init__(self, ch, norm):
        super().__init__()
        bias = norm == "instance"
        self.body = nn.Sequential(nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3, bias=bias), _norm(norm, ch), nn.ReLU(),
                                  nn.ReflectionPad2d(1), nn.Conv2d(ch, ch, 3, bias=bias), _norm(norm, ch))

    def forward(self, x):
        return x + self.body(x)


class ResnetGenerator(nn.Module):
    """CycleGAN's generator: image [N, C, H, W] -> image [N, C, H, W]."""

    def __init__(self, channels=3, ngf=64, n_blocks=9, norm="instance", **_):
        super().__init__()
        bias = norm == "instance"
        layers = [nn.ReflectionPad2d(3), nn.Conv2d(channels, ngf, 7, bias=bias), _norm(norm, ngf), nn.ReLU()]
        ch = ngf
        for _ in range(2):
            layers += [nn.Conv2d(ch, ch * 2, 3, 2, 1, bias=bias), _norm(norm, ch * 2), nn.ReLU()]
            ch *= 2
        layers += [ResnetBlock(ch, norm) for _ in range(n_blocks)]
        for _ in range(2):
            layers += [nn.ConvTranspose2d(ch, ch // 2, 3, 2, 1, 1, bias=bias), _norm(norm, ch // 2), nn.ReLU()]
            ch //= 2
        layers += [nn.ReflectionPad2d(3), nn.Conv2d(ch, channels, 7), nn.Tanh()]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class PatchDiscriminator(nn.Module):
    """The PatchGAN: image [N, C_in, H, W] -> logits [N, 1, H', W']."""

    def __init__(self, in_channels=3, ndf=64, d_layers=3, norm="instance", **_):
        super().__init__()
        bias = norm == "instance"
        mult = lambda n: 1 << min(n, 3)  # noqa: E731
        layers = [nn.Conv2d(in_channels, ndf, 4, 2, 1), nn.LeakyReLU(0.2)]
        for n in range(1, d_layers):
            layers += [nn.Conv2d(ndf * mult(n - 1), ndf * mult(n), 4, 2, 1, bias=bias), _norm(norm, ndf * mult(n)),
                       nn.LeakyReLU(0.2)]
        last = ndf * mult(d_layers)
        layers += [nn.Conv2d(ndf * mult(d_layers - 1), last, 4, 1, 1, bias=bias), _norm(norm, last), nn.LeakyReLU(0.2),
                   nn.Conv2d(last, 1, 4, 1, 1)]
        self.model = nn.Sequential(*layers)

    def forward(self, x):
        return self.model(x)


class UnetBlock(nn.Module):
    """One U-Net level: down, inner, up; all but the outermost concatenate [LeakyReLU(x), up]."""

    def __init__(self, kind, outer, inner_ch, inner, in_ch, out_ch, norm="batch", dropout=False):
        super().__init__()
        self.kind, bias = kind, norm == "instance"
        down = [nn.Conv2d(in_ch if kind == "outermost" else outer, inner_ch, 4, 2, 1, bias=bias)]
        if kind == "middle":
            down.append(_norm(norm, inner_ch))
        self.down = nn.Sequential(*down)
        if inner is not None:
            self.inner = inner
        up_in = inner_ch if kind == "innermost" else 2 * inner_ch
        up_out = out_ch if kind == "outermost" else outer
        up = [nn.ReLU(), nn.ConvTranspose2d(up_in, up_out, 4, 2, 1, bias=bias or kind == "outermost")]
        up += [nn.Tanh()] if kind == "outermost" else [_norm(norm, up_out)] + ([nn.Dropout(0.5)] if dropout else [])
        self.up = nn.Sequential(*up)

    def forward(self, x):
        a = x if self.kind == "outermost" else nn.functional.leaky_relu(x, 0.2)
        h = self.down(a)
        if self.kind != "innermost":
            h = self.inner(h)
        h = self.up(h)
        return h if self.kind == "outermost" else torch.cat([a, h], 1)


class UnetGenerator(nn.Module):
    """pix2pix's U-Net: image [N, C, S, S] (S = 2^num_downs x k) -> image [N, C, S, S]."""

    def __init__(self, channels=3, ngf=64, num_downs=8, norm="batch", use_dropout=True, **_):
        super().__init__()
        block = UnetBlock("innermost", 8 * ngf, 8 * ngf, None, channels, channels, norm)
        for _ in range(num_downs - 5):
            block = UnetBlock("middle", 8 * ngf, 8 * ngf, block, channels, channels, norm, use_dropout)
        for outer in (4 * ngf, 2 * ngf, ngf):
            block = UnetBlock("middle", outer, 2 * outer, block, channels, channels, norm)
        self.model = UnetBlock("outermost", channels, ngf, block, channels, channels, norm)

    def forward(self, x):
        return self.model(x)


def build_networks(metadata):
    """The networks a file's metadata describes (what `gan export` writes), by prefix."""
    m = {k: int(v) for k, v in metadata.items() if v.lstrip("-").isdigit()}
    kind = metadata["model"]
    if kind == "dcgan":
        m["discriminator_batchnorm"] = bool(m["discriminator_batchnorm"])
        return {"G": DcganGenerator(**m), "D": DcganDiscriminator(**m)}
    if kind == "cyclegan":
        g = lambda: ResnetGenerator(m["channels"], m["ngf"], m["n_blocks"])  # noqa: E731
        d = lambda: PatchDiscriminator(m["channels"], m["ndf"], m["d_layers"])  # noqa: E731
        return {"G_AB": g(), "G_BA": g(), "D_A": d(), "D_B": d()}
    if kind == "pix2pix":
        num_downs = m["image_size"].bit_length() - 1
        # The app trains pix2pix with instance norm in both networks.
        return {"G": UnetGenerator(m["channels"], m["ngf"], num_downs, norm="instance"),
                "D": PatchDiscriminator(2 * m["channels"], m["ndf"], m["d_layers"])}
    raise ValueError(f"unknown model '{kind}'")


def load_gan_safetensors(path):
    """The networks of a gan-engine safetensors file, weights loaded, in eval mode."""
    from safetensors import safe_open
    from safetensors.torch import load_file
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    tensors = load_file(path)
    nets = build_networks(metadata)
    present = {}
    for prefix, net in nets.items():
        state = {k[len(prefix) + 1:]: v for k, v in tensors.items() if k.startswith(prefix + ".")}
        if not state:
            continue
        missing, unexpected = net.load_state_dict(state, strict=False)
        missing = [k for k in missing if not k.endswith("num_batches_tracked")]
        if missing or unexpected:
            raise ValueError(f"{path}: {prefix}: missing {missing}, unexpected {unexpected}")
        present[prefix] = net.eval()
    return present


def gan_metadata(model, **options):
    """The __metadata__ `gan sample --weights` rebuilds a model from, e.g.
    gan_metadata("dcgan", image_size=28, channels=1, nz=100, ngf=32, ndf=32,
    discriminator_batchnorm=1, num_classes=0)."""
    return {"model": model, **{k: str(int(v)) for k, v in options.items()}}


def save_gan_safetensors(path, networks, metadata):
    """Writes {prefix: module} with the engine's names (no num_batches_tracked)."""
    from safetensors.torch import save_file
    tensors = {f"{prefix}.{k}": v.detach().float().contiguous().cpu()
               for prefix, net in networks.items() for k, v in net.state_dict().items()
               if not k.endswith("num_batches_tracked")}
    save_file(tensors, path, metadata=metadata)
