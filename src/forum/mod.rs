//! The provider forum (issue 10). So far: the two pieces every post goes through before it is
//! stored, rendering (`markdown`) and the pupil-data guard (`guard`). Categories, threads,
//! moderation and the pages arrive on top of them.

pub mod guard;
pub mod markdown;
