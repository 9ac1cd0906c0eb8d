//! The git hooks: the shims `install` writes and what each hook does.

pub mod push;
pub mod run;

#[derive(Debug, thiserror::Error)]
pub enum HooksError {
    #[error("cannot write hook {}: {source}", .path.display())]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl HooksError {
    pub fn hint(&self) -> Option<&'static str> {
        None
    }
}
