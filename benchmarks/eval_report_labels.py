"""The report engine's quality figures quoted in docs/reports.md, in one run.

    python benchmarks/eval_report_labels.py

* OpenI (3,955 real reports read in place from torchxrayvision's archive, CC BY-NC-ND: nothing is written)
  against the human MeSH *major* indexing, per ChestX-ray14 label, with -1 counted as present (what a
  user thresholding "not negative" gets) and with only 1.0 counted. A rough check, not a clean held-out
  set: the indexing is coarse and the engine's rules were written while reading this set.
* The NegEx annotated sentences (negated class).
* NegBio2's ChestX-ray14 phrase conventions on the engine's template sentences.
* The regression corpus, pattern by pattern.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from cxralign.reports import analyze, report_labels
from cxralign.reports.evaluation import negbio_phrase_agreement, score_negex, score_openi

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "reports"


def main() -> None:
    for present in (True, False):
        score = score_openi(uncertain_present=present)
        counted = "1.0 and -1.0 present" if present else "only 1.0 present"
        print(f"OpenI vs MeSH ({score.reports:,} reports, {counted}): macro-F1 {score.macro_f1:.3f}, "
              f"micro-F1 {score.micro_f1:.3f}, precision {score.micro_precision:.3f}, recall {score.micro_recall:.3f}")  # fmt: skip
        for label, (gold, precision, recall, f1) in score.per_label.items():
            print(f"  {label:<20} gold {gold:4d}  P {precision:.3f}  R {recall:.3f}  F1 {f1:.3f}")
    negex = score_negex(FIXTURES / "negex" / "rsAnnotations-1-120-random.txt")
    print(f"NegEx sentences ({negex.sentences:,}): negated P {negex.precision:.3f} R {negex.recall:.3f} "
          f"F1 {negex.f1:.3f} ({negex.not_found} conditions not found verbatim)")  # fmt: skip
    agreement = negbio_phrase_agreement(FIXTURES / "negbio2" / "cxr14_phrases_v2.yml")
    for frame in ("positive", "negated", "uncertain"):
        agree, total = agreement.total(frame)
        print(f"NegBio2 phrases, {frame:<9} frame: {agree}/{total} agree")
    patterns = yaml.safe_load((FIXTURES / "regression" / "patterns.yaml").read_text(encoding="utf-8"))
    for name, group in patterns.items():
        cases = group["cases"]
        passed = sum(report_labels(analyze(text), "cxr14")[label] == want for text, label, want, *_ in cases)
        print(f"regression {name:<28} {passed}/{len(cases)} sentences give the expected ChestX-ray14 label")


if __name__ == "__main__":
    main()
