pub mod db002_index_blocks_writes;
pub mod db004_destructive_migration;
