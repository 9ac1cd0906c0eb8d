//! The ledger: one JSON line per hook run, check and verify.

#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    #[error("cannot write the ledger {}: {source}", .path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl LedgerError {
    pub fn hint(&self) -> Option<&'static str> {
        None
    }
}
