"""The study's summary outputs: stacked tables, the page of equations and the report's readable tables."""

from html.parser import HTMLParser

import numpy as np
import pandas as pd

from spice_lib import AgentQ
from spice_lib.recovery import agent_q_equations, generating_equations
from spice_lib.report import RunEquations, equations_html, stack_runs
from spice_lib.report_tables import readable_table_html


def test_stack_runs_labels_each_runs_rows():
    stacked = stack_runs(
        [pd.DataFrame({"x": [1, 2]}), pd.DataFrame({"x": [3]})],
        [{"parameter_set": "a", "seed": 1}, {"parameter_set": "b", "seed": 2}],
    )
    assert list(stacked.columns) == ["parameter_set", "seed", "x"]
    assert stacked["parameter_set"].tolist() == ["a", "a", "b"] and stacked["x"].tolist() == [1, 2, 3]


def _cell(equation: str, note: str = "") -> str:
    return f'<td><span class="math">{equation}</span>' + (f'<div class="note">{note}</div>' if note else "") + "</td>"


def test_the_equations_page_sets_the_generating_agents_equation_beside_each_discovered_one():
    # Discovered: the truth of participant "b" with a learning rate a little off and forgetting found.
    truth_table = AgentQ(
        alpha_reward=[0.3, 0.5], forget_rate=[0.2, 0.0], beta_reward=[3.0, 5.0], participant_ids=["a", "b"]
    ).parameter_table()
    discovered = agent_q_equations(AgentQ(alpha_reward=0.32, forget_rate=0.1, beta_reward=4.5, participant_ids=["b"]))
    truth = generating_equations(discovered, truth_table, n_actions=2)
    page = equations_html([RunEquations("fixed, seed 3", discovered, truth, "printed <b>")])
    alpha, forget = "<i>α</i>[<i>k</i>+1]", "<i>V</i><sub>nc</sub>[<i>k</i>+1]"
    bounded = "kept in [0, 1]"
    assert "<h2>fixed, seed 3</h2>" in page and "<th>Discovered</th><th>Generating agent</th>" in page
    assert (
        f'<tr class="participant"><td rowspan="6">b</td>{_cell(f"{alpha} = 0.320", bounded)}{_cell(f"{alpha} = 0.500")}</tr>'
        in page
    )
    assert (
        f"<tr>{_cell(f'{forget} = 0.050 + 0.900&#8201;<i>V</i><sub>nc</sub>[<i>k</i>]')}"
        f"{_cell(f'{forget} = 1.000&#8201;<i>V</i><sub>nc</sub>[<i>k</i>]')}</tr>"
    ) in page
    assert f"<tr>{_cell('<i>β</i><sub>V</sub> = 4.500')}{_cell('<i>β</i><sub>V</sub> = 5.000')}</tr>" in page
    assert "(<code>x_learning_rate_reward</code>)" in page  # the legend names each symbol's module
    assert "printed &lt;b&gt;" in page and "printed <b>" not in page


def test_the_equations_page_of_a_data_set_has_no_truth_column():
    equations = agent_q_equations(AgentQ(alpha_reward=0.3))
    page = equations_html([RunEquations("lab <1>, seed 3", equations)])
    assert "<h2>lab &lt;1&gt;, seed 3</h2>" in page and "Generating agent" not in page


class _TableText(HTMLParser):
    """The text of each row of an HTML page's tables, cell by cell (headers too)."""

    def __init__(self):
        super().__init__()
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag):
        if tag in ("td", "th"):
            self.rows[-1].append("".join(self._cell).strip())
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)


def table_rows(page: str) -> list[list[str]]:
    parser = _TableText()
    parser.feed(page)
    return parser.rows


def test_a_report_table_has_headers_in_words_and_rounded_numbers():
    summary = pd.DataFrame(
        {
            "parameter_set": ["pop", "pop"], "parameter": ["alpha_reward", "beta_choice"], "method": ["spice", "mle"],
            "n": [5, 5], "n_unidentified": [0, 2], "r": [0.912345, np.nan], "bias": [-0.01234, 0.5], "rmse": [0.04567, 1.0],
        }
    )  # fmt: skip
    page = readable_table_html("recovery_summary", summary)
    assert "<title>Parameter recovery</title>" in page
    assert table_rows(page) == [
        ["Parameter set", "Parameter", "Recovered by", "Participants", "Not identified", "Pearson r", "Bias", "RMSE"],
        ["pop", "alpha_reward", "SPICE equations", "5", "0", "0.91", "−0.012", "0.046"],
        ["pop", "beta_choice", "true model, maximum likelihood", "5", "2", "–", "+0.500", "1.000"],
    ]
    assert "Nothing to show" in readable_table_html("recovery_summary", pd.DataFrame())


def test_the_scores_table_names_each_run_and_keeps_four_decimals_of_the_nll():
    scores = pd.DataFrame(
        {
            "parameter_set": ["fixed", None], "dataset": [None, "lab"], "seed": [3, 3], "model": ["spice", "agent_q"],
            "n_trials": [38, 40], "nll": [0.457757, 0.6], "normalized_likelihood": [0.632701, 0.548812],
            "n_parameters": [3, 18], "bic": [112.49854, np.nan], "reference": ["agent_q", "agent_q"],
            "difference": [0.00299, 0.0], "low": [-0.0012, 0.0], "high": [0.0071, 0.0], "participants_better": [0.4, 0.0],
        }
    )  # fmt: skip
    header, fixed, lab = table_rows(readable_table_html("scores", scores))
    assert header[:5] == ["Study", "Seed", "Model", "Held-out trials", "Held-out NLL per trial"]
    assert fixed == [
        "fixed",
        "3",
        "spice",
        "38",
        "0.4578",
        "0.633",
        "3",
        "112.5",
        "agent_q",
        "+0.0030",
        "[−0.0012, 0.0071]",
        "40%",
    ]
    assert lab[0] == "lab" and lab[7] == "–"
