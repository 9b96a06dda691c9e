//! The tutorial's steps, in its order. Step 1 (imports) is `Cargo.toml`.
//!
//! | Step | What                                  | Module      |
//! |------|---------------------------------------|-------------|
//! | 2    | hyper-parameters and data             | [`data`]    |
//! | 3, 4 | weights and the forward pass          | [`model`]   |
//! | 5    | training and prediction               | [`train`]   |
//! | 6    | the plot                              | [`plot`]    |

pub mod data;
pub mod model;
pub mod plot;
pub mod train;
pub mod watch;
