#!/usr/bin/env python3
"""Lay out what `sam build` would, from a binary that is already compiled.

Usage: scripts/sam/stage_prebuilt.py TEMPLATE BINARY OUTDIR

Writes OUTDIR/template.yaml (the template with each rust-cargolambda
function's CodeUri pointing at OUTDIR/<LogicalId>, its BuildMethod dropped)
and OUTDIR/<LogicalId>/bootstrap (a copy of BINARY), the same shape as
.aws-sam/build. `sam package`/`sam deploy --template-file OUTDIR/template.yaml`
then zip and upload it as they would sam build's output.

Used by `make deploy-local-prebuilt` (the path `make test` runs): `sam build`
compiles a release binary for the template's architecture (~16 min on two
cores, per architecture), while the emulator never runs the code, so that
path deploys the debug binary `cargo build` already made. Runs in the SAM
CLI venv (samcli.yamlhelper keeps the CloudFormation short-form tags).
"""
import os
import shutil
import sys

from samcli.yamlhelper import yaml_dump, yaml_parse


def main(argv):
    if len(argv) != 4:
        sys.exit(__doc__)
    src, binary, outdir = argv[1:]
    if not os.path.isfile(binary):
        sys.exit(f"{binary}: no such binary; build it first (cargo build --bin iam-policy-alarm)")
    with open(src, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    shutil.rmtree(outdir, ignore_errors=True)
    os.makedirs(outdir)
    staged = []
    for name, resource in template.get("Resources", {}).items():
        meta = resource.get("Metadata") or {}
        if resource.get("Type") != "AWS::Serverless::Function" or meta.get("BuildMethod") != "rust-cargolambda":
            continue
        artifact = os.path.join(outdir, name)
        os.makedirs(artifact)
        shutil.copy2(binary, os.path.join(artifact, "bootstrap"))
        os.chmod(os.path.join(artifact, "bootstrap"), 0o755)
        resource["Properties"]["CodeUri"] = name
        del meta["BuildMethod"]
        meta.pop("BuildProperties", None)
        staged.append(name)
    if not staged:
        sys.exit(f"{src}: no AWS::Serverless::Function with BuildMethod rust-cargolambda")
    with open(os.path.join(outdir, "template.yaml"), "w", encoding="utf-8") as f:
        f.write(yaml_dump(template))
    print(f"staged {', '.join(staged)} from {binary} in {outdir}")


if __name__ == "__main__":
    main(sys.argv)
