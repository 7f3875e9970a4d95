//! The few SQL spellings that differ between SQLite and PostgreSQL, side by side. Every
//! other statement in this crate is written once in SQL both accept.

use crate::Backend;

/// The current UTC time as text, `YYYY-MM-DD HH:MM:SS.mmm` (the columns' default format).
pub fn now_text(b: Backend) -> &'static str {
    match b {
        Backend::Sqlite => "strftime('%Y-%m-%d %H:%M:%f', 'now')",
        Backend::Postgres => "to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS')",
    }
}

/// The text field `field` of the JSON object stored as text in `column` (NULL if absent).
pub fn json_text_field(b: Backend, column: &str, field: &str) -> String {
    match b {
        Backend::Sqlite => format!("json_extract({column}, '$.{field}')"),
        Backend::Postgres => format!("({column}::jsonb ->> '{field}')"),
    }
}

/// `column` (a JSON array of strings, stored as compact text) with the string parameter
/// `param` appended, compact as well (`["A1","B2"]`), so the text reads the same on both.
pub fn json_push_text(b: Backend, column: &str, param: &str) -> String {
    match b {
        Backend::Sqlite => format!("json_insert({column}, '$[#]', {param})"),
        Backend::Postgres => format!(
            "CASE WHEN {column} = '[]' THEN '[' || to_json({param}::text)::text || ']' \
             ELSE left({column}, -1) || ',' || to_json({param}::text)::text || ']' END"
        ),
    }
}

/// The strings of the JSON array in `column`, joined with commas, in order.
pub fn json_join_texts(b: Backend, column: &str) -> String {
    match b {
        Backend::Sqlite => {
            format!("(SELECT group_concat(value, ',') FROM json_each({column}))")
        }
        Backend::Postgres => format!(
            "array_to_string(ARRAY(SELECT jsonb_array_elements_text({column}::jsonb)), ',')"
        ),
    }
}

/// Takes a row lock on the user's `users` row inside a transaction, so writers of one
/// user's rows run one after another. SQLite has a single writer already: nothing to do.
pub fn lock_user(b: Backend) -> Option<&'static str> {
    match b {
        Backend::Sqlite => None,
        Backend::Postgres => Some("SELECT id FROM users WHERE id = $1 FOR UPDATE"),
    }
}
