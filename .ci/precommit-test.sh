#!/usr/bin/env bash
# The pre-commit hook, tested with the real pre-commit tool: a throwaway git repository with a bad
# connected app must fail the hook; after the fix it must pass. Uses this checkout's HEAD.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rev=$(git -C "$repo" rev-parse HEAD)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet pre-commit
export PRE_COMMIT_HOME="$work/cache"
export CARGO_TARGET_DIR="$repo/target"   # reuse this checkout's build of the hook

proj="$work/project"
mkdir -p "$proj/force-app/main/default/connectedApps"
cd "$proj"
git init -q -b main
git config user.email ci@example.com
git config user.name ci
echo '{"packageDirectories":[{"path":"force-app","default":true}]}' > sfdx-project.json
cat > .pre-commit-config.yaml <<YAML
repos:
  - repo: $repo
    rev: $rev
    hooks:
      - id: sfpolicy
YAML
app=force-app/main/default/connectedApps/Vendor.connectedApp-meta.xml
write_app() {
    cat > "$app" <<XML
<?xml version="1.0" encoding="UTF-8"?>
<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata">
    <contactEmail>team@example.com</contactEmail>
    <label>Vendor</label>
    <oauthConfig>
        <callbackUrl>https://vendor.example.com/cb</callbackUrl>
        <isAdminApproved>true</isAdminApproved>
        <scopes>Api</scopes>
    </oauthConfig>
    <oauthPolicy>
        <ipRelaxation>$1</ipRelaxation>
        <refreshTokenPolicy>specific_inactivity:30:DAYS</refreshTokenPolicy>
    </oauthPolicy>
</ConnectedApp>
XML
}
cat > README.md <<'TXT'
not metadata: the hook must not run on it
TXT
write_app BYPASS
git add -A
if "$work/venv/bin/pre-commit" run --all-files > "$work/bad.log" 2>&1; then
    cat "$work/bad.log"; echo "pre-commit: the hook passed on a bad connected app"; exit 1
fi
grep -q "connected-app-ip-relaxed" "$work/bad.log" || { cat "$work/bad.log"; echo "pre-commit: finding not shown"; exit 1; }
write_app ENFORCE
git add -A
if ! "$work/venv/bin/pre-commit" run --all-files > "$work/good.log" 2>&1; then
    cat "$work/good.log"; echo "pre-commit: the hook failed on a fixed connected app"; exit 1
fi
echo "pre-commit hook: fails on the bad file, passes when fixed"
