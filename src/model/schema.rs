//! Known child elements of the metadata elements policies read.
//!
//! The schema turns `app.contactEmail` into a checked property: a name the schema does not know
//! (and the file does not contain) is an error with a suggestion, not a silent `()`. Repeated
//! elements (`+name`) are returned as arrays, so `for p in ps.userPermissions` works whether the
//! file has zero, one or many. Parents marked `*` are open: Salesforce adds elements to them often,
//! so unknown names there read as absent instead of failing.

use rustc_hash::FxHashMap;
use std::sync::OnceLock;

const PERMISSION_LISTS: &str = "+applicationVisibilities +categoryGroupVisibilities +classAccesses \
    +customMetadataTypeAccesses +customPermissions +customSettingAccesses +externalDataSourceAccesses \
    +fieldPermissions +flowAccesses +objectPermissions +pageAccesses +recordTypeVisibilities \
    +userPermissions +agentAccesses +servicePresenceStatusAccesses +externalCredentialPrincipalAccesses \
    +emailRoutingAddressAccesses +genComputingSummaryDefAccesses +dataspaceScopes";

/// `parent: children`. `+` marks a repeated child; a lone `*` makes the parent open.
const SCHEMA: &[(&str, &str)] = &[
    ("Profile", "custom description userLicense loginHours fullName +layoutAssignments +loginFlows +loginIpRanges +profileActionOverrides +tabVisibilities PERMS"),
    ("PermissionSet", "label description license userLicense hasActivationRequired fullName +tabSettings PERMS"),
    ("MutingPermissionSet", "label description license userLicense hasActivationRequired fullName +tabSettings PERMS"),
    ("PermissionSetGroup", "label description hasActivationRequired status fullName +permissionSets +mutingPermissionSets"),
    ("userPermissions", "enabled name"),
    ("customPermissions", "enabled name"),
    ("objectPermissions", "allowCreate allowDelete allowEdit allowRead modifyAllRecords viewAllRecords viewAllFields object customizeSetup deleteSetup viewSetup"),
    ("fieldPermissions", "editable field readable hidden"),
    ("classAccesses", "apexClass enabled"),
    ("pageAccesses", "apexPage enabled"),
    ("flowAccesses", "enabled flow"),
    ("tabVisibilities", "tab visibility"),
    ("tabSettings", "tab visibility"),
    ("applicationVisibilities", "application default visible"),
    ("recordTypeVisibilities", "default personAccountDefault recordType visible"),
    ("customMetadataTypeAccesses", "enabled name"),
    ("customSettingAccesses", "enabled name"),
    ("externalDataSourceAccesses", "enabled externalDataSource"),
    ("externalCredentialPrincipalAccesses", "enabled externalCredentialPrincipal"),
    ("loginIpRanges", "startAddress endAddress description"),
    ("loginHours", "* mondayStart mondayEnd tuesdayStart tuesdayEnd wednesdayStart wednesdayEnd thursdayStart thursdayEnd fridayStart fridayEnd saturdayStart saturdayEnd sundayStart sundayEnd"),
    ("CustomPermission", "label description isLicensed connectedApp externalClientApplication fullName +requiredPermission"),
    ("requiredPermission", "customPermission dependency"),
    ("CustomObject", "* label pluralLabel description sharingModel externalSharingModel customSettingsType visibility deploymentStatus enableHistory fullName +fields +validationRules +recordTypes +listViews +webLinks +compactLayouts +businessProcesses +fieldSets +sharingReasons +indexes +actionOverrides"),
    ("ValidationRule", "fullName active description errorConditionFormula errorDisplayField errorMessage shouldEvaluateOnClient"),
    ("validationRules", "fullName active description errorConditionFormula errorDisplayField errorMessage shouldEvaluateOnClient"),
    ("CustomField", "* fullName label type formula defaultValue description inlineHelpText length precision scale required unique externalId referenceTo relationshipName trackHistory +valueSet"),
    ("fields", "* fullName label type formula defaultValue description inlineHelpText length precision scale required unique externalId referenceTo relationshipName trackHistory"),
    ("Flow", "* apiVersion description interviewLabel isTemplate label processType runInMode start startElementReference status triggerOrder isAdditionalPermissionRequiredToRun fullName environments \
        +actionCalls +apexPluginCalls +assignments +choices +collectionProcessors +constants +customErrors +decisions +dynamicChoiceSets \
        +formulas +loops +orchestratedStages +processMetadataValues +recordCreates +recordDeletes +recordLookups +recordRollbacks +recordUpdates \
        +screens +stages +steps +subflows +textTemplates +transforms +variables +waits"),
    ("decisions", "* name label description locationX locationY defaultConnector defaultConnectorLabel +rules +processMetadataValues"),
    // `rules` is a flow decision's outcome and, in a `.workflow` file, a workflow rule.
    ("rules", "* name label description conditionLogic connector doesRequireRecordChangedToMeetCriteria +conditions +processMetadataValues \
        fullName active triggerType formula booleanFilter +criteriaItems +actions +workflowTimeTriggers"),
    ("Workflow", "* fullName +rules +fieldUpdates +alerts +outboundMessages +tasks +flowActions +knowledgePublishes +send"),
    ("WorkflowRule", "fullName active description triggerType formula booleanFilter +criteriaItems +actions +workflowTimeTriggers"),
    ("criteriaItems", "field operation value valueField"),
    ("conditions", "* leftValueReference operator rightValue +processMetadataValues"),
    ("rightValue", "* stringValue booleanValue numberValue dateValue dateTimeValue elementReference formulaExpression apexValue sobjectValue"),
    ("value", "* stringValue booleanValue numberValue dateValue dateTimeValue elementReference formulaExpression apexValue sobjectValue"),
    ("formulas", "* name description dataType expression scale +processMetadataValues"),
    ("start", "* locationX locationY connector object triggerType recordTriggerType filterLogic filterFormula doesRequireRecordChangedToMeetCriteria flowRunAsUser schedule +filters +scheduledPaths"),
    ("filters", "* field operator value"),
    ("variables", "* name description dataType isCollection isInput isOutput objectType scale value"),
    ("constants", "* name description dataType value"),
    ("ConnectedApp", "label contactEmail contactPhone description infoUrl logoUrl iconUrl startUrl mobileStartUrl oauthConfig oauthPolicy samlConfig canvasConfig sessionPolicy plugin pluginExecutionUser mobileAppConfig fullName developerName +permissionSetName +profileName +ipRanges +attributes +customAttributes"),
    ("oauthConfig", "callbackUrl certificate consumerKey consumerSecret idTokenConfig assetTokenConfig isAdminApproved isClientCredentialEnabled isCodeCredentialEnabled isCodeCredentialPostOnly isConsumerSecretOptional isIntrospectAllTokens isNamedUserJwtEnabled isPkceRequired isRefreshTokenRotationEnabled isSecretRequiredForRefreshToken isSecretRequiredForTokenExchange isTokenExchangeEnabled oauthClientCredentialUser singleLogoutUrl +scopes +customScopes"),
    ("oauthPolicy", "ipRelaxation refreshTokenPolicy isTokenExchangeFlowEnabled singleLogoutUrl"),
    ("ipRanges", "start end description"),
    ("sessionPolicy", "policyAction sessionLevel sessionTimeout"),
    ("ExternalClientApplication", "* label contactEmail contactPhone description distributionState isProtected orgScopedExternalApp iconUrl infoUrl logoUrl fullName"),
    ("ExtlClntAppOauthSettings", "* externalClientApplication commaSeparatedOauthScopes commaSeparatedCustomScopes label fullName +trustedIpRanges"),
    ("ExtlClntAppGlobalOauthSettings", "* externalClientApplication callbackUrl consumerKey consumerSecret certificate isClientCredentialsFlowEnabled isPkceRequired isSecretRequiredForRefreshToken isConsumerSecretOptional label fullName"),
    ("ExtlClntAppOauthConfigurablePolicies", "* externalClientApplication permittedUsersPolicyType commaSeparatedPermissionSet commaSeparatedProfile isClientCredentialsFlowEnabled clientCredentialsFlowUser ipRelaxationPolicyType refreshTokenPolicyType refreshTokenValidityPeriod refreshTokenValidityUnit sessionTimeoutInMinutes policyAction requiredSessionLevel label fullName"),
    ("ExtlClntAppConfigurablePolicies", "* externalClientApplication label fullName"),
    ("NamedCredential", "* label endpoint principalType protocol username password authProvider oauthScope oauthToken oauthRefreshToken certificate jwtIssuer jwtAudience jwtSigningCertificate jwtFormulaSubject jwtTextSubject jwtValidityPeriodSeconds awsAccessKey awsAccessSecret awsRegion awsService generateAuthorizationHeader allowMergeFieldsInHeader allowMergeFieldsInBody calloutStatus namedCredentialType fullName +namedCredentialParameters"),
    ("namedCredentialParameters", "* parameterName parameterType parameterValue externalCredential certificate description sequenceNumber"),
    ("ExternalCredential", "* label authenticationProtocol description fullName +externalCredentialParameters"),
    ("externalCredentialParameters", "* parameterName parameterType parameterValue sequenceNumber authProvider certificate parameterGroup externalAuthIdentityProvider description principal"),
];

#[derive(Debug, Default)]
pub struct ElementSchema {
    pub open: bool,
    /// child name → repeated?
    pub children: FxHashMap<&'static str, bool>,
}

fn schemas() -> &'static FxHashMap<&'static str, ElementSchema> {
    static SCHEMAS: OnceLock<FxHashMap<&'static str, ElementSchema>> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let mut map = FxHashMap::default();
        for (parent, spec) in SCHEMA {
            let mut schema = ElementSchema::default();
            for word in spec.split_whitespace() {
                if word == "PERMS" {
                    for w in PERMISSION_LISTS.split_whitespace() {
                        schema.children.insert(&w[1..], true);
                    }
                } else if word == "*" {
                    schema.open = true;
                } else if let Some(list) = word.strip_prefix('+') {
                    schema.children.insert(list, true);
                } else {
                    schema.children.insert(word, false);
                }
            }
            map.insert(*parent, schema);
        }
        map
    })
}

/// What a property name means on an element called `parent`.
#[derive(Debug, PartialEq, Eq)]
pub enum Property {
    Single,
    Repeated,
    /// Not in the schema of a closed element: carries the closest known name, if any.
    Unknown(Option<&'static str>),
}

pub fn property(parent: &str, name: &str) -> Property {
    let Some(schema) = schemas().get(parent) else {
        return Property::Single;
    };
    match schema.children.get(name) {
        Some(true) => Property::Repeated,
        Some(false) => Property::Single,
        None if schema.open => Property::Single,
        None => Property::Unknown(crate::util::closest(schema.children.keys().copied(), name)),
    }
}

/// Does the schema say `child` occurs at most once under `parent`?
pub fn is_single(parent: &str, child: &str) -> bool {
    schemas()
        .get(parent)
        .and_then(|s| s.children.get(child))
        .is_some_and(|repeated| !repeated)
}

/// One element of the schema, for the API reference.
pub struct SchemaEntry {
    pub parent: &'static str,
    /// (child, repeated)
    pub children: Vec<(&'static str, bool)>,
    pub open: bool,
}

/// Everything the schema knows, sorted, for the API reference.
pub fn all() -> Vec<SchemaEntry> {
    let mut out: Vec<_> = schemas()
        .iter()
        .map(|(parent, s)| {
            let mut kids: Vec<_> = s.children.iter().map(|(k, v)| (*k, *v)).collect();
            kids.sort();
            SchemaEntry {
                parent,
                children: kids,
                open: s.open,
            }
        })
        .collect();
    out.sort_by_key(|e| e.parent);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_open_and_repeated() {
        assert_eq!(property("ConnectedApp", "contactEmail"), Property::Single);
        assert_eq!(property("ConnectedApp", "profileName"), Property::Repeated);
        assert_eq!(property("Profile", "userPermissions"), Property::Repeated);
        assert_eq!(
            property("ConnectedApp", "contactEmial"),
            Property::Unknown(Some("contactEmail"))
        );
        assert_eq!(property("Flow", "somethingNew"), Property::Single);
        assert_eq!(property("unknownParent", "x"), Property::Single);
    }
}
