//! Black-box tests of the server: real SQLite, real sockets on port 0. One test binary.

mod helpers;

mod binary;
mod import;
mod keys;
mod market;
mod orders;
mod ping;
mod playground;
mod ratelimit;
mod security;
mod startup;
mod webui;
mod ws;
