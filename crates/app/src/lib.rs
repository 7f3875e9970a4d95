//! algogate's application services, free of HTTP: every surface (the `/api/v1` REST API,
//! the web UI's session routes, the WebSocket feed, the command line) parses its input at
//! the edge and calls one of these.
//!
//! Each service takes the services it needs, never the server's whole state. Domain rules
//! live below: key crypto in `algogate-keys`, persistence in `algogate-store`, the paper
//! broker in `algogate-broker`.

pub mod accounts;
pub mod action_center;
pub mod chart;
pub mod clock;
pub mod import;
pub mod keypolicy;
pub mod keyservice;
pub mod login;
pub mod options;
pub mod orders;
pub mod ratelimit;
pub mod security;
pub mod session;
pub mod setup;
pub mod shutdown;
pub mod strategies;
pub mod throttle;
