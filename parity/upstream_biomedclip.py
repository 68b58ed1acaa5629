"""Upstream half for BiomedCLIP with ``open_clip`` (its published loading code).

The hub repository's ``open_clip_config.json`` is restated with its real architecture fields
(ViT-B/16 from timm, PubMedBERT with an MLP projection, [CLS] pooling, 256 tokens, OpenAI
mean/std); only ``hf_model_name`` / ``hf_tokenizer_name`` point at a small local BERT folder
instead of the hub id. open_clip's own tokenizer and transform produce the upstream inputs.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import open_clip
import torch

from parity.inputs import model_images, read_texts
from parity.local_hf import write_bert
from parity.record import save_upstream


@torch.no_grad()
def main(work: Path) -> None:
    texts = read_texts(work)
    folder = work / "biomedclip"
    prompts = texts["prompts"]["biomedclip"]
    words = texts["texts"] + [p for c in prompts.values() for side in c.values() for p in side]
    bert = write_bert(
        work / "hf" / "pubmedbert", words, hidden_size=64, num_attention_heads=2, max_position_embeddings=512
    )
    config = {
        "model_cfg": {
            "embed_dim": 512,
            "vision_cfg": {
                "timm_model_name": "vit_base_patch16_224",
                "timm_model_pretrained": False,
                "timm_pool": "",
                "timm_proj": "linear",
                "image_size": 224,
            },
            "text_cfg": {
                "hf_model_name": str(bert),
                "hf_tokenizer_name": str(bert),
                "hf_proj_type": "mlp",
                "hf_pooler_type": "cls_last_hidden_state_pooler",
                "context_length": 256,
            },
        },
        "preprocess_cfg": {
            "mean": [0.48145466, 0.4578275, 0.40821073],
            "std": [0.26862954, 0.26130258, 0.27577711],
        },
    }
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "open_clip_config.json").write_text(json.dumps(config, indent=1))
    for name in ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"):
        if (bert / name).is_file():
            (folder / name).write_bytes((bert / name).read_bytes())
    torch.manual_seed(0)
    model, _, transform = open_clip.create_model_and_transforms(f"local-dir:{folder}", pretrained_text=False)
    torch.save(model.state_dict(), folder / "open_clip_pytorch_model.bin")
    model, _, transform = open_clip.create_model_and_transforms(f"local-dir:{folder}", pretrained_text=False)
    model.load_state_dict(torch.load(folder / "open_clip_pytorch_model.bin"))
    model.eval()
    tokenizer = open_clip.get_tokenizer(f"local-dir:{folder}")
    pixels = {k: transform(v) for k, v in model_images(work).items()}
    batch = torch.stack(list(pixels.values()))
    tokens = tokenizer(texts["texts"])
    image_features, text_features, logit_scale = model(
        batch, tokenizer([prompts[c]["positive"][0] for c in texts["classes"]])
    )[:3]
    arrays = {f"pixels/{k}": v.numpy() for k, v in pixels.items()}
    arrays |= {
        "image_embeddings": model.encode_image(batch).numpy(),
        "token_ids": tokens.numpy(),
        "text_embeddings": model.encode_text(tokens).numpy(),
        "zero_shot": (
            logit_scale * image_features @ text_features.T
        ).numpy(),  # the model card's zero-shot recipe
    }
    save_upstream(folder, "open_clip_torch", arrays)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("work", type=Path)
    main(parser.parse_args().work)
