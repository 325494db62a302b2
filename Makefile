# iam-policy-alarm. On a fresh machine, `make demo` and `make test` install what
# they need: pinned Python tools in project venvs, from PyPI. `make help` lists targets.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
VENV_STAMP := $(VENV)/.installed
PYTHON_BOOTSTRAP ?= python3
FUZZ_SECONDS ?= 60

# The deployment targets (validate, build, deploy, deploy-local, ...) live in mk/sam.mk.
SAM_PROJECT_VENV_PREREQ := $(VENV_STAMP)
include mk/sam.mk
# The performance evidence (bench-all writes BENCHMARKS.md); not part of make test.
BENCH_PROJECT_VENV_PREREQ := $(VENV_STAMP)
include mk/bench.mk

.PHONY: help tools lint check test test-rust demo invoke bench fuzz

help:
	@echo "make demo           audit FAIL -> remediate dry run -> remediate -> audit PASS -> organization -> tamper, on the embedded emulator; fails if a step does not tell its story"
	@echo "make check          the quick tier: cargo fmt --check, clippy -D warnings, unit tests (no emulator, no Python tools)"
	@echo "make test           lint, unit + emulator tests, IAM permission test, template validation, emulator deploy, fuzz ($(FUZZ_SECONDS) s)"
	@echo "make tools          install the pinned Python tools (moto, cargo-lambda, aws-sam-cli, cfn-lint, checkov)"
	@echo "make lint           cargo fmt --check and cargo clippy -D warnings"
	@echo "make invoke         serve the function through cargo lambda's runtime API (on the emulator) and send each file in events/"
	@echo "make validate       sam validate (+ --lint), cfn-lint and checkov on template.yaml and its translation"
	@echo "make build          release zips for x86_64 and arm64 (target/lambda/<arch>/iam-policy-alarm/bootstrap.zip)"
	@echo "make deploy         sam build && sam deploy to AWS (first time: sam build && sam deploy --guided)"
	@echo "make deploy-local   sam build, then deploy to the emulator and check every resource"
	@echo "make bench          criterion benchmarks of the pattern engine (figures in docs/pattern-engine.md)"
	@echo "make bench-all      cold start, memory, size, round trips, scale and Prowler side by side -> BENCHMARKS.md (~30 min; installs Prowler)"
	@echo "make fuzz           fuzz the pattern engine for FUZZ_SECONDS (default $(FUZZ_SECONDS))"

$(VENV_STAMP): tools/requirements.txt
	$(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements.txt
	touch $@

tools: $(VENV_STAMP) tools-sam

lint:
	cargo fmt --all --check
	cargo clippy --all-targets -- -D warnings

# The inner loop: formatting, lints and the pure tests (pattern, rule, check, plan,
# report, adapters against aws-smithy-mocks); needs nothing but cargo.
check: lint
	cargo test --lib --bins

# One debug profile for everything: the binary the integration tests drive is built once.
test-rust: $(VENV_STAMP)
	cargo test --lib --bins --tests

# deploy-local-prebuilt packages the binary `cargo test` already built (no second
# build with the non-test feature set); the emulator never runs it.
test: tools lint test-rust test-iam-permissions validate fuzz
	$(MAKE) deploy-local-prebuilt SAM_CARGO_BUILD=true

demo: $(VENV_STAMP)
	scripts/demo/demo.sh

invoke: $(VENV_STAMP)
	scripts/demo/invoke.sh

bench:
	cargo bench --bench pattern

fuzz:
	fuzz/run.sh $(FUZZ_SECONDS)
