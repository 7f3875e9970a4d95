//! Stable exchange tokens for contracts that have none of their own.

use crate::domain::Exchange;

/// A stable token: the same contract gets the same token whatever day the master is built.
pub(super) fn token_for(exchange: Exchange, symbol: &str) -> String {
    let h = fnv1a(
        exchange
            .as_str()
            .bytes()
            .chain([b':'])
            .chain(symbol.bytes()),
    );
    (1_000_000 + h % 90_000_000).to_string()
}

pub(super) fn fnv1a(bytes: impl Iterator<Item = u8>) -> u64 {
    bytes.fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}
