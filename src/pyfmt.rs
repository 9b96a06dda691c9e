//! Python's float repr ([`py_float`], from the parity-trace crate, which any port
//! needs to print its log as PyTorch does) and a hint figure for error messages.

pub use parity_trace::py_float;

/// A tenth of `x`, as a hint a person reads: the decimal digits of `x` with the
/// exponent lowered by one (`4.0` gives `0.4`, `1e30` gives `1e+29`), where `x / 10.0`
/// in binary would print `1.0000000000000001e+29`.
pub fn readable_tenth(x: f64) -> String {
    let shortest = format!("{x:e}");
    let (mantissa, exp) = shortest.split_once('e').unwrap_or((&shortest, "0"));
    let tenth = exp.parse::<i32>().ok().and_then(|e| format!("{mantissa}e{}", e - 1).parse().ok());
    py_float(tenth.unwrap_or(x / 10.0))
}
