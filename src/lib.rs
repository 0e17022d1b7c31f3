//! sfpolicy: a policy-as-code linter for Salesforce metadata.
//!
//! The pipeline runs one way: [`discover`] → [`xml`] parse → [`model`] → [`analysis`] →
//! [`policy`] → [`findings`] → [`report`]. [`check::run`] wires it together.

pub mod adopt;
pub mod alloc;
pub mod analysis;
pub mod check;
pub mod config;
pub mod discover;
pub mod docs;
pub mod findings;
pub mod formula;
pub mod inventory;
pub mod kind;
pub mod model;
pub mod permissions;
pub mod policy;
pub mod register;
pub mod report;
pub mod scaffold;
pub mod testing;
pub mod toml_tree;
pub mod xml;
