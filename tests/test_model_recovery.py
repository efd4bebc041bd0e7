"""Model recovery: mechanisms read off equations and off the truth, families and the confusion matrix."""

import numpy as np
import pandas as pd
import pytest

from spice_lib import AgentQ, BanditsDrift
from spice_lib.model_recovery import (
    FAMILIES,
    OTHER,
    confusion_matrix,
    discovered_mechanisms,
    family_by_maximum_likelihood,
    family_of,
    family_parameters,
    mechanism_precision_recall,
    model_recovery_table,
    true_mechanisms,
)
from spice_lib.parameter_sets import simulate_sessions

TERMS = {
    "x_learning_rate_reward": ["1", "x_learning_rate_reward[k]", "c_reward[k]", "c_value_reward[k]"],
    "x_value_reward_not_chosen": ["1", "x_value_reward_not_chosen[k]"],
    "x_value_choice_chosen": ["1", "x_value_choice_chosen[k]"],
    "x_value_choice_not_chosen": ["1", "x_value_choice_not_chosen[k]"],
}


def equations_rows(participant, inclusion=None, self_interval=(0.97, 1.02)):
    """An equations table of one participant: every term's inclusion 0 except those given; the unchosen
    value's self coefficient with the interval given."""
    inclusion = inclusion or {}
    rows = []
    for module, terms in TERMS.items():
        for term in terms:
            low, high = self_interval if term == "x_value_reward_not_chosen[k]" else (0.0, 0.0)
            rows.append({"parameter_set": "s", "seed": 1, "participant": participant, "kind": "term", "module": module,
                         "term": term, "coefficient": (low + high) / 2, "inclusion": inclusion.get((module, term), 0.0),
                         "coefficient_low": low, "coefficient_high": high})  # fmt: skip
    rows.append({"parameter_set": "s", "seed": 1, "participant": participant, "kind": "beta", "module": "x_value_reward",
                 "term": "beta", "coefficient": 3.0, "inclusion": 1.0, "coefficient_low": 2.5, "coefficient_high": 3.5})  # fmt: skip
    return rows


def test_each_family_is_its_combination_of_mechanisms_and_the_rest_is_other():
    assert family_of((False, False, False)) == "rescorla_wagner"
    assert family_of((True, True, True)) == "full"
    assert family_of((True, True, False)) == OTHER
    assert len(set(FAMILIES.values())) == len(FAMILIES)


def test_mechanisms_are_read_off_the_inclusion_probabilities():
    table = pd.DataFrame(
        equations_rows("plain")
        + equations_rows("asym", {("x_learning_rate_reward", "c_reward[k]"): 0.6})
        + equations_rows("asym_weak", {("x_learning_rate_reward", "c_reward[k]"): 0.4})
        # Kept by 7 resamples in 10: the 3 that drop it put 1 (no change) inside the interval.
        + equations_rows("forgets", {("x_value_reward_not_chosen", "x_value_reward_not_chosen[k]"): 0.7}, (0.7, 1.0))
        + equations_rows("forgets_rarely", {("x_value_reward_not_chosen", "x_value_reward_not_chosen[k]"): 0.4}, (0.8, 1.0))
        + equations_rows("forgets_to_a_value", {("x_value_reward_not_chosen", "1"): 0.9})
        + equations_rows("trace", {("x_value_choice_not_chosen", "x_value_choice_not_chosen[k]"): 0.5})
    )
    found = discovered_mechanisms(table).set_index("participant")
    assert found.loc["plain", "family"] == "rescorla_wagner"
    assert found.loc["asym", "family"] == "asymmetric" and found.loc["asym_weak", "family"] == "rescorla_wagner"
    assert found.loc["forgets", "family"] == "forgetting" and found.loc["forgets_to_a_value", "family"] == "forgetting"
    assert found.loc["forgets_rarely", "family"] == "rescorla_wagner"
    assert found.loc["trace", "family"] == "perseveration"
    unresampled = pd.DataFrame(equations_rows("x")).assign(inclusion=np.nan)
    assert discovered_mechanisms(unresampled).empty


def test_the_truth_is_classified_from_the_generating_parameters():
    values = {"a": dict(alpha_reward=0.3, alpha_penalty=0.3, forget_rate=0.0, beta_choice=0.0),
              "b": dict(alpha_reward=0.6, alpha_penalty=0.2, forget_rate=0.2, beta_choice=1.0),
              "c": dict(alpha_reward=0.3, alpha_penalty=0.3, forget_rate=0.0, beta_choice=-0.5)}  # fmt: skip
    recovery = pd.DataFrame(
        [{"parameter_set": "s", "seed": 1, "participant": p, "parameter": name, "method": method, "true": value, "recovered": 0.0}
         for p, parameters in values.items() for name, value in parameters.items() for method in ("spice", "mle")]
    )  # fmt: skip
    truth = true_mechanisms(recovery).set_index("participant")["family"]
    assert truth.to_dict() == {"a": "rescorla_wagner", "b": "full", "c": "perseveration"}


def test_confusion_matrix_and_precision_recall_of_a_hand_made_table():
    table = pd.DataFrame(
        {"true_family": ["rescorla_wagner"] * 4 + ["forgetting"] * 2,
         "found_family": ["rescorla_wagner", "rescorla_wagner", "rescorla_wagner", "forgetting", "forgetting", OTHER],
         "true_asymmetric": [False] * 6, "found_asymmetric": [False] * 5 + [True],
         "true_forgetting": [False] * 4 + [True] * 2, "found_forgetting": [False, False, False, True, True, True],
         "true_perseveration": [False] * 6, "found_perseveration": [False] * 6}
    )  # fmt: skip
    shares = confusion_matrix(table)
    assert list(shares.index) == ["rescorla_wagner", "forgetting"]
    assert list(shares.columns) == [*FAMILIES, OTHER]
    assert (
        shares.loc["rescorla_wagner", "rescorla_wagner"] == 0.75 and shares.loc["rescorla_wagner", "forgetting"] == 0.25
    )
    assert shares.loc["forgetting", "forgetting"] == 0.5 and shares.loc["forgetting", OTHER] == 0.5
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    scores = mechanism_precision_recall(table).set_index("mechanism")
    assert scores.loc["forgetting", "precision"] == pytest.approx(2 / 3) and scores.loc["forgetting", "recall"] == 1.0
    assert scores.loc["asymmetric", "precision"] == 0.0 and np.isnan(scores.loc["asymmetric", "recall"])
    assert np.isnan(scores.loc["perseveration", "precision"])


def test_the_table_joins_truth_and_equations_per_participant():
    equations = pd.DataFrame(equations_rows("0", {("x_learning_rate_reward", "c_reward[k]"): 1.0}))
    recovery = pd.DataFrame(
        [{"parameter_set": "s", "seed": 1, "participant": "0", "parameter": name, "method": "spice", "true": value, "recovered": 0.0}
         for name, value in dict(alpha_reward=0.6, alpha_penalty=0.2, forget_rate=0.0, beta_choice=0.0).items()]
    )  # fmt: skip
    joined = model_recovery_table(equations, recovery, {"s": 4})
    assert joined[["n_sessions", "true_family", "found_family"]].iloc[0].tolist() == [4, "asymmetric", "asymmetric"]


def test_the_maximum_likelihood_oracle_fits_every_family_and_picks_the_lowest_bic():
    # Five participants, one per family, 20 sessions x 100 trials each: enough that each family's own
    # mechanisms pay their BIC penalty and the others' do not.
    true = {
        "rescorla_wagner": dict(alpha_penalty=0.3, forget_rate=0.0, beta_choice=0.0),
        "forgetting": dict(alpha_penalty=0.3, forget_rate=0.4, beta_choice=0.0),
        "perseveration": dict(alpha_penalty=0.3, forget_rate=0.0, beta_choice=2.5),
        "asymmetric": dict(alpha_penalty=0.05, forget_rate=0.0, beta_choice=0.0),
        "full": dict(alpha_penalty=0.05, forget_rate=0.4, beta_choice=2.5),
    }
    parameters = {name: [row[name] for row in true.values()] for name in ("alpha_penalty", "forget_rate", "beta_choice")}
    agent = AgentQ(participant_ids=list(true), alpha_reward=[0.3] * 5, beta_reward=[5.0] * 5, alpha_choice=[0.3] * 5,
                   **parameters)  # fmt: skip
    sessions = simulate_sessions(agent, BanditsDrift(0.2), n_trials=100, n_sessions=20, seed=5)
    fits = family_by_maximum_likelihood(sessions.xs, sessions.ys, sessions.participant_ids)

    assert len(fits) == 25 and (fits.groupby("participant")["chosen"].sum() == 1).all()
    assert dict(zip(fits["family"], fits["n_parameters"])) == {f: len(family_parameters(f)) for f in FAMILIES}
    np.testing.assert_allclose(fits["bic"], 2 * fits["nll"] * fits["n_trials"] + fits["n_parameters"] * np.log(fits["n_trials"]))
    chosen = fits[fits["chosen"]].set_index("participant")["family"]
    assert chosen.to_dict() == {name: name for name in true}
    # The full family nests every other: its maximum likelihood is at least theirs (to the optimiser's tolerance).
    nll = fits.pivot(index="participant", columns="family", values="nll")
    assert (nll["full"] <= nll.drop(columns="full").min(axis=1) + 1e-4).all()
