//! The algogate server: the HTTP surfaces over the application services of
//! `algogate-app`, OpenAlgo's wire format, configuration, start-up and the command line.
//!
//! Layers, each importing only those below it:
//! - surfaces: `api_v1` (REST), `web` (session routes and pages), `ws` (the feed's
//!   sockets), `webhook` (strategy and Chartink alerts), `middleware` (bans, rate limits), `app` (the router), `extract`, `error`;
//! - `state` (the services handlers share), `startup`, `connections` (the accept loop),
//!   `tls` (certificates from files or ACME), `config`, `secrets`, `brucli`;
//! - `openalgo` (the wire format), `feed` (the WebSocket fan-out), `playground` (the Bruno
//!   collection), `json` (bounded parsing).

pub mod api_v1;
pub mod app;
pub mod brucli;
pub mod config;
pub mod connections;
pub mod error;
pub mod extract;
pub mod feed;
pub mod json;
pub mod logging;
pub mod middleware;
pub mod openalgo;
pub mod openapi;
pub mod playground;
pub mod secrets;
pub mod startup;
pub mod state;
pub mod tls;
pub mod web;
pub mod webhook;
pub mod ws;
