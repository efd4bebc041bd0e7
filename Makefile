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

.PHONY: setup run test benchmark reference-venv lint clean-results

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

# The reference SPICE package, for benchmarks/reference_package.py only. Installed without its declared
# dependencies (they pull jax, pymc and numpyro, which its training never imports, and the resolver stalls
# on them): its core imports are listed by hand; pysindy 1.7.5 still imports pkg_resources (setuptools<70).
REFERENCE_VENV ?= .venv-reference
reference-venv: $(REFERENCE_VENV)/.installed

$(REFERENCE_VENV)/.installed:
	$(PYTHON) -m venv $(REFERENCE_VENV)
	$(REFERENCE_VENV)/bin/python -m pip install --quiet $(TORCH_INDEX) "$(TORCH)"
	$(REFERENCE_VENV)/bin/python -m pip install --quiet --no-deps autospice==0.2.0
	$(REFERENCE_VENV)/bin/python -m pip install --quiet "numpy<2" pysindy==1.7.5 "scikit-learn<1.6" scipy \
		"pandas<3" "optuna<5" dill tqdm matplotlib "setuptools<70"
	touch $@

lint: $(STAMP)
	$(BIN)/snakemake --lint
	$(BIN)/snakefmt --check Snakefile workflow/rules
	$(BIN)/ruff check spice_lib tests benchmarks workflow/scripts

clean-results:  # everything the workflow made
	rm -rf results
