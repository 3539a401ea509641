//! The single-table keys (see DESIGN.md).

use crate::store::Key;

pub fn academy_pk(academy_id: &str) -> String {
    format!("ACADEMY#{academy_id}")
}

pub const LICENSE_PREFIX: &str = "LICENSE#";
pub const LICENSE_NAME_PREFIX: &str = "LICENSENAME#";

pub fn license(academy_id: &str, license_id: &str) -> Key {
    Key::new(
        academy_pk(academy_id),
        format!("{LICENSE_PREFIX}{license_id}"),
    )
}

pub fn license_name(academy_id: &str, name_key: &str) -> Key {
    Key::new(
        academy_pk(academy_id),
        format!("{LICENSE_NAME_PREFIX}{name_key}"),
    )
}
