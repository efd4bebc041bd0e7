"""Rule distill: per-participant equations of every module, refitted on the choices; the printed model and
its LaTeX."""

import io

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.equations import write_equations
    from spice_lib.estimator import SpiceEstimator, distillation_params
    from spice_lib.files import atomic_path
    from spice_lib.notation import latex_equations
    from spice_lib.provenance import provenance
    from spice_lib.trials_io import load_dataset

    settings = snakemake.params.distillation  # noqa: F821
    estimator = SpiceEstimator.load(snakemake.input.model)  # noqa: F821
    estimator.set_params(**distillation_params(settings), n_threads=snakemake.threads)  # noqa: F821
    dataset, metadata = load_dataset(snakemake.input.trials)  # noqa: F821
    estimator.distill(dataset.xs, dataset.ys)

    data = {key: metadata.get(key) for key in ("task", "parameter_set", "seed")}
    origin = provenance(settings, estimator.seed_, spice_config=estimator.spice_config.to_dict(), data=data)
    write_equations(snakemake.output.equations, estimator.equations_, origin)  # noqa: F821
    printed = io.StringIO()
    estimator.print_spice_model(file=printed)
    if estimator.population_prior_ is not None:
        print("\nThe population (every participant's numbers drawn from these):", file=printed)
        print(estimator.population_prior_.to_string(index=False), file=printed)
    print(printed.getvalue())
    with atomic_path(snakemake.output.printed) as temporary:  # noqa: F821
        temporary.write_text(printed.getvalue(), encoding="utf-8")
    with atomic_path(snakemake.output.latex) as temporary:  # noqa: F821
        temporary.write_text(latex_equations(estimator.equations_), encoding="utf-8")
