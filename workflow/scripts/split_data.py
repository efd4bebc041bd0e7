"""Rule split_data: which trials are held out, the training trials and the held-out sessions."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.provenance import provenance
    from spice_lib.split import held_out_table, split_trials, training_table
    from spice_lib.trials_io import read_trials, write_table, write_trials

    params = snakemake.params  # noqa: F821
    given = {"test_fraction": params.test_fraction, "seed": params.split_seed}
    options = {key: value for key, value in given.items() if value is not None}  # else the library's defaults
    table, metadata = read_trials(snakemake.input.trials)  # noqa: F821
    split = split_trials(table, **options)
    origin = provenance(options, options.get("seed"))
    write_table(snakemake.output.split, split, {**origin, "participants": metadata["participants"]})  # noqa: F821
    for name, part in (("training", training_table(table, split)), ("held_out", held_out_table(table, split))):
        write_trials(snakemake.output[name], part, {**metadata, **origin})  # noqa: F821
    held_out = split["held_out"]
    print(f"held out {int(held_out.sum())} of {len(split)} trials ({held_out.mean():.1%})")
