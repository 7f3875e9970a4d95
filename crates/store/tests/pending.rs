//! The Action Center's queue on both backends: one claim per row, progress that survives a
//! restart, identical text on both (the JSON of the placed orders), statistics.

mod common;

use algogate_store::{PendingStats, Stamp, Store, UserId};
use common::{on_both, with_user};

const T: Stamp<'static> = Stamp {
    utc: "2026-01-01T00:00:00Z",
    ist: "2026-01-01 05:30:00 IST",
};

#[tokio::test]
async fn claim_wins_once_and_only_for_the_owner() {
    on_both("claim", async |s: Store| {
        let u = with_user(&s, "u").await;
        let id = s
            .insert_pending(u, "placeorder", r#"{"action":"BUY"}"#, T, None)
            .await
            .unwrap();
        assert!(!s.claim_pending(UserId(u.0 + 1), id, "x", T).await.unwrap());
        assert!(s.claim_pending(u, id, "u", T).await.unwrap());
        assert!(!s.claim_pending(u, id, "u", T).await.unwrap());
        assert!(!s.reject_pending(u, id, "u", "r", T).await.unwrap());
        // Executing rows cannot be deleted.
        assert!(!s.delete_pending(u, id).await.unwrap());
        s.record_pending_leg(id, "A1").await.unwrap();
        s.record_pending_leg(id, "B\"2").await.unwrap();
        let row = s.pending_row(u, id).await.unwrap().unwrap();
        assert_eq!(row.order_ids, r#"["A1","B\"2"]"#);
        let ids = s.fail_interrupted_pending("restart", T.ist).await.unwrap();
        assert_eq!(ids, vec![id]);
        let row = s.pending_row(u, id).await.unwrap().unwrap();
        assert_eq!(row.execution_state.as_deref(), Some("failed"));
        assert_eq!(row.broker_order_id.as_deref(), Some("A1,B\"2"));
        assert_eq!(row.broker_status.as_deref(), Some("partial"));
        assert_eq!(row.execution_error.as_deref(), Some("restart"));
        // Not executing any more: no more legs, no second finish.
        s.record_pending_leg(id, "C3").await.unwrap();
        assert_eq!(
            s.pending_row(u, id).await.unwrap().unwrap().order_ids,
            r#"["A1","B\"2"]"#
        );
        assert!(s.delete_pending(u, id).await.unwrap());
        let st = s.pending_stats(u).await.unwrap();
        assert_eq!(st, PendingStats::default());
    })
    .await;
}

#[tokio::test]
async fn an_interrupted_row_without_legs_is_rejected_and_statistics_count_each_kind() {
    on_both("stats", async |s: Store| {
        let u = with_user(&s, "u").await;
        let other = with_user(&s, "other").await;
        let a = s
            .insert_pending(u, "placeorder", r#"{"action":"buy"}"#, T, Some("bot"))
            .await
            .unwrap();
        let b = s
            .insert_pending(u, "smartorder", r#"{"action":"SELL"}"#, T, None)
            .await
            .unwrap();
        let c = s
            .insert_pending(u, "basketorder", r#"{"orders":[]}"#, T, None)
            .await
            .unwrap();
        s.insert_pending(other, "placeorder", r#"{"action":"BUY"}"#, T, None)
            .await
            .unwrap();
        assert!(a < b && b < c);
        assert!(s.claim_pending(u, a, "u", T).await.unwrap());
        assert!(s.reject_pending(u, b, "u", "no", T).await.unwrap());
        assert_eq!(
            s.fail_interrupted_pending("restart", T.ist).await.unwrap(),
            vec![a]
        );
        let row = s.pending_row(u, a).await.unwrap().unwrap();
        assert_eq!(row.broker_order_id, None);
        assert_eq!(row.broker_status.as_deref(), Some("rejected"));
        assert_eq!(row.key_name.as_deref(), Some("bot"));
        assert_eq!(
            s.pending_stats(u).await.unwrap(),
            PendingStats {
                total_pending: 1,
                total_approved: 1,
                total_rejected: 1,
                total_buy_orders: 1,
                total_sell_orders: 1,
                total_placeorder: 1,
                total_smartorder: 1,
                total_basketorder: 1,
                ..PendingStats::default()
            }
        );
        assert_eq!(s.count_pending(u).await.unwrap(), 1);
        assert_eq!(s.pending_ids(u).await.unwrap(), vec![c]);
        let all = s.pending_rows(u, None).await.unwrap();
        assert_eq!(all.iter().map(|r| r.id).collect::<Vec<_>>(), vec![c, b, a]);
        let rejected = s.pending_rows(u, Some("rejected")).await.unwrap();
        assert_eq!(rejected.len(), 1);
        assert_eq!(rejected[0].rejected_reason.as_deref(), Some("no"));
    })
    .await;
}
