pub mod model;
pub mod sla;
