//! Secret-looking names: whether an identifier (`DB_PASSWORD`, `clientSecret`, `x-api-key`,
//! `ibmCloudIamApiKey`) names a secret, judged word by word, so `shared_secret` is a secret and
//! `tokenizer`, `password_policy` and `primary_key` are not.

/// How sure a name is that it holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Strength {
    /// `auth`, `foo_key`: a secret only when the value looks random.
    Weak,
    /// `password`, `client_secret`, `api_key`: any value that is not a stand-in.
    Strong,
}

/// A name that says it holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SecretName {
    pub strength: Strength,
    /// A word such as `hash`, `sha256` or `fingerprint` is in the name: a digest-shaped value
    /// is the digest of a secret, not the secret.
    pub hashed: bool,
    /// `Authorization`, `Proxy-Authorization`: the value may start with a scheme (`Bearer`).
    pub authorization: bool,
}

/// Words that hold a secret by themselves.
const STRONG_WORDS: &[&str] = &[
    "accesskey",
    "accesstoken",
    "apikey",
    "apisecret",
    "apitoken",
    "authkey",
    "authtoken",
    "clientsecret",
    "credential",
    "credentials",
    "creds",
    "encryptionkey",
    "masterkey",
    "pass",
    "passcode",
    "passphrase",
    "passwd",
    "password",
    "privatekey",
    "pswd",
    "pw",
    "pwd",
    "refreshtoken",
    "secret",
    "secretkey",
    "secrets",
    "sessionkey",
    "signingkey",
    "token",
];

/// Endings that make a run-together word a secret name (`theapikey`, `IBMCLOUDIAMAPIKEY`).
const STRONG_SUFFIXES: &[&str] = &[
    "password",
    "passwd",
    "apikey",
    "secret",
    "token",
    "secretkey",
    "privatekey",
    "accesskey",
    "apisecret",
];

/// Qualifiers that make `key` a secret (`api_key`, `signing_key`, `app_key`).
const SECRET_KEY_QUALIFIERS: &[&str] = &[
    "access",
    "account",
    "admin",
    "aes",
    "api",
    "app",
    "application",
    "auth",
    "bot",
    "cipher",
    "client",
    "cloud",
    "consumer",
    "crypt",
    "crypto",
    "deploy",
    "dev",
    "developer",
    "encrypt",
    "encryption",
    "gpg",
    "hmac",
    "iam",
    "ingest",
    "ingestion",
    "integration",
    "jwt",
    "licence",
    "license",
    "live",
    "login",
    "management",
    "master",
    "merchant",
    "mgmt",
    "partner",
    "pgp",
    "private",
    "prod",
    "production",
    "read",
    "rest",
    "root",
    "rsa",
    "sdk",
    "secret",
    "secure",
    "security",
    "server",
    "service",
    "session",
    "shared",
    "sign",
    "signing",
    "ssh",
    "storage",
    "subscription",
    "token",
    "user",
    "webhook",
    "write",
    "x",
];

/// Qualifiers of `key` that name no secret (`primary_key`, `sort_key`, `public_key`).
const PLAIN_KEY_QUALIFIERS: &[&str] = &[
    "bucket",
    "cache",
    "col",
    "column",
    "composite",
    "config",
    "cursor",
    "data",
    "dedup",
    "dedupe",
    "dict",
    "dom",
    "element",
    "encrypted",
    "enter",
    "entry",
    "escape",
    "event",
    "field",
    "foreign",
    "group",
    "hash",
    "host",
    "hot",
    "i18n",
    "idempotency",
    "idx",
    "index",
    "item",
    "json",
    "kms",
    "list",
    "lookup",
    "map",
    "message",
    "msg",
    "natural",
    "node",
    "object",
    "param",
    "partition",
    "primary",
    "pub",
    "public",
    "publishable",
    "query",
    "react",
    "recv",
    "registry",
    "route",
    "row",
    "schema",
    "sequence",
    "setting",
    "settings",
    "short",
    "site",
    "some",
    "sort",
    "ssh_host",
    "storage",
    "surrogate",
    "translation",
    "unique",
    "value",
];

/// Qualifiers before a secret word that make the name a public or throwaway value
/// (`public_token`, `csrf_token`, `next_page_token`, `max_tokens`).
const PLAIN_QUALIFIERS: &[&str] = &[
    "bad",
    "cancel",
    "cancellation",
    "confirm",
    "confirmation",
    "continuation",
    "csrf",
    "current",
    "cursor",
    "dummy",
    "example",
    "expired",
    "fake",
    "forgot",
    "forgotten",
    "invalid",
    "lexer",
    "max",
    "min",
    "mock",
    "next",
    "no",
    "non",
    "not",
    "num",
    "old",
    "page",
    "parser",
    "placeholder",
    "pub",
    "public",
    "publishable",
    "reset",
    "sample",
    "site",
    "sync",
    "total",
    "verification",
    "verify",
    "wrong",
    "xsrf",
];

/// Last words that make a name metadata about a secret: `secret_name`, `password_length`,
/// `api_key_id`, `token_url`.
const META_WORDS: &[&str] = &[
    "action",
    "age",
    "alg",
    "algorithm",
    "alphabet",
    "api",
    "arn",
    "attr",
    "attribute",
    "audience",
    "bean",
    "budget",
    "builder",
    "button",
    "cache",
    "callback",
    "changed",
    "characters",
    "chars",
    "charset",
    "check",
    "checker",
    "class",
    "client",
    "cmd",
    "code",
    "column",
    "command",
    "component",
    "config",
    "context",
    "controller",
    "cost",
    "count",
    "created",
    "ctx",
    "date",
    "days",
    "desc",
    "description",
    "dialog",
    "dict",
    "dir",
    "directory",
    "disabled",
    "display",
    "domain",
    "down",
    "dto",
    "email",
    "enable",
    "enabled",
    "encoding",
    "endpoint",
    "endpoints",
    "entity",
    "env",
    "err",
    "error",
    "event",
    "events",
    "exists",
    "expiration",
    "expire",
    "expired",
    "expires",
    "expiresin",
    "expiry",
    "factory",
    "field",
    "fields",
    "file",
    "filename",
    "files",
    "flow",
    "fn",
    "form",
    "format",
    "frame",
    "func",
    "function",
    "generator",
    "guid",
    "handler",
    "header",
    "headers",
    "help",
    "helper",
    "hint",
    "host",
    "hostname",
    "id",
    "ids",
    "index",
    "input",
    "issuer",
    "keychain",
    "keyring",
    "keystore",
    "keytab",
    "kind",
    "label",
    "last",
    "len",
    "length",
    "lifetime",
    "limit",
    "list",
    "location",
    "login",
    "logits",
    "manager",
    "map",
    "mapping",
    "max",
    "meshing",
    "message",
    "method",
    "min",
    "minutes",
    "missing",
    "modal",
    "mode",
    "model",
    "module",
    "ms",
    "msg",
    "name",
    "names",
    "offset",
    "option",
    "options",
    "opts",
    "owner",
    "page",
    "pair",
    "param",
    "parameter",
    "params",
    "path",
    "paths",
    "pattern",
    "placeholder",
    "policies",
    "policy",
    "pos",
    "position",
    "prefix",
    "present",
    "press",
    "pressed",
    "prop",
    "properties",
    "props",
    "provider",
    "query",
    "realm",
    "redirect",
    "ref",
    "reference",
    "regex",
    "regexp",
    "region",
    "repo",
    "repository",
    "req",
    "request",
    "required",
    "res",
    "reset",
    "response",
    "rotated",
    "rotation",
    "route",
    "router",
    "rule",
    "rules",
    "schema",
    "scheme",
    "scope",
    "scopes",
    "screen",
    "script",
    "seconds",
    "secs",
    "selector",
    "server",
    "service",
    "set",
    "setting",
    "settings",
    "size",
    "source",
    "spec",
    "src",
    "state",
    "status",
    "store",
    "strategy",
    "strength",
    "suffix",
    "template",
    "text",
    "time",
    "timeout",
    "timestamp",
    "title",
    "ttl",
    "type",
    "types",
    "up",
    "updated",
    "uri",
    "url",
    "urls",
    "usage",
    "used",
    "user",
    "username",
    "util",
    "utils",
    "uuid",
    "valid",
    "validation",
    "validator",
    "var",
    "variable",
    "vault",
    "version",
    "view",
    "widget",
];

/// Words that say the value is a digest or signature of something (`password_hash`).
const HASH_WORDS: &[&str] = &[
    "argon2",
    "bcrypt",
    "checksum",
    "cipher",
    "ciphertext",
    "commit",
    "crc",
    "crc32",
    "digest",
    "enc",
    "encrypted",
    "etag",
    "fingerprint",
    "hash",
    "hashed",
    "hashes",
    "iv",
    "md5",
    "nonce",
    "pbkdf2",
    "rev",
    "revision",
    "salt",
    "scrypt",
    "sha",
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "sig",
    "signature",
    "srcrev",
];

/// Words that join a phrase rather than name a value (`key_vault_to_store_secrets`).
const LINKING_WORDS: &[&str] = &["by", "for", "from", "in", "into", "of", "on", "to", "with"];

/// Whether a sorted word list holds `word`.
fn has(list: &[&str], word: &str) -> bool {
    list.binary_search(&word).is_ok()
}

/// The lower-case words of an identifier, split at punctuation and camel-case humps
/// (`APIKey` is `api`, `key`; digits stay with their letters: `sha256`), held without
/// allocating: names longer than `Words::BYTES` or of more than `Words::MAX` words are none.
pub(crate) struct Words {
    buf: [u8; Words::BYTES],
    spans: [(u8, u8); Words::MAX],
    len: usize,
}

impl Words {
    const BYTES: usize = 96;
    const MAX: usize = 12;

    pub(crate) fn of(name: &str) -> Option<Self> {
        let b = name.as_bytes();
        if b.len() > Self::BYTES {
            return None;
        }
        let mut words = Words {
            buf: [0; Self::BYTES],
            spans: [(0, 0); Self::MAX],
            len: 0,
        };
        let mut start: Option<usize> = None;
        let close = |words: &mut Words, from: usize, to: usize| -> Option<()> {
            if words.len == Self::MAX {
                return None;
            }
            words.spans[words.len] = (from as u8, to as u8);
            words.len += 1;
            Some(())
        };
        for (i, &c) in b.iter().enumerate() {
            if !c.is_ascii_alphanumeric() {
                if let Some(from) = start.take() {
                    close(&mut words, from, i)?;
                }
                continue;
            }
            if c.is_ascii_uppercase() {
                if let Some(from) = start {
                    let prev = b[i - 1];
                    let next_lower = b.get(i + 1).is_some_and(u8::is_ascii_lowercase);
                    // `dbPassword` splits before `P`; `APIKey` splits before `K`.
                    if prev.is_ascii_lowercase()
                        || prev.is_ascii_digit()
                        || (prev.is_ascii_uppercase() && next_lower)
                    {
                        close(&mut words, from, i)?;
                        start = Some(i);
                    }
                }
            }
            words.buf[i] = c.to_ascii_lowercase();
            if start.is_none() {
                start = Some(i);
            }
        }
        if let Some(from) = start {
            close(&mut words, from, b.len())?;
        }
        Some(words)
    }

    pub(crate) fn len(&self) -> usize {
        self.len
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    pub(crate) fn get(&self, i: usize) -> &str {
        let (from, to) = self.spans[i];
        // Only ASCII letters and digits were copied.
        std::str::from_utf8(&self.buf[from as usize..to as usize]).unwrap_or_default()
    }

    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.len).map(move |i| self.get(i))
    }
}

/// The words of `name` as strings (for callers that keep them).
#[cfg(test)]
pub(crate) fn words(name: &str) -> Vec<String> {
    Words::of(name)
        .map(|w| w.iter().map(str::to_string).collect())
        .unwrap_or_default()
}

fn is_strong_word(word: &str) -> bool {
    has(STRONG_WORDS, word)
        || STRONG_SUFFIXES
            .iter()
            .any(|s| word.len() > s.len() && word.ends_with(s))
}

/// Whether `name` names a secret, and how surely.
pub(crate) fn classify(name: &str) -> Option<SecretName> {
    let all = Words::of(name)?;
    // Trailing numbers (`api_token_2`) say nothing.
    let count = (0..all.len()).rposition(|i| !all.get(i).bytes().all(|b| b.is_ascii_digit()))? + 1;
    let word = |i: usize| all.get(i);
    if count > 8 || (0..count).any(|i| has(LINKING_WORDS, word(i))) {
        return None;
    }
    let last = word(count - 1);
    let hashed = (0..count).any(|i| has(HASH_WORDS, word(i)));
    if (0..count).any(|i| matches!(word(i), "authorization" | "authorisation")) {
        return (!has(META_WORDS, last) || last == "header").then_some(SecretName {
            strength: Strength::Strong,
            hashed,
            authorization: true,
        });
    }
    let mut strength: Option<Strength> = None;
    for i in 0..count {
        let w = word(i);
        let found = if is_strong_word(w) {
            Some(Strength::Strong)
        } else if w == "key" || w == "keys" {
            match i.checked_sub(1).map(word) {
                Some(q) if has(SECRET_KEY_QUALIFIERS, q) => Some(Strength::Strong),
                Some(q) if has(PLAIN_KEY_QUALIFIERS, q) => None,
                _ => Some(Strength::Weak),
            }
        } else if w == "auth" || w == "oauth" {
            Some(Strength::Weak)
        } else {
            None
        };
        let Some(found) = found else { continue };
        // A plain qualifier anywhere before the secret word: `public_token`, `max_tokens`.
        if (0..i).any(|j| has(PLAIN_QUALIFIERS, word(j))) {
            return None;
        }
        strength = strength.max(Some(found));
    }
    let strength = strength?;
    // Metadata about a secret: `secret_name`, `api_key_id`, `password_length`. A secret word
    // that is itself last (`token`, `password`) is never metadata.
    if has(META_WORDS, last) && !is_strong_word(last) && last != "key" {
        return None;
    }
    Some(SecretName {
        strength,
        hashed,
        authorization: false,
    })
}

/// A name whose last word is a hash word (`token_sha256`, `client_secret_sha`).
pub(crate) fn ends_hashed(name: &str) -> bool {
    Words::of(name).is_some_and(|w| !w.is_empty() && has(HASH_WORDS, w.get(w.len() - 1)))
}

/// Whether `name` marks its value as public, metadata or a digest (for keyword-free strings
/// assigned to it: `public_key`, `trace_id`, `commit`, `integrity`).
pub(crate) fn is_plain_name(name: &str) -> bool {
    Words::of(name).is_none_or(|words| {
        words.iter().any(|w| {
            has(META_WORDS, w)
                || has(HASH_WORDS, w)
                || has(PLAIN_QUALIFIERS, w)
                || matches!(
                    w,
                    "integrity"
                        | "uid"
                        | "key"
                        | "keys"
                        | "nonce"
                        | "dsn"
                        | "sri"
                        | "checksums"
                        | "shasum"
                )
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strength(name: &str) -> Option<Strength> {
        classify(name).map(|n| n.strength)
    }

    #[test]
    fn word_lists_are_sorted_for_binary_search() {
        for list in [
            STRONG_WORDS,
            SECRET_KEY_QUALIFIERS,
            PLAIN_KEY_QUALIFIERS,
            PLAIN_QUALIFIERS,
            META_WORDS,
            HASH_WORDS,
            LINKING_WORDS,
        ] {
            assert!(list.windows(2).all(|w| w[0] < w[1]), "{list:?}");
        }
    }

    #[test]
    fn words_split_at_humps_and_punctuation() {
        assert_eq!(words("dbPassword"), ["db", "password"]);
        assert_eq!(words("APIKey"), ["api", "key"]);
        assert_eq!(words("X-Api-Key"), ["x", "api", "key"]);
        assert_eq!(
            words("AWS_SECRET_ACCESS_KEY"),
            ["aws", "secret", "access", "key"]
        );
        assert_eq!(words("token_sha256"), ["token", "sha256"]);
        assert_eq!(
            words("spring.datasource.password"),
            ["spring", "datasource", "password"]
        );
    }

    #[test]
    fn whole_words_decide() {
        for name in [
            "shared_secret",
            "service_account_password",
            "db_pw",
            "smtp_pass",
            "MYSQL_ROOT_PASS",
            "signing_key",
            "app_key",
            "master_key",
            "clientSecret",
            "theapikey",
            "IBMCLOUDIAMAPIKEY",
            "ibm-cloud-pwd",
            "_authToken",
            "ClearTextPassword",
            "some_api_token_123",
            "mySecretString",
            "todo_secret_do_not_commit",
            "secret_key_base",
            "--password",
            "Private-Token",
            "X-API-Key",
        ] {
            assert_eq!(strength(name), Some(Strength::Strong), "{name}");
        }
        for name in [
            "tokenizer",
            "password_policy",
            "primary_key",
            "public_key",
            "recv-keys",
            "secret_name",
            "api_key_id",
            "token_url",
            "keyword",
            "keyboard_layout",
            "monkey",
            "compass",
            "passport",
            "csrf_token",
            "nextPageToken",
            "max_tokens",
            "credentialsId",
            "keyVaultToStoreSecrets",
            "secretKeyRef",
            "PASSWORD_FIELD",
            "password_length",
            "token_type",
            "publicToken",
            "key_down_event",
            "some_key",
        ] {
            assert_eq!(strength(name), None, "{name}");
        }
        assert_eq!(strength("redis_auth"), Some(Strength::Weak));
        assert_eq!(strength("stripe_key"), Some(Strength::Weak));
        assert!(classify("Authorization").unwrap().authorization);
        assert!(classify("password_hash").unwrap().hashed);
        assert!(ends_hashed("token_sha256"));
    }
}
