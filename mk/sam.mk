# Deployment side of iam-policy-alarm: SAM template checks, release builds,
# and deploys to AWS and to the moto emulator. Included by the top-level
# Makefile; also runs on its own: make -f mk/sam.mk validate
#
# Targets
#   tools-sam              .venv-sam (aws-sam-cli, cfn-lint) and .venv-checkov (checkov), pinned
#   build                  release zips for both architectures, as Lambda takes them:
#                          target/lambda/x86_64/iam-policy-alarm/bootstrap.zip and
#                          target/lambda/arm64/iam-policy-alarm/bootstrap.zip
#   validate               sam validate, sam validate --lint, cfn-lint and checkov on
#                          template.yaml and on its translation to plain CloudFormation
#   test-iam-permissions   tests/iam_permissions.py: the role grants exactly what src/ calls
#   sam-build              sam build (BuildMethod rust-cargolambda: release, for the
#                          Architecture in samconfig.toml's build parameter_overrides)
#   deploy                 sam build, then sam deploy to real AWS with samconfig.toml
#                          (the first time: sam build && sam deploy --guided)
#   deploy-local           sam build, then deploy to the moto emulator and assert the stack
#   deploy-local-prebuilt  the same deploy and assertions, from the debug binary that
#                          `cargo build` already made instead of sam build (what make test runs)
#   sam-clean              removes .aws-sam
#
# Why two deploy-local targets: sam build compiles the AWS SDK crates in release
# mode for the template's architecture, ~16 minutes per architecture on two
# cores; make test already spends ~13 on its debug build and CI must stay well
# under 30 in all. The emulator never runs the function (moto needs docker to
# run Lambda code), so what the deploy checks - packaging, upload, the
# translated template, every resource and its settings - does not depend on
# how the binary was compiled. deploy-local-prebuilt therefore lays out what
# sam build would (.aws-sam/prebuilt: template with CodeUri -> a directory
# holding bootstrap) from target/debug/iam-policy-alarm (a no-op cargo build
# after cargo test), and runs the same package/translate/deploy/assert
# script as deploy-local. The artifact it uploads is the host debug binary,
# which real Lambda could not run; deploy-local and deploy use sam build.
#
# Hooks for the including Makefile:
#   SAM_PROJECT_VENV_PREREQ  target that installs .venv (moto server, cargo-lambda);
#                            deploy-local*, build and sam-build depend on it
#   SAM_CARGO_BUILD          command that makes SAM_PREBUILT_BIN (default: cargo build)

# Leave the including Makefile's default goal alone (restored at the end).
SAM_SAVED_DEFAULT_GOAL := $(.DEFAULT_GOAL)

SAM_VENV ?= .venv-sam
CHECKOV_VENV ?= .venv-checkov
PROJECT_VENV ?= .venv
SAM_PYTHON_BOOTSTRAP ?= python3
SAM_PROJECT_VENV_PREREQ ?=
SAM_REGION ?= us-east-1
SAM_CARGO_TARGET_DIR := $(or $(CARGO_TARGET_DIR),target)
SAM_PREBUILT_BIN ?= $(SAM_CARGO_TARGET_DIR)/debug/iam-policy-alarm
SAM_CARGO_BUILD ?= cargo build --bin iam-policy-alarm
SAM_LAMBDA_BIN := iam-policy-alarm

SAM := $(SAM_VENV)/bin/sam
SAM_PY := $(SAM_VENV)/bin/python
SAM_STAMP := $(SAM_VENV)/.installed
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed
# No telemetry, and a region for the transform's pseudo parameters; validate
# needs no credentials.
SAM_ENV := SAM_CLI_TELEMETRY=0 AWS_DEFAULT_REGION=$(SAM_REGION)
# cargo-lambda (and its zig) come from the project venv.
SAM_CARGO_PATH := PATH="$(abspath $(PROJECT_VENV))/bin:$$PATH"
SAM_VALIDATE_DIR := .aws-sam/validate

.PHONY: tools-sam build validate test-iam-permissions sam-build deploy deploy-local deploy-local-prebuilt sam-clean sam-rust-targets

tools-sam: $(SAM_STAMP) $(CHECKOV_STAMP)

$(SAM_STAMP): tools/requirements-sam.txt
	rm -rf $(SAM_VENV)
	$(SAM_PYTHON_BOOTSTRAP) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-sam.txt
	touch $@

# checkov pins boto3 exactly, in conflict with aws-sam-cli: its own venv.
$(CHECKOV_STAMP): tools/requirements-checkov.txt
	rm -rf $(CHECKOV_VENV)
	$(SAM_PYTHON_BOOTSTRAP) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check -r tools/requirements-checkov.txt
	touch $@

sam-rust-targets:
	@rustup target list --installed | grep -qx aarch64-unknown-linux-gnu \
	  || rustup target add aarch64-unknown-linux-gnu

# Release zips for both architectures, each in its own lambda dir (user-facing,
# not part of make test: ~16 min per architecture on two cores).
build: sam-rust-targets $(SAM_PROJECT_VENV_PREREQ)
	$(SAM_CARGO_PATH) cargo lambda build --release --x86-64 --bin $(SAM_LAMBDA_BIN) \
	  --output-format zip --lambda-dir $(SAM_CARGO_TARGET_DIR)/lambda/x86_64
	$(SAM_CARGO_PATH) cargo lambda build --release --arm64 --bin $(SAM_LAMBDA_BIN) \
	  --output-format zip --lambda-dir $(SAM_CARGO_TARGET_DIR)/lambda/arm64
	@ls -l $(SAM_CARGO_TARGET_DIR)/lambda/*/$(SAM_LAMBDA_BIN)/bootstrap.zip

# cfn-lint's own SAM expansion and sam validate --lint check the SAM template;
# the translated template is what CloudFormation deploys (and what checkov
# must see: it reads few AWS::Serverless properties). Skips are inline in
# template.yaml (Metadata: checkov), each with its reason; none for cfn-lint.
validate: $(SAM_STAMP) $(CHECKOV_STAMP)
	$(SAM_ENV) $(SAM) validate --template-file template.yaml
	$(SAM_ENV) $(SAM) validate --lint --template-file template.yaml
	@mkdir -p $(SAM_VALIDATE_DIR)
	$(SAM_ENV) $(SAM_PY) scripts/sam/translate.py template.yaml $(SAM_VALIDATE_DIR)/template-cfn.json --placeholder-code
	$(SAM_VENV)/bin/cfn-lint template.yaml $(SAM_VALIDATE_DIR)/template-cfn.json
	$(CHECKOV_VENV)/bin/checkov --skip-download --framework cloudformation --compact --quiet \
	  -f template.yaml -f $(SAM_VALIDATE_DIR)/template-cfn.json
	$(SAM_VENV)/bin/cfn-lint member-role.yaml
	$(CHECKOV_VENV)/bin/checkov --skip-download --framework cloudformation --compact --quiet -f member-role.yaml

test-iam-permissions: $(SAM_STAMP)
	$(SAM_PY) tests/iam_permissions.py

# The architecture comes from samconfig.toml (build and deploy sections alike).
sam-build: $(SAM_STAMP) sam-rust-targets $(SAM_PROJECT_VENV_PREREQ)
	$(SAM_ENV) $(SAM_CARGO_PATH) $(SAM) build

# Real AWS, with your credentials and samconfig.toml [default]; confirms the
# change set before executing it. The first time: sam build && sam deploy --guided.
deploy: sam-build
	SAM_CLI_TELEMETRY=0 $(SAM) deploy

deploy-local: sam-build
	SAM_VENV=$(abspath $(SAM_VENV)) \
	  scripts/sam/deploy_local.sh .aws-sam/build/template.yaml

deploy-local-prebuilt: $(SAM_STAMP) $(SAM_PROJECT_VENV_PREREQ)
	$(SAM_CARGO_BUILD)
	$(SAM_PY) scripts/sam/stage_prebuilt.py template.yaml $(SAM_PREBUILT_BIN) .aws-sam/prebuilt
	SAM_VENV=$(abspath $(SAM_VENV)) \
	  scripts/sam/deploy_local.sh .aws-sam/prebuilt/template.yaml

sam-clean:
	rm -rf .aws-sam

.DEFAULT_GOAL := $(SAM_SAVED_DEFAULT_GOAL)
