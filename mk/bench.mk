# Performance benchmark of iam-policy-alarm: cold start, memory, artifact
# size, API round trips, scale, and Prowler side by side, on a moto server on
# 127.0.0.1. Writes BENCHMARKS.md and bench/scale.png, and the top of
# docs/performance.md to $(BENCH_OUT)/PERF-SECTION.md (under target/) for pasting there.
# Included by the top-level Makefile; also runs on its own:
#     make -f mk/bench.mk bench-all
# Not part of `make test`. On a fresh machine it installs what it needs: Debian's
# `time` and `hyperfine`, the aarch64 Rust target, the pinned Prowler
# (.venv-prowler) and matplotlib (.venv-bench) from PyPI, and builds the release
# zips for both architectures (the same commands and directories as `make build`)
# and the TLS variants of bench/variants.sh. Cost on 2 cores, measured: installing
# Prowler ~30 min (a large dependency tree), ~15-35 min per release build that is not
# up to date (4 of them on a fresh machine; ~15 min for the two x86_64/arm64 rebuilds
# after a change to src/), then ~15 min of measurements (most of it Prowler: ~35 s a run,
# ~4 min at 10,000 alarms).
#
# Targets
#   bench-all        everything above
#   bench-run        only the measurements and the report, from what is built
#                    (e.g. BENCH_ARGS='--stages init --merge' redoes one stage)
#   bench-report     only the report, from target/bench/results.json
#
# Knobs
#   BENCH_VARIANTS   TLS variants to build and compare (default: jitter ring;
#                    empty: compare none)
#   BENCH_ARGS       extra arguments for bench/run.py (e.g. --runs 5 --no-prowler-scale)
#
# Hooks for the including Makefile
#   BENCH_PROJECT_VENV_PREREQ  target that installs .venv (moto server, cargo-lambda)

BENCH_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

BENCH_PYTHON_BOOTSTRAP ?= python3
BENCH_PROJECT_VENV ?= .venv
BENCH_PROJECT_VENV_PREREQ ?= bench-project-venv
BENCH_VARIANTS ?= jitter ring
BENCH_ARGS ?=
BENCH_TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
BENCH_OUT := $(BENCH_TARGET_DIR)/bench
BENCH_PROWLER_VENV := .venv-prowler
BENCH_CHART_VENV := .venv-bench
BENCH_STUB := $(BENCH_TARGET_DIR)/runtime-stub/release/runtime-stub
BENCH_BIN := $(BENCH_TARGET_DIR)/x86_64-unknown-linux-gnu/release/iam-policy-alarm
BENCH_ZIP_X86 := $(BENCH_TARGET_DIR)/lambda/x86_64/iam-policy-alarm/bootstrap.zip
BENCH_ZIP_ARM := $(BENCH_TARGET_DIR)/lambda/arm64/iam-policy-alarm/bootstrap.zip
BENCH_CARGO_PATH := PATH="$(abspath $(BENCH_PROJECT_VENV))/bin:$$PATH"
# Wall time of each step, for BENCHMARKS.md.
BENCH_TIMED = /usr/bin/time -f "$(1) %e" -a -o $(BENCH_OUT)/steps.txt

.PHONY: bench-all bench-run bench-measure bench-report bench-deps bench-project-venv bench-build bench-variants bench-stub

bench-all: bench-deps
	@mkdir -p $(BENCH_OUT) && date +%s > $(BENCH_OUT)/started && : > $(BENCH_OUT)/steps.txt
	$(MAKE) -f mk/bench.mk bench-build bench-variants bench-stub bench-measure
	date +%s > $(BENCH_OUT)/finished
	$(MAKE) -f mk/bench.mk bench-report

# Debian packages (we run as root) and the pinned Python tools.
bench-deps: $(BENCH_PROJECT_VENV_PREREQ) $(BENCH_PROWLER_VENV)/.installed $(BENCH_CHART_VENV)/.installed
	@command -v /usr/bin/time >/dev/null && command -v hyperfine >/dev/null && command -v openssl >/dev/null \
	  || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time hyperfine openssl; }
	@rustup target list --installed | grep -qx aarch64-unknown-linux-gnu \
	  || rustup target add aarch64-unknown-linux-gnu

bench-project-venv:
	@test -x $(BENCH_PROJECT_VENV)/bin/moto_server -a -x $(BENCH_PROJECT_VENV)/bin/cargo-lambda || { \
	  $(BENCH_PYTHON_BOOTSTRAP) -m venv $(BENCH_PROJECT_VENV) && \
	  $(BENCH_PROJECT_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt && \
	  touch $(BENCH_PROJECT_VENV)/.installed; }

$(BENCH_PROWLER_VENV)/.installed: bench/requirements-prowler.txt
	rm -rf $(BENCH_PROWLER_VENV)
	$(BENCH_PYTHON_BOOTSTRAP) -m venv $(BENCH_PROWLER_VENV)
	$(BENCH_PROWLER_VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/requirements-prowler.txt
	touch $@

$(BENCH_CHART_VENV)/.installed: bench/requirements-chart.txt
	rm -rf $(BENCH_CHART_VENV)
	$(BENCH_PYTHON_BOOTSTRAP) -m venv $(BENCH_CHART_VENV)
	$(BENCH_CHART_VENV)/bin/pip install --quiet --disable-pip-version-check -r bench/requirements-chart.txt
	touch $@

# The release zips, exactly as `make build` (mk/sam.mk) makes them; a no-op when up to date.
bench-build:
	@mkdir -p $(BENCH_OUT)
	$(call BENCH_TIMED,build-x86_64) env $(BENCH_CARGO_PATH) cargo lambda build --release --x86-64 \
	  --bin iam-policy-alarm --output-format zip --lambda-dir $(BENCH_TARGET_DIR)/lambda/x86_64
	$(call BENCH_TIMED,build-arm64) env $(BENCH_CARGO_PATH) cargo lambda build --release --arm64 \
	  --bin iam-policy-alarm --output-format zip --lambda-dir $(BENCH_TARGET_DIR)/lambda/arm64

bench-variants:
	@mkdir -p $(BENCH_OUT)
	$(if $(strip $(BENCH_VARIANTS)),$(call BENCH_TIMED,variants) bench/variants.sh $(BENCH_VARIANTS),@echo "no TLS variants (BENCH_VARIANTS is empty)")

bench-stub:
	cd bench/runtime-stub && cargo build --release --quiet --target-dir $(abspath $(BENCH_TARGET_DIR))/runtime-stub

bench-run: bench-measure
	$(MAKE) -f mk/bench.mk bench-report

bench-measure: bench-stub
	@mkdir -p $(BENCH_OUT)
	@test -f $(BENCH_OUT)/started || date +%s > $(BENCH_OUT)/started
	$(call BENCH_TIMED,measure) $(BENCH_PROJECT_VENV)/bin/python bench/run.py --bin $(BENCH_BIN) \
	  --zip-x86_64 $(BENCH_ZIP_X86) --zip-arm64 $(BENCH_ZIP_ARM) --stub $(BENCH_STUB) \
	  --out $(BENCH_OUT)/results.json --work $(BENCH_OUT) $(BENCH_ARGS)

bench-report:
	$(BENCH_CHART_VENV)/bin/python bench/chart.py $(BENCH_OUT)/results.json bench/scale.png
	$(BENCH_PROJECT_VENV)/bin/python bench/report.py $(BENCH_OUT)/results.json \
	  --steps $(BENCH_OUT)/steps.txt --started $(BENCH_OUT)/started --finished $(BENCH_OUT)/finished \
	  --benchmarks BENCHMARKS.md --perf-section $(BENCH_OUT)/PERF-SECTION.md

.DEFAULT_GOAL := $(BENCH_SAVED_DEFAULT_GOAL)
