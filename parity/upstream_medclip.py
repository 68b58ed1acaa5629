"""Upstream half for MedCLIP (Swin-T and ResNet-50) with the ``medclip`` package.

MedCLIP 0.0.3 needs transformers < 4.26 (its ``MedCLIPFeatureExtractor`` passes positional
arguments to ``CLIPFeatureExtractor`` that later versions reorder), so it runs in its own
environment (shared with hi-ml, see the Makefile). Its hub names (Bio_ClinicalBERT, swin-tiny) point at small local configs with
MedCLIP's widths (768 in, 512 out); ``.cuda()`` calls in its code are made no-ops on CPU;
torchvision's ResNet-50 is built without downloading ImageNet weights.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
import torchvision

from parity.inputs import model_images, read_texts
from parity.local_hf import write_bert
from parity.record import save_upstream


def _patch_for_offline_cpu(bert: Path, swin: Path) -> None:
    from medclip import constants, modeling_medclip

    torch.Tensor.cuda = lambda self, *a, **k: self  # PromptClassifier / encode_text call .cuda()
    constants.BERT_TYPE = str(bert)
    constants.VIT_TYPE = str(swin)
    modeling_medclip.MedCLIPTextModel.__init__.__defaults__ = (str(bert), 512, False)
    original = torchvision.models.resnet50
    torchvision.models.resnet50 = lambda pretrained=False, **kw: original(weights=None)


def _swin(folder: Path) -> Path:
    from transformers import SwinConfig, SwinModel

    config = SwinConfig(
        embed_dim=96, depths=[1, 1, 2, 1], num_heads=[3, 6, 12, 24], window_size=7, image_size=224
    )
    SwinModel(config).save_pretrained(folder)
    return folder


def _one(processor, text: str) -> dict[str, torch.Tensor]:
    encoded = processor(text=[text], return_tensors="pt", truncation=True)
    return {"input_ids": encoded["input_ids"], "attention_mask": encoded["attention_mask"]}


@torch.no_grad()
def main(work: Path) -> None:
    texts = read_texts(work)
    bert = write_bert(
        work / "hf" / "bert",
        texts["texts"]
        + [p for c in texts["prompts"].values() for v in c.values() for s in v.values() for p in s],
        with_weights=True,
    )
    swin = _swin(work / "hf" / "swin")
    _patch_for_offline_cpu(bert, swin)
    from medclip import (
        MedCLIPModel,
        MedCLIPProcessor,
        MedCLIPVisionModel,
        MedCLIPVisionModelViT,
        PromptClassifier,
    )
    from medclip.prompts import process_class_prompts

    processor = MedCLIPProcessor()
    images = model_images(work)
    for name, vision in (("medclip-vit", MedCLIPVisionModelViT), ("medclip-resnet", MedCLIPVisionModel)):
        torch.manual_seed(0)
        folder = work / name
        folder.mkdir(parents=True, exist_ok=True)
        torch.save(
            MedCLIPModel(vision_cls=vision).state_dict(), folder / "pytorch_model.bin"
        )  # the released zip's file
        model = MedCLIPModel(vision_cls=vision, checkpoint=str(folder)).eval()
        pixels = {k: processor(images=v, return_tensors="pt")["pixel_values"][0] for k, v in images.items()}
        batch = torch.stack(list(pixels.values()))
        tokens = processor(text=texts["texts"], return_tensors="pt", padding=True, truncation=True)
        prompts = {c: texts["prompts"][name][c]["positive"] for c in texts["classes"]}
        classifier = PromptClassifier(model, ensemble=True)
        logits = classifier(pixel_values=batch, prompt_inputs=process_class_prompts(prompts))["logits"]
        arrays = {f"pixels/{k}": v.numpy() for k, v in pixels.items()}
        arrays |= {
            "image_embeddings": model.vision_model(pixel_values=batch).numpy(),
            "token_ids": tokens["input_ids"].numpy(),
            # one text at a time: MedCLIP's mean pooling covers padding, so a batch would change it
            "text_embeddings": torch.cat(
                [model.text_model(**_one(processor, t)) for t in texts["texts"]]
            ).numpy(),
            "zero_shot": logits.numpy(),
        }
        save_upstream(folder, "medclip", arrays, transformers=__import__("transformers").__version__)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("work", type=Path)
    main(parser.parse_args().work)
