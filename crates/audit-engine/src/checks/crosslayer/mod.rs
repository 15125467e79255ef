pub mod x001_query_column_not_indexed;
pub mod x002_db_connection_without_tls;
pub mod x003_route_not_in_spec;
