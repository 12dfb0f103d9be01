//! [`Percentage`]: how much of the population a rollout admits.

use core::fmt;

/// A rollout percentage, held in basis points (hundredths of a percent).
///
/// The unit is in the constructor's name, so a whole percent can never be
/// taken for basis points: `Percentage::from_percent(5)` is
/// `Percentage::from_basis_points(500)`. A unit is inside the rollout when
/// its [`Bucket`](crate::Bucket) is below the percentage.
///
/// # Examples
///
/// ```
/// use gradual::Percentage;
///
/// let five = Percentage::from_percent(5)?;
/// assert_eq!(five.as_basis_points(), 500);
/// assert_eq!(Percentage::from_basis_points(1250)?.to_string(), "12.5%");
/// assert!(Percentage::from_percent(101).is_err());
/// # Ok::<(), gradual::PercentageError>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Percentage(u16);

/// A percentage outside `0..=100`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("percentage {value}{unit} is out of range (0..={max}{unit})")]
pub struct PercentageError {
    value: u32,
    max: u32,
    unit: &'static str,
}

impl Percentage {
    /// No unit is admitted.
    pub const ZERO: Percentage = Percentage(0);
    /// Every unit is admitted.
    pub const FULL: Percentage = Percentage(10_000);

    /// A whole percent, `0..=100`.
    pub const fn from_percent(percent: u8) -> Result<Self, PercentageError> {
        if percent > 100 {
            return Err(PercentageError {
                value: percent as u32,
                max: 100,
                unit: "%",
            });
        }
        Ok(Percentage(percent as u16 * 100))
    }

    /// Basis points, `0..=10000` (10000 is 100%).
    pub const fn from_basis_points(basis_points: u16) -> Result<Self, PercentageError> {
        if basis_points > 10_000 {
            return Err(PercentageError {
                value: basis_points as u32,
                max: 10_000,
                unit: " basis points",
            });
        }
        Ok(Percentage(basis_points))
    }

    /// The percentage in basis points, `0..=10000`.
    #[inline]
    pub const fn as_basis_points(self) -> u16 {
        self.0
    }

    /// The percentage as a number of percent, e.g. `12.5`.
    pub fn as_percent_f64(self) -> f64 {
        f64::from(self.0) / 100.0
    }

    /// A percentage written as a decimal number of percent with at most two
    /// decimals, as the config format does (for an operator's endpoint that
    /// takes `12.5`). `None` when out of range, not a number, or finer than
    /// 0.01% (by more than 1e-12 of a percent, the representation error of
    /// such literals: `1e-13` reads as 0%).
    ///
    /// ```
    /// use gradual::Percentage;
    ///
    /// assert_eq!(Percentage::from_percent_f64(12.5).map(|p| p.as_basis_points()), Some(1250));
    /// assert_eq!(Percentage::from_percent_f64(12.345), None);
    /// assert_eq!(Percentage::from_percent_f64(f64::NAN), None);
    /// ```
    pub fn from_percent_f64(value: f64) -> Option<Self> {
        if !(0.0..=100.0).contains(&value) {
            return None;
        }
        let scaled = value * 100.0;
        let rounded = scaled.round();
        // Decimal literals such as 12.34 are not exact in binary; accept a
        // representation error far below a basis point, and nothing coarser.
        if (scaled - rounded).abs() > 1e-10 {
            return None;
        }
        Some(Percentage(rounded as u16))
    }
}

impl fmt::Display for Percentage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (whole, frac) = (self.0 / 100, self.0 % 100);
        match frac {
            0 => write!(f, "{whole}%"),
            _ if frac % 10 == 0 => write!(f, "{whole}.{}%", frac / 10),
            _ => write!(f, "{whole}.{frac:02}%"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn displays_without_trailing_zeros() {
        let show = |bp| Percentage::from_basis_points(bp).unwrap().to_string();
        assert_eq!(show(0), "0%");
        assert_eq!(show(5), "0.05%");
        assert_eq!(show(50), "0.5%");
        assert_eq!(show(1234), "12.34%");
        assert_eq!(show(10_000), "100%");
    }

    #[test]
    fn decimal_percent_parsing() {
        let bp = |v| Percentage::from_percent_f64(v).map(Percentage::as_basis_points);
        assert_eq!(bp(12.34), Some(1234));
        assert_eq!(bp(0.01), Some(1));
        assert_eq!(bp(100.0), Some(10_000));
        assert_eq!(bp(33.3), Some(3330));
        assert_eq!(bp(12.345), None);
        assert_eq!(bp(-0.01), None);
        assert_eq!(bp(100.01), None);
        assert_eq!(bp(f64::NAN), None);
        assert_eq!(bp(f64::INFINITY), None);
    }

    #[test]
    fn out_of_range_messages() {
        assert_eq!(
            Percentage::from_percent(140).unwrap_err().to_string(),
            "percentage 140% is out of range (0..=100%)"
        );
        assert_eq!(
            Percentage::from_basis_points(10_001)
                .unwrap_err()
                .to_string(),
            "percentage 10001 basis points is out of range (0..=10000 basis points)"
        );
    }
}
