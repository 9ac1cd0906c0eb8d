//! Finding fingerprints: what `[allowlist] findings` names to accept one finding. Stable
//! across line moves and rebases; for a secret, stretched so it does not give the secret away.

use sha2::{Digest, Sha256};

/// Rounds of sha256 behind a secret's fingerprint: the fingerprint is public, the secret may
/// be a short password, so guessing it from the fingerprint must cost this much per guess.
const SECRET_FINGERPRINT_ROUNDS: u32 = 10_000;

/// First 16 hex digits of sha256 over category, path and matched text: stable across line
/// moves and rebases, different for a different secret or file.
pub(crate) fn fingerprint(category: &str, path: &str, matched: &str) -> String {
    let mut hasher = Sha256::new();
    for part in [category, path, matched] {
        hasher.update(part.as_bytes());
        hasher.update([0u8]);
    }
    crate::diff::hex(&hasher.finalize()[..8])
}

/// The fingerprint of a secret: like `fingerprint`, but over a domain-separated input
/// stretched through `SECRET_FINGERPRINT_ROUNDS` rounds of sha256, so that a published
/// fingerprint does not give away a short password to a brute-force search.
pub(crate) fn secret_fingerprint(category: &str, path: &str, matched: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"agentguard secret fingerprint v1\0");
    for part in [category, path, matched] {
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    let mut digest = hasher.finalize();
    for _ in 0..SECRET_FINGERPRINT_ROUNDS {
        digest = Sha256::digest(digest);
    }
    crate::diff::hex(&digest[..8])
}
