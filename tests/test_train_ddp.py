"""Two gloo processes on CPU give the same loss and gradients as one process with the global batch."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
import torch
import torch.multiprocessing as mp

sys.path.insert(0, str(Path(__file__).parent))

from _train_support import keyword_annotator, tiny_config, write_csv_dataset  # noqa: E402

ALL_LOSSES = ["clip", "soft", "neg", "graph", "umcl"]
GLOBAL_BATCH = 8


def _build(dataset_csv: Path, out: Path):  # noqa: ANN202
    from cxralign.train.data import Collator, TrainingDataset, load_samples, prepare_data
    from cxralign.train.model import ReferenceModel
    from cxralign.train.objective import Objective, TrainStep
    from cxralign.train.tokenizer import train_wordpiece

    config = tiny_config(
        dataset_csv,
        out,
        losses={"enabled": ALL_LOSSES, "soft": {"schedule": "constant"}, "negatives": {"count": 2}},
    )
    samples = load_samples(config.data, out, ["No Finding"])
    torch.manual_seed(0)
    tokenizer = train_wordpiece([s.report for s in samples], config.model.vocab_size)
    model = ReferenceModel.create(config.model, tokenizer)
    data = prepare_data(samples, config.losses, None, keyword_annotator)
    step = TrainStep(model, config.losses, data)
    dataset = TrainingDataset(samples, config.model.preprocess(), cache=False)
    collator = Collator(data, tokenizer, config.model.context_length, config.losses.negatives.count, 0)
    return step, Objective(config.losses), dataset, collator


def _loss_and_grads(step, objective, dataset, collator, indices):  # noqa: ANN001, ANN202
    batch = collator([dataset[(0, i)] for i in indices])
    features = step(batch)
    loss, _ = objective(features, batch, progress=1.0)
    loss.backward()
    module = step.module if hasattr(step, "module") else step
    grads = {name: p.grad.detach().clone() for name, p in module.named_parameters() if p.grad is not None}
    return loss.detach(), grads


def _worker(rank: int, world: int, init_file: str, dataset_csv: str, out: str, result_dir: str) -> None:
    torch.set_num_threads(1)
    os.environ.update({"RANK": str(rank), "WORLD_SIZE": str(world), "LOCAL_RANK": str(rank)})
    torch.distributed.init_process_group(
        "gloo", init_method=f"file://{init_file}", rank=rank, world_size=world
    )
    try:
        from cxralign.utils import distributed

        step, objective, dataset, collator = _build(Path(dataset_csv), Path(out) / f"rank{rank}")
        ddp = torch.nn.parallel.DistributedDataParallel(step)
        local = GLOBAL_BATCH // world
        loss, grads = _loss_and_grads(
            ddp, objective, dataset, collator, range(rank * local, (rank + 1) * local)
        )
        mean_loss = distributed.all_reduce_mean(loss)
        if rank == 0:
            torch.save({"loss": mean_loss, "grads": grads}, Path(result_dir) / "ddp.pt")
    finally:
        torch.distributed.destroy_process_group()


@pytest.mark.slow
def test_two_gloo_processes_match_single_process_global_batch(tmp_path: Path) -> None:
    dataset_csv = write_csv_dataset(tmp_path / "data", n=16)
    # build once in the parent first: forked workers then inherit every import (seconds, not tens of seconds)
    step, objective, dataset, collator = _build(dataset_csv, tmp_path / "single")
    mp.start_processes(
        _worker,
        args=(2, str(tmp_path / "init"), str(dataset_csv), str(tmp_path), str(tmp_path)),
        nprocs=2,
        join=True,
        start_method="fork",
    )
    ddp = torch.load(tmp_path / "ddp.pt")
    loss, grads = _loss_and_grads(step, objective, dataset, collator, range(GLOBAL_BATCH))
    assert ddp["loss"].item() == pytest.approx(loss.item(), abs=1e-5)
    assert set(grads) == set(ddp["grads"])
    assert len(grads) > 20  # towers, projections, temperature, graph encoder, prompts
    for name, grad in grads.items():
        torch.testing.assert_close(
            ddp["grads"][name], grad, atol=1e-5, rtol=1e-4, msg=lambda m, n=name: f"{n}: {m}"
        )
