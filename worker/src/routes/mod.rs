//! One module per resource.

pub mod accept;
pub mod admin;
pub mod customers;
pub mod delta;
pub mod health;
pub mod usage;
pub mod views;
pub mod writes;
