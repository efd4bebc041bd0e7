"""Times the reference SPICE package's training; run by `benchmarks/reference_package.py` with the
reference package's own interpreter (it imports `spice`, never `spice_lib`).

    python reference_worker.py DATA.npz EPOCHS MODEL_SOURCE.py

DATA.npz holds xs and ys in spice_lib's layout (docs/architecture.md, "The data contract"). MODEL_SOURCE is
spice_lib/tutorial_rnn.py: the tutorial's section-3 `CustomRNN`, whose imports are turned back into the
tutorial's `from spice import ...`. Prints one JSON line: seconds per epoch of the package's `fit_model`
on the full batch, one thread, after two untimed warm-up epochs.
"""

import json
import sys
import time

import numpy as np
import torch
from spice.resources.rnn_training import fit_model
from spice.resources.rnn_utils import DatasetRNN


def reference_layout(xs: np.ndarray) -> np.ndarray:
    """The package's layout has block and experiment columns before the participant index."""
    zeros = np.zeros(xs.shape[:2] + (2,), dtype=xs.dtype)
    return np.concatenate([xs[..., :-1], zeros, xs[..., -1:]], axis=-1)


def main() -> None:
    data_path, epochs, source_path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    torch.set_num_threads(1)
    data = np.load(data_path)
    n_actions = data["ys"].shape[-1]
    source = open(source_path, encoding="utf-8").read().replace("from spice_lib import", "from spice import")
    namespace: dict = {}
    exec(compile(source, source_path, "exec"), namespace)
    torch.manual_seed(0)
    model = namespace["CustomRNN"](n_actions=n_actions, n_participants=1)
    dataset = DatasetRNN(torch.tensor(reference_layout(data["xs"])), torch.tensor(data["ys"]))
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    # convergence_threshold=0: run every epoch asked for
    train = dict(dataset_train=dataset, optimizer=optimizer, convergence_threshold=0.0, verbose=False)
    fit_model(model, epochs=2, **train)
    start = time.perf_counter()
    _, _, loss = fit_model(model, epochs=epochs, **train)
    seconds = time.perf_counter() - start
    print(json.dumps({"seconds_per_epoch": seconds / epochs, "final_loss": float(loss)}))


if __name__ == "__main__":
    main()
