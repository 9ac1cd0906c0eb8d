//! Whether a migration in the change has a way down beside it, by the conventions of the
//! common migration tools. What is checked is the file layout and, for tools whose migrations
//! are code, the presence of the down step in the file; a down step that exists may still
//! lose data, which no file check can tell.

use crate::evidence::path_taken::NoteMigration;
use crate::repo::Repo;
use git2::Oid;

/// Migrations looked at per change.
const KEPT: usize = 50;

/// The down side of each migration path in the judged `tree`.
pub(crate) fn down_of(repo: &Repo, tree: Oid, paths: &[&str]) -> Vec<NoteMigration> {
    let mut seen: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for path in paths {
        if seen.contains(path) || out.len() >= KEPT {
            continue;
        }
        seen.push(path);
        // A deleted migration has nothing to go down from.
        let Ok(Some(content)) = repo.read_file_at(tree, path) else {
            continue;
        };
        let exists = |candidate: &str| matches!(repo.read_file_at(tree, candidate), Ok(Some(_)));
        out.push(judge(path, &String::from_utf8_lossy(&content), &exists));
    }
    out
}

fn migration(path: &str, convention: &str, down: &str, detail: impl Into<String>) -> NoteMigration {
    NoteMigration {
        path: path.to_string(),
        convention: convention.to_string(),
        down: down.to_string(),
        detail: detail.into(),
    }
}

/// Judges one migration file by its name, its neighbours (`exists`) and its content.
fn judge(path: &str, content: &str, exists: &dyn Fn(&str) -> bool) -> NoteMigration {
    let (dir, name) = match path.rsplit_once('/') {
        Some((dir, name)) => (format!("{dir}/"), name),
        None => (String::new(), path),
    };
    let lower = name.to_ascii_lowercase();
    let sibling = |file: &str| format!("{dir}{file}");
    let found_or_missing = |convention: &str, down: String| {
        if exists(&down) {
            migration(path, convention, "found", down)
        } else {
            migration(path, convention, "missing", format!("no {down}"))
        }
    };

    // golang-migrate, sql-migrate style pairs: NNN_name.up.sql / NNN_name.down.sql.
    if let Some(stem) = name.strip_suffix(".up.sql") {
        return found_or_missing("golang-migrate", sibling(&format!("{stem}.down.sql")));
    }
    if name.ends_with(".down.sql") {
        return migration(path, "golang-migrate", "found", "it is a down migration");
    }
    // Diesel: <version>_<name>/up.sql beside down.sql.
    if lower == "up.sql" {
        return found_or_missing("diesel", sibling("down.sql"));
    }
    if lower == "down.sql" {
        return migration(path, "diesel", "found", "it is a down migration");
    }
    // Prisma Migrate keeps only forward migrations.
    if lower == "migration.sql" && dir.contains("prisma/") {
        return migration(
            path,
            "prisma",
            "missing",
            "Prisma Migrate has no down migrations; a rollback needs a new forward migration",
        );
    }
    // Flyway: V<version>__<desc>.sql, undone by U<version>__<desc>.sql.
    if let Some(rest) = name.strip_prefix('V').filter(|r| is_flyway(r)) {
        return found_or_missing("flyway", sibling(&format!("U{rest}")));
    }
    if name.strip_prefix('U').is_some_and(is_flyway) {
        return migration(path, "flyway", "found", "it is an undo migration");
    }
    if lower.ends_with(".sql") {
        return sql(path, name, content);
    }
    if lower.ends_with(".rb") {
        return rails(path, content);
    }
    if lower.ends_with(".py") {
        if content.contains("def upgrade") || content.contains("revision =") {
            return alembic(path, content);
        }
        if content.contains("migrations.Migration") {
            return django(path, content);
        }
    }
    if [".js", ".ts", ".mjs", ".cjs"]
        .iter()
        .any(|e| lower.ends_with(e))
    {
        return if has_js_down(content) {
            migration(path, "knex", "found", "exports a `down` step")
        } else {
            migration(path, "knex", "missing", "exports no `down` step")
        };
    }
    migration(
        path,
        "unknown",
        "unknown",
        "no known migration convention (golang-migrate, diesel, flyway, dbmate, goose, rails, \
         alembic, django, prisma, knex) matches this file",
    )
}

/// A single SQL file: dbmate and goose keep the down side in a section of it; otherwise it
/// only goes forward.
fn sql(path: &str, name: &str, content: &str) -> NoteMigration {
    for (convention, down_marker, up_marker) in [
        ("dbmate", "-- migrate:down", "-- migrate:up"),
        ("goose", "-- +goose Down", "-- +goose Up"),
    ] {
        if let Some(at) = content.find(down_marker) {
            let rest = &content[at + down_marker.len()..];
            let has_statement = rest
                .lines()
                .map(str::trim)
                .any(|l| !l.is_empty() && !l.starts_with("--"));
            return if has_statement {
                migration(
                    path,
                    convention,
                    "found",
                    format!("a `{down_marker}` section"),
                )
            } else {
                migration(
                    path,
                    convention,
                    "missing",
                    format!("the `{down_marker}` section is empty"),
                )
            };
        }
        if content.contains(up_marker) {
            return migration(
                path,
                convention,
                "missing",
                format!("no `{down_marker}` section"),
            );
        }
    }
    let stem = name.trim_end_matches(".sql");
    migration(
        path,
        "sql",
        "missing",
        format!(
            "a forward-only SQL file: no {stem}.down.sql beside it, no down section \
             (-- migrate:down, -- +goose Down)"
        ),
    )
}

/// `<version>__<description>.sql` after Flyway's `V` or `U`.
fn is_flyway(rest: &str) -> bool {
    rest.ends_with(".sql")
        && rest.contains("__")
        && rest.chars().next().is_some_and(|c| c.is_ascii_digit())
}

/// Rails: `def down`, or a `change` that Rails can reverse (unless it says it cannot).
fn rails(path: &str, content: &str) -> NoteMigration {
    if content.contains("ActiveRecord::IrreversibleMigration") {
        return migration(
            path,
            "rails",
            "irreversible",
            "raises ActiveRecord::IrreversibleMigration",
        );
    }
    if content.contains("def down") {
        return migration(path, "rails", "found", "defines `down`");
    }
    if content.contains("def change") {
        let detail = if content.contains("execute") && !content.contains("reversible") {
            "`change` runs raw SQL (`execute`) outside a `reversible` block: Rails cannot reverse it"
        } else {
            "`change` is reversed by Rails (reversible operations only)"
        };
        let down = if detail.starts_with("`change` runs") {
            "irreversible"
        } else {
            "reversible"
        };
        return migration(path, "rails", down, detail);
    }
    migration(
        path,
        "rails",
        "missing",
        "defines neither `down` nor `change`",
    )
}

/// Alembic: a `downgrade` that does more than `pass`.
fn alembic(path: &str, content: &str) -> NoteMigration {
    let Some(start) = content.find("def downgrade") else {
        return migration(path, "alembic", "missing", "no `def downgrade`");
    };
    let body: Vec<&str> = content[start..]
        .lines()
        .skip(1)
        .take_while(|l| l.trim().is_empty() || l.starts_with([' ', '\t']))
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#') && !l.starts_with("\"\"\""))
        .collect();
    if body.is_empty() || body == ["pass"] {
        migration(path, "alembic", "missing", "`downgrade` is empty")
    } else {
        migration(path, "alembic", "found", "defines `downgrade`")
    }
}

/// Django reverses its schema operations itself; `RunPython` and `RunSQL` only with a second
/// argument (`reverse_code`, `reverse_sql`).
fn django(path: &str, content: &str) -> NoteMigration {
    let one_way = ["RunPython(", "RunSQL("]
        .iter()
        .flat_map(|op| calls(content, op))
        .any(|args| top_level_args(args) < 2);
    if one_way {
        return migration(
            path,
            "django",
            "irreversible",
            "`RunPython` without `reverse_code` or `RunSQL` without `reverse_sql`",
        );
    }
    migration(
        path,
        "django",
        "reversible",
        "Django reverses its schema operations; `RunPython` and `RunSQL` name their reverse",
    )
}

/// The argument text of every call `name(...)` in `content`.
fn calls<'a>(content: &'a str, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
    content.match_indices(name).filter_map(move |(at, _)| {
        let args = &content[at + name.len()..];
        let mut depth = 0usize;
        for (i, c) in args.char_indices() {
            match c {
                '(' | '[' | '{' => depth += 1,
                ')' | ']' | '}' if depth == 0 => return Some(&args[..i]),
                ')' | ']' | '}' => depth -= 1,
                _ => {}
            }
        }
        None
    })
}

/// How many arguments a call's argument text holds.
fn top_level_args(args: &str) -> usize {
    let mut depth = 0usize;
    let mut count = usize::from(!args.trim().is_empty());
    for c in args.chars() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            ',' if depth == 0 => count += 1,
            _ => {}
        }
    }
    // A trailing comma names no argument.
    if args.trim_end().ends_with(',') {
        count -= 1;
    }
    count
}

fn has_js_down(content: &str) -> bool {
    [
        "exports.down",
        "async down(",
        "down(",
        "down:",
        "function down",
    ]
    .iter()
    .any(|p| content.contains(p))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::judge;

    fn down(path: &str, content: &str, files: &[&str]) -> (String, String) {
        let m = judge(path, content, &|p| files.contains(&p));
        (m.convention, m.down)
    }

    fn pair(a: &str, b: &str) -> (String, String) {
        (a.to_string(), b.to_string())
    }

    #[test]
    fn file_pairs() {
        let up = "db/migrations/0003_add_users.up.sql";
        assert_eq!(
            down(up, "", &["db/migrations/0003_add_users.down.sql"]),
            pair("golang-migrate", "found")
        );
        assert_eq!(down(up, "", &[]), pair("golang-migrate", "missing"));
        let diesel = "migrations/2024-01-01-000000_users/up.sql";
        assert_eq!(
            down(diesel, "", &["migrations/2024-01-01-000000_users/down.sql"]),
            pair("diesel", "found")
        );
        let flyway = "db/migration/V2__add_email.sql";
        assert_eq!(
            down(flyway, "", &["db/migration/U2__add_email.sql"]),
            pair("flyway", "found")
        );
        assert_eq!(down(flyway, "", &[]), pair("flyway", "missing"));
        assert_eq!(
            down("prisma/migrations/20240101_init/migration.sql", "", &[]),
            pair("prisma", "missing")
        );
        let dbmate = "db/migrations/20240101_users.sql";
        assert_eq!(
            down(
                dbmate,
                "-- migrate:up\ncreate table users();\n-- migrate:down\ndrop table users;\n",
                &[]
            ),
            pair("dbmate", "found")
        );
        assert_eq!(
            down(
                dbmate,
                "-- migrate:up\ncreate table users();\n-- migrate:down\n\n",
                &[]
            ),
            pair("dbmate", "missing")
        );
        assert_eq!(
            down(
                "migrations/00002_x.sql",
                "-- +goose Up\nALTER TABLE t ADD c int;\n",
                &[]
            ),
            pair("goose", "missing")
        );
        assert_eq!(
            down("migrations/001_users.sql", "create table u();", &[]),
            pair("sql", "missing")
        );
    }

    #[test]
    fn code_migrations() {
        let rb = "db/migrate/20240101_add_email.rb";
        assert_eq!(
            down(rb, "class A < ActiveRecord::Migration[7.1]\n  def change\n    add_column :users, :email, :string\n  end\nend\n", &[]),
            pair("rails", "reversible")
        );
        assert_eq!(
            down(
                rb,
                "def up\nend\ndef down\n  raise ActiveRecord::IrreversibleMigration\nend\n",
                &[]
            ),
            pair("rails", "irreversible")
        );
        assert_eq!(down(rb, "def up\nend\n", &[]), pair("rails", "missing"));
        let alembic = "alembic/versions/abc_add.py";
        assert_eq!(
            down(alembic, "revision = 'abc'\ndef upgrade():\n    op.add_column('t', c)\n\ndef downgrade():\n    pass\n", &[]),
            pair("alembic", "missing")
        );
        assert_eq!(
            down(alembic, "revision = 'abc'\ndef upgrade():\n    x()\n\ndef downgrade():\n    op.drop_column('t', 'c')\n", &[]),
            pair("alembic", "found")
        );
        let django = "app/migrations/0002_data.py";
        let forward_only = "class Migration(migrations.Migration):\n    operations = [migrations.RunPython(forwards)]\n";
        assert_eq!(
            down(django, forward_only, &[]),
            pair("django", "irreversible")
        );
        let both = "class Migration(migrations.Migration):\n    operations = [migrations.RunPython(forwards, reverse_code=backwards), migrations.AddField('a', 'b', f)]\n";
        assert_eq!(down(django, both, &[]), pair("django", "reversible"));
        let positional = "class Migration(migrations.Migration):\n    operations = [\n        migrations.RunSQL(\n            \"UPDATE t SET a = 1\",\n            \"UPDATE t SET a = 0\",\n        ),\n    ]\n";
        assert_eq!(down(django, positional, &[]), pair("django", "reversible"));
        assert_eq!(
            down(
                "migrations/001_users.js",
                "exports.up = k => k; exports.down = k => k;",
                &[]
            ),
            pair("knex", "found")
        );
        assert_eq!(
            down("db/schema.rb.orig", "", &[]),
            pair("unknown", "unknown")
        );
    }
}
