//! The tutorial's steps, in its order: (1, imports, is `Cargo.toml`) 2 [`data`],
//! 3 and 4 [`model`], 5 [`train`] (with the [`watch`] the binary hooks in), 6 [`plot`].

pub mod data;
pub mod model;
pub mod plot;
pub mod train;
pub mod watch;
