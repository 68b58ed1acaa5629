"""Control images: same split, report not stating the target, so a score reflects the image, not a text prior."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Sequence

DEFAULT_CONTROLS = 4


def assign_controls(rows: Sequence[dict], seed: int, k: int = DEFAULT_CONTROLS) -> None:
    """Fill ``control_image_ids`` of rows of one (op, split) file, in place.

    Candidates are images of the same file (so the evaluator can resolve them)
    from other patients whose reports do not state the target as present or possible.
    """
    pool = [(row["image_id"], row["patient_id"], row["_stated"]) for row in rows if row["has_image"]]
    pool = sorted(set(pool), key=lambda entry: entry[0])
    for row in rows:
        row["control_image_ids"] = []
        if not row["has_image"] or k <= 0 or not pool:
            continue
        key = hashlib.sha256(f"{seed}:{row['item_id']}:controls".encode()).hexdigest()
        rng = random.Random(key)
        chosen: list[str] = []
        seen: set[str] = set()
        order = list(range(len(pool)))
        if len(pool) > 64:
            order = [rng.randrange(len(pool)) for _ in range(min(len(pool), 32 * k))]
        else:
            rng.shuffle(order)
        for index in order:
            image_id, patient_id, stated = pool[index]
            if image_id in seen or image_id == row["image_id"]:
                continue
            seen.add(image_id)
            if row["target"] in stated or (patient_id is not None and patient_id == row["patient_id"]):
                continue
            chosen.append(image_id)
            if len(chosen) >= k:
                break
        row["control_image_ids"] = chosen
