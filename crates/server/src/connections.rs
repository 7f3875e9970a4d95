//! Serving a listener: HTTP/1.1 through hyper (with upgrades, for the WebSocket feed), the
//! peer address for `ConnectInfo`, graceful shutdown, and the limits that stop slow or idle
//! clients from holding the server: a header timeout, a whole-body timeout, an idle
//! keep-alive timeout, a cap on open connections that closes the longest-idle one to make
//! room for a newcomer, and a back-off when `accept` fails (out of file descriptors).
//!
//! Each connection is in one phase at a time:
//!
//! ```text
//! accept ─▶ Head ──complete head──▶ Busy ──response done──▶ Idle ──first byte──▶ Head
//!            │ header timeout         │ body timeout: 408     │ idle timeout
//!            ▼                        │ 101 ─▶ Upgraded       ▼
//!          closed                     ▼  (the socket's own timeouts) closed
//! ```
//!
//! With TLS the handshake happens in `Head`, so the header timeout bounds it too: a client
//! that opens a connection and says nothing, or trickles its ClientHello, is closed like
//! one that trickles its request head. A first byte that is not a TLS handshake record is
//! plain HTTP: it gets a short 400 saying the port speaks HTTPS, then the connection closes.
//!
//! hyper's own `header_read_timeout` is not used: it runs whenever hyper waits for a head,
//! so it would also close keep-alive connections between requests after the (short)
//! header timeout. Here a connection between requests has the idle timeout until the first
//! byte of its next request, then the header timeout, as nginx does.

use std::collections::HashMap;
use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Request, Response, StatusCode, header};
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio::time::{Instant, Sleep};
use tokio_rustls::TlsAcceptor;
use tower::ServiceExt;

use crate::config::Config;

/// The ALPN protocol of the ACME TLS-ALPN-01 challenge (RFC 8737): such a connection is
/// only the validation handshake and carries no HTTP.
pub const ACME_TLS_ALPN: &[u8] = b"acme-tls/1";

/// A request-head's worth of plain HTTP read (and dropped) before the 400 that tells the
/// client this port speaks HTTPS, so the close does not reset the answer away.
const PLAIN_HTTP_READ: usize = 16 * 1024;

/// Request extension: the request came over TLS (HTTPS or WSS).
#[derive(Debug, Clone, Copy)]
pub struct OverTls;

/// TLS for a listener: the acceptor, and the `Strict-Transport-Security` value put on
/// every response (none when `hsts_max_age_secs` is 0).
#[derive(Clone)]
pub struct TlsTransport {
    pub acceptor: TlsAcceptor,
    pub hsts: Option<HeaderValue>,
}

impl std::fmt::Debug for TlsTransport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsTransport")
            .field("hsts", &self.hsts)
            .finish_non_exhaustive()
    }
}

/// Descriptors kept for everything that is not a client connection: the database pool
/// (each SQLite connection holds the database, its WAL and shared memory), the listeners,
/// the runtime's own, logs, and files read on request.
const RESERVED_FDS: u64 = 128;

/// How long a listener at the cap waits for a shed connection to be dropped.
const ADMIT_WAIT: Duration = Duration::from_secs(1);

/// The per-connection limits.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// A request head must be complete this long after the connection opened, or after
    /// the first byte of a later request.
    pub header_timeout: Duration,
    /// A request's whole body must arrive this long after its head.
    pub body_timeout: Duration,
    /// A connection with no request in flight and nothing received is closed after this.
    pub idle_timeout: Duration,
    /// Open connections of all listeners together, upgraded WebSockets included.
    pub max_connections: usize,
}

impl Limits {
    /// The configured limits, the cap lowered to fit the soft open-file limit `nofile`.
    pub fn new(config: &Config, nofile: Option<u64>) -> Self {
        Self {
            header_timeout: config.http_header_timeout,
            body_timeout: config.http_body_timeout,
            idle_timeout: config.http_idle_timeout,
            max_connections: connection_cap(config.max_connections, nofile),
        }
    }
}

/// The configured cap, or fewer when the open-file limit could not hold that many client
/// sockets plus what the rest of the process needs (then `accept` would fail instead).
pub fn connection_cap(configured: usize, nofile: Option<u64>) -> usize {
    let Some(limit) = nofile else {
        return configured.max(1);
    };
    let room = limit - RESERVED_FDS.min(limit / 2);
    configured
        .min(usize::try_from(room).unwrap_or(usize::MAX))
        .max(1)
}

/// The process's soft open-file limit, when the platform has one.
pub fn nofile_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        rlimit::getrlimit(rlimit::Resource::NOFILE)
            .ok()
            .map(|(soft, _)| soft)
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Raises the soft open-file limit to the hard limit (the default soft limit, often 1024,
/// is far below what a server with thousands of clients needs) and returns it.
pub fn raise_nofile_limit() -> Option<u64> {
    #[cfg(unix)]
    {
        match rlimit::increase_nofile_limit(u64::MAX) {
            Ok(n) => {
                tracing::debug!(limit = n, "open-file limit");
                Some(n)
            }
            Err(e) => {
                tracing::warn!(error = %e, "cannot raise the open-file limit");
                nofile_limit()
            }
        }
    }
    #[cfg(not(unix))]
    {
        None
    }
}

/// Every open connection of the listeners sharing it (the descriptor limit is per
/// process, so the cap is too).
#[derive(Debug)]
pub struct Connections {
    limits: Limits,
    open: Mutex<HashMap<u64, Arc<Slot>>>,
    next_id: AtomicU64,
    cap_log: LogGate,
    /// Signalled whenever a connection's socket is dropped.
    freed: Notify,
}

impl Connections {
    pub fn new(limits: Limits) -> Arc<Self> {
        Arc::new(Self {
            limits,
            open: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
            cap_log: LogGate::default(),
            freed: Notify::new(),
        })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Connections currently open (including those being closed).
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, Arc<Slot>>> {
        // The map stays consistent even if a holder panicked: each operation is one insert
        // or remove.
        self.open.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a new connection. At the cap the longest-idle connection is closed to
    /// make room (the newcomer is probably a real client; an idle one can reconnect), and
    /// the listener waits until its socket is gone, so descriptors stay within the cap even
    /// when connections arrive faster than closed ones are dropped. When every connection
    /// is busy or upgraded the newcomer is refused (`None`).
    async fn admit(self: &Arc<Self>) -> Option<SlotGuard> {
        let deadline = Instant::now() + ADMIT_WAIT;
        loop {
            let freed = self.freed.notified();
            let mut freed = pin!(freed);
            // Registered before the check, so a removal right after it is not missed.
            freed.as_mut().enable();
            {
                let open = self.lock();
                if open.len() < self.limits.max_connections {
                    return Some(self.insert(open));
                }
                let closing = open.values().any(|s| s.state().phase == Phase::Closing);
                if !closing {
                    if !shed_longest_idle(&open) {
                        drop(open);
                        if let Some(suppressed) = self.cap_log.allow() {
                            tracing::warn!(
                                max_connections = self.limits.max_connections,
                                suppressed,
                                "connection limit reached and every connection is busy; \
                                 refusing new connections"
                            );
                        }
                        return None;
                    }
                    drop(open);
                    if let Some(suppressed) = self.cap_log.allow() {
                        tracing::warn!(
                            max_connections = self.limits.max_connections,
                            suppressed,
                            "connection limit reached; closing the longest-idle connections \
                             for new ones"
                        );
                    }
                }
            }
            if tokio::time::timeout_at(deadline, freed).await.is_err() {
                // A shed connection's task has not let go in time: go over the cap rather
                // than stall the listener.
                return Some(self.insert(self.lock()));
            }
        }
    }

    fn insert(self: &Arc<Self>, mut open: MutexGuard<'_, HashMap<u64, Arc<Slot>>>) -> SlotGuard {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let slot = Arc::new(Slot::new(id));
        open.insert(id, slot.clone());
        SlotGuard {
            conns: self.clone(),
            slot,
        }
    }

    /// Out of descriptors despite the cap (other files, another listener): free one.
    fn shed_one(&self) -> bool {
        shed_longest_idle(&self.lock())
    }
}

/// Marks the connection that has waited longest without a request in flight (between
/// requests, or without a complete head) as closing and wakes its task.
fn shed_longest_idle(open: &HashMap<u64, Arc<Slot>>) -> bool {
    let oldest = open
        .values()
        .filter_map(|s| {
            let st = s.state();
            matches!(st.phase, Phase::Head | Phase::Idle).then_some((st.since, s))
        })
        .min_by_key(|(since, _)| *since);
    let Some((_, slot)) = oldest else {
        return false;
    };
    slot.set(|st| st.phase = Phase::Closing);
    true
}

/// Logs at most once a second and counts what it held back.
#[derive(Debug, Default)]
struct LogGate {
    last: Mutex<Option<Instant>>,
    suppressed: AtomicU64,
}

impl LogGate {
    /// `Some(lines held back since the last one)` when a line may be logged now.
    fn allow(&self) -> Option<u64> {
        let mut last = self.last.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if last.is_some_and(|t| now.duration_since(t) < Duration::from_secs(1)) {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        *last = Some(now);
        Some(self.suppressed.swap(0, Ordering::Relaxed))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// No complete request head yet: just accepted, or part of the next request arrived.
    Head,
    /// Between requests, nothing of the next one received.
    Idle,
    /// A request is being served (until its response body is done).
    Busy,
    /// Handed to the WebSocket code, whose auth timeout and pings govern it.
    Upgraded,
    /// Shed for a newcomer; its task drops it.
    Closing,
}

#[derive(Debug, Clone, Copy)]
struct State {
    phase: Phase,
    since: Instant,
    in_flight: u32,
    /// Part of a request head has arrived (in `Head`).
    partial: bool,
}

#[derive(Debug)]
struct Slot {
    id: u64,
    state: Mutex<State>,
    /// Wakes the connection's task when its deadline may have moved earlier.
    changed: Notify,
}

enum Due {
    Now(&'static str),
    At(Instant),
    Never,
}

impl Slot {
    fn new(id: u64) -> Self {
        Self {
            id,
            state: Mutex::new(State {
                phase: Phase::Head,
                since: Instant::now(),
                in_flight: 0,
                partial: false,
            }),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> State {
        *self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Applies `f`; wakes the task when the phase changed to one with an earlier deadline.
    fn set(&self, f: impl FnOnce(&mut State)) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let before = st.phase;
        f(&mut st);
        let after = st.phase;
        drop(st);
        if before != after && matches!(after, Phase::Head | Phase::Idle | Phase::Closing) {
            self.changed.notify_one();
        }
    }

    /// Bytes arrived: between requests, that starts the next head's clock.
    fn received(&self) {
        self.set(|st| match st.phase {
            Phase::Idle => {
                st.phase = Phase::Head;
                st.since = Instant::now();
                st.partial = true;
            }
            Phase::Head => st.partial = true,
            Phase::Busy | Phase::Upgraded | Phase::Closing => {}
        });
    }

    /// Nothing has been sent on this connection since it opened or since its last
    /// response: at shutdown it can simply be closed.
    fn awaiting_first_byte(&self) -> bool {
        let st = self.state();
        matches!(st.phase, Phase::Head | Phase::Idle) && !st.partial
    }

    fn begin_request(&self) {
        self.set(|st| {
            st.in_flight += 1;
            st.partial = false;
            if matches!(st.phase, Phase::Head | Phase::Idle) {
                st.phase = Phase::Busy;
            }
        });
    }

    fn end_request(&self) {
        self.set(|st| {
            st.in_flight = st.in_flight.saturating_sub(1);
            if st.in_flight == 0 && st.phase == Phase::Busy {
                st.phase = Phase::Idle;
                st.since = Instant::now();
            }
        });
    }

    fn upgraded(&self) {
        self.set(|st| {
            if st.phase == Phase::Busy {
                st.phase = Phase::Upgraded;
            }
        });
    }

    fn due(&self, limits: &Limits) -> Due {
        let st = self.state();
        let (timeout, reason) = match st.phase {
            Phase::Head => (limits.header_timeout, "header timeout"),
            Phase::Idle => (limits.idle_timeout, "idle timeout"),
            Phase::Closing => return Due::Now("connection limit: longest idle"),
            Phase::Busy | Phase::Upgraded => return Due::Never,
        };
        let at = st.since + timeout;
        if at <= Instant::now() {
            Due::Now(reason)
        } else {
            Due::At(at)
        }
    }
}

/// Removes its connection from the table when the socket is dropped, which for an
/// upgraded connection is when the WebSocket ends.
#[derive(Debug)]
struct SlotGuard {
    conns: Arc<Connections>,
    slot: Arc<Slot>,
}

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.conns.lock().remove(&self.slot.id);
        self.conns.freed.notify_waiters();
    }
}

/// The client socket, noting received bytes for the idle → head transition and holding
/// the connection's place in the table for as long as it is open.
#[derive(Debug)]
struct TrackedStream {
    stream: TcpStream,
    guard: SlotGuard,
}

impl AsyncRead for TrackedStream {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let res = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(res, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.guard.slot.received();
        }
        res
    }
}

impl AsyncWrite for TrackedStream {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Serves `router` on `listener` until `shutdown` resolves; then stops accepting, lets
/// every connection finish its request in flight (hyper's graceful shutdown; connections
/// that have sent nothing are closed at once), and returns once they have closed.
/// Upgraded connections are not waited for: they belong to the WebSocket hub, which closes
/// them itself.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    conns: Arc<Connections>,
    tls: Option<TlsTransport>,
    shutdown: impl Future<Output = ()>,
) {
    // Each connection task holds a receiver: a value asks it to finish, and the server is
    // done when the last receiver is gone.
    let (drain, _) = watch::channel(());
    let mut builder = http1::Builder::new();
    builder.header_read_timeout(None);
    let mut backoff = AcceptBackoff::default();
    let mut shutdown = pin!(shutdown);
    loop {
        let accepted = tokio::select! {
            biased;
            () = &mut shutdown => break,
            r = listener.accept() => r,
        };
        let (stream, remote) = match accepted {
            Ok(a) => {
                backoff.reset();
                a
            }
            // The peer gave up before we took its connection: nothing to do about it.
            Err(e) if is_connection_error(&e) => continue,
            Err(e) => {
                if is_out_of_descriptors(&e) {
                    conns.shed_one();
                }
                let pause = backoff.failed(&e);
                tokio::select! {
                    biased;
                    () = &mut shutdown => break,
                    () = tokio::time::sleep(pause) => continue,
                }
            }
        };
        let Some(guard) = conns.admit().await else {
            continue;
        };
        tokio::spawn(connection(
            TrackedStream { stream, guard },
            remote,
            router.clone(),
            conns.limits,
            builder.clone(),
            drain.subscribe(),
            tls.clone(),
        ));
    }
    drop(listener);
    drain.send_replace(());
    drain.closed().await;
}

async fn connection(
    stream: TrackedStream,
    remote: SocketAddr,
    router: Router,
    limits: Limits,
    builder: http1::Builder,
    mut drain: watch::Receiver<()>,
    tls: Option<TlsTransport>,
) {
    let slot = stream.guard.slot.clone();
    let Some(TlsTransport { acceptor, hsts }) = tls else {
        return http(
            TokioIo::new(stream),
            None,
            slot,
            remote,
            router,
            limits,
            builder,
            drain,
        )
        .await;
    };
    let handshake = within_head(&slot, &limits, &mut drain, remote, async {
        let mut first = [0u8; 1];
        match stream.stream.peek(&mut first).await {
            Ok(1..) if first[0] == 0x16 => {}
            Ok(1..) => return refuse_plain_http(stream, remote).await,
            Ok(0) | Err(_) => return None,
        }
        match acceptor.accept(stream).await {
            Ok(s) => Some(s),
            Err(e) => {
                tracing::debug!(%remote, error = %e, "TLS handshake failed");
                None
            }
        }
    });
    let Some(mut tls_stream) = handshake.await.flatten() else {
        return;
    };
    if tls_stream.get_ref().1.alpn_protocol() == Some(ACME_TLS_ALPN) {
        // The CA has seen the challenge certificate; that is all this connection is for.
        // Bounded: a peer that stops reading cannot hold the task.
        let _ = tokio::time::timeout(Duration::from_secs(1), tls_stream.shutdown()).await;
        return;
    }
    http(
        TokioIo::new(tls_stream),
        Some(hsts),
        slot,
        remote,
        router,
        limits,
        builder,
        drain,
    )
    .await;
}

/// Runs `fut` (the TLS handshake) while the connection is in `Head`: `None` when the
/// header timeout passes, the connection is shed for a newcomer, or shutdown begins.
async fn within_head<T>(
    slot: &Slot,
    limits: &Limits,
    drain: &mut watch::Receiver<()>,
    remote: SocketAddr,
    fut: impl Future<Output = T>,
) -> Option<T> {
    let mut fut = pin!(fut);
    let mut timer = pin!(tokio::time::sleep(Duration::ZERO));
    loop {
        let timed = match slot.due(limits) {
            Due::Now(reason) => {
                tracing::debug!(%remote, reason, "closing connection before its handshake");
                return None;
            }
            Due::At(at) => {
                timer.as_mut().reset(at);
                true
            }
            Due::Never => false,
        };
        tokio::select! {
            r = fut.as_mut() => return Some(r),
            () = slot.changed.notified() => {}
            _ = drain.changed() => return None,
            () = &mut timer, if timed => {}
        }
    }
}

/// Plain HTTP on the TLS port: reads (and drops) up to a request head, answers a short
/// 400 naming the scheme to use, and closes.
async fn refuse_plain_http<T>(mut stream: TrackedStream, remote: SocketAddr) -> Option<T> {
    tracing::debug!(%remote, "plain HTTP on the TLS port");
    let mut buf = vec![0u8; PLAIN_HTTP_READ];
    let mut len = 0;
    while len < buf.len() {
        match stream.read(&mut buf[len..]).await {
            Ok(0) | Err(_) => break,
            Ok(n) => len += n,
        }
        if buf[..len].windows(4).any(|w| w == b"\r\n\r\n") {
            break;
        }
    }
    let body = "This port speaks HTTPS: use https:// (and wss:// for the WebSocket feed).\n";
    let res = format!(
        "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain; charset=utf-8\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(res.as_bytes()).await;
    let _ = stream.shutdown().await;
    None
}

/// HTTP/1.1 on an accepted (and, with TLS, handshaken) connection until it closes.
/// `tls` is `Some(HSTS value)` over TLS.
#[allow(clippy::too_many_arguments)]
async fn http<I>(
    io: TokioIo<I>,
    tls: Option<Option<HeaderValue>>,
    slot: Arc<Slot>,
    remote: SocketAddr,
    router: Router,
    limits: Limits,
    builder: http1::Builder,
    mut drain: watch::Receiver<()>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let service = hyper::service::service_fn({
        let slot = slot.clone();
        move |req| {
            handle(
                req,
                router.clone(),
                slot.clone(),
                remote,
                limits.body_timeout,
                tls.clone(),
            )
        }
    });
    let mut conn = pin!(builder.serve_connection(io, service).with_upgrades());
    let mut timer = pin!(tokio::time::sleep(Duration::ZERO));
    let mut draining = false;
    loop {
        let timed = match slot.due(&limits) {
            Due::Now(reason) => {
                tracing::debug!(%remote, reason, "closing connection");
                return;
            }
            Due::At(at) => {
                timer.as_mut().reset(at);
                true
            }
            Due::Never => false,
        };
        tokio::select! {
            r = conn.as_mut() => {
                if let Err(e) = r {
                    tracing::debug!(%remote, error = %e, "connection ended with an error");
                }
                return;
            }
            () = slot.changed.notified() => {}
            _ = drain.changed(), if !draining => {
                // hyper closes a keep-alive connection between requests itself, but would
                // wait for the first request of a fresh one.
                if slot.awaiting_first_byte() {
                    return;
                }
                draining = true;
                conn.as_mut().graceful_shutdown();
            }
            () = &mut timer, if timed => {}
        }
    }
}

/// One request: the peer address for `ConnectInfo` (and `OverTls`), the body under its
/// deadline, and the connection marked busy until the response body is done.
async fn handle(
    mut req: Request<Incoming>,
    router: Router,
    slot: Arc<Slot>,
    remote: SocketAddr,
    body_timeout: Duration,
    tls: Option<Option<HeaderValue>>,
) -> Result<Response<TrackedBody>, Infallible> {
    let busy = BusyGuard::enter(slot);
    req.extensions_mut().insert(ConnectInfo(remote));
    if tls.is_some() {
        req.extensions_mut().insert(OverTls);
    }
    let expired = Arc::new(AtomicBool::new(false));
    let req = req.map(|b| {
        Body::new(DeadlineBody {
            inner: b,
            deadline: Instant::now() + body_timeout,
            sleep: None,
            expired: expired.clone(),
        })
    });
    let mut res = match router.oneshot(req).await {
        Ok(res) => res,
        Err(never) => match never {},
    };
    if expired.load(Ordering::Relaxed) {
        // The handler saw a failed body read and answered for that; say what happened.
        res = body_timeout_response();
    }
    if let Some(Some(hsts)) = tls {
        res.headers_mut()
            .entry(header::STRICT_TRANSPORT_SECURITY)
            .or_insert(hsts);
    }
    if res.status() == StatusCode::SWITCHING_PROTOCOLS {
        busy.slot.upgraded();
    }
    Ok(res.map(|inner| TrackedBody { inner, _busy: busy }))
}

fn body_timeout_response() -> Response<Body> {
    let mut res = Response::new(Body::from(
        r#"{"status":"error","message":"Request body not received in time"}"#,
    ));
    *res.status_mut() = StatusCode::REQUEST_TIMEOUT;
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // The rest of the body may still be on its way: this connection cannot be reused.
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    res
}

/// Holds the connection busy; dropped with the response body (or the request future).
#[derive(Debug)]
struct BusyGuard {
    slot: Arc<Slot>,
}

impl BusyGuard {
    fn enter(slot: Arc<Slot>) -> Self {
        slot.begin_request();
        Self { slot }
    }
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.slot.end_request();
    }
}

/// The response body, keeping the connection busy while it streams (event streams too).
#[derive(Debug)]
struct TrackedBody {
    inner: Body,
    _busy: BusyGuard,
}

impl http_body::Body for TrackedBody {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// The request body, failing once `deadline` passes before it is complete. Unlike a
/// per-read timeout, a client trickling a byte at a time cannot stretch it.
#[derive(Debug)]
struct DeadlineBody {
    inner: Incoming,
    deadline: Instant,
    /// Made on the first wait, so bodies that are already here cost no timer.
    sleep: Option<Pin<Box<Sleep>>>,
    expired: Arc<AtomicBool>,
}

/// The request body did not arrive within `http_body_timeout_secs`.
#[derive(Debug, thiserror::Error)]
#[error("request body not received in time")]
struct BodyTimeout;

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = Box<dyn std::error::Error + Send + Sync>;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        let this = &mut *self;
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|r| r.map_err(Into::into)));
        }
        let deadline = this.deadline;
        let sleep = this
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if sleep.as_mut().poll(cx).is_ready() {
            this.expired.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(Box::new(BodyTimeout))));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

/// 10 ms doubling to 1 s between failed accepts, so running out of descriptors never
/// spins; reset by the next success. Logs at most once a second.
#[derive(Debug)]
struct AcceptBackoff {
    delay: Duration,
    log: LogGate,
}

impl Default for AcceptBackoff {
    fn default() -> Self {
        Self {
            delay: Self::FIRST,
            log: LogGate::default(),
        }
    }
}

impl AcceptBackoff {
    const FIRST: Duration = Duration::from_millis(10);
    const MAX: Duration = Duration::from_secs(1);

    fn reset(&mut self) {
        self.delay = Self::FIRST;
    }

    /// How long to pause after `e`.
    fn failed(&mut self, e: &io::Error) -> Duration {
        let pause = self.delay;
        self.delay = (self.delay * 2).min(Self::MAX);
        if let Some(suppressed) = self.log.allow() {
            tracing::error!(error = %e, suppressed, pause_ms = pause.as_millis() as u64, "accept error");
        }
        pause
    }
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

/// EMFILE (the process's limit) or ENFILE (the system's): the same numbers on Linux, the
/// BSDs and macOS.
fn is_out_of_descriptors(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(23 | 24))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_room_under_the_descriptor_limit() {
        assert_eq!(connection_cap(4096, None), 4096);
        assert_eq!(connection_cap(4096, Some(1_048_576)), 4096);
        assert_eq!(connection_cap(4096, Some(1024)), 896);
        assert_eq!(connection_cap(100, Some(1024)), 100);
        assert_eq!(connection_cap(4096, Some(256)), 128);
        assert_eq!(connection_cap(4096, Some(128)), 64);
        assert_eq!(connection_cap(4096, Some(0)), 1);
        assert_eq!(connection_cap(0, None), 1);
    }

    #[test]
    fn backoff_doubles_to_a_second_and_resets() {
        let mut b = AcceptBackoff::default();
        let e = io::Error::from_raw_os_error(24);
        assert!(is_out_of_descriptors(&e));
        let pauses: Vec<_> = (0..9).map(|_| b.failed(&e).as_millis()).collect();
        assert_eq!(pauses, [10, 20, 40, 80, 160, 320, 640, 1000, 1000]);
        b.reset();
        assert_eq!(b.failed(&e), Duration::from_millis(10));
    }

    #[test]
    fn log_gate_allows_one_line_a_second() {
        let g = LogGate::default();
        assert_eq!(g.allow(), Some(0));
        assert_eq!(g.allow(), None);
        assert_eq!(g.allow(), None);
        assert_eq!(g.suppressed.load(Ordering::Relaxed), 2);
    }

    fn limits(max: usize) -> Limits {
        Limits {
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(30),
            idle_timeout: Duration::from_secs(75),
            max_connections: max,
        }
    }

    /// Admits in a task, so the test can play the shed connection's part.
    fn admit_later(conns: &Arc<Connections>) -> tokio::task::JoinHandle<Option<SlotGuard>> {
        let conns = conns.clone();
        tokio::spawn(async move { conns.admit().await })
    }

    async fn settle() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    #[tokio::test]
    async fn at_the_cap_the_longest_idle_connection_makes_room() {
        let conns = Connections::new(limits(3));
        let a = conns.admit().await.unwrap();
        let b = conns.admit().await.unwrap();
        let c = conns.admit().await.unwrap();
        // a serves a request, b is upgraded: only c (its head never completed) and, once
        // its request is done, a can be shed; c has waited longest.
        a.slot.begin_request();
        b.slot.begin_request();
        b.slot.upgraded();
        settle().await;
        a.slot.end_request();
        let d = admit_later(&conns);
        settle().await;
        assert_eq!(c.slot.state().phase, Phase::Closing);
        assert_eq!(a.slot.state().phase, Phase::Idle);
        assert!(matches!(c.slot.due(&conns.limits()), Due::Now(_)));
        assert!(!d.is_finished(), "waits until c's socket is gone");
        drop(c);
        let d = d.await.unwrap().unwrap();
        let e = admit_later(&conns);
        settle().await;
        assert_eq!(a.slot.state().phase, Phase::Closing);
        drop(a);
        let e = e.await.unwrap().unwrap();
        assert_eq!(conns.len(), 3);
        // b is upgraded, d and e are mid-request: nothing can be shed, so refuse.
        d.slot.begin_request();
        e.slot.begin_request();
        assert!(conns.admit().await.is_none());
        drop(e);
        assert!(conns.admit().await.is_some());
    }

    #[tokio::test]
    async fn a_shed_connection_that_lingers_does_not_stall_the_listener() {
        let conns = Connections::new(limits(1));
        let a = conns.admit().await.unwrap();
        let started = Instant::now();
        let b = conns
            .admit()
            .await
            .expect("admitted over the cap after the wait");
        assert!(started.elapsed() >= ADMIT_WAIT);
        assert_eq!(a.slot.state().phase, Phase::Closing);
        assert_eq!(conns.len(), 2);
        drop(b);
    }

    #[tokio::test]
    async fn phases_follow_the_requests() {
        let conns = Connections::new(limits(10));
        let g = conns.admit().await.unwrap();
        let s = &g.slot;
        assert_eq!(s.state().phase, Phase::Head);
        assert!(s.awaiting_first_byte());
        s.received();
        assert_eq!(s.state().phase, Phase::Head, "bytes of the first head");
        assert!(!s.awaiting_first_byte());
        s.begin_request();
        s.received();
        assert_eq!(s.state().phase, Phase::Busy, "body bytes");
        assert!(matches!(s.due(&conns.limits()), Due::Never));
        s.end_request();
        assert_eq!(s.state().phase, Phase::Idle);
        assert!(s.awaiting_first_byte());
        let Due::At(idle_at) = s.due(&conns.limits()) else {
            panic!("idle has a deadline");
        };
        s.received();
        assert_eq!(s.state().phase, Phase::Head);
        let Due::At(head_at) = s.due(&conns.limits()) else {
            panic!("head has a deadline");
        };
        assert!(head_at < idle_at, "the header timeout is the shorter");
        drop(g);
        assert!(conns.is_empty());
    }
}
