//! Human work on any branch: a commit signed with git's own commit signing (SSH format) by a
//! key the base's allowed signers file lists. The signature is verified with `ssh-keygen -Y
//! verify` in git's namespace against the file in the base tree (`[approvals]
//! allowed_signers`), never against the change's copy nor git config, which anyone with the
//! clone can edit.

use super::{verify::load_signers, ApprovalError, SshKeygen, SIG_BEGIN};
use crate::approval::ssh::SigningKey;
use crate::policy::Policy;
use crate::repo::Repo;
use git2::Oid;

/// The namespace git signs commits in.
const GIT_NAMESPACE: &str = "git";

/// Who makes a change human work.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Signer {
    /// The commit's signature verifies for this identity.
    Verified(String),
    /// A change being committed: git is set to sign it (`commit.gpgsign`, `gpg.format =
    /// ssh`) with a key listed for this identity. The hooks trust this; pre-push and
    /// `verify` check the signature the commit then carries.
    Configured(String),
}

impl Signer {
    pub fn identity(&self) -> &str {
        match self {
            Signer::Verified(who) | Signer::Configured(who) => who,
        }
    }
}

/// The signer that makes `commit` (or, for `None`, the change being committed) human work,
/// if any. Only `[approvals] allowed_signers` of the base counts.
pub(crate) fn human_signer(
    repo: &Repo,
    policy: &Policy,
    base_tree: Option<Oid>,
    commit: Option<&git2::Commit<'_>>,
) -> Result<Option<Signer>, ApprovalError> {
    if policy.approvals.allowed_signers.is_none() {
        return Ok(None);
    }
    match commit {
        Some(commit) => {
            let Ok((signature, signed)) = repo.git().extract_signature(&commit.id(), None) else {
                return Ok(None);
            };
            let Ok(signature) = std::str::from_utf8(&signature) else {
                return Ok(None);
            };
            if !signature.trim_start().starts_with(SIG_BEGIN) {
                return Ok(None);
            }
            let Ok(signers) = load_signers(repo, policy, base_tree)? else {
                return Ok(None);
            };
            let keygen = SshKeygen::find()?;
            for principals in keygen.principals(signers.path(), signature) {
                for name in literal_names(&principals) {
                    if keygen.verify_in(signers.path(), name, GIT_NAMESPACE, &signed, signature)? {
                        return Ok(Some(Signer::Verified(name.to_string())));
                    }
                }
            }
            Ok(None)
        }
        None => {
            let Some(key) = configured_key(repo) else {
                return Ok(None);
            };
            let Some(path) = policy.approvals.allowed_signers.as_deref() else {
                return Ok(None);
            };
            let Some(tree) = base_tree else {
                return Ok(None);
            };
            let Some(file) = repo.read_file_at(tree, path)? else {
                return Ok(None);
            };
            Ok(listed_for(&String::from_utf8_lossy(&file), &key).map(Signer::Configured))
        }
    }
}

/// The names of a principals field that are not patterns: a key listed as `*@example.com`
/// makes no one in particular human.
fn literal_names(principals: &str) -> impl Iterator<Item = &str> {
    principals
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty() && !n.contains(['*', '?', '!']))
}

/// The public key git will sign the next commit with, as `<type> <base64>`, when it is set to
/// sign with SSH.
fn configured_key(repo: &Repo) -> Option<(String, String)> {
    let config = repo.git().config().ok()?;
    if !config.get_bool("commit.gpgsign").unwrap_or(false) {
        return None;
    }
    if !config
        .get_string("gpg.format")
        .is_ok_and(|f| f.eq_ignore_ascii_case("ssh"))
    {
        return None;
    }
    let text = match SigningKey::parse(&config.get_string("user.signingkey").ok()?) {
        SigningKey::Literal(key) => key,
        SigningKey::File(path) => {
            let content = std::fs::read_to_string(&path).unwrap_or_default();
            if key_of(&content).is_some() {
                content
            } else {
                let mut public = path.into_os_string();
                public.push(".pub");
                std::fs::read_to_string(public).ok()?
            }
        }
    };
    key_of(&text)
}

fn is_key_type(word: &str) -> bool {
    ["ssh-", "ecdsa-", "sk-"]
        .iter()
        .any(|p| word.starts_with(p))
}

/// `<type> <base64> [comment]` → (type, base64).
fn key_of(text: &str) -> Option<(String, String)> {
    let mut words = text.split_whitespace();
    let kind = words.next().filter(|w| is_key_type(w))?;
    let blob = words.next()?;
    Some((kind.to_string(), blob.to_string()))
}

/// The first literal identity an allowed signers file lists for `key`.
fn listed_for(allowed_signers: &str, key: &(String, String)) -> Option<String> {
    for line in allowed_signers.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let words = words(line);
        let Some((principals, rest)) = words.split_first() else {
            continue;
        };
        let listed = rest
            .windows(2)
            .find(|pair| is_key_type(&pair[0]))
            .is_some_and(|pair| pair[0] == key.0 && pair[1] == key.1);
        if listed {
            if let Some(name) = literal_names(principals).next() {
                return Some(name.to_string());
            }
        }
    }
    None
}

/// Whitespace-separated words, a double-quoted part (`namespaces="git,file"`) kept whole.
fn words(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in line.chars() {
        match c {
            '"' => {
                quoted = !quoted;
                current.push(c);
            }
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake";

    fn key() -> (String, String) {
        key_of(&format!("{KEY} lead@laptop")).unwrap()
    }

    #[test]
    fn a_listed_key_names_its_first_literal_identity() {
        let file = format!(
            "# reviewers\n\ndba@example.com ssh-ed25519 AAAAother\n*@example.com,lead@example.com namespaces=\"git,agentguard-approval\" {KEY} comment\n"
        );
        assert_eq!(listed_for(&file, &key()), Some("lead@example.com".into()));
    }

    #[test]
    fn a_key_listed_only_for_a_pattern_makes_no_one_human() {
        let file = format!("*@example.com {KEY}\n");
        assert_eq!(listed_for(&file, &key()), None);
        assert_eq!(listed_for("", &key()), None);
        assert_eq!(
            listed_for("lead@example.com ssh-ed25519 AAAAother\n", &key()),
            None
        );
    }

    #[test]
    fn only_key_text_is_a_key() {
        assert_eq!(key_of("not a key"), None);
        assert_eq!(key_of("ssh-ed25519"), None);
        assert_eq!(
            key_of("sk-ssh-ed25519@openssh.com AAAA x"),
            Some(("sk-ssh-ed25519@openssh.com".into(), "AAAA".into()))
        );
        assert_eq!(
            words(r#"a  b="c d" e"#),
            vec!["a".to_string(), "b=\"c d\"".into(), "e".into()]
        );
    }
}
