//! Human sign-off: the approval text (`agentguard-approval v1`, bound to a change's
//! fingerprint), signed with an SSH key, stored as notes (or pending by fingerprint for a staged
//! change), and verified against the base's allowed signers.

pub(crate) mod commit;
pub(crate) mod ssh;
pub(crate) mod store;
pub(crate) mod verify;

pub(crate) use ssh::SshKeygen;

use std::path::PathBuf;

/// The `ssh-keygen -Y` namespace: a signature made for anything else never verifies here.
pub(crate) const NAMESPACE: &str = "agentguard-approval";
/// The first line of every approval block.
pub(crate) const HEADER: &str = "agentguard-approval v1";
pub(crate) const SIG_BEGIN: &str = "-----BEGIN SSH SIGNATURE-----";
const SIG_END: &str = "-----END SSH SIGNATURE-----";

#[derive(Debug, thiserror::Error)]
pub enum ApprovalError {
    #[error("ssh-keygen was not found on PATH; it signs and verifies approvals")]
    NoSshKeygen,
    #[error("cannot run {program}: {source}")]
    Spawn {
        program: String,
        source: std::io::Error,
    },
    #[error("ssh-keygen could not sign with {key}: {reason}")]
    Sign { key: String, reason: String },
    #[error("no signing key: pass --key <file> or set `git config user.signingkey`")]
    NoKey,
    #[error("no approver identity: set `git config user.email` (the identity allowed_signers lists for your key)")]
    NoIdentity,
    #[error("cannot {what} {}: {source}", .path.display())]
    Io {
        what: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Repo(#[from] crate::repo::RepoError),
}

impl ApprovalError {
    /// An I/O error on `path`, for `map_err`.
    pub(crate) fn io(
        what: &'static str,
        path: &std::path::Path,
    ) -> impl FnOnce(std::io::Error) -> Self {
        let path = path.to_path_buf();
        move |source| ApprovalError::Io { what, path, source }
    }

    pub fn hint(&self) -> Option<&'static str> {
        match self {
            ApprovalError::NoSshKeygen => {
                Some("install OpenSSH's client tools (e.g. `apt install openssh-client`)")
            }
            ApprovalError::NoKey => Some(
                "e.g. `git config user.signingkey ~/.ssh/id_ed25519.pub` (the private key may live in ssh-agent)",
            ),
            ApprovalError::Sign { .. } => {
                Some("check the key path and passphrase, or that ssh-agent holds the key")
            }
            ApprovalError::Repo(e) => e.hint(),
            _ => None,
        }
    }
}

/// One signed approval.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Approval {
    pub fingerprint: String,
    pub categories: Vec<String>,
    pub approver: String,
    pub time: String,
    pub reason: String,
    /// The armored SSH signature over [`Approval::payload`].
    pub signature: String,
}

impl Approval {
    /// The exact text that is signed.
    pub fn payload(&self) -> String {
        format!(
            "{HEADER}\nfingerprint {}\ncategories {}\napprover {}\ntime {}\nreason {}\n",
            self.fingerprint,
            self.categories.join(","),
            self.approver,
            self.time,
            self.reason
        )
    }

    /// The payload and its signature, as stored in a note.
    pub fn to_block(&self) -> String {
        let mut block = self.payload();
        block.push_str(self.signature.trim_end());
        block.push('\n');
        block
    }
}

/// Every approval block in a note, in order; a block that cannot be read is an `Err` saying why.
pub fn parse_blocks(text: &str) -> Vec<Result<Approval, String>> {
    let mut out = Vec::new();
    // Every trailing CR goes, not just one of a CRLF: a block written back reads the same.
    let mut lines = text
        .lines()
        .map(|line| line.trim_end_matches('\r'))
        .enumerate()
        .peekable();
    while let Some((index, line)) = lines.next() {
        if line.trim().is_empty() {
            continue;
        }
        if line != HEADER {
            out.push(Err(format!(
                "line {}: expected `{HEADER}`, found `{}`",
                index + 1,
                clip(line)
            )));
            // Skip to the next block.
            while lines.peek().is_some_and(|(_, l)| *l != HEADER) {
                lines.next();
            }
            continue;
        }
        let mut payload = vec![line];
        let mut signature = Vec::new();
        let mut complete = false;
        for (_, line) in lines.by_ref() {
            if signature.is_empty() && line != SIG_BEGIN {
                payload.push(line);
                continue;
            }
            signature.push(line);
            if line == SIG_END {
                complete = true;
                break;
            }
        }
        let start = index + 1;
        if !complete {
            out.push(Err(format!(
                "the approval at line {start} has no complete SSH signature"
            )));
            continue;
        }
        out.push(
            fields(&payload)
                .map(|mut approval| {
                    approval.signature = signature.join("\n") + "\n";
                    approval
                })
                .map_err(|reason| format!("the approval at line {start}: {reason}")),
        );
    }
    out
}

fn fields(payload: &[&str]) -> Result<Approval, String> {
    const NAMES: [&str; 5] = ["fingerprint", "categories", "approver", "time", "reason"];
    if payload.len() != NAMES.len() + 1 {
        return Err(format!(
            "expected {} lines of text before the signature, found {}",
            NAMES.len() + 1,
            payload.len()
        ));
    }
    let mut values = Vec::new();
    for (name, line) in NAMES.iter().zip(&payload[1..]) {
        let value = match line.split_once(' ') {
            Some((key, value)) if key == *name => value,
            None if line == name => "",
            _ => return Err(format!("expected `{name} …`, found `{}`", clip(line))),
        };
        values.push(value.to_string());
    }
    let [fingerprint, categories, approver, time, reason] =
        <[String; 5]>::try_from(values).map_err(|_| "malformed approval".to_string())?;
    if fingerprint.is_empty() || !fingerprint.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "the fingerprint `{}` is not hex",
            clip(&fingerprint)
        ));
    }
    Ok(Approval {
        fingerprint,
        categories: categories
            .split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string)
            .collect(),
        approver,
        time,
        reason,
        signature: String::new(),
    })
}

fn clip(line: &str) -> String {
    let mut clipped: String = line.chars().take(60).collect();
    if clipped.len() < line.len() {
        clipped.push('…');
    }
    clipped
}

/// Makes a `--reason` one line: the payload is line-based, and a newline in it would forge a
/// field.
pub(crate) fn one_line(reason: &str) -> String {
    reason
        .split(|c: char| c.is_whitespace() || c.is_control())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Approval {
        Approval {
            fingerprint: "ab12".into(),
            categories: vec!["migrations".into(), "auth".into()],
            approver: "lead@example.com".into(),
            time: "2026-01-01T00:00:00Z".into(),
            reason: "reviewed".into(),
            signature: format!("{SIG_BEGIN}\nAAAA\n{SIG_END}\n"),
        }
    }

    #[test]
    fn blocks_round_trip_and_keep_the_exact_payload() {
        let a = sample();
        let mut b = sample();
        b.categories = vec!["payments".into()];
        let text = format!("{}\n{}", a.to_block(), b.to_block());
        let parsed: Vec<Approval> = parse_blocks(&text).into_iter().flatten().collect();
        assert_eq!(parsed, vec![a.clone(), b]);
        assert_eq!(parsed[0].payload(), a.payload());
    }

    #[test]
    fn bad_blocks_say_why_and_do_not_hide_good_ones() {
        let good = sample().to_block();
        let text = format!("garbage\n{good}{HEADER}\nfingerprint zz\n");
        let parsed = parse_blocks(&text);
        assert_eq!(parsed.len(), 3);
        assert!(parsed[0].as_ref().is_err_and(|e| e.contains("garbage")));
        assert!(parsed[1].is_ok());
        assert!(parsed[2]
            .as_ref()
            .is_err_and(|e| e.contains("no complete SSH signature")));
        let reordered = good.replace("approver", "approverx");
        assert!(parse_blocks(&reordered)[0]
            .as_ref()
            .is_err_and(|e| e.contains("expected `approver")));
    }

    #[test]
    fn stray_carriage_returns_do_not_survive_a_round_trip() {
        // A signature line "\r" before a CRLF was kept, written back as "\r\n" and then read
        // as an empty line, so a block did not read back as itself.
        let mut a = sample();
        a.signature = format!("{SIG_BEGIN}\nAAAA\r\r\nBBBB\n{SIG_END}\n");
        let text = a.to_block().replace('\n', "\r\r\n");
        let parsed: Vec<Approval> = parse_blocks(&text).into_iter().flatten().collect();
        assert_eq!(parsed.len(), 1);
        assert_eq!(
            parsed[0].signature,
            format!("{SIG_BEGIN}\nAAAA\nBBBB\n{SIG_END}\n")
        );
        let again: Vec<Approval> = parse_blocks(&parsed[0].to_block())
            .into_iter()
            .flatten()
            .collect();
        assert_eq!(again, parsed);
    }

    #[test]
    fn a_reason_cannot_add_a_line() {
        assert_eq!(one_line("ok\nfingerprint 00\r\tx"), "ok fingerprint 00 x");
    }
}
