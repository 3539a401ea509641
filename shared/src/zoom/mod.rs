//! The Zoom port: typed operations over Zoom's REST API (each declared once in
//! [`operations`]), its token cache, typed errors, wire types, SDK JWTs and
//! webhook signatures. Nothing outside this module spells a Zoom path.

pub mod client;
pub mod downloads;
pub mod encode;
pub mod error;
pub mod event_scopes;
pub mod events;
mod failures;
pub mod meetings;
mod oauth;
pub mod operations;
pub mod recordings;
pub mod reports;
pub mod sdk_jwt;
pub mod series;
pub mod token;
pub mod types;
pub mod users;
pub mod webhook_sig;

pub use client::{ZoomClient, ZoomCredentials, ZoomSettings};
pub use error::{OAuthFailure, ZoomError};
