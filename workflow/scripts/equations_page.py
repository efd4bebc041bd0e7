"""Rule equations_page: every run's equations on one HTML page, the generating agent's beside them for
simulated runs."""

from pathlib import Path

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.equations import read_equations
    from spice_lib.files import atomic_path
    from spice_lib.recovery import generating_equations
    from spice_lib.report import RunEquations, equations_html, run_name
    from spice_lib.trials_io import read_table

    inputs = snakemake.input  # noqa: F821
    truths = iter(inputs.truths)  # the simulated runs' truth tables, in the order of the runs
    runs = []
    for labels, equations_path, printed_path in zip(snakemake.params.runs, inputs.equations, inputs.printed):  # noqa: F821
        equations, _ = read_equations(equations_path)
        truth = None
        if labels["parameter_set"] is not None:
            truth = generating_equations(equations, read_table(next(truths))[0], snakemake.params.n_actions)  # noqa: F821
        label = f"{run_name(labels)}, seed {labels['seed']}"
        runs.append(RunEquations(label, equations, truth, Path(printed_path).read_text(encoding="utf-8")))
    with atomic_path(snakemake.output[0]) as temporary:  # noqa: F821
        temporary.write_text(equations_html(runs), encoding="utf-8")
