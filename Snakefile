# spice-workflow: simulate or import -> train -> distil -> evaluate, recover -> report, figures
# (docs/architecture.md walks the flow stage by stage).


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/import.smk"
include: "workflow/rules/train.smk"
include: "workflow/rules/distill.smk"
include: "workflow/rules/evaluate.smk"
include: "workflow/rules/recover.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/figures.smk"


# Jobs that only stack tables, summarise them or draw: on a cluster they run where snakemake runs, instead
# of waiting in the queue for a node.
localrules:
    all,
    aggregate,
    equations_page,
    report_table,
    recovery_summary,
    term_recovery_summary,
    model_recovery,
    split_data,
    figure_session,
    figure_sessions,
    figure_loss,
    figure_losses,
    figure_comparison,
    figure_comparisons,
    figure_equations_math,
    figure_equations_maths,
    figure_nll,
    figure_equations,
    figure_recovery,
    figure_inclusion,
    figure_model_recovery,


rule all:
    input:
        final_outputs(),
        expand("results/tables/{table}.html", table=REPORTED_TABLES),
