//! The two migration sets stay in step: the same migrations (versions and names), and after
//! them the same tables, columns (names, order, nullability, compatible types), primary
//! keys and named indexes, read from a real SQLite database and a real PostgreSQL server.

mod common;

use std::collections::BTreeMap;

use algogate_store::Db;

/// Column name, type as declared, NOT NULL, position in the primary key (0: none).
type Columns = Vec<(String, String, bool, i64)>;

#[derive(Debug, PartialEq)]
struct Schema {
    tables: BTreeMap<String, Columns>,
    indexes: Vec<String>,
}

const SKIP: &[&str] = &["_sqlx_migrations", "sqlite_sequence"];

fn migration_names(dir: &str) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_type().unwrap().is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn each_sqlite_migration_has_its_postgres_twin() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations");
    let sqlite = migration_names(root);
    assert!(sqlite.len() >= 8, "{sqlite:?}");
    assert_eq!(migration_names(&format!("{root}/postgres")), sqlite);
}

async fn sqlite_schema(pool: &sqlx::SqlitePool) -> Schema {
    let names: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .fetch_all(pool)
            .await
            .unwrap();
    let mut tables = BTreeMap::new();
    for t in names.into_iter().filter(|t| !SKIP.contains(&t.as_str())) {
        let cols: Vec<(String, String, bool, i64)> = sqlx::query_as(
            "SELECT name, type, \"notnull\", pk FROM pragma_table_info($1) ORDER BY cid",
        )
        .bind(&t)
        .fetch_all(pool)
        .await
        .unwrap();
        tables.insert(t, cols);
    }
    let indexes = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' \
         AND name NOT LIKE 'sqlite_autoindex_%' ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    Schema { tables, indexes }
}

async fn postgres_schema(pool: &sqlx::PgPool) -> Schema {
    let rows: Vec<(String, String, String, bool, i64)> = sqlx::query_as(
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, \
           c.is_nullable = 'NO', \
           COALESCE((SELECT k.ordinal_position FROM information_schema.table_constraints tc \
             JOIN information_schema.key_column_usage k \
               ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema \
             WHERE tc.table_schema = c.table_schema AND tc.table_name = c.table_name \
               AND tc.constraint_type = 'PRIMARY KEY' AND k.column_name = c.column_name), 0)::bigint \
         FROM information_schema.columns c \
         WHERE c.table_schema = current_schema() \
         ORDER BY c.table_name, c.ordinal_position",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let mut tables: BTreeMap<String, Columns> = BTreeMap::new();
    for (t, c, ty, not_null, pk) in rows {
        if !SKIP.contains(&t.as_str()) {
            tables.entry(t).or_default().push((c, ty, not_null, pk));
        }
    }
    // PostgreSQL names the indexes behind PRIMARY KEY and UNIQUE itself, as SQLite does
    // its sqlite_autoindex_*: only the declared ones are compared.
    let indexes = sqlx::query_scalar(
        "SELECT i.indexname::text FROM pg_indexes i \
         WHERE i.schemaname = current_schema() AND NOT EXISTS ( \
           SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname) \
         AND i.tablename <> '_sqlx_migrations' ORDER BY 1",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    Schema { tables, indexes }
}

/// Whether a SQLite declared type and a PostgreSQL type hold the same values here.
fn compatible(sqlite: &str, pg: &str) -> bool {
    matches!(
        (sqlite, pg),
        ("INTEGER", "bigint" | "boolean") | ("REAL", "double precision") | ("TEXT", "text")
    )
}

#[tokio::test]
async fn both_backends_build_the_same_tables_and_columns() {
    let (sqlite, _dir) = common::sqlite_store().await;
    let pg = common::pg_store("schema").await;
    let (Db::Sqlite(sp), Db::Postgres(pp)) = (sqlite.db(), pg.db()) else {
        panic!("one store per backend");
    };
    let s = sqlite_schema(sp).await;
    let p = postgres_schema(pp).await;
    assert!(s.tables.len() >= 14, "{:?}", s.tables.keys());
    assert_eq!(
        s.tables.keys().collect::<Vec<_>>(),
        p.tables.keys().collect::<Vec<_>>(),
        "tables"
    );
    for (table, scols) in &s.tables {
        let pcols = &p.tables[table];
        let names = |c: &Columns| c.iter().map(|c| c.0.clone()).collect::<Vec<_>>();
        assert_eq!(
            names(scols),
            names(pcols),
            "{table}: columns and their order"
        );
        for (sc, pc) in scols.iter().zip(pcols) {
            let col = format!("{table}.{}", sc.0);
            assert!(compatible(&sc.1, &pc.1), "{col}: {} vs {}", sc.1, pc.1);
            // SQLite lets an INTEGER PRIMARY KEY be NULL in its catalogue; it is not.
            let s_not_null = sc.2 || sc.3 > 0;
            assert_eq!(s_not_null, pc.2, "{col}: NOT NULL");
            assert_eq!(sc.3, pc.3, "{col}: position in the primary key");
        }
    }
    assert_eq!(s.indexes, p.indexes, "indexes");
}
