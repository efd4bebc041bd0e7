"""Rule import_data: a data set's file as the trials table (a bad file fails here, naming file, column and row)."""

from spice_lib.run_log import log_to_file

with log_to_file(snakemake.log[0]):  # noqa: F821 (snakemake is injected)
    from spice_lib.provenance import provenance
    from spice_lib.trials_io import write_trials
    from spice_lib.user_data import IMPORT_SETTINGS, import_choice_data

    settings = snakemake.params.dataset  # noqa: F821
    options = {key: settings[key] for key in IMPORT_SETTINGS if settings.get(key) is not None}
    imported = import_choice_data(snakemake.input[0], **options)  # noqa: F821
    for note in imported.notes:
        print(note)
    print(f"{len(imported.table)} trials of {len(imported.metadata['participants'])} participants")
    metadata = {**imported.metadata, **provenance(settings)}
    write_trials(snakemake.output.trials, imported.table, metadata)  # noqa: F821
