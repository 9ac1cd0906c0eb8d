//! `[acceptance]`: which commands prove the work and how they are run.

use super::{PolicyError, SourceText};
use crate::glob::GlobList;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::time::Duration;
use toml::Spanned;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NetworkMode {
    Deny,
    Allow,
    Auto,
}

/// Where acceptance commands may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FilesystemMode {
    /// Only the checkout, a private temporary directory and `writable` (fails closed where
    /// the kernel cannot enforce it).
    Restrict,
    /// Anywhere the user may write.
    Allow,
    /// Restrict where the kernel can, else run and record that it could not.
    Auto,
}

/// What a local run (a hook, `agentguard check`) does where the platform cannot isolate as
/// `network` and `filesystem` ask. `verify` always fails closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LocalIsolation {
    /// Run without it, record what the commands got, and warn.
    Warn,
    /// Block, as `verify` does.
    Required,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum WorktreeMode {
    Fresh,
    Reuse,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub(crate) enum RawSize {
    Bytes(u64),
    Text(String),
    /// Anything else (a negative number, a table): reported with its position.
    Other(toml::Value),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawAcceptance {
    #[serde(default)]
    commands: Vec<String>,
    #[serde(default)]
    setup: Vec<String>,
    #[serde(default = "default_timeout")]
    timeout: Spanned<String>,
    #[serde(default = "default_network")]
    network: NetworkMode,
    #[serde(default = "default_filesystem")]
    filesystem: FilesystemMode,
    #[serde(default)]
    writable: Vec<Spanned<String>>,
    #[serde(default = "default_local_isolation")]
    local_isolation: LocalIsolation,
    #[serde(default = "default_worktree")]
    worktree: WorktreeMode,
    #[serde(default = "default_keep")]
    keep: Vec<Spanned<String>>,
    #[serde(default = "default_env")]
    env: Vec<Spanned<String>>,
    #[serde(default = "default_max_output")]
    max_output: Spanned<RawSize>,
    #[serde(default)]
    allowed_programs: Vec<String>,
}

impl Default for RawAcceptance {
    fn default() -> Self {
        Self {
            commands: Vec::new(),
            setup: Vec::new(),
            timeout: default_timeout(),
            network: default_network(),
            filesystem: default_filesystem(),
            writable: Vec::new(),
            local_isolation: default_local_isolation(),
            worktree: default_worktree(),
            keep: default_keep(),
            env: default_env(),
            max_output: default_max_output(),
            allowed_programs: Vec::new(),
        }
    }
}

fn unspanned<T>(value: T) -> Spanned<T> {
    Spanned::new(0..0, value)
}
fn default_timeout() -> Spanned<String> {
    unspanned("10m".to_string())
}
fn default_network() -> NetworkMode {
    NetworkMode::Deny
}
fn default_filesystem() -> FilesystemMode {
    FilesystemMode::Auto
}
fn default_local_isolation() -> LocalIsolation {
    LocalIsolation::Warn
}
fn default_worktree() -> WorktreeMode {
    WorktreeMode::Fresh
}
fn default_keep() -> Vec<Spanned<String>> {
    ["target/", "node_modules/", ".venv/"]
        .into_iter()
        .map(|k| unspanned(k.to_string()))
        .collect()
}
fn default_env() -> Vec<Spanned<String>> {
    [
        "PATH",
        "HOME",
        "USER",
        "LANG",
        "LC_ALL",
        "TERM",
        "TMPDIR",
        "CARGO_HOME",
        "RUSTUP_HOME",
    ]
    .into_iter()
    .map(|name| unspanned(name.to_string()))
    .collect()
}
fn default_max_output() -> Spanned<RawSize> {
    unspanned(RawSize::Text("64KiB".to_string()))
}

/// Validated acceptance settings.
#[derive(Debug, Clone)]
pub struct AcceptancePolicy {
    pub commands: Vec<String>,
    pub setup: Vec<String>,
    /// Per command.
    pub timeout: Duration,
    pub network: NetworkMode,
    pub filesystem: FilesystemMode,
    /// Absolute paths commands may write besides their checkout and temporary directory
    /// (caches such as `~/.cargo/registry`).
    pub writable: Vec<PathBuf>,
    pub local_isolation: LocalIsolation,
    pub worktree: WorktreeMode,
    /// What survives in a reused checkout (`.gitignore` syntax, passed to `git clean -e`).
    pub keep: GlobList,
    /// Variable names passed to the commands; a trailing `*` matches a prefix.
    pub env: Vec<String>,
    /// Bytes of output kept per command.
    pub max_output: u64,
    pub allowed_programs: Vec<String>,
}

pub(super) fn compile(
    raw: RawAcceptance,
    text: &SourceText<'_>,
) -> Result<AcceptancePolicy, PolicyError> {
    let timeout = humantime::parse_duration(raw.timeout.get_ref().trim()).map_err(|e| {
        text.error_at(
            raw.timeout.span(),
            format!(
                "invalid timeout `{}`: {e} (e.g. \"90s\", \"10m\")",
                raw.timeout.get_ref()
            ),
        )
    })?;
    if timeout.is_zero() {
        return Err(text.error_at(raw.timeout.span(), "timeout must be greater than zero"));
    }
    let max_output = match raw.max_output.get_ref() {
        RawSize::Bytes(n) => *n,
        RawSize::Text(s) => parse_size(s).ok_or_else(|| {
            text.error_at(
                raw.max_output.span(),
                format!("invalid size `{s}` (e.g. 65536, \"64KiB\", \"1MiB\")"),
            )
        })?,
        RawSize::Other(value) => {
            return Err(text.error_at(
                raw.max_output.span(),
                format!("invalid max_output `{value}`: expected a size such as 65536 or \"64KiB\""),
            ))
        }
    };
    for name in &raw.env {
        if !is_env_pattern(name.get_ref()) {
            return Err(text.error_at(
                name.span(),
                format!(
                    "invalid environment variable name `{}` in env (e.g. \"HOME\", or \"NPM_*\" \
                     for a prefix)",
                    name.get_ref()
                ),
            ));
        }
    }
    let mut writable = Vec::new();
    for path in &raw.writable {
        let expanded = match path.get_ref().strip_prefix("~/") {
            Some(rest) => std::env::var_os("HOME").map(|home| PathBuf::from(home).join(rest)),
            None => Some(PathBuf::from(path.get_ref())),
        };
        match expanded {
            Some(p) if p.is_absolute() => writable.push(p),
            _ => {
                return Err(text.error_at(
                    path.span(),
                    format!(
                        "writable path `{}` must be absolute or start with `~/`",
                        path.get_ref()
                    ),
                ))
            }
        }
    }
    Ok(AcceptancePolicy {
        commands: raw.commands,
        setup: raw.setup,
        timeout,
        network: raw.network,
        filesystem: raw.filesystem,
        writable,
        local_isolation: raw.local_isolation,
        worktree: raw.worktree,
        keep: text.globs(&raw.keep)?,
        env: raw.env.into_iter().map(Spanned::into_inner).collect(),
        max_output,
        allowed_programs: raw.allowed_programs,
    })
}

/// A variable name, or a prefix of names ending in `*`.
fn is_env_pattern(pattern: &str) -> bool {
    let name = pattern.strip_suffix('*').unwrap_or(pattern);
    !pattern.is_empty()
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
}

/// "65536", "64KiB", "64 KB", "1MiB", "2G".
pub(crate) fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(factor)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("65536"), Some(65536));
        assert_eq!(parse_size("64KiB"), Some(65536));
        assert_eq!(parse_size("1 MiB"), Some(1 << 20));
        assert_eq!(parse_size("lots"), None);
        assert_eq!(parse_size("1TB"), None);
    }

    #[test]
    fn env_patterns() {
        for good in ["PATH", "npm_config_*", "_X1", "*"] {
            assert!(is_env_pattern(good), "{good}");
        }
        for bad in ["", "A B", "1X", "X=1", "A*B"] {
            assert!(!is_env_pattern(bad), "{bad}");
        }
    }
}
