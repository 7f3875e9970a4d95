//! What a named API key may do. The primary key (OpenAlgo's) has every scope.

use std::fmt;
use std::str::FromStr;

/// One permission of a key, as the CLI and the web UI spell it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Market data, symbols, instruments, WebSocket market data.
    Data,
    /// Funds and books, order status, open position, margin, WebSocket order updates.
    Account,
    /// New orders: place, smart, basket, split.
    Place,
    /// Modify order.
    Modify,
    /// Cancel order, cancel all.
    Cancel,
    /// Close position.
    Close,
}

impl Scope {
    pub const ALL: [Scope; 6] = [
        Self::Data,
        Self::Account,
        Self::Place,
        Self::Modify,
        Self::Cancel,
        Self::Close,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Data => "data",
            Self::Account => "account",
            Self::Place => "place",
            Self::Modify => "modify",
            Self::Cancel => "cancel",
            Self::Close => "close",
        }
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScopeError {
    #[error("unknown scope {0:?}: expected data, account, place, modify, cancel or close")]
    Unknown(String),
    #[error("at least one scope is required")]
    Empty,
}

impl FromStr for Scope {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, ScopeError> {
        Self::ALL
            .into_iter()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| ScopeError::Unknown(s.chars().take(32).collect()))
    }
}

/// A set of scopes (a bit set: checking one is a mask test on the hot path).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Scopes(u8);

impl Scopes {
    pub const ALL: Scopes = Scopes(0b11_1111);

    pub fn contains(self, s: Scope) -> bool {
        self.0 & s.bit() != 0
    }

    pub fn iter(self) -> impl Iterator<Item = Scope> {
        Scope::ALL.into_iter().filter(move |s| self.contains(*s))
    }

    /// `data,account,...`: the stored and displayed form.
    pub fn to_list(self) -> String {
        self.iter().map(Scope::as_str).collect::<Vec<_>>().join(",")
    }
}

impl FromIterator<Scope> for Scopes {
    fn from_iter<I: IntoIterator<Item = Scope>>(iter: I) -> Self {
        Scopes(iter.into_iter().fold(0, |m, s| m | s.bit()))
    }
}

impl fmt::Debug for Scopes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Scopes({})", self.to_list())
    }
}

/// A comma-separated list (spaces around items allowed, duplicates ignored; not empty).
impl FromStr for Scopes {
    type Err = ScopeError;
    fn from_str(s: &str) -> Result<Self, ScopeError> {
        let set = s
            .split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(Scope::from_str)
            .collect::<Result<Scopes, _>>()?;
        if set.0 == 0 {
            return Err(ScopeError::Empty);
        }
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_lists() {
        let s: Scopes = "account, data,data".parse().unwrap();
        assert_eq!(s.to_list(), "data,account");
        assert!(s.contains(Scope::Data) && !s.contains(Scope::Place));
        assert_eq!(
            Scopes::ALL.to_list(),
            "data,account,place,modify,cancel,close"
        );
        assert_eq!(
            Scopes::ALL.to_list().parse::<Scopes>().unwrap(),
            Scopes::ALL
        );
        assert_eq!("".parse::<Scopes>(), Err(ScopeError::Empty));
        assert!(matches!(
            "data,trade".parse::<Scopes>(),
            Err(ScopeError::Unknown(s)) if s == "trade"
        ));
    }
}
