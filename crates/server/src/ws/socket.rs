//! The thin socket layer: one reader loop (client frames, timers, key changes, shutdown)
//! and one writer task that drains the connection's queue in batches.

use std::time::Duration;

use axum::body::Bytes;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures_util::stream::SplitSink;
use futures_util::{SinkExt, StreamExt};
use tokio::sync::{broadcast, mpsc};

use super::session::{End, Session};
use crate::openalgo::ws::{self as protocol, close, code};
use crate::state::AppState;
use algogate_app::keyservice::AuthedUser;
use algogate_keys::SecretString;

/// Messages written per flush at most (one syscall per batch, not per message).
const BATCH: usize = 256;

#[derive(Debug)]
enum Ctl {
    Ping,
    /// Close with this code; `drain` first sends what is already queued (an error that
    /// explains the close), otherwise the queue is discarded (a client too slow for it).
    Close {
        code: u16,
        reason: &'static str,
        drain: bool,
    },
}

/// Runs one socket; `authed` is the user and key the handshake's headers authenticated.
pub async fn run(
    socket: WebSocket,
    state: AppState,
    authed: Option<(AuthedUser, SecretString)>,
    ip: Option<std::net::IpAddr>,
) {
    let hub = state.ws().clone();
    let (out, rx, _live) = hub.open();
    let (sink, mut stream) = socket.split();
    let (ctl_tx, ctl_rx) = mpsc::channel::<Ctl>(4);
    let writer = tokio::spawn(write_loop(sink, rx, ctl_rx));

    let cfg = state.config();
    let mut session = Session::new(
        state.keys().clone(),
        state.clock().clone(),
        cfg.ws_max_subscriptions,
        hub.clone(),
        out.clone(),
        ip,
    );
    if let Some((user, key)) = authed {
        session.authenticated_at_handshake(user, key);
    }
    let auth_deadline = tokio::time::sleep(cfg.ws_auth_timeout);
    tokio::pin!(auth_deadline);
    let ping_every = cfg.ws_ping_interval.max(Duration::from_millis(10));
    let mut ping = tokio::time::interval_at(tokio::time::Instant::now() + ping_every, ping_every);
    // A slow handler (an Argon2 verification) must not make missed ticks fire back to back:
    // the client gets a full interval to answer each ping.
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut awaiting_pong = false;
    let mut key_changes = state.keys().changes();
    let mut key_changes_open = true;
    let mut shutdown = hub.shutdown_watch();

    let closing: Option<(u16, &'static str, bool)> = loop {
        if *shutdown.borrow_and_update() {
            break Some((close::GOING_AWAY, "server shutting down", false));
        }
        // A named key's expiry (or grace deadline), a little after it so the check sees it past.
        let key_valid_for = session.key_valid_for();
        let key_deadline =
            tokio::time::sleep(key_valid_for.unwrap_or_default() + Duration::from_millis(5));
        tokio::select! {
            () = key_deadline, if key_valid_for.is_some() => {
                if let Err(End::KeyRevoked) = session.recheck(None).await {
                    break Some((close::AUTH, "api key revoked", true));
                }
            }
            frame = stream.next() => match frame {
                Some(Ok(Message::Text(t))) => session.handle(t.as_str()).await,
                Some(Ok(Message::Binary(b))) => match std::str::from_utf8(&b) {
                    Ok(t) => session.handle(t).await,
                    Err(_) => {
                        out.push(Utf8Bytes::from(protocol::error(code::INVALID_JSON, "Invalid JSON message")));
                    }
                },
                Some(Ok(Message::Pong(_))) => awaiting_pong = false,
                Some(Ok(Message::Ping(_))) => {}
                Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break None,
            },
            () = &mut auth_deadline, if !session.is_authenticated() => {
                break Some((close::AUTH, "auth timeout", true));
            }
            _ = ping.tick() => {
                if awaiting_pong {
                    break Some((close::KEEPALIVE_TIMEOUT, "keepalive ping timeout", false));
                }
                awaiting_pong = ctl_tx.try_send(Ctl::Ping).is_ok();
            }
            () = out.kicked() => {
                break Some((close::SLOW_CONSUMER, "send queue full: client too slow", false));
            }
            change = key_changes.recv(), if key_changes_open && session.is_authenticated() => {
                let change = match change {
                    Ok(c) => Some(c),
                    // Missed some: re-check against everything.
                    Err(broadcast::error::RecvError::Lagged(_)) => None,
                    Err(broadcast::error::RecvError::Closed) => {
                        key_changes_open = false;
                        continue;
                    }
                };
                if let Err(End::KeyRevoked) = session.recheck(change).await {
                    break Some((close::AUTH, "api key revoked", true));
                }
            }
            _ = shutdown.changed() => {}
        }
    };
    session.close();
    drop(session);
    drop(out);
    if let Some((code, reason, drain)) = closing {
        let _ = ctl_tx
            .send(Ctl::Close {
                code,
                reason,
                drain,
            })
            .await;
    }
    drop(ctl_tx);
    let abort = writer.abort_handle();
    if tokio::time::timeout(Duration::from_secs(3), writer)
        .await
        .is_err()
    {
        abort.abort();
    }
}

async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Utf8Bytes>,
    mut ctl: mpsc::Receiver<Ctl>,
) {
    loop {
        tokio::select! {
            biased;
            c = ctl.recv() => match c {
                Some(Ctl::Ping) => {
                    if sink.send(Message::Ping(Bytes::new())).await.is_err() {
                        return;
                    }
                }
                Some(Ctl::Close { code, reason, drain }) => {
                    if drain {
                        while let Ok(m) = rx.try_recv() {
                            if sink.feed(Message::Text(m)).await.is_err() {
                                return;
                            }
                        }
                    }
                    let frame = CloseFrame { code, reason: Utf8Bytes::from_static(reason) };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    let _ = sink.close().await;
                    return;
                }
                None => {
                    let _ = sink.close().await;
                    return;
                }
            },
            m = rx.recv() => {
                let Some(m) = m else {
                    // Every producer is gone; wait for the close instruction (or none).
                    match ctl.recv().await {
                        Some(Ctl::Close { code, reason, .. }) => {
                            let frame = CloseFrame { code, reason: Utf8Bytes::from_static(reason) };
                            let _ = sink.send(Message::Close(Some(frame))).await;
                        }
                        Some(Ctl::Ping) | None => {}
                    }
                    let _ = sink.close().await;
                    return;
                };
                if sink.feed(Message::Text(m)).await.is_err() {
                    return;
                }
                let mut n = 1;
                while n < BATCH {
                    match rx.try_recv() {
                        Ok(m) => {
                            if sink.feed(Message::Text(m)).await.is_err() {
                                return;
                            }
                            n += 1;
                        }
                        Err(_) => break,
                    }
                }
                if sink.flush().await.is_err() {
                    return;
                }
            }
        }
    }
}
