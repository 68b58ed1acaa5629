"""Upstream half for BioViL and BioViL-T with Microsoft's ``hi-ml-multimodal`` package.

Both hub repositories are stood in for by local folders laid out the same way: CXR-BERT
(``CXRBertModel``, a small config, saved with ``save_pretrained``) with a WordPiece vocabulary,
and the image model's state dict under the file name hi-ml downloads. hi-ml's image and text
inference engines compute the upstream outputs (their transform, tokenisation and similarity).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import torch
from health_multimodal.image import ImageInferenceEngine
from health_multimodal.image.data.transforms import create_chest_xray_transform_for_inference
from health_multimodal.image.model.model import ImageModel
from health_multimodal.image.model.types import ImageEncoderType
from health_multimodal.text.inference_engine import TextInferenceEngine
from health_multimodal.text.model import CXRBertConfig, CXRBertModel, CXRBertTokenizer

from parity.inputs import model_images, read_texts
from parity.local_hf import write_vocab
from parity.record import save_upstream

MODELS = {
    # name: (image encoder, weights file hi-ml downloads, centre crop of get_image_inference)
    "biovil": (ImageEncoderType.RESNET50, "biovil_image_resnet50_proj_size_128.pt", 480),
    "biovil-t": (ImageEncoderType.RESNET50_MULTI_IMAGE, "biovil_t_image_model_proj_size_128.pt", 448),
}


def _text(folder: Path, words: list[str]) -> tuple[CXRBertModel, CXRBertTokenizer]:
    vocab = write_vocab(folder, words)
    tokenizer = CXRBertTokenizer.from_pretrained(str(folder), do_lower_case=True)
    tokenizer.save_pretrained(folder)
    size = len(vocab.read_text().split())
    config = CXRBertConfig(
        vocab_size=size,
        hidden_size=64,
        num_hidden_layers=2,
        num_attention_heads=2,
        intermediate_size=128,
        projection_size=128,
    )
    CXRBertModel(config).save_pretrained(folder)
    return CXRBertModel.from_pretrained(folder).eval(), tokenizer


@torch.no_grad()
def main(work: Path) -> None:
    texts = read_texts(work)
    images = model_images(work)
    for index, (name, (encoder, weights, crop)) in enumerate(MODELS.items()):
        torch.manual_seed(index)
        folder = work / name
        prompts = texts["prompts"][name]
        words = texts["texts"] + [p for c in prompts.values() for side in c.values() for p in side]
        text_model, tokenizer = _text(folder, words)
        torch.save(
            ImageModel(img_encoder_type=encoder, joint_feature_size=128).state_dict(), folder / weights
        )
        image_model = ImageModel(
            img_encoder_type=encoder, joint_feature_size=128, pretrained_model_path=folder / weights
        )
        transform = create_chest_xray_transform_for_inference(resize=512, center_crop_size=crop)
        image_engine = ImageInferenceEngine(image_model=image_model.eval(), transform=transform)
        text_engine = TextInferenceEngine(tokenizer=tokenizer, text_model=text_model)
        # hi-ml's loader hands the engine an 'L' image; its transform expands that to 3 channels
        pixels = {k: transform(v.convert("L")) for k, v in images.items()}
        batch = torch.stack(list(pixels.values()))
        image_emb = image_engine.model(batch).projected_global_embedding
        text_emb = text_engine.get_embeddings_from_prompt(texts["texts"], normalize=False, verbose=False)
        positives = [prompts[c]["positive"][0] for c in texts["classes"]]
        text_unit = text_engine.get_embeddings_from_prompt(positives, normalize=True, verbose=False)
        image_unit = torch.nn.functional.normalize(image_emb, dim=-1)  # ImageTextInferenceEngine's similarity
        arrays = {f"pixels/{k}": v.numpy() for k, v in pixels.items()}
        arrays |= {
            "image_embeddings": image_emb.numpy(),
            "token_ids": text_engine.tokenize_input_prompts(texts["texts"], verbose=False).input_ids.numpy(),
            "text_embeddings": text_emb.numpy(),
            "zero_shot": (image_unit @ text_unit.T).numpy(),
        }
        save_upstream(folder, "hi-ml-multimodal", arrays)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("work", type=Path)
    main(parser.parse_args().work)
