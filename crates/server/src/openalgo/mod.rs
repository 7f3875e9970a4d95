//! OpenAlgo's wire format, in one place: the marshmallow-compatible schemas and their
//! messages, the field tables, the typed requests a validated body becomes, the response
//! and error bodies, and the WebSocket protocol. The surfaces (`api_v1`, `web`, `ws`)
//! parse and answer through this module; it knows the application's types but no route.

pub mod account;
pub mod calendar;
pub mod chart;
pub mod checks;
pub mod gtt;
pub mod market;
pub mod option_orders;
pub mod options;
pub mod order_update;
pub mod orders;
pub mod python;
pub mod schema;
pub mod webhook;
pub mod ws;
