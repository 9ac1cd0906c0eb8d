//! Finding fingerprints: what `[allowlist] findings` names to accept one finding. Stable
//! across line moves and rebases; for a secret, stretched so it does not give the secret away.

use sha2::digest::generic_array::GenericArray;
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
    let mut digest: [u8; 32] = hasher.finalize().into();
    for _ in 0..SECRET_FINGERPRINT_ROUNDS {
        digest = sha256_of_digest(&digest);
    }
    crate::diff::hex(&digest[..8])
}

/// sha256 of a 32-byte digest, as `Sha256::digest` computes it, by one call of the block
/// function on the one padded block: the stretch costs the same in every build (the hashing
/// crate is optimised even in debug builds, the generic hasher around it would not be).
fn sha256_of_digest(digest: &[u8; 32]) -> [u8; 32] {
    const IV: [u32; 8] = [
        0x6a09_e667,
        0xbb67_ae85,
        0x3c6e_f372,
        0xa54f_f53a,
        0x510e_527f,
        0x9b05_688c,
        0x1f83_d9ab,
        0x5be0_cd19,
    ];
    let mut block = [0u8; 64];
    block[..32].copy_from_slice(digest);
    block[32] = 0x80;
    // The message length in bits (256), big-endian, ends the block.
    block[62] = 0x01;
    let mut state = IV;
    sha2::compress256(&mut state, &[GenericArray::from(block)]);
    let mut out = [0u8; 32];
    for (chunk, word) in out.chunks_exact_mut(4).zip(state) {
        chunk.copy_from_slice(&word.to_be_bytes());
    }
    out
}

/// Rule ids as they were when fingerprints were first published, for rules the provider
/// table renamed or split: an allowlisted secret stays allowlisted.
pub(super) fn stable_rule_id<'a>(rule: &'a str, secret: &str) -> &'a str {
    match rule {
        "github-pat" | "github-oauth" | "github-app-token" | "github-refresh-token" => {
            "github-token"
        }
        "github-fine-grained-pat" => "github-fine-grained-token",
        "gitlab-pat"
        | "gitlab-ptt"
        | "gitlab-deploy-token"
        | "gitlab-runner-authentication-token"
        | "gitlab-oauth-app-secret"
        | "gitlab-cicd-job-token" => "gitlab-token",
        "slack-webhook-url" => "slack-webhook",
        "gcp-api-key" => "google-api-key",
        "anthropic-api-key" | "anthropic-admin-api-key" | "anthropic-oauth-token" => {
            "anthropic-key"
        }
        "openai-api-key" => "openai-key",
        "npm-access-token" => "npm-token",
        "sendgrid-api-token" => "sendgrid-key",
        "stripe-access-token"
            if secret.starts_with("sk_live_") || secret.starts_with("rk_live_") =>
        {
            "stripe-live-key"
        }
        _ if rule.starts_with("slack-") && secret.starts_with("xox") => "slack-token",
        _ => rule,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_block_function_stretch_is_sha256() {
        let mut digest: [u8; 32] = Sha256::digest(b"seed").into();
        let mut generic = digest;
        for _ in 0..5 {
            digest = sha256_of_digest(&digest);
            generic = Sha256::digest(generic).into();
            assert_eq!(digest, generic);
        }
    }

    #[test]
    fn renamed_rules_keep_their_published_ids() {
        assert_eq!(stable_rule_id("github-pat", "ghp_x"), "github-token");
        assert_eq!(stable_rule_id("slack-bot-token", "xoxb-1"), "slack-token");
        assert_eq!(
            stable_rule_id("stripe-access-token", "sk_live_x"),
            "stripe-live-key"
        );
        assert_eq!(
            stable_rule_id("stripe-access-token", "sk_test_x"),
            "stripe-access-token"
        );
        assert_eq!(stable_rule_id("jwt", "eyJ"), "jwt");
    }
}
