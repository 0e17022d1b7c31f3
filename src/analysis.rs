//! Cross-file analysis computed once per run and shared by every policy.

use crate::model::Org;

pub struct Analysis {
    pub org: Org,
}

impl Analysis {
    pub fn new(org: Org) -> Analysis {
        Analysis { org }
    }
}
