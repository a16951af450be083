"""neurocompile train CONFIG.toml: train an SRNN and write a checkpoint.

Writes into the config's ``output`` folder: ``model.pt`` (checkpoint), ``config.toml`` (the
config as run, so ``neurocompile train OUTPUT/config.toml`` reproduces it), ``metrics.jsonl``
(one line per epoch), ``sample.npy`` / ``sample_labels.npy`` (a few encoded test inputs and
their labels). Under ``torchrun --nproc_per_node N`` it trains data-parallel (gloo backend).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

SAMPLES = 16  # test samples written beside the checkpoint


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "train", help="train an SRNN from a TOML config", description=__doc__.splitlines()[0]
    )
    p.add_argument("config", help="training config (TOML), e.g. configs/mnist_row_alif.toml")
    p.add_argument("--output", help="output folder (overrides the config's output)")
    p.add_argument("--epochs", type=int, help="number of epochs (overrides the config)")
    p.add_argument("--threads", type=int, help="torch CPU threads (overrides trainer.threads)")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    import torch
    import torch.distributed as dist

    from ..checkpoint import save_checkpoint
    from ..config import load_config, to_toml
    from ..data import encode, load_dataset
    from ..errors import NeurocompileError
    from ..nn import SRNN, SRNNSpec
    from ..train.loop import check_method, evaluate
    from ..train.trainer import fit

    cfg = load_config(args.config)
    if args.output:
        cfg.output = args.output
    if args.epochs:
        cfg.epochs = args.epochs
    if args.threads:
        cfg.trainer.threads = args.threads
    if args.no_progress:
        cfg.trainer.progress = False
    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        dist.init_process_group("gloo")
    rank = dist.get_rank() if dist.is_initialized() else 0
    if cfg.trainer.threads > 0:
        torch.set_num_threads(cfg.trainer.threads)
    try:  # the method and its options, before any data is loaded or file written
        check_method(cfg.trainer)
    except NeurocompileError as exc:
        raise NeurocompileError(f"config {args.config}: [trainer] {exc}") from None

    t0 = time.perf_counter()
    try:
        splits = load_dataset(cfg.dataset["name"], **dict(cfg.dataset.get("options", {})))
    except NeurocompileError as exc:
        raise NeurocompileError(f"config {args.config}: [dataset] {exc}") from None
    enc = cfg.dataset.get("encoder")
    data = {}
    for name in ("train", "val", "test"):
        part = getattr(splits, name)
        try:
            X = torch.from_numpy(encode(part.X, enc))
        except NeurocompileError as exc:
            raise NeurocompileError(f"config {args.config}: [dataset] {exc}") from None
        y = torch.from_numpy(np.asarray(part.y))
        data[name] = (X, y)
    ytr = data["train"][1]
    model_d = dict(cfg.model)
    model_d.setdefault("input_size", int(data["train"][0].shape[-1]))
    if "num_classes" not in model_d:
        model_d["num_classes"] = int(ytr.max()) + 1 if not ytr.is_floating_point() else 0
    model_d.setdefault("seed", cfg.seed)
    try:
        spec = SRNNSpec.from_dict(model_d)
    except NeurocompileError as exc:
        raise NeurocompileError(f"config {args.config}: [model] {exc}") from None
    if spec.input_size != data["train"][0].shape[-1]:
        raise NeurocompileError(
            f"config {args.config}: model input_size {spec.input_size} does not match the "
            f"encoded data's {data['train'][0].shape[-1]} channels; remove input_size"
        )
    X0, y0 = data["train"]
    if (cfg.trainer.options or {}).get("step_targets") and not (
        y0.dim() >= 2 and y0.shape[:2] == X0.shape[:2] and spec.num_classes == 0
    ):
        raise NeurocompileError(
            f"config {args.config}: [trainer] fptt step_targets = true needs a regression "
            f"target for every step, labels [N, T]; dataset {cfg.dataset['name']!r} has labels "
            f"{list(y0.shape)}; remove step_targets"
        )
    cfg.model = spec.to_dict()
    model = SRNN(spec)
    out_dir = Path(cfg.output)
    if rank == 0:
        n_params = sum(p.numel() for p in model.parameters())
        print(
            f"neurocompile train: {cfg.dataset['name']} train {tuple(data['train'][0].shape)}, "
            f"model {[layer.size for layer in spec.layers]} ({n_params} parameters), "
            f"{cfg.epochs} epochs -> {out_dir}",
            file=sys.stderr,
        )
    metrics = fit(
        model,
        data["train"],
        data["val"] if len(data["val"][0]) else None,
        cfg.trainer,
        cfg.epochs,
        cfg.seed,
        out_dir / "metrics.jsonl",
    )
    if rank != 0:
        return 0
    test = evaluate(
        model, *data["test"], spec.decode, spec.num_classes, cfg.trainer.eval_batch_size
    )
    metrics["test_loss"] = test["loss"]
    if "accuracy" in test:
        metrics["test_accuracy"] = test["accuracy"]
    metrics["test_firing_rate"] = test["firing_rate"]
    metrics["wall_time_s"] = time.perf_counter() - t0
    metrics["config"] = str(args.config)
    trainer_d = {**cfg.trainer.to_dict(), "epochs": cfg.epochs, "seed": cfg.seed}
    path = save_checkpoint(out_dir / "model.pt", model, metrics, cfg.dataset, trainer_d)
    (out_dir / "config.toml").write_text(to_toml(cfg))
    Xs, ys = data["test"][0][:SAMPLES].numpy(), data["test"][1][:SAMPLES].numpy()
    np.save(out_dir / "sample.npy", Xs)
    np.save(out_dir / "sample_labels.npy", ys)
    acc = (
        f"test accuracy {metrics['test_accuracy']:.4f}"
        if "test_accuracy" in metrics
        else f"test loss {metrics['test_loss']:.5f}"
    )
    print(f"{acc}  ({metrics['wall_time_s']:.0f} s)  -> {path}")
    return 0
