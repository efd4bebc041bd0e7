"""Grid figures draw every run, simulated or a data set; every figure says what it shows and fits a journal page."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_hex

from spice_lib import AgentQ, BanditsDrift, create_dataset
from spice_lib.equations import EquationSet, ModuleEquation
from spice_lib.figure_style import DOUBLE_COLUMN, FONT_SIZE, PNG_DPI, SMALL_FONT_SIZE, model_color
from spice_lib.plotting import (
    EQUATION_COLUMN,
    plot_comparison,
    plot_equations,
    plot_equations_math,
    plot_history,
    plot_inclusion,
    plot_model_recovery,
    plot_recovery,
    plot_scores,
    plot_session,
    save_figure,
)
from spice_lib.recovery import agent_q_equations


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
        {"n_sessions": [2, 2, 4, 4], "true_family": ["full", "rescorla_wagner", "full", "rescorla_wagner"],
         "found_family": ["other", "rescorla_wagner", "full", "rescorla_wagner"]}
    )  # fmt: skip
    fig, axs = plot_model_recovery(table)
    assert len(axs) == 2
    assert "mean diagonal 0.50" in axs[0].get_title() and "mean diagonal 1.00" in axs[1].get_title()
    assert [label.get_text() for label in axs[0].get_yticklabels()] == ["Rescorla-Wagner", "full"]


def test_the_model_recovery_figure_says_when_nothing_was_resampled():
    empty = pd.DataFrame({"n_sessions": pd.Series(dtype=int), "true_family": pd.Series(dtype=str), "found_family": pd.Series(dtype=str)})
    fig, axs = plot_model_recovery(empty)
    assert "set distillation.resamples" in axs[0].texts[0].get_text()


# -- paper-ready figures: what each figure says, and that every one shares a style and fits a journal page --


def recovery_rows():
    """A population of 24 and one single-participant set; alpha_choice is 1 for everyone."""
    generator = np.random.default_rng(0)
    rows = []
    for parameter_set, n in (("pop", 24), ("single", 1)):
        for participant in range(n):
            alpha = generator.uniform(0.1, 0.9) if parameter_set == "pop" else 0.5
            for parameter, true in (("alpha_reward", alpha), ("alpha_choice", 1.0)):
                rows.append({"parameter_set": parameter_set, "seed": 1, "participant": str(participant), "parameter": parameter,
                             "method": "spice", "true": true, "recovered": true + 0.05 * generator.normal()})  # fmt: skip
    return pd.DataFrame(rows)


def panel_titled(axs, start):
    return next(ax for ax in axs if ax.get_title().startswith(start))


def test_a_parameter_the_study_does_not_vary_is_said_to_be_fixed_instead_of_drawn_as_a_dot():
    table = recovery_rows()
    table.loc[table["parameter"] == "alpha_choice", "recovered"] = 1.0
    fig, axs = plot_recovery(table)
    fixed = panel_titled(axs, "alpha choice")
    assert [text.get_text() for text in fixed.texts] == ["fixed at 1 in every set"] and not fixed.collections
    varied = panel_titled(axs, "alpha reward (r = ")
    assert len(varied.lines) == 1  # the identity line
    # the single participant is drawn last (on top of the cloud), bigger and edged
    cloud, single = varied.collections
    assert (cloud.get_label(), single.get_label()) == ("pop", "single")
    assert single.get_sizes()[0] > cloud.get_sizes()[0] and single.get_linewidths()[0] > 0


def test_a_fixed_parameter_recovered_at_other_values_says_where():
    fig, axs = plot_recovery(recovery_rows())
    text = panel_titled(axs, "alpha choice").texts[0].get_text()
    assert text.startswith("fixed at 1 in every set\nrecovered ")


def test_participants_without_a_value_are_counted_in_the_title():
    table = recovery_rows()
    dropped = (table["parameter_set"] == "pop") & (table["parameter"] == "alpha_reward") & table["participant"].isin(["0", "1", "2"])
    table.loc[dropped, "recovered"] = np.nan
    fig, axs = plot_recovery(table)
    panel = panel_titled(axs, "alpha reward (r = ")
    assert panel.get_title().endswith("\n3 not identified")
    assert sum(len(points.get_offsets()) for points in panel.collections) == 22  # 21 of the 24 and the single one


def test_an_estimate_far_off_is_drawn_at_the_edge_and_counted_instead_of_squeezing_the_rest():
    table = recovery_rows()
    far = (table["parameter_set"] == "pop") & (table["parameter"] == "alpha_reward") & (table["participant"] == "0")
    table.loc[far, "recovered"] = -9.6
    fig, axs = plot_recovery(table)
    panel = panel_titled(axs, "alpha reward (r = ")
    true = table.loc[table["parameter"] == "alpha_reward", "true"]
    low, high = panel.get_ylim()
    assert low >= true.min() - 1.2 * (true.max() - true.min()) and high <= true.max() + 1.2 * (true.max() - true.min())
    assert panel.get_title().endswith("\n1 beyond the axis (triangles)")
    edge = [points for points in panel.collections if len(points.get_offsets()) == 1 and points.get_offsets()[0][1] == low]
    assert len(edge) == 1 and edge[0].get_offsets()[0][0] == pytest.approx(true[far].iloc[0])


def equation_rows():
    terms = {"1": 0.2, "x_value_reward_not_chosen[k]": -0.3, "c_reward[k]": 0.4, "x_value_reward_not_chosen[k] c_reward[k]": 0.1}
    rows = [{"parameter_set": "pop", "seed": 1, "participant": "a", "kind": "term", "module": "x_value_reward_not_chosen",
             "term": term, "coefficient": value} for term, value in terms.items()]  # fmt: skip
    rows.append({"parameter_set": "pop", "seed": 1, "participant": "a", "kind": "beta", "module": "x_value_reward",
                 "term": "beta", "coefficient": 3.0})  # fmt: skip
    return pd.DataFrame(rows)


def test_the_equations_figure_labels_its_axes_and_writes_terms_as_symbols():
    fig, axs = plot_equations(equation_rows())
    assert [ax.get_ylabel() for ax in axs] == ["coefficient", "β"]
    terms = [label.get_text() for label in axs[0].get_xticklabels()]
    assert terms == ["constant", r"$V^{\mathrm{nc}}$", "$r$", r"$V^{\mathrm{nc}}\,r$"]
    assert [label.get_text() for label in axs[1].get_xticklabels()] == [r"$\beta_{V}$"]


def score_rows():
    return pd.DataFrame(
        [{"parameter_set": name, "seed": seed, "model": model, "nll": 0.6 + 0.01 * seed}
         for name in ("fixed", "pop") for seed in (3, 4) for model in ("truth", "rnn", "spice", "gru")]
        + [{"parameter_set": None, "seed": 3, "model": "rnn", "nll": 0.5}]
    )  # fmt: skip


def test_the_nll_figure_names_each_seed_and_the_units():
    fig, axs = plot_scores(score_rows())
    legend = [text.get_text() for text in fig.legends[0].get_texts()]
    assert legend == ["true agent", "SPICE network", "SPICE equations", "seed 3", "seed 4"]
    assert all("nats per trial" in ax.get_ylabel() for ax in axs)
    # one marker shape per seed
    shapes = {collection.get_paths()[0].vertices.tobytes() for collection in axs[0].collections}
    assert len(shapes) == 2


def comparison_tables():
    models = ["spice", "rnn", "gru", "rescorla_wagner", "agent_q", "truth"]
    by_participant = pd.DataFrame(
        [{"participant": p, "model": m, "normalized_likelihood": 0.6 + 0.01 * i, "n_trials": 20}
         for p in ("a", "b", "c") for i, m in enumerate(models)]
    )  # fmt: skip
    pooled = pd.DataFrame({"model": models, "reference": "rescorla_wagner", "difference": 0.01, "low": 0.0, "high": 0.02,
                           "participants_better": 0.5})  # fmt: skip
    return by_participant, pooled


def session_figure(agent):
    """The true agent standing in for all three models: the figure's layout needs no training."""
    dataset, _, _ = create_dataset(agent, BanditsDrift(0.2), n_trials=15, n_sessions=1, seed=0)
    return plot_session({"groundtruth": agent, "rnn": agent, "spice": agent}, dataset.xs[0])


def every_figure(agent):
    history = pd.DataFrame({"epoch": [1, 2], "train_loss": [0.7, 0.6], "validation_loss": [0.72, 0.65]})
    model_recovery = pd.DataFrame({"n_sessions": [2, 4, 8], "true_family": ["full"] * 3, "found_family": ["full"] * 3})
    inclusion = pd.DataFrame(inclusion_rows("parameter_set", "pop", (1.0, 0.1)))
    return {
        "session": session_figure(agent),
        "history": plot_history(history, 0.65),
        "scores": plot_scores(score_rows()),
        "comparison": plot_comparison(*comparison_tables()),
        "equations": plot_equations(equation_rows()),
        "inclusion": plot_inclusion(inclusion),
        "model_recovery": plot_model_recovery(model_recovery),
        "recovery": plot_recovery(recovery_rows()),
        "message": plot_recovery(recovery_rows().iloc[:0]),
    }


def test_every_figure_fits_a_journal_page_in_the_figure_style_whatever_the_callers_style(tmp_path, tutorial_agent):
    with plt.rc_context({"font.size": 20, "xtick.labelsize": 20}):
        figures = every_figure(tutorial_agent)
    for name, (fig, axs) in figures.items():
        ax = np.atleast_1d(axs)[0]
        assert ax.title.get_fontsize() in (FONT_SIZE, SMALL_FONT_SIZE), name
        assert all(label.get_fontsize() == SMALL_FONT_SIZE for label in ax.get_xticklabels()), name
        save_figure(fig, tmp_path / f"{name}.png")
        height, width = plt.imread(tmp_path / f"{name}.png").shape[:2]
        assert width / PNG_DPI <= DOUBLE_COLUMN, name  # as saved, labels and legends included


def test_each_model_has_one_colour_in_every_figure_and_the_networks_line_shows_under_the_equations(tutorial_agent):
    fig, axs = session_figure(tutorial_agent)
    lines = {line.get_label(): line for line in axs[1].lines}
    network, equations = lines["SPICE network"], lines["SPICE equations"]
    assert network.get_linewidth() > equations.get_linewidth() and network.get_zorder() < equations.get_zorder()
    fig, scores_axs = plot_scores(score_rows())
    fig, comparison_axs = plot_comparison(*comparison_tables())
    in_scores = {to_hex(c.get_facecolor()[0]) for c in scores_axs[0].collections}
    for model, label in (("spice", "SPICE equations"), ("rnn", "SPICE network")):
        color = to_hex(model_color(model))
        in_comparison = to_hex(panel_titled(comparison_axs, label).collections[0].get_facecolor()[0])
        assert to_hex(lines[label].get_color()) == in_comparison == color and color in in_scores
    assert to_hex(lines["true agent"].get_color()) == to_hex(model_color("truth"))


def test_the_choice_value_panels_say_that_each_model_has_its_own_scale(tutorial_agent):
    fig, axs = session_figure(tutorial_agent)
    notes = {ax.get_ylabel(): ax.get_title(loc="right") for ax in axs[2:]}
    assert "own scale" in notes["value choice"] and "own scale" in notes["value reward"]


# -- the equations as mathematics --


def columns_of(texts):
    """The texts of the equations figure by column: x is in inches from the left."""
    return [[t.get_text() for t in texts if t.get_position()[0] < EQUATION_COLUMN],
            [t.get_text() for t in texts if t.get_position()[0] >= EQUATION_COLUMN]]  # fmt: skip


def saved_width(fig, tmp_path, name):
    save_figure(fig, tmp_path / f"{name}.png", tmp_path / f"{name}.pdf")
    assert (tmp_path / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    return plt.imread(tmp_path / f"{name}.png").shape[1] / PNG_DPI


def test_the_equations_figure_sets_the_discovered_equations_beside_the_generating_agents(tmp_path):
    truth = agent_q_equations(AgentQ(alpha_reward=0.3, forget_rate=0.2, beta_reward=3.0, alpha_choice=1.0, beta_choice=1.0))
    found = agent_q_equations(AgentQ(alpha_reward=0.35, forget_rate=0.15, beta_reward=2.7, alpha_choice=0.8, beta_choice=1.4))
    with plt.rc_context({"font.size": 20}):
        fig, texts = plot_equations_math(found, truth, title="Equations of parameter_set~fixed, seed 3")
    fig.canvas.draw()  # mathtext parses every text here, or raises
    discovered, generating = columns_of(texts)
    assert {"discovered", "participant 0", r"$\alpha_{k+1} = 0.350$", r"$C^{\mathrm{c}}_{k+1} = 0.800 + 0.200\,C^{\mathrm{c}}_{k}$",
            r"$V^{\mathrm{nc}}_{k+1} = 0.075 + 0.850\,V^{\mathrm{nc}}_{k}$", r"$\beta_{V} = 2.700$,  $\beta_{C} = 1.400$"} <= set(discovered)  # fmt: skip
    assert {"generating agent", r"$\alpha_{k+1} = 0.300$", r"$C^{\mathrm{c}}_{k+1} = 1.000$",
            r"$V^{\mathrm{nc}}_{k+1} = 0.100 + 0.800\,V^{\mathrm{nc}}_{k}$", r"$\beta_{V} = 3.000$,  $\beta_{C} = 1.000$"} <= set(generating)  # fmt: skip
    assert any(text.startswith(r"$V^{\mathrm{nc}}$: reward value of an arm not chosen") for text in discovered + generating)
    assert r"Kept in [0, 1]: $\alpha$, $C^{\mathrm{c}}$, $C^{\mathrm{nc}}$." in discovered
    assert {t.get_fontsize() for t in texts} <= {FONT_SIZE, FONT_SIZE + 1, SMALL_FONT_SIZE}  # the figure style
    assert saved_width(fig, tmp_path, "equations_math") <= DOUBLE_COLUMN


def test_the_equations_figure_of_a_population_shows_its_first_participants_and_breaks_long_equations(tmp_path):
    names = ["x_learning_rate_reward", "c_reward", "c_value_reward"]
    powers = [[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1], [2, 0, 0], [1, 1, 0], [1, 0, 1], [0, 2, 0], [0, 1, 1], [0, 0, 2]]
    coefficients = np.tile(np.linspace(-1.2, 1.3, len(powers)), (5, 1))  # every term, in every participant
    equations = EquationSet({"x_learning_rate_reward": ModuleEquation(names, powers, coefficients, bounds=(0.0, 1.0))},
                            {"x_value_reward": np.full(5, 3.0)}, ["s1", "s2", "s3", "s4", "s5"])  # fmt: skip
    fig, texts = plot_equations_math(equations)  # a data set: no generating agent
    fig.canvas.draw()
    discovered, generating = columns_of(texts)
    assert not generating and "generating agent" not in discovered
    assert [text for text in discovered if text.startswith("participant")] == ["participant s1", "participant s2", "participant s3"]
    assert "the first 3 of 5 participants (every participant: equations.tex)" in discovered
    continued = [text for text in discovered if text.startswith(r"$\qquad")]
    assert len(continued) >= 3  # broken between terms, in each participant's equation
    assert saved_width(fig, tmp_path, "long") <= EQUATION_COLUMN
