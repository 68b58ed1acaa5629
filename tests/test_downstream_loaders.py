"""Every downstream loader on a tiny fabricated tree in its real layout, plus the shared label policies."""

from __future__ import annotations

import gzip

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cxralign.data.downstream import LoadOptions, load_downstream
from cxralign.errors import ConfigError, InputError
from cxralign.vocab import CHEXPERT_14, CXR14


def _png(path, value=100):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("L", (4, 4), value).save(path)


def _touch(path):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"\0")


def _chexpert_rows(prefix, split, n, start=1):
    rows = []
    for k in range(n):
        patient = f"patient{start + k:05d}"
        for view, frontal, appa in (("view1_frontal", "Frontal", "PA"), ("view2_lateral", "Lateral", None)):
            row = {
                "Path": f"{prefix}/{split}/{patient}/study1/{view}.jpg",
                "Sex": "F",
                "Age": 50,
                "Frontal/Lateral": frontal,
                "AP/PA": appa,
            }
            row.update({c: None for c in CHEXPERT_14})
            row["Cardiomegaly"] = [1.0, 0.0, -1.0][k % 3]
            row["Edema"] = 1.0 if k % 2 else None
            rows.append(row)
    return rows


@pytest.fixture()
def chexpert_root(tmp_path):
    root = tmp_path / "CheXpert-v1.0-small"
    for split, n, start in (("train", 12, 1), ("valid", 3, 64541)):
        rows = _chexpert_rows("CheXpert-v1.0-small", split, n, start)
        for row in rows:
            _png(tmp_path / row["Path"])
        pd.DataFrame(rows).to_csv(root / f"{split}.csv", index=False)
    return root


def test_chexpert_views_uncertain_policy_and_carved_valid(chexpert_root):
    data = load_downstream("chexpert", chexpert_root)
    assert data.kind == "multilabel" and data.classes == CHEXPERT_14
    assert set(data.items["view"]) == {"PA"}  # laterals dropped by the default frontal filter
    assert data.notes["removed_by_view_filter"] == 15
    assert set(data.splits) == {"train", "valid", "test"} and len(data.split("test")) == 3
    assert data.items["Cardiomegaly"].isna().sum() == 5  # -1 ignored (4 train + 1 valid patients)
    assert (data.items["Edema"].isin([0.0, 1.0])).all()  # blank = not mentioned = 0
    ones = load_downstream("chexpert", chexpert_root, LoadOptions(uncertain="ones"))
    assert ones.items["Cardiomegaly"].isna().sum() == 0 and ones.hash() != data.hash()
    every_view = load_downstream("chexpert", chexpert_root, LoadOptions(views=None, one_per_patient=True))
    assert every_view.items["patient_id"].is_unique
    assert every_view.options == {"uncertain": "ignore", "views": None, "one_per_patient": True, "seed": 0}


def test_chexpert_5x200_is_seeded_and_exclusive(chexpert_root):
    from cxralign.data.downstream.chexpert import load_chexpert_5x200

    with pytest.raises(InputError, match="only 0 exclusive Atelectasis images"):
        load_chexpert_5x200(chexpert_root)
    train = pd.read_csv(chexpert_root / "train.csv")
    rows = []
    for k, cls in enumerate(
        ("Atelectasis", "Cardiomegaly", "Consolidation", "Edema", "Pleural Effusion") * 6
    ):
        row = {c: 0.0 for c in CHEXPERT_14} | {
            cls: 1.0,
            "Path": f"CheXpert-v1.0-small/train/patient9{k:04d}/study1/view1_frontal.jpg",
            "Frontal/Lateral": "Frontal",
            "AP/PA": "AP",
        }
        _png(chexpert_root.parent / row["Path"])
        rows.append(row)
    pd.concat([train, pd.DataFrame(rows)]).to_csv(chexpert_root / "train.csv", index=False)
    a = load_chexpert_5x200(chexpert_root, per_class=5)
    b = load_chexpert_5x200(chexpert_root, per_class=5)
    c = load_chexpert_5x200(chexpert_root, LoadOptions(seed=1), per_class=5)
    assert a.kind == "multiclass" and len(a.items) == 25
    assert (a.labels(a.items).sum(axis=1) == 1).all()
    assert a.items["item_id"].tolist() == b.items["item_id"].tolist()
    assert a.items["item_id"].tolist() != c.items["item_id"].tolist()


def test_chexpert_wrong_layout_names_expected_file(tmp_path):
    with pytest.raises(InputError, match=r"train\.csv"):
        load_downstream("chexpert", tmp_path)


def test_mimic_cxr_jpg_with_reports(tmp_path):
    root = tmp_path / "mimic-cxr-jpg"
    meta, labels, split = [], [], []
    for k in range(6):
        subject, study, dicom = 10000000 + k, 50000000 + k, f"d{k}"
        meta.append(
            {
                "dicom_id": dicom,
                "subject_id": subject,
                "study_id": study,
                "ViewPosition": "PA" if k else "LATERAL",
            }
        )
        labels.append(
            {
                "subject_id": subject,
                "study_id": study,
                **{c: None for c in CHEXPERT_14},
                "Pleural Effusion": k % 2,
            }
        )
        split.append(
            {
                "dicom_id": dicom,
                "study_id": study,
                "subject_id": subject,
                "split": ["train", "validate", "test"][k % 3],
            }
        )
        folder = root / "files" / f"p{str(subject)[:2]}" / f"p{subject}" / f"s{study}"
        _png(folder / f"{dicom}.jpg")
        folder.with_suffix(".txt").write_text(
            f"INDICATION: cough\nFINDINGS: case {k}.\nIMPRESSION: nothing {k}."
        )
    for name, rows in (("metadata", meta), ("chexpert", labels), ("split", split)):
        with gzip.open(root / f"mimic-cxr-2.0.0-{name}.csv.gz", "wt") as handle:
            pd.DataFrame(rows).to_csv(handle, index=False)
    data = load_downstream("mimic-cxr", root)
    assert len(data.items) == 5 and set(data.splits) == {"train", "valid", "test"}
    assert (
        data.has_reports
        and data.items.loc[data.items.item_id == "d1", "report"].item() == "case 1. nothing 1."
    )


def test_chexpert_plus(tmp_path):
    root = tmp_path / "chexpert-plus"
    rows, labels = [], []
    for k in range(10):
        path = f"train/patient{k:05d}/study1/view1_frontal.jpg"
        _png(root / "PNG" / path.replace(".jpg", ".png"))
        rows.append(
            {
                "path_to_image": path,
                "split": "train" if k < 8 else "valid",
                "deid_patient_id": f"p{k}",
                "frontal_lateral": "Frontal",
                "ap_pa": "AP",
                "section_findings": f"Findings {k}.",
                "section_impression": "Normal." if k % 2 else None,
            }
        )
        labels.append({"path_to_image": path, **{c: None for c in CHEXPERT_14}, "Edema": float(k % 2)})
    pd.DataFrame(rows).to_csv(root / "df_chexpert_plus_240401.csv", index=False)
    (root / "chexbert_labels").mkdir()
    pd.DataFrame(labels).to_json(
        root / "chexbert_labels" / "impression_fixed.json", orient="records", lines=True
    )
    data = load_downstream("chexpert-plus", root)
    assert data.has_reports and "test" in data.splits and data.items["Edema"].sum() == 5
    assert data.items.loc[0, "report"].startswith("Findings")


def test_nih_cxr14(tmp_path):
    root = tmp_path / "nih"
    rows = []
    for k in range(10):
        name = f"{k:08d}_000.png"
        _png(root / "images_001" / "images" / name)
        rows.append(
            {
                "Image Index": name,
                "Finding Labels": "Effusion|Hernia" if k % 3 == 0 else "No Finding",
                "Patient ID": k,
                "View Position": "PA",
            }
        )
    pd.DataFrame(rows).to_csv(root / "Data_Entry_2017.csv", index=False)
    (root / "test_list.txt").write_text("00000000_000.png\n00000001_000.png\n")
    (root / "train_val_list.txt").write_text("\n".join(r["Image Index"] for r in rows[2:]))
    data = load_downstream("nih-cxr14", root)
    assert data.classes == CXR14 and len(data.split("test")) == 2
    assert data.items.loc[
        data.items.item_id == "00000000_000.png", ["Effusion", "Hernia", "Mass"]
    ].values.tolist() == [[1, 1, 0]]


def test_rsna_and_siim(tmp_path):
    rsna = tmp_path / "rsna"
    rows = [
        {"patientId": f"id{k}", "x": 1, "y": 1, "width": 2, "height": 2, "Target": k % 2} for k in range(10)
    ]
    rows.append({"patientId": "id1", "x": 5, "y": 5, "width": 2, "height": 2, "Target": 1})  # a second box
    for k in range(10):
        _touch(rsna / "stage_2_train_images" / f"id{k}.dcm")
    pd.DataFrame(rows).to_csv(rsna / "stage_2_train_labels.csv", index=False)
    data = load_downstream("rsna", rsna)
    assert data.kind == "binary" and len(data.items) == 10 and data.items["Pneumonia"].sum() == 5
    siim = tmp_path / "siim"
    rle = [{"ImageId": f"1.2.{k}", " EncodedPixels": "-1" if k % 2 else "1 2 3"} for k in range(10)]
    for k in range(10):
        _touch(siim / "dicom-images-train" / f"s{k}" / f"r{k}" / f"1.2.{k}.dcm")
    pd.DataFrame(rle).to_csv(siim / "train-rle.csv", index=False)
    data = load_downstream("siim", siim)
    assert data.items["Pneumothorax"].sum() == 5 and set(data.splits) <= {"train", "valid", "test"}


def test_vindr_majority_vote(tmp_path):
    root = tmp_path / "vindr"
    classes = ["Aortic enlargement", "Cardiomegaly", "No finding"]
    train = []
    for k in range(6):
        for rad, vote in (("R1", 1), ("R2", k % 2), ("R3", 0)):
            train.append(
                {
                    "image_id": f"t{k}",
                    "rad_id": rad,
                    "Aortic enlargement": 0,
                    "Cardiomegaly": vote,
                    "No finding": 1 - vote,
                }
            )
        _touch(root / "train" / f"t{k}.dicom")
    test = [{"image_id": "x0", **{c: 0 for c in classes}}]
    _touch(root / "test" / "x0.dicom")
    (root / "annotations").mkdir(parents=True)
    pd.DataFrame(train).to_csv(root / "annotations" / "image_labels_train.csv", index=False)
    pd.DataFrame(test).to_csv(root / "annotations" / "image_labels_test.csv", index=False)
    data = load_downstream("vindr", root)
    assert data.classes == tuple(classes) and data.split("test")["item_id"].tolist() == ["x0"]
    votes = data.items.set_index("item_id")["Cardiomegaly"]
    assert votes["t1"] == 1 and votes["t0"] == 0  # two of three vs one of three


def test_openi_with_images(tmp_path):
    root = tmp_path / "openi"
    for k in range(1, 5):
        _png(root / "images" / f"CXR{k}_1_IM-000{k}-1001.png")
        xml = (
            f'<eCitation><uId id="CXR{k}"/><MedlineCitation><Article><Abstract>'
            f'<AbstractText Label="FINDINGS">Heart size {k}.</AbstractText>'
            f'<AbstractText Label="IMPRESSION">{"Cardiomegaly." if k % 2 else "Normal."}</AbstractText>'
            f"</Abstract></Article></MedlineCitation><MeSH><major>{'Cardiomegaly/mild' if k % 2 else 'normal'}</major></MeSH>"
            f'<parentImage id="CXR{k}_1_IM-000{k}-1001"/></eCitation>'
        )
        (root / "reports" / "ecgen-radiology").mkdir(parents=True, exist_ok=True)
        (root / "reports" / "ecgen-radiology" / f"{k}.xml").write_text(xml)
    data = load_downstream("openi", root)
    assert len(data.items) == 4 and data.has_reports
    row = data.items.set_index("item_id").loc["CXR1_1_IM-0001-1001"]
    assert (
        row["Cardiomegaly"] == 1 and row["No Finding"] == 0 and row["report"] == "Heart size 1. Cardiomegaly."
    )


def test_generic_csv_and_imagefolder(tmp_path):
    for k in range(6):
        _png(tmp_path / "imgs" / f"{k}.png")
    pd.DataFrame(
        {
            "image_path": [f"imgs/{k}.png" for k in range(6)],
            "label": list("abcabc"),
            "split": ["train", "train", "valid", "test", "test", "test"],
        }
    ).to_csv(tmp_path / "mc.csv", index=False)
    data = load_downstream("csv", tmp_path / "mc.csv")
    assert data.kind == "multiclass" and data.classes == ("a", "b", "c")
    pd.DataFrame({"path": [f"imgs/{k}.png" for k in range(6)], "Effusion": [1, 0, -1, 0, 1, 0]}).to_csv(
        tmp_path / "b.csv", index=False
    )
    binary = load_downstream("csv", tmp_path / "b.csv")
    assert binary.kind == "binary" and binary.items["Effusion"].isna().sum() == 1
    pd.DataFrame({"image_path": ["imgs/missing.png"], "x": [1]}).to_csv(tmp_path / "bad.csv", index=False)
    with pytest.raises(InputError, match="missing.png"):
        load_downstream("csv", tmp_path / "bad.csv")
    for split in ("train", "test"):
        for cls in ("normal", "pneumonia"):
            _png(tmp_path / "folder" / split / cls / "a.png")
    folder = load_downstream("imagefolder", tmp_path / "folder")
    assert folder.classes == ("normal", "pneumonia") and folder.splits == ["train", "test"]
    assert np.array_equal(folder.labels(folder.items).sum(axis=1), np.ones(4))


def test_phantoms(phantom_dataset):
    data = load_downstream("phantoms", phantom_dataset)
    assert set(data.splits) == {"train", "valid", "test"} and data.has_reports
    assert isinstance(data.image_sources(data.split("test"))[0], bytes)
    assert data.hash() == load_downstream("phantoms", phantom_dataset).hash()


def test_unknown_dataset_and_policy():
    with pytest.raises(ConfigError, match="unknown dataset"):
        load_downstream("nope", ".")
    with pytest.raises(ConfigError, match="uncertain-label policy"):
        LoadOptions(uncertain="maybe")
