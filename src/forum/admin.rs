//! Administrators set the forum's categories: their names, order and, for each role, whether
//! it may read, read and post, or neither. The Progressions Team and administrators moderate,
//! so they always read every category.

use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, Admin};
use crate::db::{self, forum};
use crate::domain::{text, Role};
use crate::error::{AppError, AppResult};
use crate::web::{FieldError, Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;
use std::collections::HashMap;

pub fn routes() -> Vec<Route> {
    routes![list, create, edit_form, update]
}

/// Path segments the forum uses itself, which a category's key cannot take.
const RESERVED: [&str; 7] = [
    "threads",
    "posts",
    "moderation",
    "unread",
    "search",
    "attachments",
    "new",
];

/// What a role may do in a category.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    None,
    Read,
    Post,
}

impl Access {
    fn parse(s: &str) -> Option<Access> {
        match s.trim() {
            "none" => Some(Access::None),
            "read" => Some(Access::Read),
            "post" => Some(Access::Post),
            _ => None,
        }
    }
}

/// A category as an administrator sets it, checked on construction.
#[derive(Debug, Clone)]
pub struct CategoryRules {
    pub name: String,
    pub description: String,
    pub sort_order: i64,
    /// Every role, with what it may do.
    pub access: Vec<(Role, Access)>,
}

/// A new category's key: 2 to 40 lower-case letters, digits and hyphens, not one the forum's
/// own pages use.
pub fn category_key(input: &str) -> Result<String, String> {
    let k = input.trim();
    let ok = (2..=40).contains(&k.len())
        && k.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !k.starts_with('-')
        && !k.ends_with('-');
    if !ok {
        return Err(
            "Enter a short key of lower-case letters, digits and hyphens, like school-trips".into(),
        );
    }
    if RESERVED.contains(&k) {
        return Err(format!(
            "'{k}' is used by the forum's own pages: choose another key"
        ));
    }
    Ok(k.to_string())
}

#[derive(FromForm, Default, Serialize)]
pub struct CategoryForm {
    #[field(default = String::new())]
    key: String,
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    description: String,
    #[field(default = String::new())]
    sort_order: String,
    /// role key → none, read or post.
    access: HashMap<String, String>,
}

impl CategoryForm {
    /// The rules, or every field's error.
    fn rules(&self) -> Result<CategoryRules, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = text::single_line(&self.name, "the category's name", 80)
            .map_err(|e| errors.push(FieldError::new("name", e.0)))
            .ok();
        let description = text::paragraph(&self.description, "a description", 300, true)
            .map_err(|e| errors.push(FieldError::new("description", e.0)))
            .ok();
        let sort_order = match self.sort_order.trim().parse::<i64>() {
            Ok(n) if (0..=1000).contains(&n) => Some(n),
            _ => {
                errors.push(FieldError::new(
                    "sort_order",
                    "Enter the position as a whole number from 0 to 1000",
                ));
                None
            }
        };
        let mut access = Vec::new();
        for role in Role::ALL {
            match self.access.get(role.key()).and_then(|a| Access::parse(a)) {
                Some(Access::None) if super::posts::moderates(role) => errors.push(FieldError {
                    field: format!("access-{}", role.key()).into(),
                    message: format!(
                        "{} moderate the forum, so they must be able to read every category",
                        role.label()
                    ),
                }),
                Some(a) => access.push((role, a)),
                None => errors.push(FieldError {
                    field: format!("access-{}", role.key()).into(),
                    message: format!("Choose what {} may do", role.label()),
                }),
            }
        }
        match (name, description, sort_order) {
            (Some(name), Some(description), Some(sort_order)) if errors.is_empty() => {
                Ok(CategoryRules {
                    name,
                    description,
                    sort_order,
                    access,
                })
            }
            _ => Err(errors),
        }
    }
}

#[derive(Serialize)]
struct RoleChoice {
    key: &'static str,
    label: &'static str,
    access: Access,
}

/// Every role with what the form (or the stored category) gives it.
fn choices(access: &HashMap<String, String>) -> Vec<RoleChoice> {
    Role::ALL
        .iter()
        .map(|r| RoleChoice {
            key: r.key(),
            label: r.label(),
            access: access
                .get(r.key())
                .and_then(|a| Access::parse(a))
                .unwrap_or(Access::None),
        })
        .collect()
}

async fn render_list(
    view: &Page<'_>,
    state: &AppState,
    csrf: &str,
    form: &CategoryForm,
    errors: Vec<FieldError>,
) -> AppResult<Reply> {
    let status = if errors.is_empty() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    let categories = forum::category_rules(&state.pool).await?;
    let roles = choices(&form.access);
    view.render(
        status,
        "forum/admin.html.j2",
        context! { categories, form, roles, errors, csrf_token => csrf },
    )
}

#[get("/admin/forum")]
async fn list(
    view: Page<'_>,
    _admin: Admin<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
) -> AppResult<Reply> {
    // A new category starts readable by everyone, with posting for providers and the council.
    let access = Role::ALL
        .iter()
        .map(|r| {
            let a = if matches!(r, Role::School | Role::Taskforce) {
                "read"
            } else {
                "post"
            };
            (r.key().to_string(), a.to_string())
        })
        .collect();
    let form = CategoryForm {
        sort_order: "10".into(),
        access,
        ..Default::default()
    };
    render_list(&view, state, &csrf.0, &form, vec![]).await
}

#[post("/admin/forum", data = "<form>")]
async fn create(
    view: Page<'_>,
    _admin: Admin<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    form: CsrfForm<CategoryForm>,
) -> AppResult<Reply> {
    let f = form.0;
    let key = category_key(&f.key);
    let (rules, mut errors) = match f.rules() {
        Ok(r) => (Some(r), Vec::new()),
        Err(e) => (None, e),
    };
    if let Err(e) = &key {
        errors.insert(0, FieldError::new("key", e.clone()));
    }
    if let Ok(k) = &key {
        if forum::category_id(&state.pool, k).await?.is_some() {
            errors.insert(
                0,
                FieldError::new(
                    "key",
                    format!("There is already a category with the key '{k}'"),
                ),
            );
        }
    }
    let (Ok(key), Some(rules), true) = (key, rules, errors.is_empty()) else {
        return render_list(&view, state, &csrf.0, &f, errors).await;
    };
    let mut tx = db::write(&state.pool).await?;
    let id = forum::insert_category(&mut tx, &key, &rules).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "create",
            "forum_category",
            Some(id.to_string()),
            key.clone(),
        ),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/admin/forum",
        "success",
        format!("{} is added to the forum.", rules.name),
    ))
}

async fn render_edit(
    view: &Page<'_>,
    csrf: &str,
    key: &str,
    form: &CategoryForm,
    errors: Vec<FieldError>,
) -> AppResult<Reply> {
    let status = if errors.is_empty() {
        Status::Ok
    } else {
        Status::UnprocessableEntity
    };
    let roles = choices(&form.access);
    view.render(
        status,
        "forum/admin_edit.html.j2",
        context! { key, form, roles, errors, csrf_token => csrf },
    )
}

#[get("/admin/forum/<key>")]
async fn edit_form(
    view: Page<'_>,
    _admin: Admin<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    key: &str,
) -> AppResult<Reply> {
    let c = forum::category_rules(&state.pool)
        .await?
        .into_iter()
        .find(|c| c.key == key)
        .ok_or(AppError::NotFound)?;
    let form = CategoryForm {
        key: c.key.clone(),
        name: c.name,
        description: c.description,
        sort_order: c.sort_order.to_string(),
        access: c.access.into_iter().collect(),
    };
    render_edit(&view, &csrf.0, key, &form, vec![]).await
}

#[post("/admin/forum/<key>", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn update(
    view: Page<'_>,
    _admin: Admin<'_>,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    key: &str,
    form: CsrfForm<CategoryForm>,
) -> AppResult<Reply> {
    let id = forum::category_id(&state.pool, key)
        .await?
        .ok_or(AppError::NotFound)?;
    let f = form.0;
    let rules = match f.rules() {
        Ok(r) => r,
        Err(errors) => return render_edit(&view, &csrf.0, key, &f, errors).await,
    };
    let mut tx = db::write(&state.pool).await?;
    forum::update_category(&mut tx, id, &rules).await?;
    let summary = rules
        .access
        .iter()
        .map(|(r, a)| format!("{}: {a:?}", r.key()))
        .collect::<Vec<_>>()
        .join(", ");
    db::audit::record(
        &mut *tx,
        &actor.entry("update", "forum_category", Some(id.to_string()), summary),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/admin/forum",
        "success",
        format!("{} is saved.", rules.name),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_plain_and_never_the_forums_own_paths() {
        assert_eq!(category_key(" school-trips "), Ok("school-trips".into()));
        for bad in [
            "",
            "a",
            "Trips",
            "trips!",
            "-trips",
            "threads",
            "search",
            &"x".repeat(41),
        ] {
            assert!(category_key(bad).is_err(), "{bad}");
        }
    }
}
