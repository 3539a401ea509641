//! Users: the license's host user and its ZAK (ZOOM.md §3).

use super::client::{ZoomClient, ZoomCredentials};
use super::error::ZoomError;
use super::operations::{GET_USER, USER_ZAK};
use super::types::{UserToken, ZoomUser};
use crate::secrets::Secret;

impl ZoomClient {
    /// `GET /users/{userId}` (id, email or `me`).
    pub async fn get_user(
        &self,
        creds: &ZoomCredentials,
        user: &str,
    ) -> Result<ZoomUser, ZoomError> {
        self.send(creds, &GET_USER, &[user], &[], None::<&()>)
            .await?
            .json()
    }

    /// A fresh ZAK of `user` (`?type=zak`). Never cache it.
    pub async fn user_zak(&self, creds: &ZoomCredentials, user: &str) -> Result<Secret, ZoomError> {
        let token: UserToken = self
            .send(creds, &USER_ZAK, &[user], &[("type", "zak")], None::<&()>)
            .await?
            .json()?;
        Ok(Secret::new(token.token))
    }
}
