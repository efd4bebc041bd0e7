"""Rule equations_page: every run's printed model on one HTML page."""

from pathlib import Path

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.files import atomic_path
    from spice_lib.report import equations_html, run_name

    printed = {
        f"{run_name(run)}, seed {run['seed']}": Path(path).read_text()
        for run, path in zip(snakemake.params.runs, snakemake.input)  # noqa: F821
    }
    with atomic_path(snakemake.output[0]) as temporary:  # noqa: F821
        temporary.write_text(equations_html(printed))
