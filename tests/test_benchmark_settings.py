"""The study benchmarks' `--set SECTION.KEY=VALUE`: a setting lands in its section of the overlay the
workflow reads, beside the overlay's own settings there."""

import yaml

from benchmarks.common import study_overlay


def test_a_set_setting_joins_its_section_and_keeps_the_overlays_own(tmp_path):
    overlay = {"distillation": {"resamples": 10}, "seeds": [1]}
    path = study_overlay(
        tmp_path, overlay, "study.yaml", ["training.weight_decay=0", "distillation.select_terms=False", "seeds=[3]"]
    )
    written = yaml.safe_load(path.read_text())
    assert written == {"distillation": {"resamples": 10, "select_terms": False}, "seeds": [3], "training": {"weight_decay": 0}}
    assert path == tmp_path / "study.yaml"
