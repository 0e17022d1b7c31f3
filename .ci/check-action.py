"""Structural check of action.yml (no actionlint here): the keys GitHub requires for a composite
action, `shell` on every `run` step, inputs referenced exist, pinned major versions of the actions
it uses, and the hook definitions pre-commit reads."""
import re
import sys

import yaml

errors = []
action = yaml.safe_load(open("action.yml"))
for key in ("name", "description", "runs"):
    if key not in action:
        errors.append(f"action.yml: missing `{key}`")
runs = action.get("runs", {})
if runs.get("using") != "composite":
    errors.append("action.yml: runs.using must be composite")
inputs = action.get("inputs", {})
for name, spec in inputs.items():
    if "description" not in spec:
        errors.append(f"action.yml: input {name} has no description")
ids = set()
for i, step in enumerate(runs.get("steps", [])):
    where = f"action.yml: step {i + 1} ({step.get('name', '?')})"
    if ("run" in step) == ("uses" in step):
        errors.append(f"{where}: exactly one of run/uses")
    if "run" in step and "shell" not in step:
        errors.append(f"{where}: a composite run step needs `shell`")
    if "uses" in step and not re.fullmatch(r"[\w.-]+/[\w./-]+@v\d+", step["uses"]):
        errors.append(f"{where}: pin `uses` to a major version: {step['uses']}")
    if "id" in step:
        ids.add(step["id"])
text = open("action.yml").read()
for ref in re.findall(r"inputs\.([\w-]+)", text):
    if ref not in inputs:
        errors.append(f"action.yml: unknown input `{ref}`")
for ref in re.findall(r"steps\.([\w-]+)\.", text):
    if ref not in ids:
        errors.append(f"action.yml: unknown step id `{ref}`")
if "upload-sarif@v3" in text:
    errors.append("action.yml: upload-sarif@v3 is retired; use v4")

hooks = yaml.safe_load(open(".pre-commit-hooks.yaml"))
for hook in hooks:
    for key in ("id", "name", "entry", "language"):
        if key not in hook:
            errors.append(f".pre-commit-hooks.yaml: hook without `{key}`")
    re.compile(hook.get("files", ""))
if {h["id"] for h in hooks} != {"sfpolicy", "sfpolicy-system"}:
    errors.append(".pre-commit-hooks.yaml: expected the sfpolicy and sfpolicy-system hooks")

for doc in ("docs/ci.md", "README.md"):
    body = open(doc).read()
    if "upload-sarif@v3" in body:
        errors.append(f"{doc}: upload-sarif@v3 is retired; use v4")
    if "rev: v0.1.0" in body:
        errors.append(f"{doc}: pins a tag that does not exist")

if errors:
    print("\n".join(errors))
    sys.exit(1)
print("action.yml and .pre-commit-hooks.yaml: structure ok")
