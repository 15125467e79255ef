//! Whether a statement the parser rejected is still a statement of its dialect, read from
//! its leading keywords: valid SQL the parser does not model (`DROP INDEX CONCURRENTLY`,
//! `ALTER SEQUENCE ... RENAME`, `REINDEX`) is not the user's problem; text no dialect rule
//! recognises is.

use sqlparser::tokenizer::{Token, TokenWithSpan};

use super::SqlDialect;

/// Verbs every dialect has.
const COMMON: &[&str] = &[
    "ALTER",
    "ANALYZE",
    "BEGIN",
    "CALL",
    "COMMENT",
    "COMMIT",
    "CREATE",
    "DELETE",
    "DROP",
    "EXPLAIN",
    "GRANT",
    "INSERT",
    "MERGE",
    "RELEASE",
    "REVOKE",
    "ROLLBACK",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "SHOW",
    "START",
    "TRUNCATE",
    "UPDATE",
    "VALUES",
    "WITH",
];

const POSTGRES: &[&str] = &[
    "ABORT",
    "CHECKPOINT",
    "CLOSE",
    "CLUSTER",
    "COPY",
    "DEALLOCATE",
    "DECLARE",
    "DISCARD",
    "DO",
    "END",
    "EXECUTE",
    "FETCH",
    "IMPORT",
    "LISTEN",
    "LOAD",
    "LOCK",
    "MOVE",
    "NOTIFY",
    "PREPARE",
    "REASSIGN",
    "REFRESH",
    "REINDEX",
    "RESET",
    "SECURITY",
    "TABLE",
    "UNLISTEN",
    "UPSERT",
    "VACUUM",
];

const MYSQL: &[&str] = &[
    "CHECK",
    "CHECKSUM",
    "DEALLOCATE",
    "DESC",
    "DESCRIBE",
    "EXECUTE",
    "FLUSH",
    "HANDLER",
    "INSTALL",
    "KILL",
    "LOAD",
    "LOCK",
    "OPTIMIZE",
    "PREPARE",
    "RENAME",
    "REPAIR",
    "REPLACE",
    "TABLE",
    "UNINSTALL",
    "UNLOCK",
    "USE",
];

const MSSQL: &[&str] = &[
    "BACKUP",
    "BULK",
    "CHECKPOINT",
    "CLOSE",
    "DBCC",
    "DEALLOCATE",
    "DECLARE",
    "DENY",
    "DISABLE",
    "ENABLE",
    "EXEC",
    "EXECUTE",
    "FETCH",
    "GO",
    "IF",
    "OPEN",
    "PRINT",
    "RAISERROR",
    "RECONFIGURE",
    "RESTORE",
    "REVERT",
    "THROW",
    "USE",
    "WAITFOR",
    "WHILE",
];

const SQLITE: &[&str] = &["ATTACH", "DETACH", "PRAGMA", "REINDEX", "REPLACE", "VACUUM"];

/// The warehouses and the rest: their extra verbs together.
const OTHERS: &[&str] = &[
    "ASSERT",
    "CACHE",
    "COPY",
    "DECLARE",
    "DESC",
    "DESCRIBE",
    "EXEC",
    "EXECUTE",
    "EXPORT",
    "FLASHBACK",
    "GET",
    "LIST",
    "LOAD",
    "LOCK",
    "MSCK",
    "OPTIMIZE",
    "PURGE",
    "PUT",
    "REFRESH",
    "REMOVE",
    "RENAME",
    "REPLACE",
    "UNDROP",
    "UNLOAD",
    "USE",
    "VACUUM",
];

/// Words that may stand between CREATE/ALTER/DROP and the kind of object.
pub(crate) const MODIFIERS: &[&str] = &[
    "OR",
    "REPLACE",
    "UNIQUE",
    "TEMP",
    "TEMPORARY",
    "UNLOGGED",
    "GLOBAL",
    "LOCAL",
    "IF",
    "NOT",
    "EXISTS",
    "ONLY",
    "EXTERNAL",
    "TRANSIENT",
    "VOLATILE",
    "SECURE",
    "VIRTUAL",
    "ONLINE",
    "OFFLINE",
    "IGNORE",
    "DEFINER",
    "ALGORITHM",
    "SQL",
    "SECURITY",
    "CONSTRAINT",
    "RECURSIVE",
    "TRUSTED",
    "PROCEDURAL",
    "SPATIAL",
    "FULLTEXT",
    "CLUSTERED",
    "NONCLUSTERED",
    "COLUMNSTORE",
    "INVERTED",
];

/// The kinds of object CREATE, ALTER and DROP act on, across dialects.
const OBJECTS: &[&str] = &[
    "ACCESS",
    "AGGREGATE",
    "ASSEMBLY",
    "CAST",
    "CERTIFICATE",
    "COLLATION",
    "CONNECTOR",
    "CONVERSION",
    "CREDENTIAL",
    "DATABASE",
    "DEFAULT",
    "DICTIONARY",
    "DIRECTORY",
    "DOMAIN",
    "EVENT",
    "EXTENSION",
    "FILE",
    "FOREIGN",
    "FUNCTION",
    "GROUP",
    "INDEX",
    "KEY",
    "LANGUAGE",
    "LARGE",
    "LOGIN",
    "MACRO",
    "MASTER",
    "MATERIALIZED",
    "OPERATOR",
    "OWNED",
    "PACKAGE",
    "PARTITION",
    "PIPE",
    "POLICY",
    "PROCEDURE",
    "PROFILE",
    "PUBLICATION",
    "ROLE",
    "ROUTINE",
    "RULE",
    "SCHEMA",
    "SECRET",
    "SEQUENCE",
    "SERVER",
    "STAGE",
    "STATISTICS",
    "STREAM",
    "SUBSCRIPTION",
    "SYNONYM",
    "SYSTEM",
    "TABLE",
    "TABLESPACE",
    "TASK",
    "TEXT",
    "TRANSFORM",
    "TRIGGER",
    "TYPE",
    "USER",
    "VIEW",
    "WAREHOUSE",
    "XML",
];

/// Whether a statement's keywords (upper-cased, leading, unquoted) start a statement of
/// `dialect` and its brackets balance: then a rejection is the parser's gap.
pub(crate) fn recognised(
    dialect: SqlDialect,
    keywords: &[String],
    tokens: &[TokenWithSpan],
) -> bool {
    let Some(verb) = keywords.first().map(String::as_str) else {
        return false;
    };
    let verbs: &[&[&str]] = match dialect {
        d if d.postgres_syntax() => &[COMMON, POSTGRES],
        SqlDialect::MySql | SqlDialect::MariaDb => &[COMMON, MYSQL],
        SqlDialect::MsSql => &[COMMON, MSSQL],
        SqlDialect::Sqlite => &[COMMON, SQLITE],
        _ => &[COMMON, POSTGRES, MYSQL, MSSQL, SQLITE, OTHERS],
    };
    if !verbs.iter().any(|list| list.contains(&verb)) {
        return false;
    }
    if matches!(verb, "CREATE" | "ALTER" | "DROP") {
        // The object kind, past modifiers; `CREATE DEFINER = ...` runs out of words.
        match keywords[1..]
            .iter()
            .find(|w| !MODIFIERS.contains(&w.as_str()))
        {
            Some(object) if !OBJECTS.contains(&object.as_str()) => return false,
            None if keywords.len() == 1 => return false,
            _ => {}
        }
    }
    balanced(tokens)
}

fn balanced(tokens: &[TokenWithSpan]) -> bool {
    let mut depth: Vec<u8> = Vec::new();
    for token in tokens {
        let (open, close) = match token.token {
            Token::LParen => (Some(b'('), None),
            Token::LBracket => (Some(b'['), None),
            Token::LBrace => (Some(b'{'), None),
            Token::RParen => (None, Some(b'(')),
            Token::RBracket => (None, Some(b'[')),
            Token::RBrace => (None, Some(b'{')),
            _ => (None, None),
        };
        if let Some(open) = open {
            depth.push(open);
        }
        if let Some(close) = close
            && depth.pop() != Some(close)
        {
            return false;
        }
    }
    depth.is_empty()
}
