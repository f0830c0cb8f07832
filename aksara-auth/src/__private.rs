//! Items that `#[auth_user]` expansions reach by absolute path
//! (`::aksara_auth::__private::…`); not part of the public API.

pub use aksara;
pub use aksara::__private::inventory;
pub use aksara::Model;
pub use chrono::{DateTime, Utc};
pub use uuid::Uuid;

pub use crate::guard::{
    Guard, GuardPolicy, LoginRequired, PathChar, PathEnd, Redirecting, Requirement, StaffRequired,
    SuperuserRequired,
};
pub use crate::password::PasswordHash;
pub use crate::user::{AuthUser, USER_SLOT, normalize_email};
