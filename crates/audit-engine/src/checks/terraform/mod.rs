pub mod tf004_database_publicly_accessible;
pub mod tf005_open_ingress;
pub mod tf006_iam_wildcard;
pub mod tf008_backups_insufficient;
pub mod tf011_hardcoded_credential;
