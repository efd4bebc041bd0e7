"""The study's summary outputs: stacked tables and the page of printed models."""

import pandas as pd

from spice_lib.report import equations_html, stack_runs


def test_stack_runs_labels_each_runs_rows():
    stacked = stack_runs(
        [pd.DataFrame({"x": [1, 2]}), pd.DataFrame({"x": [3]})],
        [{"parameter_set": "a", "seed": 1}, {"parameter_set": "b", "seed": 2}],
    )
    assert list(stacked.columns) == ["parameter_set", "seed", "x"]
    assert stacked["parameter_set"].tolist() == ["a", "a", "b"] and stacked["x"].tolist() == [1, 2, 3]


def test_equations_page_escapes_what_it_shows():
    page = equations_html({"a, seed 1": "(x)[k+1] = 0.5 1 <b>"})
    assert "<h2>a, seed 1</h2>" in page and "&lt;b&gt;" in page and "<b>" not in page
