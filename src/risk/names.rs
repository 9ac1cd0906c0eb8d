//! Secret-looking names: whether an identifier (`DB_PASSWORD`, `clientSecret`, `x-api-key`,
//! `ibmCloudIamApiKey`) names a secret, judged word by word, so `shared_secret` is a secret and
//! `tokenizer`, `password_policy` and `primary_key` are not.

/// How sure a name is that it holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Strength {
    /// `auth`, `foo_key`: a secret only when the value looks random.
    Weak,
    /// `password`, `client_secret`, `api_key`: any value that is not a stand-in.
    Strong,
}

/// A name that says it holds a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SecretName {
    pub strength: Strength,
    /// A word such as `hash`, `sha256` or `fingerprint` is in the name: a digest-shaped value
    /// is the digest of a secret, not the secret.
    pub hashed: bool,
    /// `Authorization`, `Proxy-Authorization`: the value may start with a scheme (`Bearer`).
    pub authorization: bool,
}

/// Words that hold a secret by themselves.
const STRONG_WORDS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pw",
    "pass",
    "passphrase",
    "passcode",
    "pswd",
    "secret",
    "secrets",
    "token",
    "apikey",
    "apisecret",
    "apitoken",
    "credential",
    "credentials",
    "creds",
    "privatekey",
    "secretkey",
    "accesskey",
    "authkey",
    "authtoken",
    "accesstoken",
    "refreshtoken",
    "clientsecret",
    "masterkey",
    "signingkey",
    "encryptionkey",
    "sessionkey",
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
    "api",
    "app",
    "application",
    "secret",
    "private",
    "access",
    "auth",
    "signing",
    "sign",
    "encryption",
    "encrypt",
    "crypt",
    "crypto",
    "master",
    "client",
    "consumer",
    "service",
    "admin",
    "license",
    "licence",
    "webhook",
    "session",
    "hmac",
    "jwt",
    "shared",
    "root",
    "deploy",
    "ssh",
    "storage",
    "account",
    "subscription",
    "integration",
    "write",
    "read",
    "rest",
    "server",
    "live",
    "prod",
    "production",
    "secure",
    "security",
    "cipher",
    "aes",
    "rsa",
    "gpg",
    "pgp",
    "sdk",
    "cloud",
    "iam",
    "management",
    "mgmt",
    "bot",
    "user",
    "login",
    "ingest",
    "ingestion",
    "x",
    "developer",
    "dev",
    "partner",
    "merchant",
    "token",
];

/// Qualifiers of `key` that name no secret (`primary_key`, `sort_key`, `public_key`).
const PLAIN_KEY_QUALIFIERS: &[&str] = &[
    "public",
    "pub",
    "publishable",
    "primary",
    "foreign",
    "sort",
    "partition",
    "hash",
    "cache",
    "map",
    "dict",
    "object",
    "row",
    "column",
    "col",
    "index",
    "idx",
    "bucket",
    "schema",
    "sequence",
    "natural",
    "hot",
    "lookup",
    "cursor",
    "i18n",
    "translation",
    "unique",
    "composite",
    "surrogate",
    "some",
    "site",
    "react",
    "item",
    "list",
    "group",
    "short",
    "enter",
    "escape",
    "event",
    "config",
    "setting",
    "settings",
    "field",
    "value",
    "data",
    "json",
    "query",
    "param",
    "entry",
    "dom",
    "node",
    "element",
    "route",
    "cache",
    "message",
    "msg",
    "translation",
    "sequence",
    "idempotency",
    "dedup",
    "dedupe",
    "storage",
    "registry",
    "ssh_host",
    "host",
    "kms",
    "encrypted",
];

/// Qualifiers before a secret word that make the name a public or throwaway value
/// (`public_token`, `csrf_token`, `next_page_token`, `max_tokens`).
const PLAIN_QUALIFIERS: &[&str] = &[
    "not",
    "no",
    "non",
    "public",
    "pub",
    "publishable",
    "site",
    "csrf",
    "xsrf",
    "page",
    "next",
    "continuation",
    "cursor",
    "sync",
    "cancellation",
    "cancel",
    "lexer",
    "parser",
    "max",
    "min",
    "num",
    "total",
    "fake",
    "dummy",
    "mock",
    "placeholder",
    "example",
    "sample",
    "invalid",
    "wrong",
    "bad",
    "expired",
    "reset",
    "forgot",
    "forgotten",
    "confirm",
    "confirmation",
    "verify",
    "verification",
    "old",
    "current",
];

/// Last words that make a name metadata about a secret: `secret_name`, `password_length`,
/// `api_key_id`, `token_url`.
const META_WORDS: &[&str] = &[
    "id",
    "ids",
    "uuid",
    "guid",
    "name",
    "names",
    "type",
    "types",
    "kind",
    "url",
    "uri",
    "urls",
    "endpoint",
    "endpoints",
    "host",
    "hostname",
    "path",
    "paths",
    "file",
    "files",
    "filename",
    "dir",
    "directory",
    "field",
    "fields",
    "header",
    "headers",
    "prefix",
    "suffix",
    "format",
    "version",
    "pattern",
    "regex",
    "regexp",
    "length",
    "len",
    "size",
    "count",
    "expiry",
    "expires",
    "expiration",
    "expire",
    "expired",
    "expiresin",
    "timeout",
    "ttl",
    "age",
    "lifetime",
    "policy",
    "policies",
    "rule",
    "rules",
    "strength",
    "hint",
    "label",
    "description",
    "desc",
    "enabled",
    "enable",
    "disabled",
    "required",
    "min",
    "max",
    "param",
    "params",
    "parameter",
    "method",
    "provider",
    "mode",
    "scheme",
    "strategy",
    "flow",
    "location",
    "ref",
    "reference",
    "env",
    "var",
    "variable",
    "store",
    "vault",
    "manager",
    "arn",
    "region",
    "index",
    "position",
    "pos",
    "offset",
    "column",
    "event",
    "events",
    "changed",
    "reset",
    "valid",
    "validator",
    "validation",
    "check",
    "checker",
    "encoding",
    "algorithm",
    "alg",
    "status",
    "state",
    "callback",
    "redirect",
    "scope",
    "scopes",
    "audience",
    "issuer",
    "realm",
    "domain",
    "user",
    "username",
    "login",
    "email",
    "owner",
    "created",
    "updated",
    "date",
    "time",
    "timestamp",
    "seconds",
    "secs",
    "ms",
    "minutes",
    "days",
    "rotation",
    "rotated",
    "used",
    "last",
    "display",
    "help",
    "text",
    "message",
    "msg",
    "error",
    "err",
    "title",
    "placeholder",
    "input",
    "form",
    "button",
    "template",
    "options",
    "option",
    "opts",
    "handler",
    "fn",
    "func",
    "function",
    "request",
    "response",
    "req",
    "res",
    "query",
    "list",
    "map",
    "dict",
    "cache",
    "builder",
    "factory",
    "generator",
    "context",
    "ctx",
    "util",
    "utils",
    "helper",
    "class",
    "module",
    "spec",
    "schema",
    "model",
    "entity",
    "dto",
    "bean",
    "component",
    "widget",
    "view",
    "controller",
    "repository",
    "repo",
    "selector",
    "chars",
    "characters",
    "alphabet",
    "charset",
    "pair",
    "source",
    "src",
    "mapping",
    "exists",
    "present",
    "set",
    "missing",
    "count",
    "limit",
    "usage",
    "cost",
    "logits",
    "ids",
    "budget",
    "meshing",
    "frame",
    "press",
    "pressed",
    "down",
    "up",
    "code",
    "keyring",
    "keychain",
    "keystore",
    "keytab",
    "command",
    "cmd",
    "script",
    "action",
    "dialog",
    "modal",
    "page",
    "screen",
    "route",
    "router",
    "service",
    "client",
    "server",
    "api",
    "endpoint",
    "config",
    "settings",
    "setting",
    "properties",
    "props",
    "prop",
    "attr",
    "attribute",
    "field",
    "column",
    "path",
];

/// Words that say the value is a digest or signature of something (`password_hash`).
const HASH_WORDS: &[&str] = &[
    "hash",
    "hashed",
    "hashes",
    "sha",
    "sha1",
    "sha224",
    "sha256",
    "sha384",
    "sha512",
    "md5",
    "digest",
    "checksum",
    "crc",
    "crc32",
    "fingerprint",
    "salt",
    "signature",
    "sig",
    "etag",
    "commit",
    "rev",
    "revision",
    "srcrev",
    "nonce",
    "iv",
    "bcrypt",
    "argon2",
    "scrypt",
    "pbkdf2",
    "encrypted",
    "enc",
    "cipher",
    "ciphertext",
];

/// Words that join a phrase rather than name a value (`key_vault_to_store_secrets`).
const LINKING_WORDS: &[&str] = &["to", "for", "from", "of", "with", "by", "in", "on", "into"];

/// Lower-case words of an identifier, split at punctuation and camel-case humps
/// (`APIKey` is `api`, `key`; digits stay with their letters: `sha256`).
pub fn words(name: &str) -> Vec<String> {
    let chars: Vec<char> = name.chars().collect();
    let mut out = Vec::new();
    let mut word = String::new();
    for (i, &c) in chars.iter().enumerate() {
        if !c.is_ascii_alphanumeric() {
            if !word.is_empty() {
                out.push(std::mem::take(&mut word));
            }
            continue;
        }
        if c.is_ascii_uppercase() && !word.is_empty() {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(char::is_ascii_lowercase);
            // `dbPassword` splits before `P`; `APIKey` splits before `K`.
            if prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower)
            {
                out.push(std::mem::take(&mut word));
            }
        }
        word.push(c.to_ascii_lowercase());
    }
    if !word.is_empty() {
        out.push(word);
    }
    out
}

fn is_strong_word(word: &str) -> bool {
    STRONG_WORDS.contains(&word)
        || STRONG_SUFFIXES
            .iter()
            .any(|s| word.len() > s.len() && word.ends_with(s))
}

/// Whether `name` names a secret, and how surely.
pub fn classify(name: &str) -> Option<SecretName> {
    let words = words(name);
    // Trailing numbers (`api_token_2`) say nothing.
    let end = words
        .iter()
        .rposition(|w| !w.bytes().all(|b| b.is_ascii_digit()))?;
    let words = &words[..=end];
    if words.len() > 8 || words.iter().any(|w| LINKING_WORDS.contains(&w.as_str())) {
        return None;
    }
    let last = words.last()?.as_str();
    let hashed = words.iter().any(|w| HASH_WORDS.contains(&w.as_str()));
    let authorization = words
        .iter()
        .any(|w| w == "authorization" || w == "authorisation");
    if authorization {
        return (!META_WORDS.contains(&last) || last == "header").then_some(SecretName {
            strength: Strength::Strong,
            hashed,
            authorization: true,
        });
    }
    let mut strength: Option<Strength> = None;
    for (i, word) in words.iter().enumerate() {
        let word = word.as_str();
        let prev = i.checked_sub(1).map(|p| words[p].as_str());
        let found = if is_strong_word(word) {
            Some(Strength::Strong)
        } else if word == "key" || word == "keys" {
            match prev {
                Some(q) if SECRET_KEY_QUALIFIERS.contains(&q) => Some(Strength::Strong),
                Some(q) if PLAIN_KEY_QUALIFIERS.contains(&q) => None,
                _ => Some(Strength::Weak),
            }
        } else if word == "auth" || word == "oauth" {
            Some(Strength::Weak)
        } else {
            None
        };
        let Some(found) = found else { continue };
        // A plain qualifier anywhere before the secret word: `public_token`, `max_tokens`.
        if words[..i]
            .iter()
            .any(|w| PLAIN_QUALIFIERS.contains(&w.as_str()))
        {
            return None;
        }
        strength = strength.max(Some(found));
    }
    let strength = strength?;
    // Metadata about a secret: `secret_name`, `api_key_id`, `password_length`. A secret word
    // that is itself last (`token`, `password`) is never metadata.
    if META_WORDS.contains(&last) && !is_strong_word(last) && last != "key" {
        return None;
    }
    Some(SecretName {
        strength,
        hashed,
        authorization: false,
    })
}

/// A name whose last word is a hash word (`token_sha256`, `client_secret_sha`).
pub fn ends_hashed(name: &str) -> bool {
    words(name)
        .last()
        .is_some_and(|w| HASH_WORDS.contains(&w.as_str()))
}

/// Whether `name` marks its value as public, metadata or a digest (for keyword-free strings
/// assigned to it: `public_key`, `trace_id`, `commit`, `integrity`).
pub fn is_plain_name(name: &str) -> bool {
    let words = words(name);
    words.iter().any(|w| {
        let w = w.as_str();
        META_WORDS.contains(&w)
            || HASH_WORDS.contains(&w)
            || PLAIN_QUALIFIERS.contains(&w)
            || matches!(
                w,
                "integrity" | "uid" | "key" | "keys" | "nonce" | "dsn" | "sri" | "checksums"
            )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strength(name: &str) -> Option<Strength> {
        classify(name).map(|n| n.strength)
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
