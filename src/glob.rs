//! Path globs with `.gitignore` / CODEOWNERS semantics, compiled once into a `GlobSet`.
//!
//! `*` and `?` never cross `/`; `**` spans directories; a pattern without a `/` matches a name
//! at any depth; a trailing `/` matches everything below a directory; a leading `/` anchors.
//! A pattern that names a directory also covers what lies below it, as in `.gitignore`, and
//! the entry at the directory's own path, so a symlink or submodule standing in for a denied
//! directory is denied too. Deny lists match regardless of case.

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum GlobError {
    #[error("invalid glob `{pattern}`: {reason}")]
    Invalid {
        /// Which pattern of the list.
        index: usize,
        pattern: String,
        reason: String,
    },
}

impl GlobError {
    pub fn index(&self) -> usize {
        match self {
            GlobError::Invalid { index, .. } => *index,
        }
    }
}

/// Whether letter case matters when matching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    Sensitive,
    /// For deny lists and emails: `Secrets/` must not slip past `secrets/`.
    Insensitive,
}

/// An ordered list of glob patterns that reports which pattern matched.
#[derive(Debug, Clone)]
pub struct GlobList {
    patterns: Vec<String>,
    set: GlobSet,
    /// `set` index -> `patterns` index (one pattern compiles to two globs).
    owner: Vec<usize>,
}

impl GlobList {
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, GlobError> {
        Self::with_case(patterns, Case::Sensitive)
    }

    pub fn with_case<S: AsRef<str>>(patterns: &[S], case: Case) -> Result<Self, GlobError> {
        let mut builder = GlobSetBuilder::new();
        let mut owner = Vec::new();
        for (index, pattern) in patterns.iter().enumerate() {
            let pattern = pattern.as_ref();
            let invalid = |reason: String| GlobError::Invalid {
                index,
                pattern: pattern.to_string(),
                reason,
            };
            for expanded in expand(pattern).map_err(|r| invalid(r.to_string()))? {
                let glob = GlobBuilder::new(&expanded)
                    .literal_separator(true)
                    .backslash_escape(true)
                    .case_insensitive(case == Case::Insensitive)
                    .build()
                    .map_err(|e| invalid(e.kind().to_string()))?;
                builder.add(glob);
                owner.push(index);
            }
        }
        let set = builder.build().map_err(|e| GlobError::Invalid {
            index: 0,
            pattern: patterns
                .iter()
                .map(|p| p.as_ref())
                .collect::<Vec<_>>()
                .join(", "),
            reason: e.to_string(),
        })?;
        Ok(Self {
            patterns: patterns.iter().map(|p| p.as_ref().to_string()).collect(),
            set,
            owner,
        })
    }

    pub fn empty() -> Self {
        Self {
            patterns: Vec::new(),
            set: GlobSet::empty(),
            owner: Vec::new(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.patterns.is_empty()
    }

    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// The same list, matching as before, with each pattern shown as `show` renders it (a
    /// pattern that holds a secret is never shown).
    pub fn shown_as(mut self, show: impl Fn(&str) -> String) -> Self {
        for pattern in &mut self.patterns {
            *pattern = show(pattern);
        }
        self
    }

    /// The first pattern (in declaration order) matching the repository-relative path.
    pub fn first_match(&self, path: &[u8]) -> Option<&str> {
        if self.patterns.is_empty() {
            return None;
        }
        let candidate = Candidate::new(Path::new(OsStr::from_bytes(path)));
        self.set
            .matches_candidate(&candidate)
            .into_iter()
            .map(|i| self.owner[i])
            .min()
            .map(|i| self.patterns[i].as_str())
    }

    pub fn is_match(&self, path: &[u8]) -> bool {
        !self.patterns.is_empty()
            && self
                .set
                .is_match_candidate(&Candidate::new(Path::new(OsStr::from_bytes(path))))
    }
}

/// Translates one gitignore-style pattern into the globset patterns it stands for (`*` within
/// a component, `**` across them: git's wildmatch reads them alike).
pub(crate) fn expand(pattern: &str) -> Result<Vec<String>, &'static str> {
    let trimmed = pattern.trim();
    if trimmed.is_empty() || trimmed == "/" {
        return Err("empty glob pattern");
    }
    if trimmed.starts_with('!') {
        return Err("negation (`!`) is not supported: list what to allow or deny instead");
    }
    let anchored = trimmed.starts_with('/');
    let body = trimmed.trim_start_matches('/');
    if body
        .split('/')
        .any(|component| component == "." || component == "..")
    {
        return Err("`.` and `..` components never match a repository path");
    }
    // `dir/` and `dir` compile alike: both cover the entry at `dir` and everything below it.
    let body = body.trim_end_matches('/');
    if body.is_empty() {
        return Err("empty glob pattern");
    }
    let base = if body == "**" || anchored || body.contains('/') {
        body.to_string()
    } else {
        format!("**/{body}")
    };
    if base.ends_with("/**") || base == "**" {
        return Ok(vec![base]);
    }
    Ok(vec![format!("{base}/**"), base])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(pattern: &str, path: &str) -> bool {
        GlobList::new(&[pattern]).unwrap().is_match(path.as_bytes())
    }

    #[test]
    fn star_does_not_cross_slash() {
        assert!(m("src/*.rs", "src/lib.rs"));
        assert!(!m("src/*.rs", "src/a/lib.rs"));
        assert!(m("src/**/*.rs", "src/a/b/lib.rs"));
        assert!(m("src/**", "src/a/b/lib.rs"));
    }

    #[test]
    fn name_without_slash_matches_at_any_depth() {
        assert!(m("*.pem", "a/b/key.pem"));
        assert!(m("*.pem", "key.pem"));
        assert!(!m("*.pem", "key.pem.txt"));
    }

    #[test]
    fn trailing_slash_matches_below_directory() {
        assert!(m("secrets/", "secrets/a"));
        assert!(m("secrets/", "x/secrets/a/b"));
        // The directory entry itself (a symlink or submodule standing in for it) too.
        assert!(m("secrets/", "secrets"));
        assert!(m("config/secrets/", "config/secrets/a"));
        assert!(!m("config/secrets/", "x/config/secrets/a"));
    }

    #[test]
    fn leading_slash_anchors() {
        assert!(m("/Makefile", "Makefile"));
        assert!(!m("/Makefile", "sub/Makefile"));
        assert!(m("Makefile", "sub/Makefile"));
    }

    #[test]
    fn directory_name_covers_contents() {
        assert!(m("docs", "docs/readme.md"));
        assert!(m("src/api", "src/api/v1/x.rs"));
        assert!(!m("src/api", "src/api2/x.rs"));
    }

    #[test]
    fn reports_first_declared_match() {
        let list = GlobList::new(&["docs/**", "*.md"]).unwrap();
        assert_eq!(list.first_match(b"docs/a.md"), Some("docs/**"));
        assert_eq!(list.first_match(b"x.md"), Some("*.md"));
        assert_eq!(list.first_match(b"x.rs"), None);
    }

    #[test]
    fn double_star_without_slash_matches_at_any_depth() {
        assert!(m("**.pem", "certs/key.pem"));
        assert!(m("**secret*", "config/my-secret.txt"));
        assert!(m("**", "a/b/c"));
    }

    #[test]
    fn case_insensitive_lists() {
        let deny = GlobList::with_case(&["secrets/"], Case::Insensitive).unwrap();
        assert!(deny.is_match(b"Secrets/k"));
        assert!(!m("secrets/", "Secrets/k"));
    }

    #[test]
    fn rejects_bad_patterns() {
        let err = GlobList::new(&["ok/**", "src/[a"]).unwrap_err();
        assert_eq!(err.index(), 1);
        assert!(GlobList::new(&[""]).is_err());
        assert!(GlobList::new(&["/"]).is_err());
        assert!(GlobList::new(&["!keep"]).is_err());
        assert!(GlobList::new(&["./secrets/**"]).is_err());
        assert!(GlobList::new(&["src/../x"]).is_err());
    }
}
