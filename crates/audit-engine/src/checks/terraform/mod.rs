pub mod tf005_open_ingress;
