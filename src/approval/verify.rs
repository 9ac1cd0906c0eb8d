//! Which stored approvals count: the signature must verify against the base's allowed signers
//! for the claimed approver, the approver must be listed for the category in the base policy,
//! and the approval must be bound to this exact change.

use super::store::Stored;
use super::{Approval, ApprovalError, SshKeygen};
use crate::finding::{Action, Finding, SignOff};
use crate::policy::Policy;
use crate::repo::Repo;
use git2::Oid;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;

/// The allowed signers file, materialised on disk for ssh-keygen.
pub(crate) struct Signers {
    path: PathBuf,
    _temp: Option<tempfile::TempPath>,
}

impl Signers {
    pub(crate) fn path(&self) -> &std::path::Path {
        &self.path
    }
}

/// The allowed signers of the base: `[approvals] allowed_signers` read from the base tree, else
/// git config `gpg.ssh.allowedSignersFile`. `Err` says why there are none.
pub(crate) fn load_signers(
    repo: &Repo,
    policy: &Policy,
    base_tree: Option<Oid>,
) -> Result<Result<Signers, String>, ApprovalError> {
    if let Some(path) = &policy.approvals.allowed_signers {
        let Some(tree) = base_tree else {
            return Ok(Err(format!(
                "[approvals] allowed_signers names `{path}`, but a root commit has no base tree to read it from"
            )));
        };
        let Some(bytes) = repo.read_file_at(tree, path)? else {
            return Ok(Err(format!(
                "[approvals] allowed_signers names `{path}`, which does not exist in the base commit"
            )));
        };
        let mut file = tempfile::NamedTempFile::new()
            .map_err(ApprovalError::io("write", &std::env::temp_dir()))?;
        file.write_all(&bytes)
            .map_err(ApprovalError::io("write", file.path()))?;
        let temp = file.into_temp_path();
        return Ok(Ok(Signers {
            path: temp.to_path_buf(),
            _temp: Some(temp),
        }));
    }
    match repo.config_path("gpg.ssh.allowedSignersFile") {
        Some(path) if path.is_file() => Ok(Ok(Signers {
            path,
            _temp: None,
        })),
        Some(path) => Ok(Err(format!(
            "gpg.ssh.allowedSignersFile names {}, which is not a file",
            path.display()
        ))),
        None => Ok(Err(
            "no allowed signers: set [approvals] allowed_signers in the base policy, or git config gpg.ssh.allowedSignersFile"
                .to_string(),
        )),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// The signature verifies for the approver and the change is the approved one.
    Verified,
    Malformed {
        reason: String,
    },
    /// The signature does not match the text: edited after signing, or made up.
    Tampered,
    /// Bound to another change: made before the content changed, or copied.
    WrongChange {
        approved: String,
    },
    /// Valid signature, but allowed_signers does not list the key for the approver.
    UnknownKey {
        key_listed_for: Vec<String>,
    },
    NoSigners {
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct Checked {
    pub source: &'static str,
    pub approval: Option<Approval>,
    pub status: Status,
}

impl Checked {
    pub fn verified(&self) -> bool {
        self.status == Status::Verified
    }

    /// "approval by X" or "an unreadable approval".
    pub fn who(&self) -> String {
        match &self.approval {
            Some(a) => format!("approval by {} ({})", a.approver, self.source),
            None => format!("an unreadable approval ({})", self.source),
        }
    }

    /// Why it does not count, in words.
    pub fn why(&self) -> String {
        match &self.status {
            Status::Verified => "verified".to_string(),
            Status::Malformed { reason } => format!("malformed: {reason}"),
            Status::Tampered => {
                "forged or tampered: its signature does not match its text".to_string()
            }
            Status::WrongChange { approved } => format!(
                "bound to another change (fingerprint {}), made before the content changed or copied from another commit",
                &approved[..approved.len().min(12)]
            ),
            Status::UnknownKey { key_listed_for } if key_listed_for.is_empty() => {
                "signed by a key that is not in allowed_signers".to_string()
            }
            Status::UnknownKey { key_listed_for } => format!(
                "signed by a key allowed_signers lists for {}, not for the approver",
                key_listed_for.join(", ")
            ),
            Status::NoSigners { reason } => reason.clone(),
        }
    }
}

/// Checks every stored approval against the change's fingerprint and the signers.
pub(crate) fn check_all(
    keygen: &SshKeygen,
    signers: &Result<Signers, String>,
    fingerprint: &str,
    stored: Vec<Stored>,
) -> Result<Vec<Checked>, ApprovalError> {
    let mut checked = Vec::new();
    for Stored { source, approval } in stored {
        let approval = match approval {
            Ok(approval) => approval,
            Err(reason) => {
                checked.push(Checked {
                    source,
                    approval: None,
                    status: Status::Malformed { reason },
                });
                continue;
            }
        };
        let status = check_one(keygen, signers, fingerprint, &approval)?;
        checked.push(Checked {
            source,
            approval: Some(approval),
            status,
        });
    }
    Ok(checked)
}

fn check_one(
    keygen: &SshKeygen,
    signers: &Result<Signers, String>,
    fingerprint: &str,
    approval: &Approval,
) -> Result<Status, ApprovalError> {
    let payload = approval.payload();
    if !keygen.signature_matches(&payload, &approval.signature)? {
        return Ok(Status::Tampered);
    }
    if approval.fingerprint != fingerprint {
        return Ok(Status::WrongChange {
            approved: approval.fingerprint.clone(),
        });
    }
    let signers = match signers {
        Ok(signers) => signers,
        Err(reason) => {
            return Ok(Status::NoSigners {
                reason: reason.clone(),
            })
        }
    };
    let verified = keygen.verify(
        &signers.path,
        &approval.approver,
        &payload,
        &approval.signature,
    )?;
    let listed_for = keygen.principals(&signers.path, &approval.signature);
    // ssh-keygen matches the claimed identity against allowed_signers' name *patterns*; the
    // approver is the signer's own text, so it must be listed for the key by name, literally:
    // a key listed as `*@example.com` cannot sign as the lead.
    let named = listed_for
        .iter()
        .flat_map(|names| names.split(','))
        .any(|name| name.trim() == approval.approver && !name.contains(['*', '?', '!']));
    if verified && named {
        Ok(Status::Verified)
    } else {
        Ok(Status::UnknownKey {
            key_listed_for: listed_for,
        })
    }
}

/// Whether the base policy lets `approver` approve `category`.
pub(crate) fn is_listed(
    approvers: &BTreeMap<String, Vec<String>>,
    category: &str,
    approver: &str,
) -> bool {
    [category, "*"].iter().any(|key| {
        approvers
            .get(*key)
            .is_some_and(|ids| ids.iter().any(|id| id == approver || id == "*"))
    })
}

/// Marks each `approve` finding approved when a verified approval by a listed approver covers
/// its category; otherwise names every approval that was refused for it, and why.
pub(crate) fn apply(
    findings: &mut [Finding],
    checked: &[Checked],
    approvers: &BTreeMap<String, Vec<String>>,
) {
    for finding in findings.iter_mut().filter(|f| f.action == Action::Approve) {
        let category = finding.category.clone();
        let covering: Vec<&Checked> = checked
            .iter()
            .filter(|c| match &c.approval {
                Some(a) => a.categories.iter().any(|c| c == &category),
                None => true,
            })
            .collect();
        let accepted = covering.iter().find_map(|c| match &c.approval {
            Some(a) if c.verified() && is_listed(approvers, &category, &a.approver) => Some(a),
            _ => None,
        });
        if let Some(approval) = accepted {
            finding.approved_by = Some(SignOff {
                approver: approval.approver.clone(),
                time: approval.time.clone(),
            });
            continue;
        }
        let refused: Vec<String> = covering
            .iter()
            .map(|c| {
                let why = match &c.approval {
                    Some(a) if c.verified() => format!(
                        "{} is not listed for `{category}` in [approvals] approvers of the base policy",
                        a.approver
                    ),
                    _ => c.why(),
                };
                format!("refused {}: {why}", c.who())
            })
            .collect();
        if !refused.is_empty() {
            finding.detail = Some(refused.join("\n"));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::is_listed;
    use std::collections::BTreeMap;

    #[test]
    fn listing_by_category_or_star() {
        let mut approvers = BTreeMap::new();
        approvers.insert("migrations".to_string(), vec!["dba@x".to_string()]);
        approvers.insert("*".to_string(), vec!["lead@x".to_string()]);
        assert!(is_listed(&approvers, "migrations", "dba@x"));
        assert!(is_listed(&approvers, "migrations", "lead@x"));
        assert!(is_listed(&approvers, "auth", "lead@x"));
        assert!(!is_listed(&approvers, "auth", "dba@x"));
        assert!(!is_listed(&BTreeMap::new(), "auth", "lead@x"));
        approvers.insert("payments".to_string(), vec!["*".to_string()]);
        assert!(is_listed(&approvers, "payments", "anyone@x"));
    }
}
