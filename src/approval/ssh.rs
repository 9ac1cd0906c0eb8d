//! `ssh-keygen -Y`: the only signer and verifier of approvals. Found with `which`, run with
//! files in a private temporary directory, never through a shell.

use super::{ApprovalError, NAMESPACE};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

pub(crate) struct SshKeygen {
    program: PathBuf,
}

/// What `user.signingkey` or `--key` named.
#[derive(Debug, Clone)]
pub(crate) enum SigningKey {
    /// A private key file, or a public key file whose private half is in ssh-agent.
    File(PathBuf),
    /// A literal public key (`key::ssh-ed25519 AAAA…`): the private half is in ssh-agent.
    Literal(String),
}

impl SigningKey {
    pub(crate) fn parse(value: &str) -> Self {
        if let Some(key) = value.strip_prefix("key::") {
            return SigningKey::Literal(key.trim().to_string());
        }
        if value.starts_with("ssh-") || value.starts_with("ecdsa-") || value.starts_with("sk-") {
            return SigningKey::Literal(value.trim().to_string());
        }
        let path = match value.strip_prefix("~/") {
            Some(rest) => std::env::var_os("HOME")
                .map(|home| Path::new(&home).join(rest))
                .unwrap_or_else(|| PathBuf::from(value)),
            None => PathBuf::from(value),
        };
        SigningKey::File(path)
    }

    pub(crate) fn describe(&self) -> String {
        match self {
            SigningKey::File(path) => path.display().to_string(),
            SigningKey::Literal(key) => {
                let shown: String = key.chars().take(40).collect();
                format!("the ssh-agent key {shown}…")
            }
        }
    }
}

impl SshKeygen {
    pub(crate) fn find() -> Result<Self, ApprovalError> {
        which::which("ssh-keygen")
            .map(|program| Self { program })
            .map_err(|_| ApprovalError::NoSshKeygen)
    }

    fn command(&self) -> Command {
        let mut command = Command::new(&self.program);
        command.arg("-Y");
        command
    }

    /// Signs `payload`; returns the armored signature. The passphrase prompt, if any, goes to
    /// the terminal as with `git commit -S`.
    pub(crate) fn sign(&self, key: &SigningKey, payload: &str) -> Result<String, ApprovalError> {
        let dir = scratch_dir()?;
        let message = dir.path().join("approval");
        std::fs::write(&message, payload).map_err(ApprovalError::io("write", &message))?;
        let mut command = self.command();
        command.args(["sign", "-n", NAMESPACE, "-f"]);
        match key {
            SigningKey::File(path) => {
                command.arg(path);
            }
            SigningKey::Literal(literal) => {
                let file = dir.path().join("key.pub");
                std::fs::write(&file, format!("{literal}\n"))
                    .map_err(ApprovalError::io("write", &file))?;
                command.arg(&file).arg("-U");
            }
        }
        command
            .arg(&message)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let output = command.output().map_err(|source| ApprovalError::Spawn {
            program: self.program.display().to_string(),
            source,
        })?;
        if !output.status.success() {
            return Err(ApprovalError::Sign {
                key: key.describe(),
                reason: last_line(&output.stderr),
            });
        }
        let signature_path = dir.path().join("approval.sig");
        std::fs::read_to_string(&signature_path).map_err(ApprovalError::io("read", &signature_path))
    }

    /// Whether `signature` is a valid signature of `payload` by the key embedded in it, for our
    /// namespace, whoever that key belongs to.
    pub(crate) fn signature_matches(
        &self,
        payload: &str,
        signature: &str,
    ) -> Result<bool, ApprovalError> {
        let dir = scratch_dir()?;
        let sig = write_signature(dir.path(), signature)?;
        let mut command = self.command();
        command
            .args(["check-novalidate", "-n", NAMESPACE, "-s"])
            .arg(&sig);
        self.run_with_stdin(command, payload.as_bytes())
    }

    /// Whether allowed_signers lists the signing key for `identity` (and our namespace) and the
    /// signature is valid.
    pub(crate) fn verify(
        &self,
        allowed_signers: &Path,
        identity: &str,
        payload: &str,
        signature: &str,
    ) -> Result<bool, ApprovalError> {
        self.verify_in(
            allowed_signers,
            identity,
            NAMESPACE,
            payload.as_bytes(),
            signature,
        )
    }

    /// [`SshKeygen::verify`] in another namespace (`git` for commit signatures).
    pub(crate) fn verify_in(
        &self,
        allowed_signers: &Path,
        identity: &str,
        namespace: &str,
        payload: &[u8],
        signature: &str,
    ) -> Result<bool, ApprovalError> {
        let dir = scratch_dir()?;
        let sig = write_signature(dir.path(), signature)?;
        let mut command = self.command();
        command
            .args(["verify", "-n", namespace, "-f"])
            .arg(allowed_signers)
            .arg("-I")
            .arg(identity)
            .arg("-s")
            .arg(&sig);
        self.run_with_stdin(command, payload)
    }

    /// The identities allowed_signers lists for the key that made `signature`.
    pub(crate) fn principals(&self, allowed_signers: &Path, signature: &str) -> Vec<String> {
        let Ok(dir) = tempfile::tempdir() else {
            return Vec::new();
        };
        let Ok(sig) = write_signature(dir.path(), signature) else {
            return Vec::new();
        };
        let output = self
            .command()
            .args(["find-principals", "-f"])
            .arg(allowed_signers)
            .arg("-s")
            .arg(&sig)
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output();
        match output {
            Ok(output) if output.status.success() => String::from_utf8_lossy(&output.stdout)
                .lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect(),
            _ => Vec::new(),
        }
    }

    fn run_with_stdin(&self, mut command: Command, input: &[u8]) -> Result<bool, ApprovalError> {
        let spawn_error = |source| ApprovalError::Spawn {
            program: self.program.display().to_string(),
            source,
        };
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(spawn_error)?;
        if let Some(mut stdin) = child.stdin.take() {
            // A verifier that exits early closes the pipe; its exit status is the answer.
            let _ = stdin.write_all(input);
        }
        let status = child.wait().map_err(spawn_error)?;
        Ok(status.success())
    }
}

/// A private directory for the files ssh-keygen reads and writes, removed when dropped.
fn scratch_dir() -> Result<tempfile::TempDir, ApprovalError> {
    tempfile::tempdir().map_err(ApprovalError::io(
        "create a temporary directory in",
        Path::new("$TMPDIR"),
    ))
}

fn write_signature(dir: &Path, signature: &str) -> Result<PathBuf, ApprovalError> {
    let path = dir.join("approval.sig");
    std::fs::write(&path, signature).map_err(ApprovalError::io("write", &path))?;
    Ok(path)
}

fn last_line(stderr: &[u8]) -> String {
    String::from_utf8_lossy(stderr)
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("no message")
        .trim()
        .to_string()
}
