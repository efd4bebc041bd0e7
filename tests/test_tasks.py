import numpy as np
import pytest

from spice_lib.tasks import BanditsDrift, BanditsFixed, BanditsFlip, task_from_description


def test_drift_starts_uniform_and_steps_with_sigma():
    task = BanditsDrift(sigma=0.05, n_actions=3)
    probabilities = task.reward_probabilities(4000, 20, np.random.default_rng(0))
    assert probabilities.shape == (4000, 20, 3)
    first = probabilities[:, 0].ravel()
    assert abs(first.mean() - 0.5) < 0.01 and abs(first.std() - np.sqrt(1 / 12)) < 0.01
    steps = np.diff(probabilities, axis=1)
    # Away from the walls clipping does not act, so the steps are N(0, sigma).
    inside = (probabilities[:, :-1] > 0.2) & (probabilities[:, :-1] < 0.8)
    assert abs(steps[inside].std() - 0.05) < 0.002
    assert abs(steps[inside].mean()) < 0.002
    assert probabilities.min() >= 0 and probabilities.max() <= 1


def test_rewards_are_bernoulli_of_the_probabilities():
    schedule = BanditsFixed([0.2, 0.9]).sample(5000, 10, np.random.default_rng(1))
    assert set(np.unique(schedule.rewards)) == {0.0, 1.0}
    np.testing.assert_allclose(schedule.rewards.mean(axis=(0, 1)), [0.2, 0.9], atol=0.01)
    assert not schedule.counterfactual
    assert BanditsFixed([0.5, 0.5], counterfactual=True).sample(1, 2, np.random.default_rng(0)).counterfactual


def test_flip_changes_the_good_arm_at_the_stated_rate():
    task = BanditsFlip(block_flip_prob=0.1, p_high=0.9, p_low=0.1, n_actions=3)
    good = task.good_arms(2000, 50, np.random.default_rng(2))
    changes = good[:, 1:] != good[:, :-1]
    assert abs(changes.mean() - 0.1) < 0.005
    probabilities = task.reward_probabilities(10, 50, np.random.default_rng(3))
    assert np.all(np.sort(probabilities, axis=-1) == [0.1, 0.1, 0.9])


def test_same_generator_state_same_schedule_and_description_round_trip():
    task = BanditsDrift(0.2)
    a = task.sample(3, 5, np.random.default_rng(9))
    b = task.sample(3, 5, np.random.default_rng(9))
    np.testing.assert_array_equal(a.rewards, b.rewards)
    for original in (BanditsDrift(0.2), BanditsFlip(n_actions=3), BanditsFixed([0.2, 0.9])):
        rebuilt = task_from_description(original.describe())
        assert type(rebuilt) is type(original) and rebuilt.describe() == original.describe()


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: BanditsDrift(sigma=-1), "sigma"),
        (lambda: BanditsDrift(n_actions=1), "n_actions"),
        (lambda: BanditsFlip(p_high=1.5), "p_high"),
        (lambda: BanditsFixed([0.5, 1.2]), r"probabilities\[1\]"),
        (lambda: task_from_description({"task": "Nope"}), "unknown task"),
        (lambda: task_from_description({"task": "BanditsFlip", "sigma": 0.2}), "BanditsFlip does not take sigma"),
        (lambda: task_from_description({"task": "BanditsFixed"}), "BanditsFixed needs probabilities"),
        (lambda: BanditsFixed([0.5, 0.5], n_actions=3), "n_actions=3 does not match probabilities"),
    ],
)
def test_bad_task_settings_name_the_setting(make, message):
    with pytest.raises(ValueError, match=message):
        make()
