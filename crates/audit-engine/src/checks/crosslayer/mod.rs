pub mod x003_route_not_in_spec;
