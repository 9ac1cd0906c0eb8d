//! The built-in content rules. Each rule names literal keywords; one Aho-Corasick automaton over
//! every keyword (and every provider token's prefix, see `providers`) finds, in a single pass
//! per line, the few rules worth running there. Keywords are matched case-sensitively as
//! written and in lower case, UPPER case and Capitalised.

use super::secrets::SecretCheck;

/// What happens after a rule's regex matched, before it becomes a finding.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Check {
    /// The match is the finding.
    Plain,
    /// A secret: capture group `value` (else the whole match) is validated and redacted.
    Secret(SecretCheck),
    /// A PEM header: needs a key body on the next added line or after an escaped newline, so
    /// a parser's header constant does not count.
    PrivateKey,
    /// `DELETE FROM` with no `WHERE` before the statement ends (looks at following lines).
    DeleteWithoutWhere,
    /// `rm -rf` of something other than build output and temporary directories.
    RecursiveRemove,
    /// `test`/`harness`/`autotests`/`doctest = false` in `Cargo.toml`; `harness = false` is
    /// quiet under `[[bench]]`, where criterion needs it.
    CargoSwitch,
    /// A token of `providers::PROVIDERS[index]`, validated at its prefix (no regex).
    Provider(usize),
    /// A value given to the secret-looking name around a keyword, parsed (no regex).
    Assignment,
    /// A random string with no keyword (no regex; every line).
    Loose,
}

/// Places where a rule stays quiet.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Quiet {
    pub tests: bool,
    pub locks: bool,
    pub docs: bool,
    /// Runs only in `.sql` files.
    pub non_sql: bool,
    /// Quiet on comment lines (`--`, `//`, `#`, `/*`, `*`): commented-out SQL runs nothing.
    pub comments: bool,
    /// Runs only in `Cargo.toml`.
    pub non_cargo: bool,
}

const NONE: Quiet = Quiet {
    tests: false,
    locks: false,
    docs: false,
    non_sql: false,
    comments: false,
    non_cargo: false,
};
const TESTS_LOCKS: Quiet = Quiet {
    tests: true,
    locks: true,
    docs: false,
    non_sql: false,
    comments: false,
    non_cargo: false,
};
const TESTS: Quiet = Quiet {
    tests: true,
    locks: false,
    docs: false,
    non_sql: false,
    comments: false,
    non_cargo: false,
};
const DOCS: Quiet = Quiet {
    tests: false,
    locks: false,
    docs: true,
    non_sql: false,
    comments: false,
    non_cargo: false,
};
const TESTS_DOCS: Quiet = Quiet {
    tests: true,
    locks: false,
    docs: true,
    non_sql: false,
    comments: false,
    non_cargo: false,
};
const TESTS_DOCS_COMMENTS: Quiet = Quiet {
    tests: true,
    locks: false,
    docs: true,
    non_sql: false,
    comments: true,
    non_cargo: false,
};
const CARGO_ONLY: Quiet = Quiet {
    tests: false,
    locks: false,
    docs: true,
    non_sql: false,
    comments: true,
    non_cargo: true,
};
const SQL_ONLY: Quiet = Quiet {
    tests: true,
    locks: false,
    docs: true,
    non_sql: true,
    comments: true,
    non_cargo: false,
};

pub(crate) struct BuiltinRule {
    pub id: &'static str,
    pub category: &'static str,
    /// What the match is, for the finding's message.
    pub label: &'static str,
    /// Empty for rules validated by code alone (`Assignment`, `Loose`).
    pub pattern: &'static str,
    /// Literal keywords, matched as written and in lower, UPPER and Capitalised case; a line
    /// without one is never handed to `pattern`.
    pub keywords: &'static [&'static str],
    pub check: Check,
    pub quiet: Quiet,
}

/// Words of secret-looking names (see `names`); the name around each is parsed.
const SECRET_NAME_KEYWORDS: &[&str] = &[
    "secret", "pass", "pwd", "pw", "token", "key", "auth", "cred",
];

/// Built-in rules in priority order: where two rules find the same secret, the first wins.
pub(crate) const BUILTIN_RULES: &[BuiltinRule] = &[
    // credentials: provider tokens come from `providers::PROVIDERS`, ahead of these.
    BuiltinRule {
        id: "private-key",
        category: "credentials",
        label: "private key",
        pattern: r"(?P<value>-----BEGIN (?:RSA |DSA |EC |OPENSSH |ENCRYPTED |PGP |SSH2 ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----)",
        keywords: &["private key"],
        check: Check::PrivateKey,
        quiet: NONE,
    },
    BuiltinRule {
        id: "putty-private-key",
        category: "credentials",
        label: "PuTTY private key",
        pattern: r"(?P<value>PuTTY-User-Key-File-[0-9]+:?.*)",
        keywords: &["PuTTY-User-Key-File"],
        check: Check::Plain,
        quiet: TESTS,
    },
    BuiltinRule {
        id: "connection-url-credentials",
        category: "credentials",
        label: "password in a connection URL",
        pattern: r#"\b[A-Za-z][A-Za-z0-9+.\-]{1,30}://(?P<user>[^:/\s"'@`]{0,128}):(?P<value>[^@/\s"'`]{1,256})@(?P<host>[^\s"'`/]+)"#,
        keywords: &["://"],
        check: Check::Secret(SecretCheck::UrlPassword),
        quiet: TESTS,
    },
    BuiltinRule {
        id: "jwt",
        category: "credentials",
        label: "JSON Web Token",
        // Signed, unsigned (`alg: none`, a trailing dot) or encrypted (five parts).
        pattern: r"\b(?P<value>eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}(?:\.[A-Za-z0-9_\-]*){0,3})",
        keywords: &["eyJ"],
        check: Check::Secret(SecretCheck::Jwt),
        quiet: TESTS_LOCKS,
    },
    BuiltinRule {
        id: "bearer-token",
        category: "credentials",
        label: "bearer token",
        pattern: r"\b[Bb]earer\s+(?P<value>[A-Za-z0-9_\-.=+/~]{16,})",
        keywords: &["bearer "],
        check: Check::Secret(SecretCheck::Entropy(3.0)),
        quiet: TESTS_LOCKS,
    },
    BuiltinRule {
        id: "basic-auth",
        category: "credentials",
        label: "basic auth credentials",
        pattern: r"\b[Bb]asic\s+(?P<value>[A-Za-z0-9+/]{6,}={0,2})(?:[^A-Za-z0-9+/=.\-_]|$)",
        keywords: &["basic "],
        check: Check::Secret(SecretCheck::BasicAuth),
        quiet: TESTS_LOCKS,
    },
    BuiltinRule {
        id: "command-user-password",
        category: "credentials",
        label: "user and password on a command line",
        // `curl -u user:pass`, `--user "ci:…"`, `--proxy-user`, `-u ":key"`.
        pattern: r#"(?:^|[\s'"(])(?:-u|--user|--proxy-user|-U)(?:=|\s+)(?P<value>"[^"\s]*"(?::"[^"\s]*")?|'[^'\s]*'|[^\s'"]*:(?:'[^'\s]*'|"[^"\s]*"|[^\s'"]*))"#,
        keywords: &["-u", "--user", "--proxy-user", "-U"],
        check: Check::Secret(SecretCheck::UserPass),
        quiet: TESTS_LOCKS,
    },
    BuiltinRule {
        id: "command-password",
        category: "credentials",
        label: "password on a command line",
        // `mysql -uroot -pS3cret`, `docker login -u ci -p …`, `sshpass -p …`.
        pattern: r#"\b(?:mysql|mysqladmin|mysqldump|mariadb|sshpass|(?:docker|podman|buildah|skopeo|oras|helm\s+registry|az|oc|cf)\s+login)\b[^|;&\n]*?\s-p\s*(?P<value>[^\s|;&'"-][^\s|;&'"]*|"[^"]+"|'[^']+')"#,
        keywords: &["mysql", "mariadb", "sshpass", "login"],
        check: Check::Secret(SecretCheck::CliPassword),
        quiet: TESTS_LOCKS,
    },
    BuiltinRule {
        id: "dsn-password",
        category: "credentials",
        label: "password in a database DSN",
        // Go's MySQL driver: `user:password@tcp(host:3306)/db`.
        pattern: r#"(?P<user>[A-Za-z0-9_.\-]{1,64}):(?P<value>[^@\s"'/:]{1,128})@(?P<host>(?:tcp|unix)\()"#,
        keywords: &["@tcp(", "@unix("],
        check: Check::Secret(SecretCheck::UrlPassword),
        quiet: TESTS_LOCKS,
    },
    BuiltinRule {
        id: "bundler-credentials",
        category: "credentials",
        label: "Bundler gem source credentials",
        // `BUNDLE_GEMS__EXAMPLE__COM=user:password`: a host's credentials in Bundler's config.
        pattern: r#"\bBUNDLE_[A-Z0-9_]*__[A-Z0-9_]+["']?\s*[:=]\s*["']?(?P<value>[^\s"']+:[^\s"']+)"#,
        keywords: &["BUNDLE_"],
        check: Check::Secret(SecretCheck::UserPass),
        quiet: TESTS_LOCKS,
    },
    BuiltinRule {
        id: "pgpass-password",
        category: "credentials",
        label: "password in a .pgpass line",
        // `host:port:database:user:password`, one connection per line.
        pattern: r"^\s*[A-Za-z0-9_.\-*]+:(?:\d{1,5}|\*):[^:\s]+:[^:\s]+:(?P<value>[^:\s]+)\s*$",
        keywords: &[":5432:", ":*:"],
        check: Check::Secret(SecretCheck::CliPassword),
        quiet: TESTS_LOCKS,
    },
    BuiltinRule {
        id: "secret-assignment",
        category: "credentials",
        label: "secret assigned to",
        pattern: "",
        keywords: SECRET_NAME_KEYWORDS,
        check: Check::Assignment,
        quiet: TESTS_LOCKS,
    },
    BuiltinRule {
        id: "high-entropy-string",
        category: "credentials",
        label: "high-entropy string",
        pattern: "",
        keywords: &[],
        check: Check::Loose,
        quiet: TESTS_LOCKS,
    },
    // data-deletion
    BuiltinRule {
        id: "sql-drop",
        category: "data-deletion",
        label: "SQL DROP statement",
        pattern: r"\bDROP\s+(?:TABLE|DATABASE|SCHEMA|COLUMN|COLLECTION)\b",
        keywords: &["drop"],
        check: Check::Plain,
        quiet: TESTS_DOCS_COMMENTS,
    },
    BuiltinRule {
        id: "sql-drop",
        category: "data-deletion",
        label: "SQL DROP statement",
        pattern: r"(?i)\bdrop\s+(?:table|database|schema|column|collection)\b",
        keywords: &["drop"],
        check: Check::Plain,
        quiet: SQL_ONLY,
    },
    BuiltinRule {
        id: "sql-truncate",
        category: "data-deletion",
        label: "SQL TRUNCATE statement",
        pattern: r"\bTRUNCATE\s+(?:TABLE\s+)?[A-Za-z_`\[]|(?i:\btruncate\s+table\b)",
        keywords: &["truncate"],
        check: Check::Plain,
        quiet: TESTS_DOCS_COMMENTS,
    },
    BuiltinRule {
        id: "sql-truncate",
        category: "data-deletion",
        label: "SQL TRUNCATE statement",
        pattern: r"(?i)\btruncate\s+(?:table\s+)?[A-Za-z_`\[]",
        keywords: &["truncate"],
        check: Check::Plain,
        quiet: SQL_ONLY,
    },
    BuiltinRule {
        id: "sql-delete-without-where",
        category: "data-deletion",
        label: "DELETE without WHERE",
        pattern: r#"\bDELETE\s+FROM\s+[A-Za-z_"`\[]"#,
        keywords: &["delete"],
        check: Check::DeleteWithoutWhere,
        quiet: TESTS_DOCS_COMMENTS,
    },
    BuiltinRule {
        id: "sql-delete-without-where",
        category: "data-deletion",
        label: "DELETE without WHERE",
        pattern: r#"(?i)\bdelete\s+from\s+[A-Za-z_"`\[]"#,
        keywords: &["delete"],
        check: Check::DeleteWithoutWhere,
        quiet: SQL_ONLY,
    },
    BuiltinRule {
        id: "rm-rf",
        category: "data-deletion",
        label: "recursive forced removal",
        pattern: r"\brm\s+(?:-[A-Za-z]*[rR][A-Za-z]*f[A-Za-z]*|-[A-Za-z]*f[A-Za-z]*[rR][A-Za-z]*|-[rR]\s+-f|-f\s+-[rR]|--recursive\s+--force|--force\s+--recursive)\s+(?P<value>[^;&|#]*)",
        keywords: &["rm -", "rm  -", "rm\t-"],
        check: Check::RecursiveRemove,
        quiet: TESTS_DOCS,
    },
    BuiltinRule {
        id: "orm-bulk-delete",
        category: "data-deletion",
        label: "bulk delete of every row",
        pattern: r"\.objects\.all\(\)\.delete\(\)|\.deleteMany\(\s*(?:\{\s*\}|\{\s*where\s*:\s*\{\s*\}\s*\})?\s*\)|\.(?:destroy_all|delete_all)\b|\.query\(\s*[A-Za-z_][A-Za-z0-9_.]*\s*\)\.delete\(\s*\)|\bdb\.[A-Za-z_][A-Za-z0-9_]*\.drop\(\s*\)|\.dropDatabase\(\s*\)|\b(?:FLUSHALL|FLUSHDB|flushall|flushdb)\b",
        keywords: &[
            "objects.all().delete",
            "deleteMany(",
            "destroy_all",
            "delete_all",
            ").delete(",
            ".drop(",
            "dropDatabase(",
            "flushall",
            "flushdb",
        ],
        check: Check::Plain,
        quiet: TESTS_DOCS,
    },
    BuiltinRule {
        id: "schema-drop",
        category: "data-deletion",
        label: "dropped table or column",
        pattern: r"\b(?:op\.)?drop_(?:table|column)\b|\bremove_column\b|\bSchema::drop(?:IfExists)?\(|\bmigrations\.(?:DeleteModel|RemoveField)\(|\.dropTable\(|\.dropColumn\(",
        keywords: &[
            "drop_table",
            "drop_column",
            "remove_column",
            "Schema::drop",
            "DeleteModel(",
            "RemoveField(",
            "dropTable(",
            "dropColumn(",
        ],
        check: Check::Plain,
        quiet: TESTS_DOCS,
    },
    // test-tampering: skip and focus markers, weakened assertions.
    BuiltinRule {
        id: "skip-marker",
        category: "test-tampering",
        label: "test skip marker",
        pattern: r#"#!?\s*\[\s*ignore\b|#!?\s*\[\s*cfg_attr\s*\(.*\bignore\b|#!?\s*\[\s*cfg\s*\(\s*(?:any\s*\(\s*\)|not\s*\(\s*all\s*\(\s*\)\s*\))\s*\)|\bpytest\s*\.\s*mark\s*\.\s*(?:skip|skipif|xfail)\b|@\s*mark\s*\.\s*(?:skip|skipif|xfail)\b|\bpytest\s*\.\s*(?:skip|importorskip)\s*\(|@\s*unittest\s*\.\s*(?:skip|skipIf|skipUnless|expectedFailure)\b|\braise\s+(?:unittest\s*\.\s*)?SkipTest\b|\b__test__\s*=\s*False\b|\bself\.skipTest\(|\b(?:it|test|describe|context|suite|specify)\.(?:skip|skipIf|todo)\s*(?:\(|\.each\b|`)|(?:^|[^.\w$:"'`])x(?:it|describe|test|context|specify)\s*\(\s*["'`]|\b[tb]\.Skip(?:f|Now)?\(|@Disabled\w*|@Ignore\b|\[Ignore(?:\]|\()|\[(?:Fact|Theory)\s*\(\s*Skip\s*=|\bmarkTestSkipped\("#,
        // Whitespace may sit anywhere inside a marker (`#[ ignore ]`, `@ pytest.mark.skip`),
        // so the keywords are the markers' words, not their spelling.
        keywords: &[
            "ignore",
            "cfg",
            "pytest",
            "mark",
            "unittest",
            "SkipTest",
            "skipTest",
            "__test__",
            ".skip",
            ".todo",
            "xit",
            "xdescribe",
            "xtest",
            "xcontext",
            "xspecify",
            ".skipf(",
            ".SkipNow(",
            "@Disabled",
            "skip =",
            "skip=",
            "markTestSkipped(",
        ],
        check: Check::Plain,
        quiet: DOCS,
    },
    BuiltinRule {
        id: "cargo-tests-off",
        category: "test-tampering",
        label: "tests turned off in Cargo.toml",
        pattern: r"^\s*(?P<value>test|harness|autotests|doctest)\s*=\s*false\b",
        keywords: &["false"],
        check: Check::CargoSwitch,
        quiet: CARGO_ONLY,
    },
    BuiltinRule {
        id: "focus-marker",
        category: "test-tampering",
        label: "focused test (every other test is skipped)",
        pattern: r#"\b(?:it|test|describe|context)\.only\s*\(|(?:^|[^.\w$:"'`])f(?:it|describe|context)\s*\(\s*["'`]"#,
        keywords: &[".only", "fit", "fdescribe", "fcontext"],
        check: Check::Plain,
        quiet: DOCS,
    },
    BuiltinRule {
        id: "vacuous-assertion",
        category: "test-tampering",
        label: "assertion that cannot fail",
        pattern: r"\bassert\s+True\b|\bassert\s*\(\s*(?:true|1)\s*\)|\bassert!\(\s*true\s*[,)]|\bassert_eq!\(\s*(?:true\s*,\s*true|1\s*,\s*1)\s*[,)]|\bexpect\(\s*true\s*\)\s*\.\s*(?:toBe|toEqual|toBeTruthy|to\.be\.true|toStrictEqual)\b|\bassertTrue\(\s*(?:True|true)\s*\)|\bassert\.(?:ok|isTrue)\(\s*true\s*\)|\bassertEquals?\(\s*(?:true\s*,\s*true|1\s*,\s*1)\s*\)|\bexpect\(\s*1\s*\)\.toBe\(\s*1\s*\)|\bassert\s+1\s*==\s*1\b",
        keywords: &["assert", "expect(true", "expect( true", "expect(1"],
        check: Check::Plain,
        quiet: DOCS,
    },
    // auth: changes to how identity and permission are decided.
    BuiltinRule {
        id: "auth-logic",
        category: "auth",
        label: "authentication or authorization logic",
        pattern: r"@login_required\b|@permission_required\b|\bcsrf_exempt\b|@PreAuthorize\b|@Secured\b|@RolesAllowed\b|\[AllowAnonymous\]|\bpermitAll\(\)|\bis_superuser\b|\b(?:verify|check)_password\(|\b(?:bcrypt|argon2|pbkdf2|scrypt)\.[A-Za-z_]+\(|\bpbkdf2_hmac\(|\bjwt\.(?:decode|encode|verify|sign)\(|\bverify_signature\b|\bpasswordEncoder\b",
        keywords: &[
            "login_required",
            "permission_required",
            "csrf_exempt",
            "PreAuthorize",
            "secured",
            "RolesAllowed",
            "AllowAnonymous",
            "permitAll",
            "is_superuser",
            "_password(",
            "bcrypt.",
            "argon2.",
            "pbkdf2",
            "scrypt.",
            "jwt.",
            "verify_signature",
            "passwordEncoder",
        ],
        check: Check::Plain,
        quiet: TESTS_DOCS,
    },
    // payments: payment providers in code.
    BuiltinRule {
        id: "payment-provider",
        category: "payments",
        label: "payment provider API",
        pattern: r#"(?i)\bimport\s+stripe\b|\bfrom\s+stripe\b|require\(\s*["']stripe["']\s*\)|from\s+["']@?stripe[/"']|\bstripe\.(?:charges?|paymentintents?|customers?|subscriptions?|refunds?|checkout|invoices?|payouts?|transfers?|billingportal|webhooks?|api_key)\b|\b(?:braintree|paypalrestsdk|adyen|razorpay)\b|github\.com/stripe/stripe-go"#,
        keywords: &["stripe", "braintree", "paypalrestsdk", "adyen", "razorpay"],
        check: Check::Plain,
        quiet: TESTS_DOCS,
    },
    // migrations: schema changes issued from code outside migration files.
    BuiltinRule {
        id: "schema-change",
        category: "migrations",
        label: "schema change",
        pattern: r"\bALTER\s+TABLE\b",
        keywords: &["alter"],
        check: Check::Plain,
        quiet: TESTS_DOCS_COMMENTS,
    },
];

/// Targets of `rm -rf` that are routinely thrown away: temp dirs, caches, and paths inside the
/// project (build output) unless their name suggests data. Absolute paths, the home directory,
/// parent directories and unknown variables are not.
pub(crate) fn is_disposable_target(target: &str) -> bool {
    let t = target
        .trim()
        .trim_end_matches([',', ')', ';', '\\'])
        .trim_matches(|c| c == '"' || c == '\'');
    let t = t.strip_prefix("./").unwrap_or(t);
    // `/tmp/../srv` and `"$TMPDIR"/../..` climb out of the temporary directory.
    if t.is_empty()
        || t.split('/')
            .any(|part| part.trim_matches(['"', '\'']) == "..")
    {
        return false;
    }
    let temp_prefixes = [
        "/tmp/",
        "$TMPDIR",
        "${TMPDIR",
        "$tmp",
        "${tmp",
        "$TMP",
        "${TMP",
        "$temp",
        "${temp",
        "/var/lib/apt/lists",
        "/var/cache/",
    ];
    let lower = t.to_ascii_lowercase();
    if temp_prefixes.iter().any(|p| t.starts_with(p))
        || lower.split('/').any(|part| part.contains("cache"))
        || lower.contains(".cargo/registry")
        || lower.contains(".cargo/git")
        // make's and ninja's output file of the current rule.
        || matches!(t, "$@" | "$out" | "$$out")
    {
        return true;
    }
    // `*.o` stays in the working directory; a bare `*` or `/…` does not.
    let extension_glob = t.starts_with("*.") && !t.contains('/');
    let outside = (t.starts_with(['/', '~', '$', '*', '{', '-', '%']) && !extension_glob)
        || t.starts_with("..")
        || t == ".";
    let data_words = [
        "data", "db", "database", "upload", "backup", "storage", "media", "state", "prod", "var",
        "home", "user", "secret", "key", ".git",
    ];
    !outside && !data_words.iter().any(|w| lower.contains(w))
}
