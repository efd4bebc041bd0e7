"""Grid figures draw every run, simulated or a data set."""

import pandas as pd

from spice_lib.plotting import plot_equations, plot_inclusion, plot_model_recovery


def test_the_equations_figure_draws_data_set_runs_too():
    rows = []
    for study, column in (("pop", "parameter_set"), ("lab", "dataset")):
        for participant in ("a", "b"):
            for term, value in (("1", 0.3), ("x[k]", 0.0)):  # a zero coefficient is not drawn
                rows.append({column: study, "seed": 1, "participant": participant, "kind": "term",
                             "module": "x_value_reward_not_chosen", "term": term, "coefficient": value})  # fmt: skip
            rows.append({column: study, "seed": 1, "participant": participant, "kind": "beta",
                         "module": "x_value_reward", "term": "beta", "coefficient": 3.0})  # fmt: skip
    fig, axs = plot_equations(pd.DataFrame(rows))
    collections = [collection for ax in axs for collection in ax.collections]
    assert sum(len(collection.get_offsets()) for collection in collections) == 8  # 2 studies x 2 participants x 2
    assert {collection.get_label() for collection in collections} == {"pop", "lab"}


def inclusion_rows(study_column, study, inclusion):
    return [
        {study_column: study, "seed": 1, "participant": "a", "kind": "term", "module": "m", "term": term,
         "coefficient": 0.5, "inclusion": share, "coefficient_low": 0.4, "coefficient_high": 0.6}
        for term, share in zip(("1", "x[k]"), inclusion)
    ]  # fmt: skip


def test_the_inclusion_figure_marks_terms_of_the_generating_model_and_says_when_there_is_nothing_to_draw():
    equations = pd.DataFrame(inclusion_rows("parameter_set", "pop", (1.0, 0.1)) + inclusion_rows("dataset", "lab", (0.7, 0.0)))
    terms = pd.DataFrame(
        [{"parameter_set": "pop", "seed": 1, "participant": "a", "module": "m", "term": "1", "in_truth": True},
         {"parameter_set": "pop", "seed": 1, "participant": "a", "module": "m", "term": "x[k]", "in_truth": False}]
    )  # fmt: skip
    fig, axs = plot_inclusion(equations, terms)
    top = axs[0]
    drawn = [offset for collection in top.collections for offset in collection.get_offsets().tolist()]
    assert sorted(round(y, 2) for _, y in drawn) == [0.0, 0.1, 0.7, 1.0]  # every term of every run, at its inclusion
    labels = {text.get_text() for text in fig.legends[0].get_texts()}
    assert {"pop", "lab", "in the generating model", "not in the generating model", "truth unknown or without effect"} == labels
    empty, axs = plot_inclusion(equations.assign(inclusion=float("nan")))
    assert "set distillation.resamples" in axs[0].texts[0].get_text()


def test_the_model_recovery_figure_has_one_confusion_matrix_per_data_size():
    table = pd.DataFrame(
        {"n_sessions": [2, 2, 4, 4], "true_family": ["full", "forgetting", "full", "forgetting"],
         "found_family": ["other", "forgetting", "full", "forgetting"]}
    )  # fmt: skip
    fig, axs = plot_model_recovery(table)
    assert len(axs) == 2
    assert "mean diagonal 0.50" in axs[0].get_title() and "mean diagonal 1.00" in axs[1].get_title()


def test_the_model_recovery_figure_says_when_nothing_was_resampled():
    empty = pd.DataFrame({"n_sessions": pd.Series(dtype=int), "true_family": pd.Series(dtype=str), "found_family": pd.Series(dtype=str)})
    fig, axs = plot_model_recovery(empty)
    assert "set distillation.resamples" in axs[0].texts[0].get_text()
