#!/usr/bin/env python3
"""Translate a SAM template to plain CloudFormation (JSON), as the
AWS::Serverless-2016-10-31 transform would, so that tools which do not expand
the transform themselves (cfn-lint's checks of the expanded resources,
checkov, the moto emulator's CloudFormation) see the real resources.

Usage: scripts/sam/translate.py TEMPLATE OUTPUT [--placeholder-code]

--placeholder-code replaces a local CodeUri (an unpackaged template, as in
`make validate`) with a placeholder S3 location: the transform accepts only
S3 code locations, which `sam package`/`sam deploy` produce by uploading the
local artifact. Runs in the SAM CLI venv (samtranslator and samcli).
"""
import json
import os
import sys

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform

PLACEHOLDER_CODE = "s3://placeholder-bucket/placeholder-key.zip"


class NoManagedPolicies(ManagedPolicyLoader):
    """The template names no AWS managed policy, so nothing is looked up in IAM."""

    def __init__(self):  # pylint: disable=super-init-not-called
        pass

    def load(self):
        return {}


def main(argv):
    # The transform resolves AWS::Region/AWS::Partition for a few properties;
    # the Makefile passes the deploy region, this default only keeps a bare run working.
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if len(argv) < 3:
        sys.exit(__doc__)
    src, dst = argv[1], argv[2]
    placeholder = "--placeholder-code" in argv[3:]
    with open(src, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    for name, resource in template.get("Resources", {}).items():
        props = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function":
            code = props.get("CodeUri")
            if isinstance(code, str) and not code.startswith("s3://"):
                if not placeholder:
                    sys.exit(f"{src}: {name} has local CodeUri {code!r}; package it first or pass --placeholder-code")
                props["CodeUri"] = PLACEHOLDER_CODE
    out = transform(template, {}, NoManagedPolicies(), passthrough_metadata=True)
    with open(dst, "w", encoding="utf-8") as f:
        json.dump(out, f, indent=2, sort_keys=False)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv)
