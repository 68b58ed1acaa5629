"""Phantom chest radiographs: determinism, ground truth, rendering, options and leakage."""

from __future__ import annotations

import numpy as np
import pytest

from cxralign.data.phantoms import FINDINGS, Finding, generate, resolve_options
from cxralign.data.phantoms.anatomy import sample_anatomy
from cxralign.data.phantoms.banks import get_banks
from cxralign.data.phantoms.chest import render_chest
from cxralign.data.phantoms.findings import PROFILES, draw_findings
from cxralign.data.phantoms.generator import patient_split
from cxralign.data.phantoms.spec import CHEXPERT_OF, parse_prevalence
from cxralign.errors import ConfigError
from cxralign.vocab import CHEXPERT_14


@pytest.fixture(scope="module")
def samples():
    return list(generate(300, seed=3, size=64, prevalence=0.3))


def test_samples_have_images_reports_and_all_labels(samples):
    sample = samples[0]
    assert sample.image.shape == (64, 64) and sample.image.dtype == np.uint8
    assert "FINDINGS:" in sample.report.upper() and "IMPRESSION:" in sample.report.upper()
    assert list(sample.labels) == list(CHEXPERT_14)
    assert all(value in (None, 1.0, 0.0, -1.0) for s in samples for value in s.labels.values())
    assert len({s.sample_id for s in samples}) == len(samples)
    assert {s.split for s in samples} == {"train", "validation", "test"}


def test_same_seed_same_samples_and_prefix_stable():
    first = list(generate(6, seed=11, size=64))
    again = list(generate(4, seed=11, size=64))
    for a, b in zip(first, again, strict=False):
        assert a.sample_id == b.sample_id and a.report == b.report
        assert np.array_equal(a.image, b.image)
    other = next(generate(1, seed=12, size=64))
    assert not np.array_equal(other.image, first[0].image)


def test_labels_follow_the_ground_truth(samples):
    for s in samples:
        drawn = {f.name for f in s.findings}
        for name in FINDINGS:
            label = CHEXPERT_OF[name]
            related = [f for f in s.findings if CHEXPERT_OF[f.name] == label]
            if related:
                expected = 1.0 if any(not f.uncertain for f in related) else -1.0
                assert s.labels[label] == expected, (s.report, name)
            else:
                assert s.labels[label] in (None, 0.0), (s.report, name)
        if s.labels["Pneumonia"] == -1.0:
            assert "consolidation" in drawn
        pathologic = drawn - {"support_devices"}
        assert (s.labels["No Finding"] == 1.0) == (not pathologic)
        assert s.labels["No Finding"] in (None, 1.0)


def test_every_finding_and_hedging_occurs(samples):
    names = {f.name for s in samples for f in s.findings}
    assert names == set(FINDINGS)
    assert any(f.uncertain for s in samples for f in s.findings)
    assert any(value == 0.0 for s in samples for value in s.labels.values())
    devices = {f.subtype for s in samples for f in s.findings if f.name == "support_devices"}
    assert devices == {"endotracheal_tube", "central_line", "pacemaker", "chest_tube"}


def test_findings_carry_laterality_severity_location(samples):
    for s in samples:
        for f in s.findings:
            if f.name in ("pleural_effusion", "pneumothorax", "consolidation", "nodule", "mass", "fracture"):
                assert f.laterality in ("left", "right", "bilateral")
            if f.name in ("pleural_effusion", "pneumothorax", "cardiomegaly", "edema"):
                assert f.severity
            if f.name in ("consolidation", "lung_opacity", "nodule", "mass"):
                assert "lobe" in f.location or f.location == "lingula"
            if f.name == "cardiomegaly":
                assert f.extra["ctr"] > 0.5
            assert Finding.from_dict(f.to_dict()) == f


def test_reports_vary(samples):
    normal = [s.report.split("FINDINGS:")[-1] for s in samples if not s.findings and "FINDINGS:" in s.report]
    assert len(set(normal)) > 0.8 * len(normal)
    first_sentences = {s.report.split("INDINGS: ")[-1].split(".")[0] for s in samples}
    assert len(first_sentences) > 60


def test_patients_stay_in_one_split(samples):
    by_patient: dict[str, set[str]] = {}
    for s in samples:
        by_patient.setdefault(s.patient_id, set()).add(s.split)
    assert all(len(splits) == 1 for splits in by_patient.values())
    assert any(sum(1 for s in samples if s.patient_id == p) > 1 for p in by_patient)
    splits = [patient_split(0, p) for p in range(1000)]
    assert splits.count("train") == 800 and splits.count("test") == 100


# ---------------------------------------------------------------- rendering at the right place


def _render(findings: tuple[Finding, ...], seed: int = 5) -> tuple[np.ndarray, np.ndarray, object]:
    banks = get_banks(128)
    anatomy = sample_anatomy(np.random.default_rng(seed))
    normal = render_chest(anatomy, banks, np.random.default_rng(1))
    chest = render_chest(anatomy, banks, np.random.default_rng(1))
    draw_findings(chest, findings, PROFILES["standard"], np.random.default_rng(2))
    return normal.image, chest.image, chest


def _halves(delta: np.ndarray) -> tuple[float, float]:
    """Absolute change on the image-left (patient right) and image-right halves."""
    mid = delta.shape[1] // 2
    return float(np.abs(delta[:, :mid]).sum()), float(np.abs(delta[:, mid:]).sum())


def test_right_effusion_whitens_the_right_base_only():
    before, after, _ = _render((Finding("pleural_effusion", laterality="right", severity="moderate"),))
    delta = after - before
    right, left = _halves(delta)
    assert right > 20 * max(left, 1e-6)
    rows = np.nonzero(np.abs(delta).sum(axis=1) > 1e-3)[0]
    assert rows.min() > 0.5 * 128  # below the hilum
    assert delta[:, :64].sum() > 0  # whiter


def test_left_pneumothorax_darkens_the_left_lung():
    before, after, _ = _render(
        (Finding("pneumothorax", laterality="left", severity="large", location="lateral"),)
    )
    delta = after - before
    right, left = _halves(delta)
    assert left > 20 * max(right, 1e-6)


def test_cardiomegaly_widens_the_heart_beyond_half_the_chest():
    ctr = 0.6
    _, _, chest = _render((Finding("cardiomegaly", severity="moderate", extra={"ctr": ctr}),))
    before, _, normal = _render(())
    for side in ("right", "left"):
        assert chest.lungs[side].inner.max() > normal.lungs[side].inner.max()
    heart = chest.lungs["right"].inner.max() + chest.lungs["left"].inner.max()
    assert heart / chest.anatomy.thoracic_width == pytest.approx(ctr, abs=0.02)


def test_nodule_is_a_small_round_density_in_its_lobe():
    before, after, _ = _render(
        (Finding("nodule", laterality="right", location="right upper lobe", size_cm=2.0),)
    )
    delta = after - before
    ys, xs = np.nonzero(delta > 0.02)
    assert len(ys) > 5 and xs.max() < 64  # patient right = image left
    assert ys.max() < 0.5 * 128  # upper lobe
    assert (ys.max() - ys.min()) < 12 and (xs.max() - xs.min()) < 12


def test_devices_add_radiopaque_material():
    for device in ("endotracheal_tube", "central_line", "pacemaker", "chest_tube"):
        finding = Finding(
            "support_devices",
            laterality="left",
            subtype=device,
            location="x",
            extra={"tip_above_carina_cm": 4.0, "leads": 2},
        )
        before, after, _ = _render((finding,))
        assert (after - before).max() > 0.2, device


# ---------------------------------------------------------------- options


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"n": -1}, "non-negative"),
        ({"size": 63}, "64 to 1024"),
        ({"size": 1025}, "64 to 1024"),
        ({"difficulty": "hardest"}, "did you mean hard"),
        ({"prevalence": "pneumothorax=1.5"}, "in [0, 1]"),
        ({"prevalence": -0.1}, "in [0, 1]"),
        ({"prevalence": "pnemothorax=0.2"}, "did you mean pneumothorax"),
        ({"prevalence": "pneumothorax"}, "must be a number"),
        ({"prevalence": {"cardiomegally": 0.3}}, "did you mean cardiomegaly"),
    ],
)
def test_impossible_options_fail_before_any_work(kwargs, message):
    with pytest.raises(ConfigError, match=None) as error:
        n = kwargs.pop("n", 1)
        next(generate(n, **kwargs))
    assert message in str(error.value)


def test_prevalence_forms():
    assert parse_prevalence("0.5")["edema"] == 0.5
    resolved = parse_prevalence("Pleural Effusion=0.4, ptx=0")
    assert resolved["pleural_effusion"] == 0.4 and resolved["pneumothorax"] == 0.0
    assert resolved["edema"] == parse_prevalence(None)["edema"]
    none = list(generate(30, size=64, prevalence=0.0))
    assert all(not s.findings and s.labels["No Finding"] == 1.0 for s in none)
    options = resolve_options(size=64, prevalence={"mass": 1})
    assert options.prevalence["mass"] == 1.0


# ---------------------------------------------------------------- leakage


def test_global_image_statistics_do_not_predict_labels(samples):
    """Mean, std and a 16-bin histogram of each image: cross-validated logistic regression stays near chance."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import cross_val_predict
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from threadpoolctl import threadpool_limits

    features = np.array(
        [
            [s.image.mean(), s.image.std(), *np.histogram(s.image, bins=16, range=(0, 256))[0] / s.image.size]
            for s in samples
        ]
    )
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000, solver="liblinear"))
    auroc = {}
    with threadpool_limits(1):
        for name in FINDINGS:
            y = np.array([any(f.name == name for f in s.findings) for s in samples])
            scores = cross_val_predict(model, features, y, cv=5, method="predict_proba")[:, 1]
            auroc[name] = roc_auc_score(y, scores)
    assert max(auroc.values()) < 0.66, auroc
    assert np.mean(list(auroc.values())) < 0.58, auroc


def test_contact_sheet_shows_every_finding(tmp_path):
    from PIL import Image

    from cxralign.data.phantoms.contact_sheet import PANELS, make_contact_sheet, reports_markdown

    shown = make_contact_sheet(tmp_path / "sheet.png", size=64, columns=5)
    assert [name for name, _ in shown] == list(PANELS)
    for name, sample in shown:
        drawn = {f.name for f in sample.findings}
        assert drawn == (set() if name == "no_finding" else {name})
    assert Image.open(tmp_path / "sheet.png").size == (5 * 68, 3 * (64 + 18 + 4))
    assert reports_markdown(shown).count("\n") == len(PANELS) + 2
