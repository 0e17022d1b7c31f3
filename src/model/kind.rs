//! The metadata kinds sfpolicy reads, and how a file's suffix and root element name them.

use std::fmt;

macro_rules! kinds {
    ($( $variant:ident => $root:literal, $suffix:literal; )*) => {
        /// A metadata type. Its name in scripts and output is the root element's name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind { $( $variant, )* }

        impl Kind {
            pub const ALL: &'static [Kind] = &[ $( Kind::$variant, )* ];

            /// Root element name, also the kind's name in policies (`"ConnectedApp"`).
            pub fn as_str(self) -> &'static str {
                match self { $( Kind::$variant => $root, )* }
            }

            /// File suffix without `-meta.xml` (`profile`, `connectedApp`).
            pub fn suffix(self) -> &'static str {
                match self { $( Kind::$variant => $suffix, )* }
            }

            pub fn from_suffix(suffix: &str) -> Option<Kind> {
                match suffix { $( $suffix => Some(Kind::$variant), )* _ => None }
            }

            pub fn from_name(name: &str) -> Option<Kind> {
                match name { $( $root => Some(Kind::$variant), )* _ => None }
            }
        }
    };
}

kinds! {
    Profile => "Profile", "profile";
    PermissionSet => "PermissionSet", "permissionset";
    PermissionSetGroup => "PermissionSetGroup", "permissionsetgroup";
    MutingPermissionSet => "MutingPermissionSet", "mutingpermissionset";
    CustomPermission => "CustomPermission", "customPermission";
    CustomObject => "CustomObject", "object";
    ValidationRule => "ValidationRule", "validationRule";
    CustomField => "CustomField", "field";
    Flow => "Flow", "flow";
    ConnectedApp => "ConnectedApp", "connectedApp";
    ExternalClientApplication => "ExternalClientApplication", "eca";
    EcaOauthSettings => "ExtlClntAppOauthSettings", "ecaOauth";
    EcaGlobalOauthSettings => "ExtlClntAppGlobalOauthSettings", "ecaGlblOauth";
    EcaOauthPolicies => "ExtlClntAppOauthConfigurablePolicies", "ecaOauthPlcy";
    EcaPolicies => "ExtlClntAppConfigurablePolicies", "ecaPlcy";
    Workflow => "Workflow", "workflow";
    WorkflowRule => "WorkflowRule", "workflowRule";
    NamedCredential => "NamedCredential", "namedCredential";
    ExternalCredential => "ExternalCredential", "externalCredential";
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Kind {
    /// Kinds that are children of an object and live in `objects/<Object>/<folder>/` (or, for
    /// decomposed workflows, `workflows/<Object>/<folder>/`): their API name is `<Object>.<stem>`.
    pub fn object_child_folder(self) -> Option<&'static str> {
        match self {
            Kind::ValidationRule => Some("validationRules"),
            Kind::CustomField => Some("fields"),
            Kind::WorkflowRule => Some("workflowRules"),
            _ => None,
        }
    }

    /// The child components a file of this kind embeds, and the element each is written as:
    /// a Metadata API `.object` file holds its validation rules and fields, a `.workflow` file its
    /// rules.
    pub fn embedded(self) -> &'static [(Kind, &'static str)] {
        match self {
            Kind::CustomObject => &[
                (Kind::ValidationRule, "validationRules"),
                (Kind::CustomField, "fields"),
            ],
            Kind::Workflow => &[(Kind::WorkflowRule, "rules")],
            _ => &[],
        }
    }
}
