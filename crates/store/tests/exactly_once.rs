//! What must happen once happens once under concurrent callers, on both backends (on
//! PostgreSQL with a pool of connections truly in parallel): an Action Center claim, the
//! last orders of a named key's daily allowance, a chart-preferences quota.

mod common;

use algogate_store::{NewKey, PrefQuota, Stamp, Store, StoredPolicy};
use common::{on_both, with_user};

const T: Stamp<'static> = Stamp {
    utc: "2026-01-01T00:00:00Z",
    ist: "2026-01-01 05:30:00 IST",
};

async fn all<T: Send + 'static>(
    tasks: impl IntoIterator<Item = impl Future<Output = T> + Send + 'static>,
) -> Vec<T> {
    let handles: Vec<_> = tasks.into_iter().map(tokio::spawn).collect();
    let mut out = Vec::new();
    for h in handles {
        out.push(h.await.unwrap());
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_approvals_claim_a_row_once() {
    on_both("claims", async |s: Store| {
        let u = with_user(&s, "u").await;
        for _ in 0..5 {
            let id = s
                .insert_pending(u, "placeorder", r#"{"action":"BUY"}"#, T, None)
                .await
                .unwrap();
            let wins = all((0..20).map(|i| {
                let s = s.clone();
                async move { s.claim_pending(u, id, &format!("a{i}"), T).await.unwrap() }
            }))
            .await;
            assert_eq!(wins.iter().filter(|w| **w).count(), 1, "{wins:?}");
        }
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_orders_never_pass_a_keys_daily_limit() {
    on_both("limit", async |s: Store| {
        let u = with_user(&s, "u").await;
        let key = NewKey {
            hash: "$argon2id$h".into(),
            encrypted: "gAAAAA".into(),
            fingerprint: "f".repeat(64),
        };
        let policy = StoredPolicy {
            scopes: "place".into(),
            max_orders_per_day: Some(7),
            ..StoredPolicy::default()
        };
        let id = s.insert_named_key(u, "bot", &key, &policy).await.unwrap();
        let taken = all((0..30).map(|_| {
            let s = s.clone();
            async move { s.take_key_orders(id, "2026-01-01", 1, 7).await.unwrap() }
        }))
        .await;
        assert_eq!(taken.iter().filter(|t| **t).count(), 7);
        assert_eq!(s.key_orders(id, "2026-01-01").await.unwrap(), 7);
        s.return_key_orders(id, "2026-01-01", 10).await.unwrap();
        assert_eq!(s.key_orders(id, "2026-01-01").await.unwrap(), 0);
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_preference_writes_cannot_pass_the_quota_together() {
    on_both("quota", async |s: Store| {
        let u = with_user(&s, "u").await;
        let quota = PrefQuota {
            max_keys: 3,
            max_chars: 1000,
        };
        // Each writer adds two new keys: any two together would hold four.
        let verdicts = all((0..8).map(|i| {
            let s = s.clone();
            async move {
                let prefs = vec![
                    (format!("w{i}a"), Some("1".to_string())),
                    (format!("w{i}b"), None),
                ];
                s.set_chart_prefs(u, &prefs, quota, 1).await.unwrap()
            }
        }))
        .await;
        assert_eq!(
            verdicts.iter().filter(|v| v.is_none()).count(),
            1,
            "{verdicts:?}"
        );
        assert_eq!(s.chart_prefs(u).await.unwrap().len(), 2);
    })
    .await;
}
