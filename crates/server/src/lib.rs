//! The algogate server: configuration, start-up, the axum app and the command line.
//!
//! Owns HTTP (routes by area, extractors, the error mapping to OpenAlgo's bodies), the
//! API-key service (cache and verification policy), secrets handling and the CLI. Domain
//! rules live in the other crates: key crypto in `algogate-keys`, persistence in
//! `algogate-store`.

pub mod accounts;
pub mod action_center;
pub mod api_v1;
pub mod app;
pub mod brucli;
pub mod clock;
pub mod config;
pub mod connections;
pub mod error;
pub mod execution;
pub mod extract;
pub mod import;
pub mod keyservice;
pub mod login;
pub mod playground;
pub mod ratelimit;
pub mod schema;
pub mod secrets;
pub mod security;
pub mod session;
pub mod setup;
pub mod startup;
pub mod state;
pub mod throttle;
pub mod web;
pub mod ws;
