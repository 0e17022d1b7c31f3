#!/usr/bin/env bash
# The pre-commit hook, tested with the real pre-commit tool on throwaway git repositories (this
# checkout's HEAD is the hook's revision):
#   1. a bad connected app fails the hook; after the fix it passes;
#   2. editing a member permission set fails the hook on its group's finding (another file);
#   3. a commit that only deletes a custom permission a validation rule uses fails the hook.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
rev=$(git -C "$repo" rev-parse HEAD)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet pre-commit
export PRE_COMMIT_HOME="$work/cache"
export CARGO_TARGET_DIR="$repo/target"   # reuse this checkout's build of the hook
precommit="$work/venv/bin/pre-commit"
# pre-commit brings PyYAML: check the action and hook definitions' structure with it.
(cd "$repo" && "$work/venv/bin/python" .ci/check-action.py)

# A new git project with the hook configured; prints its path.
new_project() {
    local proj="$work/$1"
    mkdir -p "$proj/force-app/main/default"
    (
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
    )
    echo "$proj"
}

fail() { cat "$2"; echo "pre-commit: $1"; exit 1; }

# 1. A bad connected app, then its fix.
proj=$(new_project apps)
cd "$proj"
mkdir -p force-app/main/default/connectedApps
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
echo 'not metadata: the hook must not run on it' > README.md
write_app BYPASS
git add -A
if "$precommit" run --all-files > "$work/bad.log" 2>&1; then fail "the hook passed on a bad connected app" "$work/bad.log"; fi
grep -q "connected-app-ip-relaxed" "$work/bad.log" || fail "finding not shown" "$work/bad.log"
write_app ENFORCE
git add -A
"$precommit" run --all-files > "$work/good.log" 2>&1 || fail "the hook failed on a fixed connected app" "$work/good.log"

# 2. A member permission set gains Modify All Data: the finding is in its group's file.
proj=$(new_project group)
cd "$proj"
d=force-app/main/default
mkdir -p $d/permissionsets $d/permissionsetgroups
# The team names its integration groups: strong evidence, so the finding is an error.
printf '[integrations]\npermission-sets = ["*_Integration"]\n' > sfpolicy.toml
cat > $d/permissionsetgroups/Warehouse_Integration.permissionsetgroup-meta.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<PermissionSetGroup xmlns="http://soap.sforce.com/2006/04/metadata">
    <label>Warehouse Integration</label>
    <permissionSets>Warehouse_Base</permissionSets>
    <status>Updated</status>
</PermissionSetGroup>
XML
member() {
    cat > $d/permissionsets/Warehouse_Base.permissionset-meta.xml <<XML
<?xml version="1.0" encoding="UTF-8"?>
<PermissionSet xmlns="http://soap.sforce.com/2006/04/metadata">
    <label>Warehouse base access</label>
    <userPermissions>
        <enabled>$1</enabled>
        <name>ModifyAllData</name>
    </userPermissions>
</PermissionSet>
XML
}
member false
git add -A
"$precommit" run > "$work/group-base.log" 2>&1 || fail "the hook failed on a clean group" "$work/group-base.log"
git commit -qm base
member true
git add -A
if "$precommit" run > "$work/group.log" 2>&1; then fail "editing a member did not fail on the group's finding" "$work/group.log"; fi
grep -q "integration-admin-permission" "$work/group.log" || fail "group finding not shown" "$work/group.log"
grep -q "Warehouse_Integration.permissionsetgroup-meta.xml" "$work/group.log" || fail "the group's file not named" "$work/group.log"

# 3. A commit that only deletes a custom permission a validation rule uses.
proj=$(new_project deletion)
cd "$proj"
mkdir -p $d/customPermissions $d/objects/Account/validationRules
cat > $d/customPermissions/Bypass_Validation.customPermission-meta.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<CustomPermission xmlns="http://soap.sforce.com/2006/04/metadata">
    <isLicensed>false</isLicensed>
    <label>Bypass Validation</label>
</CustomPermission>
XML
cat > $d/objects/Account/validationRules/Locked.validationRule-meta.xml <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<ValidationRule xmlns="http://soap.sforce.com/2006/04/metadata">
    <fullName>Locked</fullName>
    <active>true</active>
    <errorConditionFormula>AND(NOT($Permission.Bypass_Validation), ISCHANGED(Name))</errorConditionFormula>
    <errorMessage>Locked.</errorMessage>
</ValidationRule>
XML
git add -A
"$precommit" run > "$work/del-base.log" 2>&1 || fail "the hook failed on a clean project" "$work/del-base.log"
git commit -qm base
git rm -q $d/customPermissions/Bypass_Validation.customPermission-meta.xml
if "$precommit" run > "$work/del.log" 2>&1; then fail "a commit that only deletes a used custom permission passed" "$work/del.log"; fi
grep -q "bypass-permission-undefined" "$work/del.log" || fail "deletion finding not shown" "$work/del.log"

echo "pre-commit hook: fails on a bad file and passes when fixed; catches a member's change in its group and a deletion"
