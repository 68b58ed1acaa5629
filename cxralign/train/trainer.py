"""The training loop: data parallel, mixed precision, exact resume, atomic checkpoints, JSONL metrics.

One function, :func:`train`, runs the same code in one process or under
``torchrun`` (each rank a DistributedSampler shard; rank 0 logs, validates and
checkpoints). Batches are a pure function of (seed, epoch, position), and every
rank's RNG state is checkpointed, so ``resume=True`` continues with the losses an
uninterrupted run would have produced.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
import yaml
from rich.console import Console

from cxralign.errors import ConfigError, CxrAlignError
from cxralign.train.annotate import Annotator
from cxralign.train.checkpoint import latest_checkpoint, load_state, save_checkpoint
from cxralign.train.config import TrainConfig, validate_config
from cxralign.train.data import Collator, PreparedData, TrainingDataset, load_samples, prepare_data
from cxralign.train.model import ReferenceModel
from cxralign.train.objective import Objective, TrainStep
from cxralign.train.tokenizer import train_wordpiece
from cxralign.utils import distributed
from cxralign.utils.atomic import atomic_write_text
from cxralign.utils.progress import make_progress
from cxralign.vocab import vocabulary

console = Console(stderr=True)

Validator = Callable[[ReferenceModel, int], dict[str, float]]
"""Periodic validation hook: (model in eval mode, step) -> flat metrics (logged as ``val/<name>``)."""


class TrainingDivergedError(CxrAlignError):
    """The loss became NaN or infinite; a checkpoint of the last good state was saved."""


@dataclass
class TrainSummary:
    out: Path
    model_dir: Path
    steps: int
    final_loss: float
    seconds: float
    losses: list[float] = field(default_factory=list)  # the total loss of every optimizer step
    validation: dict[str, float] = field(default_factory=dict)


def resolve_device(name: str) -> torch.device:
    if name == "cuda" or (name == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError("train.device cuda was requested but CUDA is not available")
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", "0")))
    return torch.device("cpu")


def use_deterministic_kernels() -> None:
    """Same seed, same machine, same threads: the same weights, bit for bit (cuBLAS needs its workspace fixed)."""
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True, warn_only=True)
    torch.backends.cudnn.benchmark = False


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % (2**32))
    torch.manual_seed(seed)


def rng_state() -> dict[str, Any]:
    state = {"python": random.getstate(), "numpy": np.random.get_state(), "torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def lr_lambda(warmup: int, total: int, min_ratio: float) -> Callable[[int], float]:
    """Linear warm-up to the base rate, then cosine decay to ``min_ratio`` of it."""

    def factor(step: int) -> float:
        if warmup and step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def parameter_groups(module: torch.nn.Module, weight_decay: float) -> list[dict[str, Any]]:
    """No weight decay on biases, norms, embeddings, the temperature and prompt vectors (CLIP practice)."""
    decay, no_decay = [], []
    for name, parameter in module.named_parameters():
        if not parameter.requires_grad:
            continue
        exempt = (
            parameter.ndim < 2 or "embedding" in name or "logit_scale" in name or name.endswith("context")
        )
        (no_decay if exempt else decay).append(parameter)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


class _IndexRange:
    """A sized stand-in dataset for DistributedSampler."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __len__(self) -> int:
        return self.n


class Trainer:
    """Holds the run's state; :func:`train` is the public entry point."""

    def __init__(
        self,
        config: TrainConfig,
        *,
        resume: bool = False,
        annotator: Annotator | None = None,
        validator: Validator | None = None,
    ) -> None:
        self.config = config
        self.out = Path(config.out)
        self.validator = validator
        self.device = resolve_device(config.train.device)
        self.dist = distributed.init_distributed(self.device.type)
        if config.train.threads:
            torch.set_num_threads(config.train.threads)
        use_deterministic_kernels()
        self.checkpoints = self.out / "checkpoints"
        resume_from = self._build_resume_state(resume)
        seed_everything(config.seed)  # everything below draws from the RNG in a fixed order
        cache_dir = Path(config.data.cache_dir) if config.data.cache_dir else self.out / "prepared"
        self._build_data_and_model(cache_dir, resume_from, annotator)
        self._build_batches()
        self._build_optimizer()
        self._build_precision()
        self.step = 0
        self.epoch = 0
        self.position = 0  # micro-batches of the current epoch already consumed
        self.losses: list[float] = []
        seed_everything(config.seed + self.dist.rank)  # dropout differs per rank, as in any DDP run
        if self.resume_state is not None:
            self._restore(self.resume_state)

    # -- builders (called once, in this order, by __init__) ------------------------------------------
    def _build_resume_state(self, resume: bool) -> Path | None:
        """The checkpoint to resume from (None for a fresh run), refusing to mix runs in one --out."""
        resume_from = latest_checkpoint(self.checkpoints) if resume else None
        if resume and resume_from is None:
            raise ConfigError(f"--resume: no checkpoint under {self.checkpoints}")
        if not resume and self.checkpoints.exists() and any(self.checkpoints.iterdir()):
            raise ConfigError(
                f"{self.out} already holds checkpoints; pass --resume to continue or choose another --out"
            )
        self.resume_state = load_state(resume_from) if resume_from else None
        if self.resume_state is not None:
            self._check_resume_config(self.resume_state["config"])
        return resume_from

    def _build_data_and_model(
        self, cache_dir: Path, resume_from: Path | None, annotator: Annotator | None
    ) -> None:
        """Samples, the model (its tokenizer trained on them), prepared targets, the step and its objective."""
        config = self.config
        with distributed.main_first():  # rank 0 generates phantoms once; the others then read them
            samples = load_samples(config.data, cache_dir, vocabulary(config.losses.umcl.vocabulary))
        self.samples = samples
        if resume_from is not None:
            model = ReferenceModel.from_pretrained(resume_from / "model")
        else:
            tokenizer = None
            if config.model.uses_builtin_text_tower:
                tokenizer = train_wordpiece([s.report for s in samples if s.report], config.model.vocab_size)
            model = ReferenceModel.create(config.model, tokenizer)
        triple_vocab = self.resume_state["triple_vocab"] if self.resume_state else None
        with distributed.main_first():  # rank 0 annotates and caches; the others then read the cache
            self.data: PreparedData = prepare_data(samples, config.losses, cache_dir, annotator, triple_vocab)
        self.model = model.to(self.device)
        self.step_module = TrainStep(self.model, config.losses, self.data).to(self.device)
        self.objective = Objective(config.losses)
        self.wrapped: torch.nn.Module = self.step_module
        if self.dist.distributed:
            self.wrapped = torch.nn.parallel.DistributedDataParallel(
                self.step_module, device_ids=[self.device.index] if self.device.type == "cuda" else None
            )

    def _build_batches(self) -> None:
        """Dataset, collator and sampler; the number of steps the run takes."""
        config = self.config
        self.dataset = TrainingDataset(self.samples, config.model.preprocess(), config.data.cache_images)
        negatives = config.losses.negatives.count if config.losses.uses("neg") else 0
        self.collator = Collator(
            self.data,
            self.model.tokenizer,
            config.model.context_length,
            negatives,
            config.seed,
            negative_fraction=config.losses.negatives.fraction,
        )
        self.sampler = torch.utils.data.distributed.DistributedSampler(
            _IndexRange(len(self.samples)),
            num_replicas=self.dist.world_size,
            rank=self.dist.rank,
            shuffle=True,
            seed=config.seed,
            drop_last=True,
        )
        self.micro_per_epoch = len(self.sampler) // config.train.batch_size
        if self.micro_per_epoch < config.optim.accumulation:
            raise ConfigError(
                f"train.batch_size {config.train.batch_size} x optim.accumulation {config.optim.accumulation} "
                f"x {self.dist.world_size} process(es) exceeds the {len(self.samples)} training samples"
            )
        steps_per_epoch = self.micro_per_epoch // config.optim.accumulation
        self.total_steps = config.train.steps or max(
            1, math.ceil((config.train.epochs or 1) * steps_per_epoch)
        )

    def _build_optimizer(self) -> None:
        """AdamW over the step's parameters (CLIP's decay exemptions) and the warm-up/cosine schedule."""
        optim = self.config.optim
        self.optimizer = torch.optim.AdamW(
            parameter_groups(self.step_module, optim.weight_decay),
            lr=optim.lr,
            betas=optim.betas,
            eps=optim.eps,
        )
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(
            self.optimizer, lr_lambda(optim.warmup_steps, self.total_steps, optim.min_lr_ratio)
        )

    def _build_precision(self) -> None:
        """Autocast dtype and gradient scaler; reduced precision only on a GPU."""
        precision = self.config.train.precision
        if precision != "fp32" and self.device.type != "cuda":
            raise ConfigError(f"train.precision {precision} needs a GPU")
        self.autocast_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(precision)
        self.scaler = torch.amp.GradScaler("cuda", enabled=precision == "fp16")

    # -- resume -------------------------------------------------------------------------------------
    def _check_resume_config(self, saved: dict[str, Any]) -> None:
        previous = validate_config(saved, "--resume: the checkpoint's config")
        for section in ("data", "model", "losses", "optim", "seed"):
            if getattr(previous, section) != getattr(self.config, section):
                raise ConfigError(f"--resume: the {section} configuration differs from the checkpoint's")
        if previous.train.batch_size != self.config.train.batch_size:
            raise ConfigError("--resume: train.batch_size differs from the checkpoint's")

    def _restore(self, state: dict[str, Any]) -> None:
        if state["world_size"] != self.dist.world_size:
            raise ConfigError(
                f"--resume: the checkpoint was written by {state['world_size']} process(es), not {self.dist.world_size}"
            )
        self.step_module.load_auxiliary_state(state["auxiliary"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.scaler.load_state_dict(state["scaler"])
        self.step, self.epoch, self.position = state["step"], state["epoch"], state["position"]
        self.losses = list(state["losses"])
        set_rng_state(state["rng"][self.dist.rank])

    def _state(self) -> dict[str, Any]:
        rngs: list[Any] = [rng_state()]
        if self.dist.distributed:
            gathered: list[Any] = [None] * self.dist.world_size
            torch.distributed.all_gather_object(gathered, rngs[0])
            rngs = gathered
        return {
            "step": self.step,
            "epoch": self.epoch,
            "position": self.position,
            "losses": list(self.losses),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "scaler": self.scaler.state_dict(),
            "auxiliary": self.step_module.auxiliary_state(),
            "rng": rngs,
            "config": self.config.record(),
            "triple_vocab": self.data.triple_vocab,
            "world_size": self.dist.world_size,
        }

    def save(self) -> Path | None:
        state = self._state()  # every rank takes part in gathering RNG states
        path = None
        if self.dist.is_main:
            path = save_checkpoint(
                self.checkpoints,
                self.step,
                self.model,
                state,
                keep=self.config.train.keep_checkpoints,
                extra={"trained_steps": self.step, "losses": self.config.losses.enabled},
            )
        distributed.barrier()
        return path

    # -- data -----------------------------------------------------------------------------------------
    def _epoch_batches(self) -> torch.utils.data.DataLoader:
        self.sampler.set_epoch(self.epoch)
        indices = list(self.sampler)
        size = self.config.train.batch_size
        batches = [
            [(self.epoch, i) for i in indices[start : start + size]]
            for start in range(self.position * size, self.micro_per_epoch * size, size)
        ]
        return torch.utils.data.DataLoader(
            self.dataset,
            batch_sampler=batches,
            collate_fn=self.collator,
            num_workers=self.config.data.num_workers,
            pin_memory=self.device.type == "cuda",
            generator=torch.Generator().manual_seed(self.config.seed),  # never touch the global RNG
        )

    def _micro_batches(self):  # noqa: ANN202
        while True:
            for batch in self._epoch_batches():
                self.position += 1
                yield batch
            self.epoch += 1
            self.position = 0

    # -- the loop -----------------------------------------------------------------------------------------
    def _autocast(self):  # noqa: ANN202
        if self.autocast_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.autocast_dtype)

    def _diverged(self, loss: torch.Tensor, batch: Any) -> None:
        ids = [self.data.sample_ids[i] for i in batch.indices.tolist()]
        shown = ", ".join(ids[:8]) + (f" (+{len(ids) - 8} more)" if len(ids) > 8 else "")
        self.save()
        raise TrainingDivergedError(
            f"loss became {loss.item()} at step {self.step + 1} (epoch {self.epoch}); batch sample ids: {shown}; "
            f"last good state saved in {self.checkpoints}"
        )

    def _log(self, record: dict[str, Any]) -> None:
        if self.dist.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            with open(self.out / "metrics.jsonl", "a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")

    def _validate(self) -> dict[str, float]:
        if self.validator is None or not self.dist.is_main:
            return {}
        self.model.eval()
        try:
            with torch.no_grad():
                metrics = self.validator(self.model, self.step)
        finally:
            self.model.train()
        self._log({"step": self.step, **{f"val/{k}": v for k, v in metrics.items()}})
        return metrics

    def optimizer_step(self, batches: Any) -> tuple[float, dict[str, float], int, int, float]:
        """One optimizer step over ``optim.accumulation`` micro-batches; returns the logged figures."""
        config = self.config
        fraction = self.step / self.total_steps
        accumulation = config.optim.accumulation
        step_loss = 0.0
        parts_sum: dict[str, float] = {}
        truncated = samples = 0
        for micro in range(accumulation):
            batch = next(batches).to(self.device)
            truncated += batch.n_truncated
            sync = micro == accumulation - 1 or not self.dist.distributed
            context = contextlib.nullcontext() if sync else self.wrapped.no_sync()
            with context:
                with self._autocast():
                    features = self.wrapped(batch)
                loss, parts = self.objective(features, batch, fraction)
                if distributed.any_rank(not bool(torch.isfinite(loss)), self.device):
                    self._diverged(loss, batch)
                self.scaler.scale(loss / accumulation).backward()
            step_loss += distributed.all_reduce_mean(loss).item() / accumulation
            for name, value in parts.items():
                parts_sum[name] = parts_sum.get(name, 0.0) + value.item() / accumulation
            samples += batch.pixels.shape[0] * self.dist.world_size
        if config.optim.grad_clip is not None:
            self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.step_module.parameters(), config.optim.grad_clip)
        lr = self.scheduler.get_last_lr()[0]  # the rate this step used
        self.scaler.step(self.optimizer)
        self.scaler.update()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        self.step += 1
        return step_loss, parts_sum, truncated, samples, lr

    def run(self) -> TrainSummary:
        config = self.config
        started = time.perf_counter()
        if self.dist.is_main:
            self.out.mkdir(parents=True, exist_ok=True)
            atomic_write_text(
                self.out / "config.yaml", yaml.safe_dump(config.record(), sort_keys=False)
            )
        self.step_module.train()
        batches = self._micro_batches()
        validation: dict[str, float] = {}
        window_start, window_samples = time.perf_counter(), 0
        with make_progress() as progress:
            task = progress.add_task("training", total=self.total_steps, completed=self.step)
            while self.step < self.total_steps:
                step_loss, parts_sum, truncated, samples, lr = self.optimizer_step(batches)
                window_samples += samples
                self.losses.append(step_loss)
                progress.update(task, advance=1, description=f"training loss {step_loss:.3f}")
                if self.step % config.train.log_every == 0 or self.step == self.total_steps:
                    elapsed = time.perf_counter() - window_start
                    self._log(
                        {
                            "step": self.step,
                            "epoch": self.epoch,
                            "loss": step_loss,
                            **{f"loss/{k}": v for k, v in parts_sum.items()},
                            "lr": lr,
                            "logit_scale": float(self.model.scale().item()),
                            "samples_per_s": window_samples / max(elapsed, 1e-9),
                            "truncated_texts": truncated,
                        }
                    )
                    window_start, window_samples = time.perf_counter(), 0
                at_end = self.step == self.total_steps
                if self.step % config.train.checkpoint_every == 0 or at_end:
                    self.save()
                every = config.train.validate_every
                if (every and self.step % every == 0) or at_end:
                    validation = self._validate() or validation
        model_dir = self.out / "model"
        if self.dist.is_main:
            self.model.save_pretrained(
                model_dir, extra={"trained_steps": self.step, "losses": config.losses.enabled}
            )
            summary = {
                "steps": self.step,
                "final_loss": self.losses[-1] if self.losses else float("nan"),
                "seconds": time.perf_counter() - started,
                "validation": validation,
                "model": str(model_dir),
            }
            atomic_write_text(self.out / "summary.json", json.dumps(summary, indent=2))
        distributed.barrier()
        return TrainSummary(
            out=self.out,
            model_dir=model_dir,
            steps=self.step,
            final_loss=self.losses[-1] if self.losses else float("nan"),
            seconds=time.perf_counter() - started,
            losses=list(self.losses),
            validation=validation,
        )


def train(
    config: TrainConfig,
    *,
    resume: bool = False,
    annotator: Annotator | None = None,
    validator: Validator | None = None,
) -> TrainSummary:
    """Train a reference model as ``config`` says; returns where it went and its loss curve."""
    return Trainer(config, resume=resume, annotator=annotator, validator=validator).run()
