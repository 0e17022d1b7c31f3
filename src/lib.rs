//! sfpolicy: a policy-as-code linter for Salesforce metadata.
//!
//! A pipeline, one module per stage, data flowing one way (see `docs/architecture.md`):
//!
//! [`source`] (the files read, every line/column and path) → [`model`] (kinds, documents, the
//! org, effective permissions) → [`analysis`] (integration identities and their evidence) →
//! [`policy`] (the Rhai sandbox and its API) → [`findings`] (registry, identity, severities,
//! waivers, baselines, incremental runs) → [`report`] (one module per format). [`pipeline`]
//! wires the stages; [`cli`] parses arguments and runs commands.

pub mod alloc;
pub mod analysis;
pub mod cache;
pub mod cli;
pub mod config;
pub mod diag;
pub mod escape;
pub mod findings;
pub mod inventory;
pub mod model;
pub mod pipeline;
pub mod plan;
pub mod policy;
pub mod report;
pub mod scaffold;
pub mod source;
pub mod testing;
pub mod util;
