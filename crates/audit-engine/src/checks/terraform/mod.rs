pub mod tf004_database_publicly_accessible;
pub mod tf005_open_ingress;
pub mod tf006_iam_wildcard;
pub mod tf007_public_bucket;
pub mod tf008_backups_insufficient;
pub mod tf011_hardcoded_credential;
pub mod tf014_api_gateway_open;
pub mod tf015_state_backend_insecure;
