"""Grid figures draw every run, simulated or a data set."""

import pandas as pd

from spice_lib.plotting import plot_equations


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
