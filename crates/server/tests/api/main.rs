//! Black-box tests of the server: real SQLite, real sockets on port 0. One test binary.

mod helpers;

mod binary;
mod import;
mod keys;
mod ping;
mod startup;
mod ws;
