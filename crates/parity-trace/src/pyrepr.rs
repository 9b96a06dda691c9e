//! Printing a float the way Python's `repr` does, so the log diffs byte for byte
//! against PyTorch's: the shortest digits that read back to the same `f64`,
//! positional when the decimal exponent is in `-4..16`, else `1e-05`, `1e+16`.
//! Rust's `{:e}` finds the same digits, but rounds a tie (two shortest strings
//! equally close) up where Python rounds half to even, so only the *number* of
//! digits is taken from it, then that many correctly rounded ones (`{:.*e}`, half
//! to even), unless those no longer read back (beside a power of two).

/// `repr(x)` of a Python float.
pub fn py_float(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf" } else { "-inf" }.into();
    }
    // `{:e}` gives the shortest round-trip digits: "1.2345e-7", "5e-324", "0e0".
    let shortest = format!("{:e}", x.abs());
    let count = shortest.split('e').next().map_or(1, |m| m.chars().filter(char::is_ascii_digit).count());
    let even = format!("{:.*e}", count.saturating_sub(1), x.abs());
    let sci = if even.parse() == Ok(x.abs()) { even } else { shortest };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let sign = if x.is_sign_negative() { "-" } else { "" };
    // Python's rule: the decimal point falls after `point` digits.
    let point = exp + 1;
    let body = if x == 0.0 {
        "0.0".to_string()
    } else if !(-4 < point && point <= 16) {
        let (first, rest) = digits.split_at(1);
        let frac = if rest.is_empty() { String::new() } else { format!(".{rest}") };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{first}{frac}e{esign}{:02}", exp.abs())
    } else if point <= 0 {
        format!("0.{}{digits}", "0".repeat(point.unsigned_abs() as usize))
    } else {
        let point = point as usize;
        if digits.len() <= point {
            format!("{digits}{}.0", "0".repeat(point - digits.len()))
        } else {
            format!("{}.{}", &digits[..point], &digits[point..])
        }
    };
    format!("{sign}{body}")
}
