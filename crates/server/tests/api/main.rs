//! Black-box tests of the server: real SQLite, real sockets on port 0. One test binary.
//! With `ALGOGATE_TEST_DATABASE` set to a PostgreSQL server's base URL
//! (`scripts/postgres-tmp.sh run` sets it), every app under test runs on a database of its
//! own on that server instead (see `helpers::on_test_backend`).

#[macro_use]
mod helpers;

mod abuse;
mod acme;
mod action_center;
mod binary;
mod browser;
mod bru;
mod calendar;
mod chart;
mod cluster;
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
