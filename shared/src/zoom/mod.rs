//! Talking to Zoom: the REST client, its token cache, typed errors and answers.

pub mod client;
pub mod encode;
pub mod error;
pub mod events;
pub mod sdk_jwt;
pub mod token;
pub mod types;
pub mod webhook_sig;

pub use client::{ZoomClient, ZoomCredentials, ZoomSettings};
pub use error::{OAuthFailure, ZoomError};
