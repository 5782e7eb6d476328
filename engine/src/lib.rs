//! The sync engine of gitsync. It knows nothing of Postgres: the extension
//! drives it through the [`store::Store`] trait, and tests drive it with an
//! in-memory store and a temporary bare repository.

pub mod convert;
pub mod cycle;
pub mod error;
pub mod idle;
pub mod layout;
pub mod markers;
pub mod merge;
pub mod model;
pub mod pagefile;
pub mod position;
pub mod pull;
pub mod push;
pub mod report;
pub mod store;
#[cfg(test)]
mod testkit;
pub mod vault;
