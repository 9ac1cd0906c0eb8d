//! Placeholder until this area's tests land.
