//! Black-box tests of the server: real SQLite, real sockets on port 0. One test binary.

mod helpers;

mod abuse;
mod acme;
mod action_center;
mod binary;
mod browser;
mod bru;
mod calendar;
mod chart;
mod connections;
mod gtt;
mod header_key;
mod import;
mod keys;
mod market;
mod openapi;
mod options;
mod orders;
mod pages;
mod ping;
mod playground;
mod ratelimit;
mod scoped_keys;
mod security;
mod startup;
mod strategies;
mod sweep;
mod tls;
mod webui;
mod ws;
