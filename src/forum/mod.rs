//! The provider forum (issue 10): categories set by administrators (`admin`), attachments (`attachments`), rendering (`markdown`), the pupil-data guard (`guard`),
//! @mentions (`mentions`), writing and moderating posts and threads (`posts`), search
//! (`search`) and the pages (`pages`), over the tables in `db::forum`.

pub mod admin;
pub mod attachments;
pub mod guard;
pub mod markdown;
pub mod mentions;
pub mod pages;
pub mod posts;
pub mod search;
