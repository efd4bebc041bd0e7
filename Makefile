# Two entry points (see README): `make run` sets up and runs the default study, `make test` sets up and
# runs the tests. Both create the virtual environment in .venv on first use.
PYTHON ?= python3
VENV ?= .venv
CORES ?= 2
# torch is installed first and pinned, so pip never swaps in a different (possibly multi-GB CUDA) build.
# Elsewhere, e.g. for a CPU-only build from PyTorch's index:
#   make run TORCH_INDEX="--index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
TORCH_INDEX ?=
SNAKEMAKE_ARGS ?=
BENCHMARK_ARGS ?=

BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: setup run test benchmark lint clean-results

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_INDEX) "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/snakemake --profile profiles/local --cores $(CORES) $(SNAKEMAKE_ARGS)

# The tests run on CORES workers, a file's tests on one (its fixtures are built once).
test: $(STAMP)
	$(BIN)/python -m pytest -n $(CORES) --dist loadfile

benchmark: $(STAMP)
	$(BIN)/python -m benchmarks.run_all $(BENCHMARK_ARGS)

lint: $(STAMP)
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/ruff check spice_lib tests benchmarks workflow/scripts

clean-results:  # everything the workflow made
	rm -rf results
