//! Provider token formats: one entry per kind of credential a provider issues, with the literal
//! anchors an Aho-Corasick prefilter looks for and the exact shape behind them (length,
//! alphabet, checksum where the format has one), so that a string of the wrong shape is never
//! taken for a token.
//!
//! `match_line` runs ONE automaton over every anchor of every entry, then validates only the
//! entries whose anchor occurred. The shapes are facts the providers publish (prefixes,
//! lengths, alphabets, checksums); nothing here is a regular expression.

#[cfg(test)]
use aho_corasick::{AhoCorasick, AhoCorasickKind, MatchKind};
#[cfg(test)]
use std::sync::OnceLock;

/// A set of bytes a run of a token is made of.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Class {
    Digit,
    /// `0-9a-fA-F`
    Hex,
    /// `0-9a-f`
    HexLower,
    /// `A-Za-z`
    Alpha,
    /// `A-Za-z0-9`
    Alnum,
    /// `A-Z0-9`
    UpperDigit,
    /// `a-z0-9`
    LowerDigit,
    /// `A-Z2-7`: the base32 of AWS key ids.
    Aws,
    /// `A-Za-z0-9+/`
    B64,
    /// `A-Za-z0-9_-`
    B64Url,
    /// `A-Za-z0-9_-=`
    B64UrlEq,
    /// `A-Za-z0-9_-.=`
    UrlDot,
    /// `A-Za-z0-9-`
    AlnumDash,
    /// `A-Za-z0-9_`
    Word,
    /// `A-Za-z0-9_~.-`: Azure AD client secrets.
    Azure,
    /// `A-Za-z0-9%`: URL-encoded bodies.
    AlnumPct,
    /// `A-Za-z0-9%+/=`: URL-encoded base64.
    B64Pct,
    /// `=`: base64 padding.
    Pad,
    /// The upper-case bech32 alphabet.
    Bech32Upper,
}

impl Class {
    pub(crate) fn has(self, b: u8) -> bool {
        match self {
            Class::Digit => b.is_ascii_digit(),
            Class::Hex => b.is_ascii_hexdigit(),
            Class::HexLower => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
            Class::Alpha => b.is_ascii_alphabetic(),
            Class::Alnum => b.is_ascii_alphanumeric(),
            Class::UpperDigit => b.is_ascii_uppercase() || b.is_ascii_digit(),
            Class::LowerDigit => b.is_ascii_lowercase() || b.is_ascii_digit(),
            Class::Aws => b.is_ascii_uppercase() || (b'2'..=b'7').contains(&b),
            Class::B64 => b.is_ascii_alphanumeric() || b == b'+' || b == b'/',
            Class::B64Url => b.is_ascii_alphanumeric() || b == b'_' || b == b'-',
            Class::B64UrlEq => b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'='),
            Class::UrlDot => b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'='),
            Class::AlnumDash => b.is_ascii_alphanumeric() || b == b'-',
            Class::Word => b.is_ascii_alphanumeric() || b == b'_',
            Class::Azure => b.is_ascii_alphanumeric() || matches!(b, b'_' | b'~' | b'.' | b'-'),
            Class::AlnumPct => b.is_ascii_alphanumeric() || b == b'%',
            Class::B64Pct => b.is_ascii_alphanumeric() || matches!(b, b'%' | b'+' | b'/' | b'='),
            Class::Pad => b == b'=',
            Class::Bech32Upper => b"QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L".contains(&b),
        }
    }

    /// Every byte of the class, for building samples.
    #[cfg(test)]
    pub(crate) fn bytes(self) -> Vec<u8> {
        (0u8..128).filter(|&b| self.has(b)).collect()
    }
}

/// One piece of a token after its anchor.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part {
    Lit(&'static str),
    /// Between `min` and `max` bytes of a class.
    Run(Class, u16, u16),
}

use Class::*;
use Part::{Lit, Run};

/// Where a token starts relative to its anchor.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Start {
    /// At the anchor: the anchor is the token's literal prefix.
    Anchor,
    /// A run of `min..=max` bytes of a class right before the anchor, which sits inside the
    /// token (Azure's `…Q~…`, Telegram's `digits:A…`, Mailchimp's `…-us12`).
    Before(Class, u16, u16),
    /// The anchor is a provider's name in an identifier (`HEROKU_API_KEY = "…"`): the token is
    /// the value assigned to it, after the rest of the name, quotes and an operator.
    AfterName,
}

/// A check of the whole token beyond its shape.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Verify {
    pub check: fn(&str) -> bool,
    /// A failed strict check means the string is not a token at all; a failed loose one
    /// (a checksum) is reported as `verified: Some(false)` and left to the caller to weigh.
    pub strict: bool,
}

#[derive(Debug, Clone, Copy)]
pub(crate) struct Provider {
    /// Stable kebab-case rule id; several entries of one provider may share it.
    pub id: &'static str,
    pub description: &'static str,
    /// Literal strings, matched case-sensitively (names under `Start::AfterName` also in
    /// their UPPER and Capitalised spellings).
    pub anchors: &'static [&'static str],
    pub start: Start,
    /// The token after its anchor.
    pub parts: &'static [Part],
    pub verify: Option<Verify>,
    /// Lower-case words of which one must be on the line, for formats too plain to stand alone.
    pub context: &'static [&'static str],
}

const fn anchored(
    id: &'static str,
    description: &'static str,
    anchors: &'static [&'static str],
    parts: &'static [Part],
) -> Provider {
    Provider {
        id,
        description,
        anchors,
        start: Start::Anchor,
        parts,
        verify: None,
        context: &[],
    }
}

const fn named(
    id: &'static str,
    description: &'static str,
    names: &'static [&'static str],
    parts: &'static [Part],
) -> Provider {
    Provider {
        id,
        description,
        anchors: names,
        start: Start::AfterName,
        parts,
        verify: None,
        context: &[],
    }
}

impl Provider {
    const fn before(mut self, class: Class, min: u16, max: u16) -> Self {
        self.start = Start::Before(class, min, max);
        self
    }

    const fn verify(mut self, check: fn(&str) -> bool, strict: bool) -> Self {
        self.verify = Some(Verify { check, strict });
        self
    }

    const fn context(mut self, words: &'static [&'static str]) -> Self {
        self.context = words;
        self
    }
}

const UUID: &[Part] = &[
    Run(Hex, 8, 8),
    Lit("-"),
    Run(Hex, 4, 4),
    Lit("-"),
    Run(Hex, 4, 4),
    Lit("-"),
    Run(Hex, 4, 4),
    Lit("-"),
    Run(Hex, 12, 12),
];

const SLACK_WEBHOOK: &[Part] = &[Run(B64, 43, 56)];

/// Every provider format, most specific first: where two entries find the same span, the
/// earlier one names it.
pub(crate) const PROVIDERS: &[Provider] = &[
    // --- AI providers -----------------------------------------------------------------------
    anthropic_key("anthropic-api-key", "Anthropic API key", &["sk-ant-api03-"]),
    anthropic_key(
        "anthropic-admin-api-key",
        "Anthropic Admin API key",
        &["sk-ant-admin01-"],
    ),
    anthropic_key(
        "anthropic-oauth-token",
        "Anthropic OAuth token",
        &["sk-ant-oat01-", "sk-ant-ort01-"],
    ),
    anchored(
        "openai-api-key",
        "OpenAI project, service account or admin key",
        &["sk-proj-", "sk-svcacct-", "sk-admin-"],
        &[Run(B64Url, 58, 74), Lit("T3BlbkFJ"), Run(B64Url, 58, 74)],
    ),
    anchored(
        "openai-api-key",
        "OpenAI user API key (legacy)",
        &["sk-"],
        &[Run(Alnum, 20, 20), Lit("T3BlbkFJ"), Run(Alnum, 20, 20)],
    ),
    anchored(
        "openrouter-api-key",
        "OpenRouter API key",
        &["sk-or-v1-"],
        &[Run(HexLower, 64, 64)],
    ),
    anchored(
        "huggingface-access-token",
        "Hugging Face access token",
        &["hf_"],
        &[Run(Alpha, 34, 34)],
    ),
    anchored(
        "huggingface-organization-api-token",
        "Hugging Face organization API token",
        &["api_org_"],
        &[Run(Alpha, 34, 34)],
    ),
    anchored(
        "groq-api-key",
        "Groq API key",
        &["gsk_"],
        &[Run(Alnum, 52, 52)],
    ),
    anchored(
        "perplexity-api-key",
        "Perplexity API key",
        &["pplx-"],
        &[Run(Alnum, 48, 48)],
    ),
    anchored(
        "replicate-api-token",
        "Replicate API token",
        &["r8_"],
        &[Run(Alnum, 37, 37)],
    ),
    anchored(
        "xai-api-key",
        "xAI API key",
        &["xai-"],
        &[Run(Alnum, 80, 80)],
    ),
    anchored(
        "langsmith-api-key",
        "LangSmith API key",
        &["lsv2_pt_", "lsv2_sk_"],
        &[Run(HexLower, 32, 32), Lit("_"), Run(HexLower, 10, 10)],
    ),
    named(
        "cohere-api-token",
        "Cohere API key",
        &["cohere", "co_api_key"],
        &[Run(Alnum, 40, 40)],
    ),
    named(
        "mistral-api-key",
        "Mistral API key",
        &["mistral"],
        &[Run(Alnum, 32, 32)],
    ),
    // --- Google -----------------------------------------------------------------------------
    anchored(
        "gcp-api-key",
        "Google API key",
        &["AIza"],
        &[Run(B64Url, 35, 35)],
    ),
    anchored(
        "gcp-oauth-client-secret",
        "Google OAuth client secret",
        &["GOCSPX-"],
        &[Run(B64Url, 28, 28)],
    ),
    anchored(
        "google-oauth-access-token",
        "Google OAuth access token",
        &["ya29."],
        &[Run(B64Url, 30, 2000)],
    ),
    anchored(
        "google-oauth-refresh-token",
        "Google OAuth refresh token",
        &["1//0"],
        &[Run(B64Url, 35, 512)],
    ),
    // --- AWS, Azure and other clouds --------------------------------------------------------
    anchored(
        "aws-access-key-id",
        "AWS access key id",
        &["AKIA", "ASIA", "ABIA", "ACCA"],
        &[Run(Aws, 16, 16)],
    ),
    anchored(
        "aws-bedrock-api-key",
        "Amazon Bedrock long-term API key",
        &["ABSK"],
        &[Run(B64, 109, 269), Run(Pad, 0, 2)],
    )
    .verify(bedrock_key, false),
    anchored(
        "aws-bedrock-api-key",
        "Amazon Bedrock short-term API key",
        &["bedrock-api-key-"],
        &[Run(B64, 100, 4000), Run(Pad, 0, 2)],
    ),
    named(
        "aws-secret-access-key",
        "AWS secret access key",
        &[
            "secret_access_key",
            "secretaccesskey",
            "secret-access-key",
            "aws_secret",
            "awssecret",
        ],
        &[Run(B64, 40, 40)],
    ),
    anchored(
        "azure-ad-client-secret",
        "Azure AD (Entra ID) client secret",
        &["Q~"],
        &[Run(Azure, 31, 34)],
    )
    .before(Azure, 4, 4)
    .verify(azure_client_secret, true),
    anchored(
        "azure-storage-account-key",
        "Azure storage account key",
        &["AccountKey="],
        &[Run(B64, 86, 86), Run(Pad, 2, 2)],
    ),
    anchored(
        "azure-shared-access-key",
        "Azure Service Bus / Event Hubs shared access key",
        &["SharedAccessKey="],
        &[Run(B64, 43, 43), Run(Pad, 1, 1)],
    ),
    anchored(
        "azure-sas-token",
        "Azure shared access signature",
        &["&sig=", "?sig="],
        &[Run(B64Pct, 40, 120)],
    )
    .context(&["sv=", "se=", "sp="]),
    anchored(
        "alibaba-access-key-id",
        "Alibaba Cloud AccessKey id",
        &["LTAI"],
        &[Run(Alnum, 12, 20)],
    ),
    named(
        "alibaba-secret-key",
        "Alibaba Cloud AccessKey secret",
        &["alibaba", "aliyun"],
        &[Run(Alnum, 30, 30)],
    ),
    anchored(
        "tencent-cloud-secret-id",
        "Tencent Cloud SecretId",
        &["AKID"],
        &[Run(Alnum, 32, 32)],
    ),
    anchored(
        "digitalocean-pat",
        "DigitalOcean personal access token",
        &["dop_v1_"],
        &[Run(HexLower, 64, 64)],
    ),
    anchored(
        "digitalocean-access-token",
        "DigitalOcean OAuth access token",
        &["doo_v1_"],
        &[Run(HexLower, 64, 64)],
    ),
    anchored(
        "digitalocean-refresh-token",
        "DigitalOcean OAuth refresh token",
        &["dor_v1_"],
        &[Run(HexLower, 64, 64)],
    ),
    named(
        "linode-api-token",
        "Linode API token",
        &["linode"],
        &[Run(HexLower, 64, 64)],
    ),
    named(
        "hetzner-api-token",
        "Hetzner Cloud API token",
        &["hcloud", "hetzner"],
        &[Run(Alnum, 64, 64)],
    ),
    named(
        "cloudflare-api-key",
        "Cloudflare API token",
        &["cloudflare", "cf_api_token", "cf_token"],
        &[Run(B64Url, 40, 40)],
    ),
    named(
        "cloudflare-global-api-key",
        "Cloudflare global API key",
        &["cloudflare", "cf_api_key"],
        &[Run(HexLower, 37, 37)],
    ),
    anchored(
        "cloudflare-origin-ca-key",
        "Cloudflare Origin CA key",
        &["v1.0-"],
        &[Run(HexLower, 24, 24), Lit("-"), Run(HexLower, 146, 146)],
    ),
    named(
        "fastly-api-token",
        "Fastly API token",
        &["fastly"],
        &[Run(B64UrlEq, 32, 32)],
    ),
    anchored(
        "heroku-api-key-v2",
        "Heroku API key",
        &["HRKU-AA"],
        &[Run(B64Url, 58, 58)],
    ),
    named(
        "heroku-api-key",
        "Heroku API key (legacy)",
        &["heroku"],
        UUID,
    ),
    anchored(
        "flyio-access-token",
        "Fly.io access token",
        &["fo1_"],
        &[Run(B64Url, 43, 43)],
    ),
    anchored(
        "flyio-access-token",
        "Fly.io macaroon token",
        &["fm1a_", "fm1r_", "fm2_"],
        &[Run(B64, 100, 8000), Run(Pad, 0, 3)],
    ),
    named(
        "vercel-api-token",
        "Vercel access token",
        &["vercel"],
        &[Run(Alnum, 24, 24)],
    ),
    anchored(
        "netlify-access-token",
        "Netlify personal access token",
        &["nfp_"],
        &[Run(Alnum, 36, 36)],
    ),
    named(
        "netlify-access-token",
        "Netlify access token",
        &["netlify"],
        &[Run(B64UrlEq, 40, 46)],
    ),
    anchored(
        "render-api-key",
        "Render API key",
        &["rnd_"],
        &[Run(Alnum, 32, 32)],
    ),
    anchored(
        "supabase-access-token",
        "Supabase personal access token",
        &["sbp_"],
        &[Run(HexLower, 40, 40)],
    ),
    anchored(
        "planetscale-api-token",
        "PlanetScale token or password",
        &["pscale_tkn_", "pscale_oauth_", "pscale_pw_"],
        &[Run(UrlDot, 32, 64)],
    ),
    anchored(
        "databricks-api-token",
        "Databricks API token",
        &["dapi"],
        &[Run(HexLower, 32, 32)],
    ),
    anchored(
        "doppler-api-token",
        "Doppler token",
        &[
            "dp.pt.",
            "dp.st.",
            "dp.sa.",
            "dp.ct.",
            "dp.scim.",
            "dp.audit.",
        ],
        &[Run(Alnum, 40, 44)],
    ),
    anchored(
        "pulumi-api-token",
        "Pulumi access token",
        &["pul-"],
        &[Run(HexLower, 40, 40)],
    ),
    anchored(
        "hashicorp-tf-api-token",
        "Terraform Cloud / Enterprise API token",
        &[".atlasv1."],
        &[Run(B64UrlEq, 60, 70)],
    )
    .before(Alnum, 14, 14),
    anchored(
        "vault-service-token",
        "HashiCorp Vault service token",
        &["hvs."],
        &[Run(B64Url, 90, 120)],
    ),
    anchored(
        "vault-batch-token",
        "HashiCorp Vault batch token",
        &["hvb."],
        &[Run(B64Url, 138, 300)],
    ),
    named(
        "vault-service-token",
        "HashiCorp Vault token (legacy)",
        &["vault_token", "vaulttoken", "vault-token"],
        &[Lit("s."), Run(Alnum, 24, 24)],
    ),
    anchored(
        "openshift-user-token",
        "OpenShift user token",
        &["sha256~"],
        &[Run(B64Url, 43, 43)],
    ),
    anchored(
        "1password-service-account-token",
        "1Password service account token",
        &["ops_eyJ"],
        &[Run(B64, 250, 8000), Run(Pad, 0, 3)],
    ),
    anchored(
        "1password-secret-key",
        "1Password secret key",
        &["A3-"],
        &[
            Run(UpperDigit, 6, 6),
            Lit("-"),
            Run(UpperDigit, 11, 11),
            Lit("-"),
            Run(UpperDigit, 5, 5),
            Lit("-"),
            Run(UpperDigit, 5, 5),
            Lit("-"),
            Run(UpperDigit, 5, 5),
        ],
    ),
    anchored(
        "age-secret-key",
        "age encryption secret key",
        &["AGE-SECRET-KEY-1"],
        &[Run(Bech32Upper, 58, 58)],
    ),
    // --- source hosting and CI --------------------------------------------------------------
    anchored(
        "github-pat",
        "GitHub personal access token",
        &["ghp_"],
        &[Run(Alnum, 36, 36)],
    )
    .verify(base62_crc32_suffix, false),
    anchored(
        "github-oauth",
        "GitHub OAuth access token",
        &["gho_"],
        &[Run(Alnum, 36, 36)],
    )
    .verify(base62_crc32_suffix, false),
    anchored(
        "github-app-token",
        "GitHub App token",
        &["ghu_", "ghs_"],
        &[Run(Alnum, 36, 36)],
    )
    .verify(base62_crc32_suffix, false),
    anchored(
        "github-refresh-token",
        "GitHub refresh token",
        &["ghr_"],
        &[Run(Alnum, 36, 36)],
    )
    .verify(base62_crc32_suffix, false),
    anchored(
        "github-fine-grained-pat",
        "GitHub fine-grained personal access token",
        &["github_pat_"],
        &[Run(Word, 82, 82)],
    ),
    anchored(
        "gitlab-pat",
        "GitLab personal access token",
        &["glpat-"],
        &[Run(B64Url, 20, 20)],
    ),
    anchored(
        "gitlab-pat-routable",
        "GitLab personal access token (routable)",
        &["glpat-"],
        &[Run(B64Url, 27, 300), Lit("."), Run(LowerDigit, 9, 9)],
    ),
    anchored(
        "gitlab-ptt",
        "GitLab pipeline trigger token",
        &["glptt-"],
        &[Run(HexLower, 40, 40)],
    ),
    anchored(
        "gitlab-deploy-token",
        "GitLab deploy token",
        &["gldt-"],
        &[Run(B64Url, 20, 20)],
    ),
    anchored(
        "gitlab-runner-authentication-token",
        "GitLab runner authentication token",
        &["glrt-"],
        &[Run(B64Url, 20, 20)],
    ),
    anchored(
        "gitlab-runner-authentication-token-routable",
        "GitLab runner authentication token (routable)",
        &["glrt-t"],
        &[
            Run(Digit, 1, 1),
            Lit("_"),
            Run(B64Url, 27, 300),
            Lit("."),
            Run(LowerDigit, 9, 9),
        ],
    ),
    anchored(
        "gitlab-rrt",
        "GitLab runner registration token",
        &["GR1348941"],
        &[Run(B64Url, 20, 20)],
    ),
    anchored(
        "gitlab-scim-token",
        "GitLab SCIM token",
        &["glsoat-"],
        &[Run(B64Url, 20, 20)],
    ),
    anchored(
        "gitlab-incoming-mail-token",
        "GitLab incoming mail token",
        &["glimt-"],
        &[Run(B64Url, 25, 25)],
    ),
    anchored(
        "gitlab-kubernetes-agent-token",
        "GitLab Kubernetes agent token",
        &["glagent-"],
        &[Run(B64Url, 50, 50)],
    ),
    anchored(
        "gitlab-oauth-app-secret",
        "GitLab OAuth application secret",
        &["gloas-"],
        &[Run(B64Url, 64, 64)],
    ),
    anchored(
        "gitlab-cicd-job-token",
        "GitLab CI/CD job token",
        &["glcbt-"],
        &[Run(Alnum, 1, 5), Lit("_"), Run(B64Url, 20, 20)],
    ),
    anchored(
        "gitlab-feature-flag-client-token",
        "GitLab feature flag client token",
        &["glffct-"],
        &[Run(B64Url, 20, 20)],
    ),
    anchored(
        "gitlab-feed-token",
        "GitLab feed token",
        &["glft-"],
        &[Run(B64Url, 20, 20)],
    ),
    anchored(
        "gitlab-session-cookie",
        "GitLab session cookie",
        &["_gitlab_session="],
        &[Run(LowerDigit, 32, 32)],
    ),
    anchored(
        "atlassian-api-token",
        "Atlassian API token",
        &["ATATT3"],
        &[Run(B64UrlEq, 186, 186)],
    ),
    named(
        "atlassian-api-token",
        "Atlassian API token (legacy)",
        &["atlassian", "confluence", "jira"],
        &[Run(Alnum, 24, 24)],
    ),
    named(
        "bitbucket-client-secret",
        "Bitbucket client secret",
        &["bitbucket"],
        &[Run(B64UrlEq, 64, 64)],
    ),
    anchored(
        "circleci-personal-token",
        "CircleCI personal API token",
        &["CCIPAT_"],
        &[Run(Alnum, 22, 22), Lit("_"), Run(HexLower, 40, 40)],
    ),
    anchored(
        "buildkite-api-token",
        "Buildkite API token",
        &["bkua_"],
        &[Run(HexLower, 40, 40)],
    ),
    named(
        "travisci-access-token",
        "Travis CI access token",
        &["travis"],
        &[Run(Alnum, 22, 22)],
    ),
    named(
        "droneci-access-token",
        "Drone CI access token",
        &["droneci", "drone_token"],
        &[Run(Alnum, 32, 32)],
    ),
    named(
        "codecov-access-token",
        "Codecov access token",
        &["codecov"],
        &[Run(Alnum, 32, 32)],
    ),
    named(
        "codecov-access-token",
        "Codecov upload token",
        &["codecov"],
        UUID,
    ),
    anchored(
        "sourcegraph-access-token",
        "Sourcegraph access token",
        &["sgp_"],
        &[Run(Hex, 40, 40)],
    ),
    anchored(
        "sourcegraph-access-token",
        "Sourcegraph access token (instance-scoped)",
        &["sgp_"],
        &[Run(Hex, 16, 16), Lit("_"), Run(Hex, 40, 40)],
    ),
    anchored(
        "sourcegraph-access-token",
        "Sourcegraph local access token",
        &["sgp_local_"],
        &[Run(Hex, 40, 40)],
    ),
    anchored(
        "sonarqube-token",
        "SonarQube / SonarCloud token",
        &["squ_", "sqp_", "sqa_"],
        &[Run(HexLower, 40, 40)],
    ),
    named(
        "sonar-api-token",
        "Sonar API token",
        &["sonar"],
        &[Run(B64UrlEq, 40, 40)],
    ),
    named("snyk-api-token", "Snyk API token", &["snyk"], UUID),
    // --- package registries -----------------------------------------------------------------
    anchored(
        "npm-access-token",
        "npm access token",
        &["npm_"],
        &[Run(Alnum, 36, 36)],
    )
    .verify(base62_crc32_suffix, false),
    anchored(
        "pypi-upload-token",
        "PyPI upload token",
        // Base64 of a macaroon's version byte and location: `pypi.org` / `test.pypi.org`.
        &["pypi-AgEIcHlwaS5vcmc", "pypi-AgENdGVzdC5weXBpLm9yZw"],
        &[Run(B64Url, 50, 2000)],
    ),
    anchored(
        "rubygems-api-token",
        "RubyGems API key",
        &["rubygems_"],
        &[Run(HexLower, 48, 48)],
    ),
    anchored(
        "nuget-api-key",
        "NuGet API key",
        &["oy2"],
        &[Run(LowerDigit, 43, 43)],
    ),
    anchored(
        "clojars-api-token",
        "Clojars deploy token",
        &["CLOJARS_"],
        &[Run(Alnum, 60, 60)],
    ),
    anchored(
        "dockerhub-pat",
        "Docker Hub personal access token",
        &["dckr_pat_"],
        &[Run(B64Url, 27, 27)],
    ),
    anchored(
        "artifactory-api-key",
        "JFrog Artifactory API key",
        &["AKCp"],
        &[Run(Alnum, 69, 69)],
    ),
    anchored(
        "artifactory-reference-token",
        "JFrog Artifactory reference token",
        &["cmVmd"],
        &[Run(Alnum, 59, 59)],
    ),
    named(
        "jfrog-api-key",
        "JFrog API key",
        &["jfrog", "artifactory", "bintray", "xray"],
        &[Run(Alnum, 73, 73)],
    ),
    named(
        "jfrog-identity-token",
        "JFrog identity token",
        &["jfrog", "artifactory", "bintray", "xray"],
        &[Run(Alnum, 64, 64)],
    ),
    // --- collaboration and productivity -----------------------------------------------------
    anchored(
        "postman-api-token",
        "Postman API key",
        &["PMAK-"],
        &[Run(Hex, 24, 24), Lit("-"), Run(Hex, 34, 34)],
    ),
    anchored(
        "linear-api-key",
        "Linear API key",
        &["lin_api_"],
        &[Run(Alnum, 40, 40)],
    ),
    anchored(
        "linear-oauth-token",
        "Linear OAuth token",
        &["lin_oauth_"],
        &[Run(HexLower, 64, 64)],
    ),
    named(
        "linear-client-secret",
        "Linear client secret",
        &["linear"],
        &[Run(HexLower, 32, 32)],
    ),
    anchored(
        "notion-api-token",
        "Notion integration token",
        &["ntn_"],
        &[Run(Digit, 11, 11), Run(Alnum, 35, 35)],
    ),
    anchored(
        "notion-api-token",
        "Notion integration token (legacy)",
        &["secret_"],
        &[Run(Alnum, 43, 43)],
    )
    .context(&["notion"]),
    anchored(
        "airtable-pat",
        "Airtable personal access token",
        &["pat"],
        &[Run(Alnum, 14, 14), Lit("."), Run(HexLower, 64, 64)],
    ),
    named(
        "airtable-api-key",
        "Airtable API key (legacy)",
        &["airtable"],
        &[Run(Alnum, 17, 17)],
    ),
    named(
        "asana-client-secret",
        "Asana client secret",
        &["asana"],
        &[Run(Alnum, 32, 32)],
    ),
    anchored(
        "contentful-pat",
        "Contentful personal access token",
        &["CFPAT-"],
        &[Run(B64Url, 43, 43)],
    ),
    named(
        "contentful-delivery-api-token",
        "Contentful delivery API token",
        &["contentful"],
        &[Run(B64UrlEq, 43, 43)],
    ),
    anchored(
        "typeform-api-token",
        "Typeform personal token",
        &["tfp_"],
        &[Run(UrlDot, 59, 59)],
    ),
    anchored(
        "frameio-api-token",
        "Frame.io API token",
        &["fio-u-"],
        &[Run(B64UrlEq, 64, 64)],
    ),
    anchored(
        "readme-api-token",
        "ReadMe API key",
        &["rdme_"],
        &[Run(LowerDigit, 70, 70)],
    ),
    anchored(
        "prefect-api-token",
        "Prefect API key",
        &["pnu_"],
        &[Run(Alnum, 36, 36)],
    ),
    anchored(
        "infracost-api-token",
        "Infracost API key",
        &["ico-"],
        &[Run(Alnum, 32, 32)],
    ),
    anchored(
        "scalingo-api-token",
        "Scalingo API token",
        &["tk-us-"],
        &[Run(B64Url, 48, 48)],
    ),
    anchored(
        "settlemint-access-token",
        "SettleMint access token",
        &["sm_aat_", "sm_pat_", "sm_sat_"],
        &[Run(Alnum, 16, 16)],
    ),
    anchored("maxmind-license-key", "MaxMind license key", &["_mmk"], &[])
        .before(Word, 36, 36)
        .verify(maxmind_key, true),
    anchored(
        "dynatrace-api-token",
        "Dynatrace API token",
        &["dt0c01."],
        &[Run(Alnum, 24, 24), Lit("."), Run(Alnum, 64, 64)],
    ),
    anchored(
        "easypost-api-token",
        "EasyPost API key",
        &["EZAK", "EZTK"],
        &[Run(Alnum, 54, 54)],
    ),
    anchored(
        "duffel-api-token",
        "Duffel API token",
        &["duffel_test_", "duffel_live_"],
        &[Run(B64UrlEq, 43, 43)],
    ),
    anchored(
        "adobe-client-secret",
        "Adobe client secret",
        &["p8e-"],
        &[Run(Alnum, 32, 32)],
    ),
    named(
        "adobe-client-id",
        "Adobe client id",
        &["adobe"],
        &[Run(HexLower, 32, 32)],
    ),
    anchored(
        "clickhouse-cloud-api-secret-key",
        "ClickHouse Cloud API secret key",
        &["4b1d"],
        &[Run(Alnum, 38, 38)],
    ),
    // --- observability ----------------------------------------------------------------------
    anchored(
        "new-relic-user-api-key",
        "New Relic user API key",
        &["NRAK-"],
        &[Run(UpperDigit, 27, 27)],
    ),
    anchored(
        "new-relic-insert-key",
        "New Relic insert key",
        &["NRII-"],
        &[Run(AlnumDash, 32, 32)],
    ),
    anchored(
        "new-relic-browser-api-token",
        "New Relic browser API token",
        &["NRJS-"],
        &[Run(HexLower, 19, 19)],
    ),
    named(
        "new-relic-user-api-id",
        "New Relic API key",
        &["newrelic", "new_relic", "new-relic"],
        &[Run(Alnum, 64, 64)],
    ),
    anchored(
        "grafana-cloud-api-token",
        "Grafana Cloud access policy token",
        &["glc_"],
        &[Run(B64, 32, 400), Run(Pad, 0, 3)],
    ),
    anchored(
        "grafana-service-account-token",
        "Grafana service account token",
        &["glsa_"],
        &[Run(Alnum, 32, 32), Lit("_"), Run(Hex, 8, 8)],
    ),
    anchored(
        "grafana-api-key",
        "Grafana API key (legacy)",
        &["eyJrIjoi"],
        &[Run(Alnum, 70, 400), Run(Pad, 0, 3)],
    ),
    anchored(
        "sentry-user-token",
        "Sentry user auth token",
        &["sntryu_"],
        &[Run(HexLower, 64, 64)],
    ),
    anchored(
        "sentry-org-token",
        "Sentry organization auth token",
        &["sntrys_eyJ"],
        &[
            Run(B64, 40, 800),
            Run(Pad, 0, 2),
            Lit("_"),
            Run(B64, 43, 43),
        ],
    ),
    named(
        "sentry-access-token",
        "Sentry auth token (legacy)",
        &["sentry"],
        &[Run(HexLower, 64, 64)],
    ),
    named(
        "datadog-access-token",
        "Datadog application key",
        &["datadog", "dd_app_key", "dd_application_key"],
        &[Run(Alnum, 40, 40)],
    ),
    named(
        "datadog-api-key",
        "Datadog API key",
        &["datadog", "dd_api_key"],
        &[Run(HexLower, 32, 32)],
    ),
    named(
        "launchdarkly-access-token",
        "LaunchDarkly access token",
        &["launchdarkly"],
        &[Run(B64UrlEq, 40, 40)],
    ),
    named(
        "rollbar-access-token",
        "Rollbar access token",
        &["rollbar"],
        &[Run(HexLower, 32, 32)],
    ),
    named(
        "bugsnag-api-key",
        "Bugsnag API key",
        &["bugsnag"],
        &[Run(HexLower, 32, 32)],
    ),
    named(
        "sumologic-access-token",
        "Sumo Logic access key",
        &["sumo"],
        &[Run(Alnum, 64, 64)],
    ),
    // --- messaging and e-mail ---------------------------------------------------------------
    anchored(
        "slack-bot-token",
        "Slack bot token",
        &["xoxb-"],
        &[
            Run(Digit, 10, 13),
            Lit("-"),
            Run(Digit, 10, 13),
            Lit("-"),
            Run(Alnum, 24, 24),
        ],
    ),
    anchored(
        "slack-legacy-bot-token",
        "Slack legacy bot token",
        &["xoxb-"],
        &[Run(Digit, 8, 14), Lit("-"), Run(Alnum, 18, 26)],
    ),
    anchored(
        "slack-user-token",
        "Slack user token",
        &["xoxp-", "xoxe-"],
        &[
            Run(Digit, 10, 13),
            Lit("-"),
            Run(Digit, 10, 13),
            Lit("-"),
            Run(Digit, 10, 13),
            Lit("-"),
            Run(Alnum, 28, 34),
        ],
    ),
    anchored(
        "slack-app-token",
        "Slack app-level token",
        &["xapp-"],
        &[
            Run(Digit, 1, 1),
            Lit("-"),
            Run(UpperDigit, 8, 14),
            Lit("-"),
            Run(Digit, 10, 16),
            Lit("-"),
            Run(Alnum, 32, 80),
        ],
    ),
    anchored(
        "slack-config-access-token",
        "Slack configuration access token",
        &["xoxe.xoxp-", "xoxe.xoxb-"],
        &[Run(Digit, 1, 1), Lit("-"), Run(Alnum, 163, 166)],
    ),
    anchored(
        "slack-config-refresh-token",
        "Slack configuration refresh token",
        &["xoxe-"],
        &[Run(Digit, 1, 1), Lit("-"), Run(Alnum, 146, 146)],
    ),
    anchored(
        "slack-legacy-token",
        "Slack legacy token",
        &["xoxo-", "xoxs-"],
        &[
            Run(Digit, 1, 20),
            Lit("-"),
            Run(Digit, 1, 20),
            Lit("-"),
            Run(Digit, 1, 20),
            Lit("-"),
            Run(Hex, 8, 64),
        ],
    ),
    anchored(
        "slack-legacy-workspace-token",
        "Slack legacy workspace token",
        &["xoxa-", "xoxr-"],
        &[Run(Alnum, 8, 48)],
    ),
    anchored(
        "slack-legacy-workspace-token",
        "Slack legacy workspace token",
        &["xoxa-", "xoxr-"],
        &[Run(Digit, 1, 1), Lit("-"), Run(Alnum, 8, 48)],
    ),
    anchored(
        "slack-webhook-url",
        "Slack webhook URL",
        &[
            "hooks.slack.com/services/",
            "hooks.slack.com/workflows/",
            "hooks.slack.com/triggers/",
        ],
        SLACK_WEBHOOK,
    ),
    anchored(
        "discord-bot-token",
        "Discord bot token",
        // Base64 of a snowflake id's first digit and the next: `1…` is `MT`, `9…` is `OT`.
        &["MT", "Mj", "Mz", "ND", "NT", "Nj", "Nz", "OD", "OT"],
        &[
            Run(B64Url, 22, 24),
            Lit("."),
            Run(B64Url, 6, 7),
            Lit("."),
            Run(B64Url, 27, 38),
        ],
    )
    .verify(discord_bot_token, false),
    anchored(
        "discord-webhook-url",
        "Discord webhook URL",
        &["discord.com/api/webhooks/", "discordapp.com/api/webhooks/"],
        &[Run(Digit, 17, 20), Lit("/"), Run(B64Url, 60, 68)],
    ),
    named(
        "discord-api-token",
        "Discord API token",
        &["discord"],
        &[Run(HexLower, 64, 64)],
    ),
    named(
        "discord-client-secret",
        "Discord client secret",
        &["discord"],
        &[Run(B64UrlEq, 32, 32)],
    ),
    anchored(
        "telegram-bot-api-token",
        "Telegram bot token",
        &[":A"],
        &[Run(B64Url, 34, 34)],
    )
    .before(Digit, 5, 16),
    anchored(
        "microsoft-teams-webhook",
        "Microsoft Teams incoming webhook URL",
        &[".webhook.office.com/webhookb2/"],
        &[
            Run(LowerDigit, 8, 8),
            Lit("-"),
            Run(LowerDigit, 4, 4),
            Lit("-"),
            Run(LowerDigit, 4, 4),
            Lit("-"),
            Run(LowerDigit, 4, 4),
            Lit("-"),
            Run(LowerDigit, 12, 12),
            Lit("@"),
            Run(LowerDigit, 8, 8),
            Lit("-"),
            Run(LowerDigit, 4, 4),
            Lit("-"),
            Run(LowerDigit, 4, 4),
            Lit("-"),
            Run(LowerDigit, 4, 4),
            Lit("-"),
            Run(LowerDigit, 12, 12),
            Lit("/IncomingWebhook/"),
            Run(LowerDigit, 32, 32),
            Lit("/"),
            Run(LowerDigit, 8, 8),
            Lit("-"),
            Run(LowerDigit, 4, 4),
            Lit("-"),
            Run(LowerDigit, 4, 4),
            Lit("-"),
            Run(LowerDigit, 4, 4),
            Lit("-"),
            Run(LowerDigit, 12, 12),
        ],
    ),
    named(
        "mattermost-access-token",
        "Mattermost access token",
        &["mattermost"],
        &[Run(LowerDigit, 26, 26)],
    ),
    anchored(
        "twilio-api-key",
        "Twilio API key SID",
        &["SK"],
        &[Run(Hex, 32, 32)],
    ),
    anchored(
        "twilio-account-sid",
        "Twilio account SID",
        &["AC"],
        &[Run(HexLower, 32, 32)],
    ),
    named(
        "twilio-auth-token",
        "Twilio auth token",
        &["twilio"],
        &[Run(HexLower, 32, 32)],
    ),
    anchored(
        "sendgrid-api-token",
        "SendGrid API key",
        &["SG."],
        &[Run(B64Url, 22, 22), Lit("."), Run(B64Url, 43, 43)],
    ),
    anchored(
        "sendinblue-api-token",
        "Brevo (Sendinblue) API key",
        &["xkeysib-", "xsmtpsib-"],
        &[Run(HexLower, 64, 64), Lit("-"), Run(Alnum, 16, 16)],
    ),
    anchored(
        "mailchimp-api-key",
        "Mailchimp API key",
        &["-us"],
        &[Run(Digit, 1, 2)],
    )
    .before(HexLower, 32, 32),
    named(
        "mailgun-private-api-token",
        "Mailgun private API key",
        &["mailgun"],
        &[Lit("key-"), Run(HexLower, 32, 32)],
    ),
    named(
        "mailgun-signing-key",
        "Mailgun webhook signing key",
        &["mailgun"],
        &[
            Run(HexLower, 32, 32),
            Lit("-"),
            Run(HexLower, 8, 8),
            Lit("-"),
            Run(HexLower, 8, 8),
        ],
    ),
    named(
        "postmark-server-token",
        "Postmark server token",
        &["postmark"],
        UUID,
    ),
    named(
        "sparkpost-api-key",
        "SparkPost API key",
        &["sparkpost"],
        &[Run(HexLower, 40, 40)],
    ),
    named(
        "mandrill-api-key",
        "Mandrill API key",
        &["mandrill"],
        &[Run(B64Url, 22, 22)],
    ),
    named(
        "messagebird-api-token",
        "MessageBird API key",
        &["messagebird", "message_bird", "message-bird"],
        &[Run(Alnum, 25, 25)],
    ),
    named(
        "sendbird-access-token",
        "Sendbird access token",
        &["sendbird"],
        &[Run(HexLower, 40, 40)],
    ),
    // --- social -----------------------------------------------------------------------------
    anchored(
        "facebook-page-access-token",
        "Facebook access token",
        &["EAA"],
        &[Run(Alnum, 100, 600)],
    ),
    anchored(
        "facebook-access-token",
        "Facebook app access token (app id|secret)",
        &["|", "%7C"],
        &[Run(B64Url, 27, 40)],
    )
    .before(Digit, 15, 16)
    .context(&["facebook", "fb_", "fb.", "graph"]),
    named(
        "facebook-secret",
        "Facebook app secret",
        &["facebook"],
        &[Run(HexLower, 32, 32)],
    ),
    anchored(
        "twitter-bearer-token",
        "Twitter (X) bearer token",
        &["AAAAAAAAAAAAAAAAAAAAA"],
        &[Run(AlnumPct, 80, 120)],
    ),
    named(
        "twitter-access-token",
        "Twitter (X) access token",
        &["twitter"],
        &[Run(Digit, 15, 25), Lit("-"), Run(Alnum, 20, 40)],
    ),
    named(
        "twitter-api-secret",
        "Twitter (X) API secret",
        &["twitter"],
        &[Run(Alnum, 50, 50)],
    ),
    named(
        "twitter-access-secret",
        "Twitter (X) access secret",
        &["twitter"],
        &[Run(Alnum, 45, 45)],
    ),
    named(
        "twitch-api-token",
        "Twitch API token",
        &["twitch"],
        &[Run(Alnum, 30, 30)],
    ),
    named(
        "linkedin-client-secret",
        "LinkedIn client secret",
        &["linkedin", "linked_in", "linked-in"],
        &[Run(Alnum, 16, 16)],
    ),
    named(
        "mapbox-api-token",
        "Mapbox access token",
        &["mapbox"],
        &[Lit("pk."), Run(Alnum, 60, 60), Lit("."), Run(Alnum, 22, 22)],
    ),
    anchored(
        "mapbox-secret-token",
        "Mapbox secret token",
        &["sk.eyJ"],
        &[Run(B64Url, 50, 400), Lit("."), Run(B64Url, 20, 30)],
    ),
    named(
        "dropbox-api-token",
        "Dropbox short-lived token",
        &["dropbox"],
        &[Lit("sl."), Run(B64UrlEq, 135, 1400)],
    ),
    named(
        "yandex-api-key",
        "Yandex API key",
        &["yandex"],
        &[Lit("AQVN"), Run(B64Url, 35, 38)],
    ),
    named(
        "yandex-aws-access-token",
        "Yandex Cloud static access key",
        &["yandex"],
        &[Lit("YC"), Run(B64Url, 38, 38)],
    ),
    named(
        "okta-access-token",
        "Okta API token",
        &["okta"],
        &[Lit("00"), Run(B64UrlEq, 40, 40)],
    ),
    named(
        "zendesk-secret-key",
        "Zendesk API token",
        &["zendesk"],
        &[Run(Alnum, 40, 40)],
    ),
    named(
        "algolia-api-key",
        "Algolia admin API key",
        &["algolia"],
        &[Run(Alnum, 32, 32)],
    ),
    named(
        "intercom-api-key",
        "Intercom access token",
        &["intercom"],
        &[Run(B64UrlEq, 60, 60)],
    ),
    named(
        "hubspot-api-key",
        "HubSpot API key (legacy)",
        &["hubspot"],
        UUID,
    ),
    anchored(
        "hubspot-private-app-token",
        "HubSpot private app token",
        &["pat-na1-", "pat-eu1-"],
        UUID,
    ),
    // --- payments and commerce --------------------------------------------------------------
    anchored(
        "stripe-access-token",
        "Stripe secret or restricted key",
        &[
            "sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_", "rk_prod_",
        ],
        &[Run(Alnum, 10, 247)],
    ),
    anchored(
        "stripe-webhook-secret",
        "Stripe webhook signing secret",
        &["whsec_"],
        &[Run(Alnum, 32, 64)],
    ),
    anchored(
        "square-access-token",
        "Square access token",
        &["sq0atp-", "EAAA"],
        &[Run(B64Url, 22, 60)],
    ),
    anchored(
        "square-secret",
        "Square application secret",
        &["sq0csp-"],
        &[Run(B64Url, 43, 43)],
    ),
    anchored(
        "braintree-access-token",
        "Braintree / PayPal access token",
        &["access_token$production$", "access_token$sandbox$"],
        &[Run(LowerDigit, 16, 16), Lit("$"), Run(HexLower, 32, 32)],
    ),
    anchored(
        "flutterwave-secret-key",
        "Flutterwave secret key",
        &["FLWSECK_TEST-", "FLWSECK-"],
        &[Run(Hex, 32, 32), Lit("-X")],
    ),
    anchored(
        "flutterwave-encryption-key",
        "Flutterwave encryption key",
        &["FLWSECK_TEST"],
        &[Run(Hex, 12, 12)],
    ),
    named(
        "gocardless-api-token",
        "GoCardless access token",
        &["gocardless"],
        &[Lit("live_"), Run(B64UrlEq, 40, 40)],
    ),
    anchored(
        "plaid-api-token",
        "Plaid access token",
        &[
            "access-production-",
            "access-development-",
            "access-sandbox-",
        ],
        UUID,
    ),
    named(
        "plaid-secret-key",
        "Plaid secret",
        &["plaid"],
        &[Run(Alnum, 30, 30)],
    ),
    named(
        "coinbase-access-token",
        "Coinbase access token",
        &["coinbase"],
        &[Run(B64Url, 64, 64)],
    ),
    named(
        "kraken-access-token",
        "Kraken API key",
        &["kraken"],
        &[Run(B64, 80, 90), Run(Pad, 0, 2)],
    ),
    named(
        "kucoin-access-token",
        "KuCoin API key",
        &["kucoin"],
        &[Run(HexLower, 24, 24)],
    ),
    named(
        "bittrex-access-key",
        "Bittrex API key",
        &["bittrex"],
        &[Run(Alnum, 32, 32)],
    ),
    anchored(
        "shopify-access-token",
        "Shopify access token",
        &["shpat_", "shpca_", "shppa_", "shpss_"],
        &[Run(Hex, 32, 32)],
    ),
    anchored(
        "shippo-api-token",
        "Shippo API token",
        &["shippo_live_", "shippo_test_"],
        &[Run(Hex, 40, 40)],
    ),
    anchored(
        "woocommerce-api-key",
        "WooCommerce consumer key or secret",
        &["ck_", "cs_"],
        &[Run(HexLower, 40, 40)],
    ),
];

const fn anthropic_key(
    id: &'static str,
    description: &'static str,
    anchors: &'static [&'static str],
) -> Provider {
    anchored(id, description, anchors, ANTHROPIC)
}

/// 93 body characters and a closing `AA`: 108 characters with the prefix.
const ANTHROPIC: &[Part] = &[Run(B64Url, 93, 93), Lit("AA")];

/// One validated token on a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProviderHit {
    /// Index into `PROVIDERS`.
    pub rule: usize,
    /// Byte span of the token in the line.
    pub start: usize,
    pub end: usize,
    /// Where the token's own characters start (after a literal prefix such as `ghp_`).
    pub body: usize,
    /// The format's checksum, where it has a loose one: `Some(true)` proves a real token.
    pub verified: Option<bool>,
}

impl ProviderHit {
    #[cfg(test)]
    pub(crate) fn provider(&self) -> &'static Provider {
        &PROVIDERS[self.rule]
    }
}

#[cfg(test)]
struct Prefilter {
    automaton: AhoCorasick,
    /// Pattern id -> entries of `PROVIDERS` anchored on it.
    entries: Vec<Vec<usize>>,
}

#[cfg(test)]
static PREFILTER: OnceLock<Option<Prefilter>> = OnceLock::new();

#[cfg(test)]
fn prefilter() -> Option<&'static Prefilter> {
    PREFILTER.get_or_init(build_prefilter).as_ref()
}

#[cfg(test)]
fn build_prefilter() -> Option<Prefilter> {
    let mut patterns: Vec<String> = Vec::new();
    let mut entries: Vec<Vec<usize>> = Vec::new();
    for (index, provider) in PROVIDERS.iter().enumerate() {
        for anchor in provider.anchors {
            for spelling in spellings(provider.start, anchor) {
                match patterns.iter().position(|p| *p == spelling) {
                    Some(id) => {
                        if !entries[id].contains(&index) {
                            entries[id].push(index);
                        }
                    }
                    None => {
                        patterns.push(spelling);
                        entries.push(vec![index]);
                    }
                }
            }
        }
    }
    let automaton = AhoCorasick::builder()
        .match_kind(MatchKind::Standard)
        .kind(Some(AhoCorasickKind::DFA))
        .build(&patterns)
        .ok()?;
    Some(Prefilter { automaton, entries })
}

/// The spellings of an anchor the automaton looks for: names in lower case, UPPER case and
/// Capitalised (`heroku`, `HEROKU`, `Heroku` as in `herokuApiKey`); literals as they are.
pub(crate) fn spellings(start: Start, anchor: &str) -> Vec<String> {
    if !matches!(start, Start::AfterName) {
        return vec![anchor.to_string()];
    }
    let lower = anchor.to_ascii_lowercase();
    let upper = anchor.to_ascii_uppercase();
    let mut capital = lower.clone();
    if let Some(first) = capital.get_mut(..1) {
        first.make_ascii_uppercase();
    }
    let mut out = vec![lower];
    for s in [upper, capital] {
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

#[cfg(test)]
/// Every provider token on one line, validated, with the tokens another hit covers dropped.
pub(crate) fn match_line(line: &str) -> Vec<ProviderHit> {
    let Some(pre) = prefilter() else {
        return Vec::new();
    };
    let mut hits: Vec<ProviderHit> = Vec::new();
    for m in pre.automaton.find_overlapping_iter(line) {
        for &index in &pre.entries[m.pattern().as_usize()] {
            hits.extend(hit_at(index, line, m.start(), m.end()));
        }
    }
    keep_outermost(hits)
}

/// The token of entry `index` around its anchor, found at `at..anchor_end` of `line`, if
/// the bytes there have the entry's exact shape, context and (strict) check.
pub(crate) fn hit_at(
    index: usize,
    line: &str,
    at: usize,
    anchor_end: usize,
) -> Option<ProviderHit> {
    let provider = PROVIDERS.get(index)?;
    let (start, end) = shape_at(provider, line.as_bytes(), at, anchor_end)?;
    if !provider.context.is_empty() {
        let lower = line.to_ascii_lowercase();
        if !provider.context.iter().any(|w| lower.contains(w)) {
            return None;
        }
    }
    let token = &line[start..end];
    let verified = match provider.verify {
        Some(v) if v.strict => {
            if !(v.check)(token) {
                return None;
            }
            None
        }
        Some(v) => Some((v.check)(token)),
        None => None,
    };
    let body = if matches!(provider.start, Start::Anchor) {
        anchor_end.clamp(start, end)
    } else {
        start
    };
    Some(ProviderHit {
        rule: index,
        start,
        end,
        body,
        verified,
    })
}

#[cfg(test)]
/// Drops hits inside another hit's span (the longer token wins; for equal spans, the earlier
/// entry of `PROVIDERS`).
fn keep_outermost(mut hits: Vec<ProviderHit>) -> Vec<ProviderHit> {
    hits.sort_by_key(|h| (h.start, std::cmp::Reverse(h.end), h.rule));
    let mut out: Vec<ProviderHit> = Vec::with_capacity(hits.len());
    for hit in hits {
        if out
            .iter()
            .any(|kept| kept.start <= hit.start && hit.end <= kept.end)
        {
            continue;
        }
        out.push(hit);
    }
    out
}

/// The span of `provider`'s token around an anchor found at `at..anchor_end`, if the bytes
/// there have its exact shape.
fn shape_at(
    provider: &Provider,
    bytes: &[u8],
    at: usize,
    anchor_end: usize,
) -> Option<(usize, usize)> {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let (start, from) = match provider.start {
        Start::Anchor => {
            // Anchors such as `.webhook.office.com/` sit inside a host name.
            if at > 0 && word(bytes[at]) && word(bytes[at - 1]) {
                return None;
            }
            (at, anchor_end)
        }
        Start::Before(class, min, max) => {
            let run = bytes[..at]
                .iter()
                .rev()
                .take(usize::from(max) + 1)
                .take_while(|&&b| class.has(b))
                .count();
            if run < usize::from(min) || run > usize::from(max) {
                return None;
            }
            (at - run, anchor_end)
        }
        Start::AfterName => {
            let value = value_after_name(bytes, anchor_end)?;
            (value, value)
        }
    };
    let end = match_parts(bytes, from, provider.parts, provider.parts)?;
    (end > start).then_some((start, end))
}

/// Where the value assigned to a name starts: after the rest of the identifier, a closing
/// quote or bracket, an operator (`=`, `:`, `:=`, `=>`, `?=`, `,`, `(`, `>` of an XML tag…)
/// and an opening quote.
fn value_after_name(bytes: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    let skip = |i: &mut usize, limit: usize, f: &dyn Fn(u8) -> bool| {
        let stop = (*i + limit).min(bytes.len());
        while *i < stop && f(bytes[*i]) {
            *i += 1;
        }
    };
    skip(&mut i, 48, &|b| {
        b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')
    });
    skip(&mut i, 3, &|b| {
        matches!(b, b'"' | b'\'' | b'`' | b']' | b'\\')
    });
    skip(&mut i, 8, &|b| b == b' ' || b == b'\t');
    let operator = i;
    skip(&mut i, 4, &|b| {
        matches!(
            b,
            b'=' | b':' | b'?' | b'+' | b'.' | b'>' | b'|' | b',' | b'('
        )
    });
    if i == operator {
        return None;
    }
    skip(&mut i, 8, &|b| b == b' ' || b == b'\t');
    skip(&mut i, 3, &|b| {
        matches!(b, b'"' | b'\'' | b'`' | b'@' | b'\\')
    });
    (i < bytes.len()).then_some(i)
}

/// Matches `parts` at `pos`, backtracking over run lengths; the token must end where no
/// letter, digit or byte of any of its runs' classes follows (`all` is the whole shape).
/// Returns the end.
fn match_parts(bytes: &[u8], pos: usize, parts: &[Part], all: &[Part]) -> Option<usize> {
    let Some((first, rest)) = parts.split_first() else {
        let continues = bytes.get(pos).is_some_and(|&b| {
            b.is_ascii_alphanumeric()
                || all
                    .iter()
                    .any(|p| matches!(p, Run(class, _, _) if class.has(b)))
        });
        return (!continues).then_some(pos);
    };
    match *first {
        Lit(text) => {
            let text = text.as_bytes();
            if bytes.get(pos..pos + text.len()) == Some(text) {
                match_parts(bytes, pos + text.len(), rest, all)
            } else {
                None
            }
        }
        Run(class, min, max) => {
            let (min, max) = (usize::from(min), usize::from(max));
            let avail = bytes[pos.min(bytes.len())..]
                .iter()
                .take(max + 1)
                .take_while(|&&b| class.has(b))
                .count();
            if rest.is_empty() {
                // The last run is the whole run: a longer one is another shape.
                return (min..=max)
                    .contains(&avail)
                    .then(|| match_parts(bytes, pos + avail, rest, all))
                    .flatten();
            }
            (min..=max.min(avail))
                .rev()
                .find_map(|n| match_parts(bytes, pos + n, rest, all))
        }
    }
}

// --- checks ---------------------------------------------------------------------------------

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// CRC-32 (IEEE), as GitHub and npm compute it over a token's random part.
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &byte in data {
        crc ^= u32::from(byte);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xEDB8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

/// `value` in base62, left-padded with `0` to `width` digits.
pub(crate) fn base62(mut value: u32, width: usize) -> String {
    let mut digits = Vec::with_capacity(width);
    while value > 0 {
        digits.push(BASE62[(value % 62) as usize]);
        value /= 62;
    }
    while digits.len() < width {
        digits.push(b'0');
    }
    digits.reverse();
    String::from_utf8(digits).unwrap_or_default()
}

/// GitHub's and npm's tokens: a 4-character prefix, 30 random base62 characters and the
/// base62 CRC-32 of those 30 in the last 6.
fn base62_crc32_suffix(token: &str) -> bool {
    let Some(body) = token.get(4..) else {
        return false;
    };
    if body.len() != 36 {
        return false;
    }
    let (random, check) = body.split_at(30);
    base62(crc32(random.as_bytes()), 6) == check
}

/// `???NQ~…`: the fourth character of an Azure AD client secret is a digit.
fn azure_client_secret(token: &str) -> bool {
    token.as_bytes().get(3).is_some_and(u8::is_ascii_digit)
}

/// `xxxxxx_<29>_mmk`.
fn maxmind_key(token: &str) -> bool {
    let b = token.as_bytes();
    b.len() == 40
        && b[6] == b'_'
        && b[..6].iter().all(u8::is_ascii_alphanumeric)
        && b[7..36].iter().all(u8::is_ascii_alphanumeric)
}

/// A bot token's first segment is the base64 of the bot's numeric id.
fn discord_bot_token(token: &str) -> bool {
    let Some(first) = token.split('.').next() else {
        return false;
    };
    decode_base64(first)
        .is_some_and(|id| (17..=20).contains(&id.len()) && id.iter().all(u8::is_ascii_digit))
}

/// A long-term Bedrock key is `ABSK` and the base64 of `BedrockAPIKey-…`.
fn bedrock_key(token: &str) -> bool {
    token
        .get(4..)
        .and_then(|body| decode_base64(body.get(..20.min(body.len()))?))
        .is_some_and(|text| text.starts_with(b"BedrockAPIKey-"))
}

/// Base64 in either alphabet, padding optional; `None` on any other byte.
pub(crate) fn decode_base64(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for b in text.trim_end_matches('=').bytes() {
        let v = match b {
            b'A'..=b'Z' => b - b'A',
            b'a'..=b'z' => b - b'a' + 26,
            b'0'..=b'9' => b - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator: samples are the same on every run.
    struct Rng(u64);

    impl Rng {
        fn new(seed: u64) -> Self {
            Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
        }

        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn pick(&mut self, from: &[u8]) -> u8 {
            from[(self.next() % from.len() as u64) as usize]
        }

        fn range(&mut self, min: usize, max: usize) -> usize {
            min + (self.next() % (max - min + 1) as u64) as usize
        }
    }

    fn run_of(rng: &mut Rng, class: Class, n: usize) -> String {
        let bytes = class.bytes();
        (0..n).map(|_| rng.pick(&bytes) as char).collect()
    }

    fn has_crc(provider: &Provider) -> bool {
        matches!(
            provider.id,
            "github-pat"
                | "github-oauth"
                | "github-app-token"
                | "github-refresh-token"
                | "npm-access-token"
        )
    }

    /// A token of the entry's shape (for `AfterName` entries, the value alone) and the offset
    /// of its last part.
    fn sample(provider: &Provider, rng: &mut Rng) -> (String, usize) {
        let mut token = String::new();
        if let Start::Before(class, min, max) = provider.start {
            let n = rng.range(min.into(), max.into());
            token.push_str(&run_of(rng, class, n));
        }
        if !matches!(provider.start, Start::AfterName) {
            token.push_str(provider.anchors[0]);
        }
        let mut last = token.len();
        for part in provider.parts {
            last = token.len();
            match *part {
                Lit(text) => token.push_str(text),
                Run(Pad, min, _) => token.push_str(&"=".repeat(min.into())),
                Run(class, min, max) => {
                    let (min, max) = (usize::from(min), usize::from(max));
                    // Open-ended runs get lengths near their shortest.
                    let n = rng.range(min, max.min(min.max(1) * 2));
                    token.push_str(&run_of(rng, class, n));
                }
            }
        }
        if has_crc(provider) {
            let check = base62(crc32(&token.as_bytes()[4..34]), 6);
            token.replace_range(34..40, &check);
        }
        (token, last)
    }

    /// A sample that passes the entry's strict check, if it has one.
    fn valid(index: usize, seed: u64) -> (String, usize) {
        let provider = &PROVIDERS[index];
        let mut rng = Rng::new(seed);
        for _ in 0..20_000 {
            let (token, last) = sample(provider, &mut rng);
            if provider
                .verify
                .is_none_or(|v| !v.strict || (v.check)(&token))
            {
                return (token, last);
            }
        }
        panic!("no valid sample for {}", provider.id);
    }

    /// The line a sample sits on, and where the token starts in it: names get an
    /// assignment, the rest a string literal; context words go in a comment.
    fn line_for(provider: &Provider, token: &str) -> (String, usize) {
        let context = provider
            .context
            .first()
            .map_or(String::new(), |w| format!(" // {w}"));
        match provider.start {
            Start::AfterName => {
                let head = format!("{}_token = \"", provider.anchors[0]);
                (format!("{head}{token}\"{context}"), head.len())
            }
            _ => (format!("value = \"{token}\";{context}"), 9),
        }
    }

    fn exact(index: usize, line: &str, at: usize, len: usize) -> bool {
        match_line(line).into_iter().any(|h| {
            PROVIDERS[h.rule].id == PROVIDERS[index].id && h.start == at && h.end == at + len
        })
    }

    #[test]
    fn every_entry_finds_its_own_samples_exactly() {
        for (index, provider) in PROVIDERS.iter().enumerate() {
            for seed in 0..4u64 {
                let (token, _) = valid(index, seed * 1000 + index as u64);
                let (line, at) = line_for(provider, &token);
                assert!(
                    exact(index, &line, at, token.len()),
                    "{} ({}) missed its sample `{line}`: {:?}",
                    provider.id,
                    provider.description,
                    match_line(&line)
                );
            }
        }
    }

    #[test]
    fn wrong_lengths_are_not_tokens() {
        for (index, provider) in PROVIDERS.iter().enumerate() {
            let Some(&Run(class, min, max)) = provider.parts.last() else {
                continue;
            };
            let (token, last) = valid(index, 7 + index as u64);
            let filler = char::from(class.bytes()[0]).to_string();
            let mut cases = Vec::new();
            if max < 4000 {
                cases.push(format!(
                    "{}{}",
                    &token[..last],
                    filler.repeat(usize::from(max) + 1)
                ));
            }
            if min > 1 {
                cases.push(format!(
                    "{}{}",
                    &token[..last],
                    filler.repeat(usize::from(min) - 1)
                ));
            }
            for case in cases {
                let (line, at) = line_for(provider, &case);
                let hit = match_line(&line)
                    .into_iter()
                    .any(|h| h.rule == index && h.start == at);
                assert!(!hit, "{} accepted the wrong length `{case}`", provider.id);
            }
        }
    }

    #[test]
    fn wrong_alphabets_are_not_tokens() {
        let mut tried = 0;
        for (index, provider) in PROVIDERS.iter().enumerate() {
            let Some(&Run(class, _, _)) = provider.parts.last() else {
                continue;
            };
            // A letter or digit outside the class, so the token cannot simply end early.
            let Some(stranger) = (b'0'..=b'z')
                .filter(u8::is_ascii_alphanumeric)
                .find(|&b| !class.has(b))
            else {
                continue;
            };
            if class == Pad {
                continue;
            }
            tried += 1;
            let (token, _) = valid(index, 13 + index as u64);
            let mut bad = token.into_bytes();
            let end = bad.len() - 1;
            bad[end] = stranger;
            let bad = String::from_utf8(bad).unwrap();
            let (line, at) = line_for(provider, &bad);
            let hit = match_line(&line)
                .into_iter()
                .any(|h| h.rule == index && h.start == at);
            assert!(!hit, "{} accepted `{bad}`", provider.id);
        }
        assert!(tried > 50, "{tried}");
    }

    #[test]
    fn a_word_glued_before_the_prefix_is_another_word() {
        for (index, provider) in PROVIDERS.iter().enumerate() {
            let word_anchor = provider.anchors[0]
                .bytes()
                .next()
                .is_some_and(|b| b.is_ascii_alphanumeric() || b == b'_');
            if !matches!(provider.start, Start::Anchor) || !word_anchor {
                continue;
            }
            let (token, _) = valid(index, 31 + index as u64);
            let (line, _) = line_for(provider, &format!("x{token}"));
            let hit = match_line(&line)
                .into_iter()
                .any(|h| h.rule == index && h.start == 10);
            assert!(!hit, "{} matched inside `x{token}`", provider.id);
        }
    }

    #[test]
    fn bad_checksums_are_reported_and_strict_checks_reject() {
        for (index, provider) in PROVIDERS.iter().enumerate() {
            let Some(verify) = provider.verify else {
                continue;
            };
            let (token, _) = valid(index, 41 + index as u64);
            if has_crc(provider) {
                let (line, at) = line_for(provider, &token);
                let hit = match_line(&line).into_iter().find(|h| h.start == at);
                assert_eq!(hit.map(|h| h.verified), Some(Some(true)), "{token}");
                // Another last character breaks the checksum but not the shape.
                let mut bad = token.clone();
                let end = bad.pop().unwrap();
                bad.push(if end == 'A' { 'B' } else { 'A' });
                let (line, at) = line_for(provider, &bad);
                let hit = match_line(&line).into_iter().find(|h| h.start == at);
                assert_eq!(hit.map(|h| h.verified), Some(Some(false)), "{bad}");
            } else if verify.strict {
                let mut rng = Rng::new(99);
                let failing = (0..20_000)
                    .map(|_| sample(provider, &mut rng).0)
                    .find(|t| !(verify.check)(t))
                    .expect("a sample failing the check");
                let (line, at) = line_for(provider, &failing);
                let hit = match_line(&line)
                    .into_iter()
                    .any(|h| h.rule == index && h.start == at);
                assert!(!hit, "{} accepted `{failing}`", provider.id);
            }
        }
    }

    #[test]
    fn crc32_and_base62_follow_the_standard() {
        // The check value of CRC-32/ISO-HDLC.
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(base62(0, 6), "000000");
        assert_eq!(base62(61, 2), "0z");
        assert_eq!(base62(62, 2), "10");
        assert_eq!(base62(u32::MAX, 6), "4gfFC3");
    }

    #[test]
    fn strict_checks_reject_the_near_misses() {
        // Azure: the character before `Q~` must be a digit.
        let body = "Zq8LmR2vXw9KpT4nB7Hs3Jd6Fg1Vc0Yq2";
        let good = format!("abc8{}{body}", "Q~");
        assert_eq!(match_line(&format!("s = \"{good}\"")).len(), 1);
        let bad = format!("abcd{}{body}", "Q~");
        assert!(match_line(&format!("s = \"{bad}\"")).is_empty());
        // MaxMind: `_` after six characters.
        let key = format!("Ab3De9_{}{}", "Zq8LmR2vXw9KpT4nB7Hs3Jd6Fg1Vc", "_mmk");
        assert_eq!(match_line(&key).len(), 1, "{key}");
        let shifted = format!("Ab3De_9{}{}", "Zq8LmR2vXw9KpT4nB7Hs3Jd6Fg1Vc", "_mmk");
        assert!(match_line(&shifted).is_empty());
    }

    #[test]
    fn anthropic_keys_need_their_closing_aa_and_exact_length() {
        let body: String = "Q7z2Lp9Xw4Rt8Kd3Mv6Hs1Nb".repeat(4)[..93].to_string();
        let prefix = concat!("sk-ant-", "api03-");
        let good = format!("{prefix}{body}AA");
        assert_eq!(good.len(), 108);
        assert_eq!(match_line(&good).len(), 1);
        assert!(match_line(&format!("{prefix}{body}AB")).is_empty());
        assert!(match_line(&format!("{prefix}{}AA", &body[..92])).is_empty());
        assert!(match_line(&format!("{prefix}{body}xAA")).is_empty());
    }

    #[test]
    fn openai_keys_need_the_marker() {
        let half: String = "Q7z2Lp9Xw4Rt8Kd3Mv6Hs1Nb".repeat(4)[..74].to_string();
        let prefix = concat!("sk-", "proj-");
        let good = format!("{prefix}{half}{}{half}", "T3BlbkFJ");
        assert_eq!(match_line(&good).len(), 1, "{good}");
        assert!(match_line(&format!("{prefix}{half}{half}")).is_empty());
        let legacy = format!("sk-{}{}{}", &half[..20], "T3BlbkFJ", &half[20..40]);
        assert_eq!(match_line(&legacy).len(), 1);
        assert!(match_line(&format!("sk-{}", &half[..48])).is_empty());
    }

    #[test]
    fn slack_shapes_are_exact() {
        let p = concat!("xo", "xb-");
        let good = format!("{p}2109876543-3456789012345-SlackFixtureCsTy4Qwb8Dwk");
        let hits = match_line(&good);
        assert_eq!(hits.len(), 1, "{good}");
        assert_eq!(hits[0].provider().id, "slack-bot-token");
        let long = format!("{good}x");
        assert!(match_line(&long).is_empty(), "{long}");
        assert!(match_line(&format!("{p}not-a-token")).is_empty());
    }

    #[test]
    fn gitlab_lengths_are_exact() {
        let p = concat!("gl", "pat-");
        assert_eq!(match_line(&format!("{p}Zq8LmR2vXw9KpT4nB7Hs")).len(), 1);
        assert!(match_line(&format!("{p}Zq8LmR2vXw9KpT4nB7H")).is_empty());
        assert!(match_line(&format!("{p}Zq8LmR2vXw9KpT4nB7Hs3")).is_empty());
        let routable = format!("{p}Zq8LmR2vXw9KpT4nB7Hs3Jd6Fg1Vc0Yq2.01abcdefg");
        let hits = match_line(&routable);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].provider().id, "gitlab-pat-routable");
    }

    #[test]
    fn names_find_the_value_after_any_operator() {
        let uuid = "4f3a9c1e-7b2d-4e8f-a1c6-9d0b5e7f2a3c";
        for line in [
            format!("HEROKU_API_KEY={uuid}"),
            format!("heroku_api_key: \"{uuid}\""),
            format!("herokuToken := \"{uuid}\""),
            format!("$herokuToken .= \"{uuid}\";"),
            format!("\"heroku_token\": \"{uuid}\","),
            format!("<herokuToken>{uuid}</herokuToken>"),
            format!("  \"herokuToken\" => \"{uuid}\""),
            format!("HEROKU_TOKEN ::= \"{uuid}\""),
            format!("HerokuKey,{uuid},"),
        ] {
            let hits = match_line(&line);
            assert_eq!(hits.len(), 1, "{line}: {hits:?}");
            assert_eq!(&line[hits[0].start..hits[0].end], uuid, "{line}");
        }
        assert!(match_line(&format!("heroku {uuid}")).is_empty());
        assert!(match_line(&format!("id = {uuid}")).is_empty());
    }

    #[test]
    fn discord_and_telegram_shapes() {
        // `MTk4NjIyNDgzNDcxOTI1MjQ4` is the base64 of a numeric id.
        let discord = format!(
            "{}.{}.{}",
            "MTk4NjIyNDgzNDcxOTI1MjQ4", "Cl2FMQ", "ZnCjm1XVW7vRze4b7Cq4se7kKWs"
        );
        let hits = match_line(&format!("TOKEN = '{discord}'"));
        assert_eq!(hits.len(), 1, "{hits:?}");
        assert_eq!(hits[0].verified, Some(true));
        let telegram = format!("123456789{}{}", ":AA", "Fh3kLq9Zt2Lw8Xv4Rp7QmNbK3Hs6Jd1Fx");
        assert_eq!(match_line(&format!("bot{telegram}/sendMessage")).len(), 1);
        let short = format!("123456789{}{}", ":AA", "Fh3kLq9Zt2Lw8Xv4Rp7QmNbK3Hs6Jd1F");
        assert!(match_line(&short).is_empty());
    }

    #[test]
    fn context_words_gate_plain_formats() {
        let token = "123456789012345|Zq8LmR2vXw9KpT4nB7Hs3Jd6Fg1Vc0Y";
        assert!(match_line(&format!("x = \"{token}\"")).is_empty());
        assert_eq!(
            match_line(&format!("facebook_token = \"{token}\"")).len(),
            1
        );
    }

    #[test]
    fn plain_code_has_no_tokens() {
        for line in [
            "let path = format!(\"{}/{}\", ACCOUNT, SKU);",
            "ACCESS_DENIED = 403; MTU = 1500; NODE_ENV=production",
            "pattern = re.compile(r'^sk-[a-z]+$')",
            "UUID = \"123e4567-e89b-12d3-a456-426614174000\"",
            "sha256: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ] {
            assert!(
                match_line(line).is_empty(),
                "{line}: {:?}",
                match_line(line)
            );
        }
    }

    #[test]
    fn the_table_is_sound() {
        let mut distinct = std::collections::BTreeSet::new();
        for provider in PROVIDERS {
            assert!(!provider.anchors.is_empty(), "{}", provider.id);
            assert!(
                provider
                    .id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-'),
                "{}",
                provider.id
            );
            for part in provider.parts {
                if let Run(_, min, max) = part {
                    assert!(min <= max, "{}", provider.id);
                }
            }
            distinct.insert(provider.id);
        }
        assert!(prefilter().is_some());
        assert!(distinct.len() >= 100, "{} rule ids", distinct.len());
    }
}
