//! The Bruno `.bru` language for algogate's API Playground.
//!
//! This crate owns the `.bru` format: it parses request files, `collection.bru` /
//! `folder.bru` and environment files into the same JSON as Bruno's official
//! parser (`bruToJson`, `collectionBruToJson`, `envToJson` of `@usebruno/lang`),
//! writes that JSON back in Bruno's canonical layout, offers a typed view of a
//! request for the playground, and exports a collection as Postman v2.1.
//!
//! It also reads and writes Bruno's YAML format (OpenCollection, Bruno 3): each YAML
//! file is read into the JSON its `.bru` counterpart parses to, and written from it,
//! reporting what the other format cannot hold ([`request_to_yaml`], [`request_from_yaml`]
//! and their folder, collection and environment counterparts; [`classify`] tells a
//! collection file's kind and format from its path).
//!
//! It is pure: every function takes `.bru` text as `&str` (or a JSON model) and
//! returns values. It does no file or network I/O (tests and tools aside) and
//! knows nothing about HTTP clients, the server, or where files live; callers
//! read the files and attach file names to errors with [`ParseError::with_file`].
//!
//! Two request modes exist: [`parse_request`] is strict (the official grammar,
//! byte-compatible JSON and error positions), and [`parse_request_openalgo`]
//! also accepts OpenAlgo's WebSocket extension (`websocket {}` and
//! `message:json {}`), mapping it onto Bruno's own `ws` / `body:ws` model.

mod collection;
mod dict;
mod env;
mod error;
mod example;
mod js;
mod layout;
mod model;
mod opencollection;
mod peg;
pub mod postman;
mod request;
mod semantic;
mod writer;
mod writer_example;
mod yaml;

pub use error::ParseError;
pub use layout::{FileKind, Format, classify};
pub use model::{KeyValue, RequestKind, RequestView, WsMessage};
pub use opencollection::{
    CollectionRoot, Converted, collection_from_yaml, collection_to_yaml, environment_from_yaml,
    environment_to_yaml, folder_from_yaml, folder_to_yaml, request_from_yaml, request_to_yaml,
};
pub use writer::{write_collection, write_environment, write_request};

use serde_json::Value;

/// Parses a request file exactly like Bruno's `bruToJson`.
pub fn parse_request(src: &str) -> Result<Value, ParseError> {
    request::parse(src, false)
}

/// Parses a request file, also accepting OpenAlgo's `websocket {}` and
/// `message:<type> {}` blocks (an extension the official parser rejects).
pub fn parse_request_openalgo(src: &str) -> Result<Value, ParseError> {
    request::parse(src, true)
}

/// Parses `collection.bru` or `folder.bru` like Bruno's `collectionBruToJson`.
pub fn parse_collection(src: &str) -> Result<Value, ParseError> {
    collection::parse(src)
}

/// Parses an environment file like Bruno's `envToJson`.
pub fn parse_environment(src: &str) -> Result<Value, ParseError> {
    env::parse(src)
}

/// Parses a request file (with the OpenAlgo extension) into the typed view.
pub fn parse_request_view(src: &str) -> Result<RequestView, ParseError> {
    parse_request_openalgo(src).map(|v| RequestView::from_json(&v))
}

/// Parses a YAML (OpenCollection) request file into the JSON its `.bru` form parses to.
pub fn parse_request_yaml(src: &str) -> Result<Value, ParseError> {
    request_from_yaml(src).map(|c| c.value)
}

/// Parses `folder.yml` into the JSON `folder.bru` parses to.
pub fn parse_folder_yaml(src: &str) -> Result<Value, ParseError> {
    folder_from_yaml(src).map(|c| c.value)
}

/// Parses a YAML environment (named by its file) into the `.bru` environment JSON.
pub fn parse_environment_yaml(name: &str, src: &str) -> Result<Value, ParseError> {
    environment_from_yaml(name, src).map(|c| c.value)
}
