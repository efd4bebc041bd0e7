"""Faults inside a job: a diverging training stops naming the setting to change, a rerun from the same inputs
and seed writes the same table, and a write that fails half way leaves nothing behind.

Where these are tested elsewhere: the same seed gives the same weights (test_rnn), the same simulated
Parquet bytes (test_simulation) and the same GRU (test_gru_baseline); file modes (test_files)."""

from __future__ import annotations

import errno

import pandas as pd
import pyarrow.parquet as pq
import pytest

from spice_lib import WEINHARDT_2024_CONFIG, SpiceEstimator, Weinhardt2024RNN
from spice_lib.equations import write_equations
from spice_lib.provenance import provenance
from spice_lib.trials_io import read_table, write_table


def test_a_diverging_training_names_epoch_and_learning_rate_and_writes_no_model(tmp_path, small_dataset):
    model = tmp_path / "model.pt"
    estimator = SpiceEstimator(
        Weinhardt2024RNN, WEINHARDT_2024_CONFIG, epochs=4, learning_rate=1e20, seed=0, verbose=False
    )  # a learning rate this large overflows the weights within two epochs
    with pytest.raises(FloatingPointError, match=r"became nan at epoch \d+; try a lower learning_rate \(now 1e\+20\)"):
        estimator.train(small_dataset.xs, small_dataset.ys)  # as the train job does: train, then save
        estimator.save(model)
    assert list(tmp_path.iterdir()) == []


def test_distilling_the_same_model_twice_writes_the_same_equations_table(tmp_path, small_dataset):
    # The SINDy fit and the refit of the coefficients on the choices; term selection, which repeats that
    # refit term by term, is left out to keep this test short.
    settings = {"refit_parameters": "coefficients", "select_terms": False}
    trained = SpiceEstimator(Weinhardt2024RNN, WEINHARDT_2024_CONFIG, epochs=10, seed=0, verbose=False, **settings)
    trained.train(small_dataset.xs, small_dataset.ys).save(tmp_path / "model.pt")
    tables = []
    for rerun in ("first", "second"):  # as the distill job does: load the model, distil, write the table
        estimator = SpiceEstimator.load(tmp_path / "model.pt").distill(small_dataset.xs, small_dataset.ys)
        path = tmp_path / f"{rerun}.parquet"
        write_equations(path, estimator.equations_, provenance(settings, estimator.seed_))
        tables.append(read_table(path))
    (first, first_metadata), (second, second_metadata) = tables
    pd.testing.assert_frame_equal(first, second, check_exact=True)
    assert first_metadata == second_metadata


def test_a_disk_full_while_writing_a_table_leaves_no_file(tmp_path, monkeypatch):
    write_parquet = pq.write_table

    def fill_the_disk(table, where, **options):
        write_parquet(table, where, **options)
        with open(where, "r+b") as half_written:
            half_written.truncate(half_written.seek(0, 2) // 2)
        raise OSError(errno.ENOSPC, "No space left on device", str(where))

    monkeypatch.setattr(pq, "write_table", fill_the_disk)
    with pytest.raises(OSError, match="No space left on device"):
        write_table(tmp_path / "scores.parquet", pd.DataFrame({"nll": [0.5, 0.6]}), {"seed": 1})
    assert list(tmp_path.iterdir()) == []  # neither the table nor its temporary file
