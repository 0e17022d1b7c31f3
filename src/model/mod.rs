//! The model: metadata kinds, parsed documents, the org (components and their lookups), and
//! effective permissions. Nothing here knows about policies or reports.

pub mod discover;
pub mod formula;
pub mod kind;
pub mod org;
pub mod permissions;
pub mod profiles;
pub mod schema;
mod schema_wsdl;
pub mod xml;

pub use kind::Kind;
pub use org::{Component, Org};
