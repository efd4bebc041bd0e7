"""The Snakemake workflow end to end: dry run of the default study, a full run of a tiny one, reruns,
config validation, lint and formatting."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from snakemake_runs import LAB_FILE, ROOT, TINY, job_counts, snakemake

from spice_lib.equations import read_equations
from spice_lib.estimator import SpiceEstimator
from spice_lib.notation import latex_equations
from spice_lib.trials_io import read_table, read_trials

pytestmark = pytest.mark.workflow


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    """The tiny study run locally on 2 cores: its working directory."""
    directory = tmp_path_factory.mktemp("tiny")
    snakemake("--cores", "2", "--configfile", str(TINY), directory=directory)
    return directory


# The models every run is compared on (and, for simulated runs, the true agent after them).
MODELS = ("spice", "rnn", "gru", "rescorla_wagner", "rescorla_wagner_forgetting", "agent_q")


def test_dry_run_of_the_default_study(tmp_path):
    result = snakemake("-n", "--cores", "2", "--configfile", str(ROOT / "config.yaml"), directory=tmp_path)
    config = yaml.safe_load((ROOT / "config.yaml").read_text())
    runs = len(config["parameter_sets"]) * len(config["seeds"])
    counts = job_counts(result.stdout)
    every_run = ("simulate_truth", "simulate_training", "simulate_test", "train", "train_gru", "fit_classic", "distill")
    for rule in every_run + ("evaluate", "recover", "figure_session", "figure_loss", "figure_comparison", "figure_equations_math"):
        assert counts[rule] == runs, rule
    assert "import_data" not in counts and not config["datasets"]
    assert counts["aggregate"] == 5 and counts["figure_nll"] == 1 and counts["all"] == 1
    assert counts["term_recovery_summary"] == 1
    assert "figure_inclusion" not in counts and config["distillation"]["resamples"] == 0  # drawn only with resamples


def test_bad_config_stops_before_any_job_naming_the_key(tmp_path):
    config = yaml.safe_load(TINY.read_text())
    config["training"]["epoch"] = 3  # a typo
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(config))
    result = snakemake("-n", "--cores", "1", "--configfile", str(bad), directory=tmp_path, check=False)
    assert result.returncode != 0
    assert "'epoch' was unexpected" in result.stdout + result.stderr
    assert "Job stats" not in result.stdout

    config = yaml.safe_load(TINY.read_text())
    config["parameter_sets"][0]["alpha_reward_low"] = 1.5
    bad.write_text(yaml.safe_dump(config))
    result = snakemake("-n", "--cores", "1", "--configfile", str(bad), directory=tmp_path, check=False)
    assert result.returncode != 0 and "1.5 is greater than the maximum of 1" in result.stdout + result.stderr


def test_tiny_study_produces_every_output_with_its_schema(tiny_run):
    config = yaml.safe_load(TINY.read_text())
    results = tiny_run / "results"
    for parameter_set in config["parameter_sets"]:
        for seed in config["seeds"]:
            run = f"parameter_set~{parameter_set['name']}/seed~{seed}"
            trials, metadata = read_trials(results / "data" / run / "trials.parquet")
            assert metadata["n_actions"] == 2 and len(metadata["participants"]) == parameter_set["n_participants"]
            assert trials["participant"].nunique() == parameter_set["n_participants"]
            truth, _ = read_table(results / "data" / run / "truth.parquet")
            assert len(truth) == parameter_set["n_participants"]
            equations, provenance = read_equations(results / "equations" / run / "equations.parquet")
            assert set(equations.modules) == {
                "x_learning_rate_reward", "x_value_reward_not_chosen", "x_value_choice_chosen", "x_value_choice_not_chosen"
            }  # fmt: skip
            assert equations.participant_ids == metadata["participants"]
            assert provenance["seed"] == seed and "torch" in provenance["versions"]
            assert "SPICE modules:" in (results / "equations" / run / "model.txt").read_text()
            assert (results / "equations" / run / "equations.tex").read_text() == latex_equations(equations)
            scores, _ = read_table(results / "scores" / run / "scores.parquet")
            assert (results / "recovery" / run / "recovery.parquet").exists()
            assert list(scores["model"]) == list(MODELS) + ["truth"]
            assert {"nll", "normalized_likelihood", "bic", "n_trials", "n_parameters"} <= set(scores.columns)
            assert {"reference", "difference", "low", "high", "participants_better"} <= set(scores.columns)
            assert (scores["normalized_likelihood"] > 0.3).all()
            for figure in ("session.png", "loss.png", "comparison.png"):
                assert (results / "figures" / run / figure).stat().st_size > 10_000
    names = ("scores", "scores_by_participant", "equations", "recovery")
    tables = {name: read_table(results / "tables" / f"{name}.parquet")[0] for name in names}
    runs = len(config["parameter_sets"]) * len(config["seeds"])
    assert len(tables["scores"]) == (len(MODELS) + 1) * runs + len(MODELS) * len(config["seeds"])
    assert set(tables["equations"]["parameter_set"].dropna()) == {p["name"] for p in config["parameter_sets"]}
    assert set(tables["equations"]["dataset"].dropna()) == {"lab"}
    assert set(tables["recovery"]["parameter"]) >= {"alpha_reward", "forget_rate", "beta_reward"}
    assert set(tables["recovery"]["method"]) == {"spice", "mle"}
    summary, _ = read_table(results / "tables" / "recovery_summary.parquet")
    assert len(summary) == len(tables["recovery"].groupby(["parameter_set", "parameter", "method"]))
    assert {"r", "bias", "rmse", "n"} <= set(summary.columns)
    for figure in ("nll", "equations", "recovery", "inclusion"):
        assert (results / "figures" / f"{figure}.png").stat().st_size > 10_000
    assert "Discovered equations" in (results / "tables" / "equations.html").read_text()
    # Inclusion probabilities: every simulated participant has two training sessions or more; each of the
    # lab's participants has one after the held-out split (s01's second block is held out), which a
    # bootstrap of sessions cannot resample.
    terms = tables["equations"][tables["equations"]["kind"] == "term"]
    simulated = terms[terms["parameter_set"].notna()]
    assert simulated["inclusion"].between(0, 1).all() and (simulated["coefficient_low"] <= simulated["coefficient_high"]).all()
    assert terms[terms["dataset"] == "lab"]["inclusion"].isna().all()
    lab_printed = (results / "equations" / f"dataset~lab/seed~{config['seeds'][0]}" / "model.txt").read_text()
    assert "terms kept: not resampled (a single session)" in lab_printed
    printed = (results / "equations" / f"parameter_set~pop/seed~{config['seeds'][0]}" / "model.txt").read_text()
    assert "terms kept in 2 resamples" in printed
    term_recovery, _ = read_table(results / "tables" / "term_recovery.parquet")
    assert set(term_recovery["parameter_set"]) == {p["name"] for p in config["parameter_sets"]}
    assert term_recovery["in_truth"].any() and term_recovery["share_found"].between(0, 1).all()
    log = (results / "logs" / "train" / f"parameter_set~fixed/seed~{config['seeds'][0]}.log").read_text()
    assert "Epoch 4/4" in log


def test_a_data_set_is_imported_split_and_compared_with_every_model(tiny_run):
    results = tiny_run / "results"
    imported, metadata = read_trials(results / "data" / "dataset~lab" / "imported.parquet")
    assert metadata["participants"] == ["s01", "s02", "s03"] and metadata["n_actions"] == 2
    assert imported["choice"].min() == 0 and imported["reward"].max() == 1.0  # 1-based arms, points 0-100
    split, _ = read_table(results / "data" / "dataset~lab" / "split.parquet")
    held = split.groupby(["participant", "session"])["held_out"]
    assert held.all().loc["s01"].sum() == 1  # two blocks: one held out whole
    assert split[split.participant == "s02"]["held_out"].sum() == 6  # one block: its last 20% (of 30)
    log = (results / "logs" / "import_data" / "dataset~lab.log").read_text()
    assert "1-based" in log and "n_actions = 2" in log
    for seed in yaml.safe_load(TINY.read_text())["seeds"]:
        by_participant, _ = read_table(results / "scores" / f"dataset~lab/seed~{seed}" / "by_participant.parquet")
        assert len(by_participant) == len(MODELS) * 3 and "truth" not in set(by_participant["model"])
        for model in MODELS:  # every model, every participant, the same held-out trials
            rows = by_participant[by_participant.model == model].set_index("participant")
            assert rows["n_trials"].to_dict() == {"s01": 29, "s02": 6, "s03": 6}, model
            assert rows["nll"].notna().all()
        assert (results / "figures" / f"dataset~lab/seed~{seed}" / "comparison.png").stat().st_size > 10_000


def test_each_network_takes_the_weight_decay_that_best_predicts_held_out_training_trials(tiny_run):
    results = tiny_run / "results"
    run = f"dataset~lab/seed~{yaml.safe_load(TINY.read_text())['seeds'][0]}"
    _, metadata = read_table(results / "models" / run / "history.parquet")
    choices = pd.DataFrame(metadata["weight_decay_choice"])
    assert choices["weight_decay"].tolist() == [0.001, 0.01] and choices["chosen"].sum() == 1
    chosen = choices.loc[choices["chosen"], "weight_decay"].item()
    assert chosen == choices.loc[choices["validation_nll"].idxmin(), "weight_decay"]
    assert SpiceEstimator.load(results / "models" / run / "model.pt").weight_decay == chosen
    assert f"Chosen: {chosen:g}" in (results / "logs" / "train" / f"{run}.log").read_text()
    gru_log = (results / "logs" / "train_gru" / f"{run}.log").read_text()
    assert "Weight decay 0.0001:" in gru_log and "Weight decay 0.001:" in gru_log and "Chosen: " in gru_log


def test_participants_share_strength_in_one_structure_where_there_are_enough(tiny_run):
    results = tiny_run / "results"
    seed = yaml.safe_load(TINY.read_text())["seeds"][0]
    population = f"parameter_set~pop/seed~{seed}"
    equations, _ = read_equations(results / "equations" / population / "equations.parquet")
    # One structure: the population's, printed with its prior at the end of model.txt. Every participant has
    # its terms and no other; a term a participant seems to lack is a constant moved to the bound it acts at
    # (a learning rate of 0 is the empty equation's value), which the table cannot tell from no term.
    printed = (results / "equations" / population / "model.txt").read_text()
    prior = printed.split("The population (every participant's numbers drawn from these):")[1].strip().splitlines()[1:]
    shared = {(line.split()[0], " ".join(line.split()[1:-2])) for line in prior}
    for name, equation in equations.modules.items():
        in_structure = np.array([(name, term) in shared for term in equation.term_names])
        terms = equation.coefficients != 0
        assert not terms[:, ~in_structure].any(), name
        if not terms[:, in_structure].all():  # only an equation that is a constant, at a bound that is its centre
            assert in_structure.sum() == 1 and equation.term_names[int(np.flatnonzero(in_structure)[0])] == "1", name
            assert equation.center in equation.bounds, name
    assert {module for module, _ in shared} >= {"x_learning_rate_reward", "beta"}
    assert "Sharing strength: 5 participants" in (results / "logs" / "distill" / f"{population}.log").read_text()
    alone = (results / "logs" / "distill" / f"dataset~lab/seed~{seed}.log").read_text()
    assert "with 3, each participant's equations stand alone" in alone


def test_a_bad_data_file_fails_its_import_naming_file_column_and_row(tmp_path):
    bad = tmp_path / "bad.csv"
    lines = LAB_FILE.read_text().splitlines()
    lines[5] = lines[5].rsplit(",", 2)[0] + ",7," + lines[5].rsplit(",", 1)[1]  # data row 5: arm 7 of 2
    bad.write_text("\n".join(lines) + "\n")
    config = yaml.safe_load(TINY.read_text())
    config["parameter_sets"] = []
    config["datasets"][0].update(path=str(bad), n_actions=2)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(config))
    result = snakemake("--cores", "1", "--configfile", str(path), directory=tmp_path, check=False)
    assert result.returncode != 0
    message = f"{bad}: column 'choice', data row 5"
    assert message in result.stdout + result.stderr
    assert message in (tmp_path / "results" / "logs" / "import_data" / "dataset~lab.log").read_text()
    assert not (tmp_path / "results" / "data").exists() or not list((tmp_path / "results" / "data").rglob("*.parquet"))
    assert not (tmp_path / "results" / "models").exists()

    config["datasets"][0]["path"] = str(tmp_path / "missing.csv")
    path.write_text(yaml.safe_dump(config))
    result = snakemake("-n", "--cores", "1", "--configfile", str(path), directory=tmp_path, check=False)
    assert result.returncode != 0 and "missing.csv' is not a file" in result.stdout + result.stderr
    assert "Job stats" not in result.stdout


def test_every_table_carries_its_settings_seed_and_versions(tiny_run):
    tables = sorted((tiny_run / "results").rglob("*.parquet"))
    config = yaml.safe_load(TINY.read_text())
    runs = len(config["parameter_sets"]) * len(config["seeds"])
    dataset_runs = len(config["datasets"]) * len(config["seeds"])
    # per simulated run: truth, trials, test, history, classic fits, equations, scores (pooled and by
    # participant), recovery, terms; per data set run: history, equations, scores (two); per data set:
    # imported, split, trials, test, classic fits; eight grid tables (model recovery among them, drawn because
    # the tiny study asks for every figure)
    assert len(tables) == 10 * runs + 4 * dataset_runs + 5 * len(config["datasets"]) + 8
    for path in tables:
        _, metadata = read_table(path)
        assert {"settings", "seed", "versions"} <= set(metadata), path
        assert "torch" in metadata["versions"] and "pysindy" in metadata["versions"], path
        if path.parent.name.startswith("dataset~"):  # a data set's own table (the split's seed)
            assert metadata["seed"] in (None, 0), path
        elif path.parent.name.startswith("seed~"):  # a run's own table
            run_seed = int(path.parent.name.removeprefix("seed~"))
            offset = yaml.safe_load(TINY.read_text())["data"]["test_seed_offset"] if path.name == "test.parquet" else 0
            assert metadata["seed"] == run_seed + offset, path
        else:  # a grid table: which runs it stacks
            assert metadata["settings"]["runs"], path


def test_more_held_out_sessions_resimulate_and_rescore_but_retrain_nothing(tiny_run, tmp_path):
    config = yaml.safe_load(TINY.read_text())
    config["data"]["n_test_sessions"] += 1
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(config))
    counts = job_counts(snakemake("-n", "--cores", "2", "--configfile", str(changed), directory=tiny_run).stdout)
    runs = len(config["parameter_sets"]) * len(config["seeds"])
    assert counts["simulate_test"] == counts["evaluate"] == runs
    assert not {"simulate_truth", "simulate_training", "train", "distill", "recover"} & set(counts), counts


def test_rerun_does_nothing_and_a_training_change_reruns_training_not_simulation(tiny_run, tmp_path):
    result = snakemake("-n", "--cores", "2", "--configfile", str(TINY), directory=tiny_run)
    assert "Nothing to be done" in result.stdout + result.stderr
    # the same study with its keys in another order is the same study
    reordered = tmp_path / "reordered.yaml"
    reordered.write_text(yaml.safe_dump(yaml.safe_load(TINY.read_text()), sort_keys=True))
    result = snakemake("-n", "--cores", "2", "--configfile", str(reordered), directory=tiny_run)
    assert "Nothing to be done" in result.stdout + result.stderr
    config = yaml.safe_load(TINY.read_text())
    config["training"]["epochs"] = 5
    changed = tmp_path / "changed.yaml"
    changed.write_text(yaml.safe_dump(config))
    counts = job_counts(snakemake("-n", "--cores", "2", "--configfile", str(changed), directory=tiny_run).stdout)
    assert not {"simulate_truth", "simulate_training", "simulate_test"} & set(counts)
    runs = (len(config["parameter_sets"]) + len(config["datasets"])) * len(config["seeds"])
    assert counts["train"] == counts["distill"] == counts["evaluate"] == runs
    assert not {"import_data", "split_data", "fit_classic", "train_gru"} & set(counts)


def test_every_figure_rule_writes_a_vector_twin_of_its_png(tiny_run):
    text = (ROOT / "workflow" / "rules" / "figures.smk").read_text()
    # the rules that draw (a rule that only names others' figures, like figure_sessions, has no output)
    drawing = {name for name, body in re.findall(r"^rule figure_(\w+):\n((?:    .*\n|\n)*)", text, re.MULTILINE) if "output:" in body}
    pngs = list((tiny_run / "results" / "figures").rglob("*.png"))
    assert len(drawing) == 9 and {png.stem for png in pngs} == drawing  # the tiny study draws every figure
    for png in pngs:
        assert png.with_suffix(".pdf").read_bytes().startswith(b"%PDF"), png


def test_one_figure_rule_makes_only_what_it_needs(tiny_run, tmp_path):
    # A fresh directory: the equations figure needs simulation, training and distillation, not scoring.
    counts = job_counts(snakemake("figure_equations", "-n", "--cores", "2", "--configfile", str(TINY), directory=tmp_path).stdout)
    assert set(counts) == {
        "simulate_truth", "simulate_training", "import_data", "split_data", "train", "distill", "aggregate", "figure_equations"
    }  # fmt: skip
    forced = snakemake("figure_nll", "--forcerun", "figure_nll", "-n", "--cores", "2", "--configfile", str(TINY), directory=tiny_run)
    assert job_counts(forced.stdout) == {"figure_nll": 1}


def test_report_holds_the_figures_and_equations(tiny_run):
    import base64

    snakemake("--configfile", str(TINY), "--report", "report.html", directory=tiny_run)
    html = (tiny_run / "report.html").read_text()
    assert "equations.html" in html and "recovery.png" in html
    # The report embeds each page it shows as base64: the equations, and the tables as tables.
    embedded = re.findall(r"data:text/html;charset=utf8;filename=([\w.]+);base64,([A-Za-z0-9+/=]+)", html)
    pages = {name: base64.b64decode(data).decode() for name, data in embedded}
    tables = {"scores.html", "recovery_summary.html", "term_recovery.html", "model_recovery.html"}
    assert {"equations.html"} | tables <= set(pages) and '"Tables"' in html
    equations = pages["equations.html"]
    assert "<th>Generating agent</th>" in equations and "<i>α</i>[<i>k</i>+1] = " in equations
    assert "<th>Held-out NLL per trial</th>" in pages["scores.html"]
    assert re.search(r"<td>0\.\d{4}</td>", pages["scores.html"])  # NLL rounded to 4 decimals
    assert "<th>Pearson r</th>" in pages["recovery_summary.html"] and "<th>Found</th>" in pages["term_recovery.html"]
    assert "<th>True family</th>" in pages["model_recovery.html"]


def test_lint_and_format():
    result = subprocess.run([sys.executable, "-m", "snakemake", "--lint"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0 and "Congratulations, your workflow is in a good condition!" in result.stdout + result.stderr, result.stdout + result.stderr
    snakefmt = shutil.which("snakefmt", path=str(Path(sys.executable).parent))
    assert snakefmt, "snakefmt is installed with the dev extra"
    result = subprocess.run([snakefmt, "--check", "Snakefile", "workflow/rules"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
