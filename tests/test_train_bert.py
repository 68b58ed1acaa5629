"""The native BERT text tower and the tokenizers-only WordPiece tokenizer equal transformers' exactly.

transformers is imported inside the tests that compare against it, never at module level:
what is under test is that a ``reference:`` model no longer needs it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))

from _train_support import REPORTS  # noqa: E402

from cxralign.models.tokenization import HFTextTokenizer, WordPieceTokenizer  # noqa: E402
from cxralign.train import model as model_module  # noqa: E402
from cxralign.train.bert import BertTextConfig, BertTextEncoder  # noqa: E402
from cxralign.train.model import ReferenceModel, ReferenceModelConfig  # noqa: E402
from cxralign.train.tokenizer import train_wordpiece  # noqa: E402

SMALL = ReferenceModelConfig(
    image_tower_kwargs={"widths": [8, 16], "grid": 2}, image_size=32, text_hidden_size=32, text_layers=2,
    text_heads=4, text_intermediate_size=48, vocab_size=120, context_length=12, embed_dim=16,
)  # fmt: skip
TEXTS = [
    "Small left pleural effusion.",
    "",
    "No pleural effusion. Mild cardiomegaly, unchanged since 2019!!",
    "ÉPANCHEMENT pleural — café 中文 x",
    "effusion " * 30,  # longer than the context: truncated, [SEP] kept
    "  Cardiomegaly  ",
    "[CLS] no [SEP] effusion [MASK]",
]


def _transformers_bert(seed: int = 0):  # noqa: ANN202
    from transformers import AutoModel, BertConfig

    config = BertConfig(vocab_size=60, hidden_size=32, num_hidden_layers=2, num_attention_heads=4,
                        intermediate_size=48, max_position_embeddings=64, pad_token_id=0)  # fmt: skip
    torch.manual_seed(seed)
    return AutoModel.from_config(config, add_pooling_layer=False)


def _native_copy(reference) -> BertTextEncoder:  # noqa: ANN001
    native = BertTextEncoder(BertTextConfig.from_dict(json.loads(reference.config.to_json_string())))
    native.load_state_dict(reference.state_dict(), strict=True)
    return native


@pytest.mark.parametrize("training", [False, True])
def test_native_bert_equals_transformers_bert_outputs_and_gradients(training: bool) -> None:
    reference = _transformers_bert()
    native = _native_copy(reference)
    assert list(native.state_dict()) == list(reference.state_dict())
    reference.train(training)
    native.train(training)
    ids = torch.randint(1, 60, (3, 10))
    padded = torch.ones(3, 10, dtype=torch.long)
    padded[0, 6:] = 0
    padded[2, 3:] = 0
    for mask in (padded, torch.ones_like(padded)):  # transformers drops an all-ones mask: so must we
        torch.manual_seed(1)  # the same dropout draws in training
        expected = reference(input_ids=ids * mask, attention_mask=mask).last_hidden_state
        torch.manual_seed(1)
        assert torch.equal(native(input_ids=ids * mask, attention_mask=mask).last_hidden_state, expected)
    embeds = torch.randn(3, 10, 32)
    torch.manual_seed(2)
    reference(inputs_embeds=embeds, attention_mask=padded).last_hidden_state.square().sum().backward()
    torch.manual_seed(2)
    native(inputs_embeds=embeds, attention_mask=padded).last_hidden_state.square().sum().backward()
    expected_grads = dict(reference.named_parameters())
    for name, parameter in native.named_parameters():
        if parameter.grad is None:  # the word embeddings, given inputs_embeds
            assert expected_grads[name].grad is None, name
        else:
            assert torch.equal(parameter.grad, expected_grads[name].grad), name


def test_text_config_round_trips_transformers_file_and_refuses_what_it_cannot_run(tmp_path: Path) -> None:
    reference = _transformers_bert()
    reference.config.save_pretrained(tmp_path / "hf")
    config = BertTextConfig.from_directory(tmp_path / "hf")
    assert config is not None and config.hidden_size == 32 and config.num_attention_heads == 4
    config.save_pretrained(tmp_path / "ours")
    assert (tmp_path / "ours" / "config.json").read_bytes() == (tmp_path / "hf" / "config.json").read_bytes()
    raw = json.loads((tmp_path / "hf" / "config.json").read_text())
    for change in ({"position_embedding_type": "relative_key"}, {"is_decoder": True}, {"model_type": "roberta"},
                   {"hidden_act": "relu"}):  # fmt: skip
        assert BertTextConfig.from_dict({**raw, **change}) is None, change


def test_wordpiece_tokenizer_gives_bert_tokenizer_fast_ids(tmp_path: Path) -> None:
    from transformers import AutoTokenizer

    train_wordpiece(list(REPORTS.values()) * 3, 120).save_pretrained(str(tmp_path / "tokenizer"))
    expected = HFTextTokenizer(AutoTokenizer.from_pretrained(str(tmp_path / "tokenizer")), 12)(TEXTS)
    ours = WordPieceTokenizer.from_directory(tmp_path / "tokenizer", 12)
    got = ours(TEXTS)
    assert torch.equal(got.input_ids, expected.input_ids)
    assert torch.equal(got.attention_mask, expected.attention_mask)
    assert got.n_truncated == expected.n_truncated >= 2
    assert ours.name == f"hf:{tmp_path / 'tokenizer'}"  # the transformers tokenizer's name: same fingerprints


def test_seeded_create_keeps_transformers_initial_weights_and_random_stream(
    monkeypatch, tmp_path: Path
) -> None:  # noqa: ANN001
    from transformers import AutoModel

    tokenizer = train_wordpiece(list(REPORTS.values()) * 3, 120)
    torch.manual_seed(0)
    ours = ReferenceModel.create(SMALL, tokenizer)
    after_ours = torch.rand(3)
    monkeypatch.setattr(model_module, "_initial_text_tower", lambda config, n: AutoModel.from_config(
        model_module._builtin_text_config(config, n), add_pooling_layer=False))  # fmt: skip
    torch.manual_seed(0)
    before = ReferenceModel.create(SMALL, tokenizer)  # what create() built when the tower was transformers'
    assert isinstance(ours.text_tower, BertTextEncoder)
    assert torch.equal(torch.rand(3), after_ours)
    expected = before.state_dict()
    assert list(ours.state_dict()) == list(expected)
    assert all(torch.equal(tensor, expected[name]) for name, tensor in ours.state_dict().items())
    ours.save_pretrained(tmp_path / "ours")
    before.save_pretrained(tmp_path / "before")
    for name in (
        "text/config.json",
        "model.safetensors",
        "reference_config.json",
        "tokenizer/tokenizer.json",
    ):
        assert (tmp_path / "ours" / name).read_bytes() == (tmp_path / "before" / name).read_bytes(), name


def test_a_checkpoint_with_a_transformers_tower_loads_natively_with_equal_features(tmp_path: Path) -> None:
    from transformers import AutoModel

    tokenizer = train_wordpiece(list(REPORTS.values()) * 3, 120)
    torch.manual_seed(0)
    text = AutoModel.from_config(
        model_module._builtin_text_config(SMALL, len(tokenizer)), add_pooling_layer=False
    )
    old = ReferenceModel(SMALL, tokenizer, text_model=text).eval()  # the format saved before the native tower
    old.save_pretrained(tmp_path / "model")
    loaded = ReferenceModel.from_pretrained(tmp_path / "model").eval()
    assert isinstance(loaded.text_tower, BertTextEncoder) and loaded._tokenizer is None
    tokens = WordPieceTokenizer.from_directory(tmp_path / "model" / "tokenizer", SMALL.context_length)(TEXTS)
    with torch.no_grad():
        expected = old.encode_text(tokens.input_ids, tokens.attention_mask)
        assert torch.equal(loaded.encode_text(tokens.input_ids, tokens.attention_mask), expected)
    loaded.save_pretrained(tmp_path / "again")  # the tokenizer never loaded: its files are copied as they are
    for name in ("tokenizer/tokenizer.json", "tokenizer/tokenizer_config.json", "text/config.json"):
        assert (tmp_path / "again" / name).read_bytes() == (tmp_path / "model" / name).read_bytes()
    # training still gets transformers' tokenizer, loaded on first use
    assert loaded.tokenizer.cls_token_id == tokenizer.cls_token_id


def test_reference_adapter_tokenises_without_transformers_to_the_same_fingerprint(tmp_path: Path) -> None:
    from cxralign.train.adapter import adapter_for_model, load_reference_adapter

    torch.manual_seed(0)
    ReferenceModel.create(SMALL, train_wordpiece(list(REPORTS.values()) * 3, 120)).save_pretrained(
        tmp_path / "m"
    )
    adapter = load_reference_adapter(str(tmp_path / "m"), device="cpu")
    assert isinstance(adapter.tokenizer, WordPieceTokenizer)
    model = ReferenceModel.from_pretrained(tmp_path / "m")
    through_transformers = adapter_for_model(model, spec=adapter.spec, device="cpu",
                                             extra_fingerprint=adapter._extra_fingerprint)  # fmt: skip
    assert isinstance(through_transformers.tokenizer, HFTextTokenizer)
    assert through_transformers.fingerprint() == adapter.fingerprint()
    assert (through_transformers.encode_texts(TEXTS) == adapter.encode_texts(TEXTS)).all()


def test_a_broken_text_config_is_one_clear_input_error(tmp_path: Path) -> None:
    from cxralign.errors import InputError

    torch.manual_seed(0)
    model = ReferenceModel.create(SMALL, train_wordpiece(list(REPORTS.values()) * 3, 120))
    path = model.save_pretrained(tmp_path / "m")
    (path / "text" / "config.json").write_text("{not json")
    with pytest.raises(InputError, match="not a valid BERT config"):
        ReferenceModel.from_pretrained(path)
    (path / "text" / "config.json").unlink()
    with pytest.raises(InputError, match="no text/config.json"):
        ReferenceModel.from_pretrained(path)
