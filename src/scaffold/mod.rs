//! Scaffolds: files a person starts from, written only where nothing exists yet.
//! `new-rule` writes a policy with its test cases; `scaffold integration` writes one system's own
//! identity.

pub mod integration;
mod rule;

pub use rule::new_rule;
