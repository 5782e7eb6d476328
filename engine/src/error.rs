//! The one error type a cycle can fail with. Per-page problems are not
//! errors: they are recorded as failures and the cycle goes on.

use std::fmt;

use crate::store::StoreError;
use crate::vault::VaultError;

#[derive(Debug)]
pub enum EngineError {
    Store(StoreError),
    Vault(VaultError),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Store(e) => write!(f, "database: {e}"),
            EngineError::Vault(e) => write!(f, "{e}"),
        }
    }
}

impl std::error::Error for EngineError {}

impl From<StoreError> for EngineError {
    fn from(e: StoreError) -> Self {
        EngineError::Store(e)
    }
}

impl From<VaultError> for EngineError {
    fn from(e: VaultError) -> Self {
        EngineError::Vault(e)
    }
}

impl From<git2::Error> for EngineError {
    fn from(e: git2::Error) -> Self {
        EngineError::Vault(e.into())
    }
}
