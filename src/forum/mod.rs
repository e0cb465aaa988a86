//! The provider forum (issue 10). So far: rendering (`markdown`), the pupil-data guard
//! (`guard`), and writing threads, replies and moderation decisions (`posts`) over the
//! categories, threads and posts in `db::forum`. The pages arrive on top of them.

pub mod guard;
pub mod markdown;
pub mod pages;
pub mod posts;
