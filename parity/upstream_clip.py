"""Upstream half for OpenAI CLIP ViT-B/32 and CheXzero, with OpenAI's ``clip`` package (clip-anytorch).

CheXzero is OpenAI CLIP fine-tuned; its own repository (rajpurkarlab/CheXzero, not a package)
adds the image pipeline and the +/- softmax, restated here from the lines cited beside each step.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import clip
import numpy as np
import torch
from clip.model import CLIP, build_model
from PIL import Image
from torchvision.transforms import Compose, InterpolationMode, Normalize, Resize

from parity.inputs import model_images, read_texts
from parity.record import save_upstream

CHEXZERO = "rajpurkarlab/CheXzero@493a4917a7d565e2ea3bd1c8cd4a8f29abc47c10"


def random_vit_b32() -> dict[str, torch.Tensor]:
    torch.manual_seed(0)
    model = CLIP(512, 224, 12, 768, 32, 77, 49408, 512, 8, 12)  # ViT-B/32, as clip.load builds it
    # OpenAI publishes fp16 weights and build_model() casts to fp16 (convert_weights): round the same way
    return {k: v.half().float() for k, v in model.state_dict().items()}


def chexzero_pixels(image: Image.Image) -> torch.Tensor:
    # data_process.py preprocess(): ratio = 320 / max(size); new_size = int(x * ratio); ANTIALIAS; paste on 'L'
    ratio = 320.0 / max(image.size)
    new_size = tuple(int(x * ratio) for x in image.size)
    small = image.resize(new_size, Image.Resampling.LANCZOS)
    padded = Image.new("L", (320, 320))
    padded.paste(small, ((320 - new_size[0]) // 2, (320 - new_size[1]) // 2))
    # zero_shot.py CXRTestDataset: float array repeated to 3 channels; make(): Normalize on 0..255, Resize 224 bicubic
    array = torch.from_numpy(np.repeat(np.asarray(padded, dtype=np.float32)[None], 3, axis=0))
    transform = Compose(
        [
            Normalize((101.48761,) * 3, (83.43944,) * 3),
            Resize(224, interpolation=InterpolationMode.BICUBIC),
        ]
    )
    return transform(array)


@torch.no_grad()
def main(work: Path) -> None:
    texts = read_texts(work)
    images = model_images(work)
    folder = work / "openai-clip"
    folder.mkdir(parents=True, exist_ok=True)
    torch.save(random_vit_b32(), folder / "ViT-B-32.pt")  # CheXzero publishes model.state_dict() like this
    model = build_model(torch.load(folder / "ViT-B-32.pt")).float().eval()  # clip.load(jit=False) on CPU
    tokens = clip.tokenize(texts["texts"], truncate=True)
    text_emb = model.encode_text(tokens)

    def run(name: str, preprocess, zero_shot) -> None:
        pixels = {k: preprocess(v) for k, v in images.items()}
        batch = torch.stack(list(pixels.values()))
        arrays = {f"pixels/{k}": v.numpy() for k, v in pixels.items()}
        arrays |= {
            "image_embeddings": model.encode_image(batch).numpy(),
            "token_ids": tokens.numpy(),
            "text_embeddings": text_emb.numpy(),
            "zero_shot": zero_shot(batch).numpy(),
        }
        save_upstream(work / name, "clip-anytorch", arrays, checkpoint=str(folder / "ViT-B-32.pt"))

    def clip_logits(batch: torch.Tensor, key: str = "openai-clip-vit-b-32") -> torch.Tensor:
        prompts = [texts["prompts"][key][c]["positive"][0] for c in texts["classes"]]
        logits_per_image, _ = model(batch, clip.tokenize(prompts))  # clip's own zero-shot path
        return logits_per_image

    def chexzero_probabilities(batch: torch.Tensor) -> torch.Tensor:
        image = model.encode_image(batch)
        image = image / image.norm(dim=-1, keepdim=True)

        def side(which: str) -> torch.Tensor:  # zero_shot.py zeroshot_classifier + predict
            prompts = [texts["prompts"]["chexzero"][c][which][0] for c in texts["classes"]]
            weights = model.encode_text(clip.tokenize(prompts, context_length=77))
            return image @ (weights / weights.norm(dim=-1, keepdim=True)).T

        positive, negative = side("positive").numpy(), side("negative").numpy()
        return torch.from_numpy(np.exp(positive) / (np.exp(positive) + np.exp(negative)))  # run_softmax_eval

    run("openai-clip-vit-b-32", clip.clip._transform(224), clip_logits)
    run("chexzero", chexzero_pixels, chexzero_probabilities)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("work", type=Path)
    main(parser.parse_args().work)
