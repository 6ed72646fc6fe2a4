pub mod cli;
pub mod config;
pub mod demo;
pub mod formats;
pub mod model;
pub mod notify;
pub mod sla;
pub mod store;
