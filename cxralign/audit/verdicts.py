"""The verdict file a review sheet saves: validated, and checked against the build it claims to judge."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from cxralign.audit.identity import BuildIdentity, text_sha256
from cxralign.audit.sample import item_key, read_rows, sample_hash
from cxralign.errors import InputError

VERDICTS = ("correct", "awkward", "wrong")
Verdict = Literal["correct", "awkward", "wrong"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BuildRef(_Strict):
    data_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    reports_sha256: str | None = None
    source: str | None = None
    cxralign: str | None = None


class SampleRef(_Strict):
    seed: int
    requested: int = Field(ge=1)
    per_op: dict[str, int]
    available: dict[str, int]
    sample_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")


class ItemVerdict(_Strict):
    key: str
    item_id: str
    op: str
    target: str
    variant_sha256: str
    verdict: Verdict | None = None
    reason: str = ""

    @model_validator(mode="after")
    def _key_names_the_row(self) -> ItemVerdict:
        if self.key != item_key(self.op, self.item_id):
            raise ValueError(f"key {self.key!r} is not {item_key(self.op, self.item_id)!r}")
        return self


class VerdictFile(_Strict):
    format: Literal["cxralign-audit-verdicts"]
    format_version: Literal[1]
    build: BuildRef
    sample: SampleRef
    reviewer: str = ""
    reviewed_on: dt.date | None = None
    items: list[ItemVerdict] = Field(min_length=1)

    @model_validator(mode="after")
    def _rows_are_the_sample(self) -> VerdictFile:
        keys = [item.key for item in self.items]
        if len(set(keys)) != len(keys):
            raise ValueError("a row appears twice")
        if sample_hash(self.build.data_sha256, self.sample.seed, keys) != self.sample.sample_sha256:
            raise ValueError("its rows are not the sample the sheet drew (rows added or removed)")
        return self

    @property
    def unreviewed(self) -> list[ItemVerdict]:
        return [item for item in self.items if item.verdict is None]


def load_verdicts(path: str | Path) -> VerdictFile:
    """Parse and validate; any problem is one line naming the file and the first bad field."""
    source = Path(path)
    try:
        data = json.loads(source.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{source}: no such verdict file") from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise InputError(f"{source}: not a JSON verdict file ({error})") from None
    try:
        return VerdictFile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "file"
        raise InputError(
            f"{source}: not a valid verdict file: {where}: {first['msg']} ({error.error_count()} problem(s))"
        ) from None


def check_against_build(verdicts: VerdictFile, identity: BuildIdentity, source: Path) -> None:
    """Refuse verdicts made on another build, or on rows whose text has changed since."""
    if verdicts.build.data_sha256 != identity.data_sha256:
        raise InputError(
            f"{source}: these verdicts judge build data {verdicts.build.data_sha256[:12]}, but {identity.path} "
            f"is {identity.data_sha256[:12]}: sample a sheet from this build"
        )
    ops = sorted({item.op for item in verdicts.items})
    rows = read_rows(identity.path, ops)
    texts = {item_key(op, row["item_id"]): row["variant"] for op, op_rows in rows.items() for row in op_rows}
    for item in verdicts.items:
        if item.key not in texts:
            raise InputError(f"{source}: row {item.key} is not in {identity.path}")
        if text_sha256(texts[item.key]) != item.variant_sha256:
            raise InputError(f"{source}: row {item.key} judged a different variant text than {identity.path} holds")
