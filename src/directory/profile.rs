//! Keeping profiles current: provider staff submit changes for approval (places free they set
//! directly), the Progressions Team approves or edits directly, and every version is kept.

use super::index::Reference;
use super::index::{refresh, Search};
use crate::auth::csrf::{CsrfForm, CsrfToken};
use crate::auth::guards::{Actor, Progressions, ProviderStaff, SignedIn};
use crate::db::notifications::Recipient;
use crate::db::versions::{self, Offer, ProfileFields, Site};
use crate::db::{self};
use crate::domain::{text, Email, Role};
use crate::domain::{NoticeKind, PlaceType, Tier};
use crate::error::{AppError, AppResult};
use crate::notify::Notice;
pub use crate::web::FieldError;
use crate::web::{Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::form::FromForm;
use rocket::http::Status;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;
use std::borrow::Cow;

pub fn routes() -> Vec<Route> {
    routes![
        own_profile,
        submit_profile,
        set_places,
        approvals,
        decide,
        edit_page,
        edit,
        history
    ]
}

#[derive(Debug, Default, FromForm)]
pub struct ProfileForm {
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    summary: String,
    #[field(default = String::new())]
    description: String,
    #[field(default = String::new())]
    website: String,
    #[field(default = String::new())]
    email: String,
    #[field(default = String::new())]
    phone: String,
    #[field(default = String::new())]
    qualifications: String,
    #[field(default = String::new())]
    days_hours: String,
    #[field(default = String::new())]
    transport: String,
    tiers: Vec<String>,
    place_types: Vec<String>,
    key_stages: Vec<String>,
    needs: Vec<String>,
    /// Absent when the form carried no offer section (the offer then stays as it is).
    capacity: Option<String>,
    sites: Vec<SiteForm>,
}

/// One row of the sites table on the form; a blank row adds nothing.
#[derive(Debug, Default, Clone, FromForm, Serialize)]
pub struct SiteForm {
    #[field(default = String::new())]
    name: String,
    #[field(default = String::new())]
    address: String,
    #[field(default = String::new())]
    postcode: String,
    #[field(default = false)]
    remove: bool,
}

fn paragraph(v: &str, what: &str, max: usize, required: bool) -> Result<String, String> {
    text::paragraph(v, what, max, required).map_err(|e| e.0)
}

/// Checks every field; returns all the problems at once.
pub fn parse_profile(f: &ProfileForm) -> Result<ProfileFields, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut take = |field: &'static str, r: Result<String, String>| match r {
        Ok(v) => v,
        Err(message) => {
            errors.push(FieldError {
                field: field.into(),
                message,
            });
            String::new()
        }
    };
    let name = take(
        "name",
        text::single_line(&f.name, "the provider's name", 120).map_err(|e| e.0),
    );
    let summary = take(
        "summary",
        paragraph(&f.summary, "summary for families", 600, true),
    );
    let description = take(
        "description",
        paragraph(&f.description, "description", 4000, false),
    );
    let website = take("website", {
        let w = f.website.trim();
        if w.is_empty() {
            Ok(String::new())
        } else if (w.starts_with("https://") || w.starts_with("http://"))
            && w.len() <= 200
            && !w.contains(char::is_whitespace)
            && !w.contains(['<', '>', '"'])
        {
            Ok(w.to_string())
        } else {
            Err("Enter a website address starting with https://".into())
        }
    });
    let email = take("email", {
        let e = f.email.trim();
        if e.is_empty() {
            Ok(String::new())
        } else {
            Email::parse(e)
                .map(|e| e.as_str().to_string())
                .map_err(|e| e.0)
        }
    });
    let phone = take("phone", {
        let p = f.phone.trim();
        if p.is_empty()
            || (p.len() <= 30
                && p.chars().all(|c| c.is_ascii_digit() || " +()-".contains(c))
                && (10..=13).contains(&p.chars().filter(char::is_ascii_digit).count()))
        {
            Ok(p.to_string())
        } else {
            Err("Enter a telephone number, like 0114 496 0000".into())
        }
    });
    let qualifications = take(
        "qualifications",
        paragraph(&f.qualifications, "qualifications", 1000, false),
    );
    let days_hours = take(
        "days_hours",
        paragraph(&f.days_hours, "days and hours", 300, false),
    );
    let transport = take(
        "transport",
        paragraph(&f.transport, "travel information", 500, false),
    );
    if errors.is_empty() {
        Ok(ProfileFields {
            name,
            summary,
            description,
            website,
            email,
            phone,
            qualifications,
            days_hours,
            transport,
            offer: None,
        })
    } else {
        Err(errors)
    }
}

/// Most places one provider can offer (a typo guard, well above any real provider).
const MAX_CAPACITY: i64 = 2000;

/// Checks the offer part of the form against the taxonomies; None when the form had none.
pub fn parse_offer(
    f: &ProfileForm,
    r: &Reference,
    existing: &[Site],
) -> Result<Option<Offer>, Vec<FieldError>> {
    let Some(capacity) = &f.capacity else {
        return Ok(None);
    };
    let mut errors = Vec::new();
    let mut tiers: Vec<i64> = Vec::new();
    for t in &f.tiers {
        match Tier::parse(t) {
            Ok(t) => tiers.push(t.number()),
            Err(_) => errors.push(FieldError {
                field: "tiers-1".into(),
                message: "Choose tiers from the list".into(),
            }),
        }
    }
    let mut keys =
        |values: &[String], known: &dyn Fn(&str) -> bool, field: &'static str, what: &str| {
            let mut out = Vec::new();
            for v in values {
                if known(v) {
                    out.push(v.clone());
                } else if !errors.iter().any(|e| e.field == field) {
                    errors.push(FieldError {
                        field: field.into(),
                        message: format!("Choose {what} from the list"),
                    });
                }
            }
            out.sort();
            out.dedup();
            out
        };
    let place_types = keys(
        &f.place_types,
        &|v| PlaceType::parse(v).is_ok_and(|p| p.key() == v),
        "place_types-1",
        "types of place",
    );
    let key_stages = keys(
        &f.key_stages,
        &|v| r.key_stages.iter().any(|k| k.key == v),
        "key_stages-1",
        "key stages",
    );
    let needs = keys(
        &f.needs,
        &|v| r.needs.iter().any(|n| n.key == v),
        "needs-1",
        "needs",
    );
    tiers.sort();
    tiers.dedup();
    for (empty, field, message) in [
        (tiers.is_empty(), "tiers-1", "Choose at least one tier"),
        (
            place_types.is_empty(),
            "place_types-1",
            "Choose at least one type of place",
        ),
        (
            key_stages.is_empty(),
            "key_stages-1",
            "Choose at least one key stage",
        ),
    ] {
        if empty && !errors.iter().any(|e| e.field == field) {
            errors.push(FieldError {
                field: field.into(),
                message: message.into(),
            });
        }
    }
    let capacity = match capacity.trim().parse::<i64>() {
        Ok(n) if (0..=MAX_CAPACITY).contains(&n) => n,
        _ => {
            errors.push(FieldError {
                field: "capacity".into(),
                message: format!("Capacity must be a whole number from 0 to {MAX_CAPACITY}"),
            });
            0
        }
    };
    // No site rows at all: the form did not carry them, so sites stay as they are. (The page
    // always sends every row; removing all sites means ticking "remove" on each.)
    let sites = (!f.sites.is_empty()).then(|| parse_sites(&f.sites, existing, &mut errors));
    if errors.is_empty() {
        Ok(Some(Offer {
            sites,
            tiers,
            place_types,
            key_stages,
            needs,
            capacity,
        }))
    } else {
        Err(errors)
    }
}

/// Most sites one provider lists.
const MAX_SITES: usize = 20;

/// Checks the site rows. Coordinates come from the old site with the same postcode, else from
/// the postcode district; an unknown postcode is an error.
fn parse_sites(rows: &[SiteForm], existing: &[Site], errors: &mut Vec<FieldError>) -> Vec<Site> {
    let mut sites = Vec::new();
    if rows.len() > MAX_SITES + 1 {
        errors.push(FieldError {
            field: "sites-0-name".into(),
            message: format!("List at most {MAX_SITES} sites"),
        });
        return sites;
    }
    for (i, row) in rows.iter().enumerate() {
        let blank = [&row.name, &row.address, &row.postcode]
            .iter()
            .all(|v| v.trim().is_empty());
        if blank || row.remove {
            continue;
        }
        let [name_id, address_id, postcode_id] =
            ["name", "address", "postcode"].map(|f| Cow::Owned(format!("sites-{i}-{f}")));
        let name = text::single_line(&row.name, "the site's name", 120);
        let address = text::single_line(&row.address, "the site's address", 200);
        let postcode = crate::domain::Postcode::parse(&row.postcode);
        for (field, r) in [(name_id, &name), (address_id, &address)] {
            if let Err(e) = r {
                errors.push(FieldError {
                    field,
                    message: e.0.clone(),
                });
            }
        }
        let place = match &postcode {
            Err(e) => {
                errors.push(FieldError {
                    field: postcode_id,
                    message: e.0.clone(),
                });
                None
            }
            Ok(pc) => {
                let old = existing
                    .iter()
                    .find(|s| s.postcode == pc.as_str())
                    .and_then(|s| s.latitude.zip(s.longitude));
                match old.or_else(|| crate::geo::locate(pc)) {
                    Some(p) => Some((pc.as_str().to_string(), p)),
                    None => {
                        errors.push(FieldError {
                            field: postcode_id,
                            message: format!(
                                "We do not know where {} is. Check the postcode",
                                pc.as_str()
                            ),
                        });
                        None
                    }
                }
            }
        };
        if let (Ok(name), Ok(address), Some((postcode, (lat, lon)))) = (name, address, place) {
            sites.push(Site {
                name,
                address,
                postcode,
                latitude: Some(lat),
                longitude: Some(lon),
            });
        }
    }
    sites
}

/// The whole form: profile text and offer, with every problem at once.
pub fn parse_all(
    f: &ProfileForm,
    r: &Reference,
    existing: &[Site],
) -> Result<ProfileFields, Vec<FieldError>> {
    match (parse_profile(f), parse_offer(f, r, existing)) {
        (Ok(mut fields), Ok(offer)) => {
            fields.offer = offer;
            Ok(fields)
        }
        (a, b) => {
            let mut errors = a.err().unwrap_or_default();
            errors.extend(b.err().unwrap_or_default());
            Err(errors)
        }
    }
}

impl ProfileForm {
    /// The fields an import file carries; the rest stay empty.
    pub fn from_parts(
        name: String,
        summary: String,
        description: String,
        website: String,
        email: String,
        phone: String,
    ) -> Self {
        ProfileForm {
            name,
            summary,
            description,
            website,
            email,
            phone,
            ..<ProfileForm as Default>::default()
        }
    }
}

fn form_of(p: &ProfileFields) -> ProfileForm {
    let o = p.offer.as_ref();
    ProfileForm {
        name: p.name.clone(),
        summary: p.summary.clone(),
        description: p.description.clone(),
        website: p.website.clone(),
        email: p.email.clone(),
        phone: p.phone.clone(),
        qualifications: p.qualifications.clone(),
        days_hours: p.days_hours.clone(),
        transport: p.transport.clone(),
        tiers: o
            .map(|o| o.tiers.iter().map(i64::to_string).collect())
            .unwrap_or_default(),
        place_types: o.map(|o| o.place_types.clone()).unwrap_or_default(),
        key_stages: o.map(|o| o.key_stages.clone()).unwrap_or_default(),
        needs: o.map(|o| o.needs.clone()).unwrap_or_default(),
        capacity: o.map(|o| o.capacity.to_string()),
        sites: o
            .and_then(|o| o.sites.as_ref())
            .map(|sites| {
                sites
                    .iter()
                    .map(|s| SiteForm {
                        name: s.name.clone(),
                        address: s.address.clone(),
                        postcode: s.postcode.clone(),
                        remove: false,
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

#[derive(Serialize)]
struct Choice {
    value: String,
    label: String,
    checked: bool,
}

fn choices(options: Vec<(String, String)>, chosen: &[String]) -> Vec<Choice> {
    options
        .into_iter()
        .map(|(value, label)| Choice {
            checked: chosen.contains(&value),
            value,
            label,
        })
        .collect()
}

/// The form's values for the template, with the offer's checkbox lists.
fn values(f: &ProfileForm, r: &Reference) -> minijinja::Value {
    let tiers = choices(
        (1..=3)
            .map(|t| (t.to_string(), format!("Tier {t}")))
            .collect(),
        &f.tiers,
    );
    let place_types = choices(
        r.place_types
            .iter()
            .map(|t| (t.key.clone(), t.name.clone()))
            .collect(),
        &f.place_types,
    );
    let key_stages = choices(
        r.key_stages
            .iter()
            .map(|t| (t.key.clone(), t.key.clone()))
            .collect(),
        &f.key_stages,
    );
    let needs = choices(
        r.needs
            .iter()
            .map(|t| (t.key.clone(), format!("{} ({})", t.name, t.key)))
            .collect(),
        &f.needs,
    );
    // The rows as given, and a blank one to add a site (up to the limit).
    let mut sites = f.sites.clone();
    let last_blank = sites
        .last()
        .is_some_and(|s| s.name.is_empty() && s.address.is_empty() && s.postcode.is_empty());
    if !last_blank && sites.len() < MAX_SITES {
        sites.push(<SiteForm as Default>::default());
    }
    context! {
        name => &f.name, summary => &f.summary, description => &f.description, website => &f.website,
        email => &f.email, phone => &f.phone, qualifications => &f.qualifications,
        days_hours => &f.days_hours, transport => &f.transport,
        tiers, place_types, key_stages, needs, capacity => f.capacity.clone().unwrap_or_default(),
        sites,
    }
}

#[allow(clippy::too_many_arguments)]
async fn render_own(
    view: &Page<'_>,
    state: &AppState,
    provider_id: i64,
    csrf: &str,
    status: Status,
    form: Option<&ProfileForm>,
    errors: Vec<FieldError>,
    places_error: Option<String>,
    r: &Reference,
) -> AppResult<Reply> {
    let provider = db::providers::by_id(&state.pool, provider_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let live = versions::current(&state.pool, provider_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let pending = versions::pending_for(&state.pool, provider_id).await?;
    let shown = match (form, &pending) {
        (Some(f), _) => values(f, r),
        (None, Some(p)) => {
            let mut pending = p.profile();
            if pending.offer.is_none() {
                pending.offer = live.offer.clone();
            }
            values(&form_of(&pending), r)
        }
        (None, None) => values(&form_of(&live), r),
    };
    let changes: Vec<_> = pending
        .as_ref()
        .map(|p| live.changes(&p.profile()))
        .unwrap_or_default()
        .into_iter()
        .map(|(_, label, old, new)| context! { label, old, new })
        .collect();
    view.render(
        status,
        "directory/own_profile.html.j2",
        context! { provider, values => shown, pending, changes, errors, csrf_token => csrf, places_error },
    )
}

#[get("/provider/profile")]
async fn own_profile(
    view: Page<'_>,
    staff: ProviderStaff<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    search: &State<Search>,
) -> AppResult<Reply> {
    render_own(
        &view,
        state,
        staff.provider_id,
        &csrf.0,
        Status::Ok,
        None,
        vec![],
        None,
        &search.reference(),
    )
    .await
}

#[post("/provider/profile", data = "<form>")]
async fn submit_profile(
    view: Page<'_>,
    staff: ProviderStaff<'_>,
    csrf: CsrfToken,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    form: CsrfForm<ProfileForm>,
) -> AppResult<Reply> {
    let reference = search.reference();
    let live = versions::current(&state.pool, staff.provider_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let existing = live.offer.clone().and_then(|o| o.sites).unwrap_or_default();
    let fields = match parse_all(&form.0, &reference, &existing) {
        Ok(f) => f,
        Err(errors) => {
            return render_own(
                &view,
                state,
                staff.provider_id,
                &csrf.0,
                Status::UnprocessableEntity,
                Some(&form.0),
                errors,
                None,
                &reference,
            )
            .await
        }
    };
    if live.changes(&fields).is_empty() {
        return Ok(Reply::flash(
            "/provider/profile",
            "info",
            "Nothing has changed, so nothing was sent for approval.",
        ));
    }
    let mut tx = crate::db::write(&state.pool).await?;
    let id = versions::submit(
        &mut tx,
        staff.provider_id,
        &fields,
        staff.user.user_id,
        db::now(),
    )
    .await?;
    let provider_name = live.name.clone();
    let notice = Notice::new(
        NoticeKind::ProfileSubmitted,
        Recipient::Role(Role::Progressions),
        &format!("{provider_name} has sent changes to its profile for approval."),
        "/approvals",
    )
    .map_err(|e| AppError::Internal(e.0))?;
    crate::notify::raise(&mut tx, &state.config, &notice).await?;
    let detail = format!("provider {} submitted for approval", staff.provider_id);
    db::audit::record(
        &mut *tx,
        &actor.entry("submit", "provider_version", Some(id.to_string()), detail),
    )
    .await?;
    tx.commit().await?;
    Ok(Reply::flash(
        "/provider/profile",
        "success",
        "Your changes have been sent to the Progressions Team. They will show on your public profile once approved.",
    ))
}

#[derive(FromForm)]
pub struct PlacesForm {
    #[field(default = String::new())]
    places_free: String,
}

#[post("/provider/places", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn set_places(
    view: Page<'_>,
    staff: ProviderStaff<'_>,
    csrf: CsrfToken,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    form: CsrfForm<PlacesForm>,
) -> AppResult<Reply> {
    let provider = db::providers::by_id(&state.pool, staff.provider_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let places = match form.0.places_free.trim().parse::<i64>() {
        Ok(n) if (0..=provider.row.capacity).contains(&n) => n,
        _ => {
            let msg = format!(
                "Places free must be a whole number from 0 to {}",
                provider.row.capacity
            );
            return render_own(
                &view,
                state,
                staff.provider_id,
                &csrf.0,
                Status::UnprocessableEntity,
                None,
                vec![],
                Some(msg),
                &search.reference(),
            )
            .await;
        }
    };
    let mut tx = crate::db::write(&state.pool).await?;
    versions::set_places_free(&mut tx, staff.provider_id, places, db::now()).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "update_places",
            "provider",
            Some(staff.provider_id.to_string()),
            format!("places free {places}"),
        ),
    )
    .await?;
    tx.commit().await?;
    refresh(&state.pool, search, staff.provider_id).await?;
    Ok(Reply::flash(
        "/provider/profile",
        "success",
        format!("Places free updated to {places}."),
    ))
}

#[get("/approvals")]
async fn approvals(
    view: Page<'_>,
    _p: Progressions<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
) -> AppResult<Reply> {
    let queue = versions::queue(&state.pool).await?;
    let mut items = Vec::new();
    for v in queue {
        let live = versions::current(&state.pool, v.provider_id)
            .await?
            .unwrap_or_default();
        let changes: Vec<_> = live
            .changes(&v.profile())
            .into_iter()
            .map(|(_, label, old, new)| context! { label, old, new })
            .collect();
        items.push(context! { version => v, changes });
    }
    view.ok(
        "directory/approvals.html.j2",
        context! { items, csrf_token => csrf.0 },
    )
}

#[derive(FromForm)]
pub struct DecisionForm {
    #[field(default = String::new())]
    decision: String,
    #[field(default = String::new())]
    note: String,
}

#[post("/approvals/<id>", data = "<form>")]
async fn decide(
    p: Progressions<'_>,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    id: i64,
    form: CsrfForm<DecisionForm>,
) -> AppResult<Reply> {
    let approve = match form.0.decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Choose whether to approve or reject the changes".into(),
            ))
        }
    };
    let note = paragraph(&form.0.note, "note", 1000, !approve).map_err(|m| {
        AppError::Unprocessable(if approve {
            m
        } else {
            format!("{m}: say why the changes are rejected")
        })
    })?;
    let version = versions::get(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut tx = crate::db::write(&state.pool).await?;
    if !versions::decide(&mut tx, id, approve, &note, p.0.user_id, db::now()).await? {
        return Err(AppError::Conflict(
            "These changes have already been decided or replaced by newer ones.".into(),
        ));
    }
    let body = if approve {
        format!(
            "The council approved your changes to {}; they are now on your public profile.",
            version.provider_name
        )
    } else {
        format!(
            "The council did not approve your changes to {}. Their note: {note}",
            version.provider_name
        )
    };
    let notice = Notice::new(
        NoticeKind::ProfileDecided,
        Recipient::Provider(version.provider_id),
        &body,
        "/provider/profile",
    )
    .map_err(|e| AppError::Internal(e.0))?;
    crate::notify::raise(&mut tx, &state.config, &notice).await?;
    let action = if approve { "approve" } else { "reject" };
    db::audit::record(
        &mut *tx,
        &actor.entry(action, "provider_version", Some(id.to_string()), ""),
    )
    .await?;
    tx.commit().await?;
    refresh(&state.pool, search, version.provider_id).await?;
    let msg = if approve {
        "Approved: the changes are now on the public profile."
    } else {
        "Rejected: the provider can see your note."
    };
    Ok(Reply::flash(
        "/approvals",
        "success",
        format!("{} {msg}", version.provider_name),
    ))
}

async fn provider_id_for(state: &AppState, slug: &str) -> AppResult<i64> {
    if !text::is_slug(slug) {
        return Err(AppError::NotFound);
    }
    Ok(db::providers::by_slug(&state.pool, slug)
        .await?
        .ok_or(AppError::NotFound)?
        .row
        .id)
}

#[get("/providers/<slug>/edit")]
async fn edit_page(
    view: Page<'_>,
    _p: Progressions<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
    search: &State<Search>,
    slug: &str,
) -> AppResult<Reply> {
    let id = provider_id_for(state, slug).await?;
    let live = versions::current(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    view.ok(
        "directory/edit.html.j2",
        context! { slug, values => values(&form_of(&live), &search.reference()), errors => Vec::<FieldError>::new(), csrf_token => csrf.0 },
    )
}

#[post("/providers/<slug>/edit", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn edit(
    view: Page<'_>,
    p: Progressions<'_>,
    csrf: CsrfToken,
    actor: Actor,
    state: &State<AppState>,
    search: &State<Search>,
    slug: &str,
    form: CsrfForm<ProfileForm>,
) -> AppResult<Reply> {
    let id = provider_id_for(state, slug).await?;
    let reference = search.reference();
    let existing = versions::offer(&state.pool, id)
        .await?
        .sites
        .unwrap_or_default();
    let fields = match parse_all(&form.0, &reference, &existing) {
        Ok(f) => f,
        Err(errors) => return view.render(
            Status::UnprocessableEntity,
            "directory/edit.html.j2",
            context! { slug, values => values(&form.0, &reference), errors, csrf_token => csrf.0 },
        ),
    };
    let mut tx = crate::db::write(&state.pool).await?;
    let vid = versions::edit_directly(&mut tx, id, &fields, p.0.user_id, db::now()).await?;
    db::audit::record(
        &mut *tx,
        &actor.entry(
            "edit",
            "provider",
            Some(id.to_string()),
            format!("version {vid}"),
        ),
    )
    .await?;
    tx.commit().await?;
    refresh(&state.pool, search, id).await?;
    Ok(Reply::flash(
        format!("/providers/{slug}"),
        "success",
        "The profile has been updated.",
    ))
}

/// Every version with who and when: for Progressions, and for the provider's own staff.
#[get("/providers/<slug>/history")]
async fn history(
    view: Page<'_>,
    user: SignedIn<'_>,
    state: &State<AppState>,
    slug: &str,
) -> AppResult<Reply> {
    let id = provider_id_for(state, slug).await?;
    let allowed = user.0.role == Role::Progressions
        || (user.0.role == Role::Provider && user.0.provider_id == Some(id));
    if !allowed {
        // Another organisation's history is not disclosed.
        return Err(if user.0.role == Role::Provider {
            AppError::NotFound
        } else {
            AppError::Forbidden("Your account does not give you access to this page.".into())
        });
    }
    let versions = versions::history(&state.pool, id).await?;
    let provider = db::providers::by_id(&state.pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let rows: Vec<_> = versions
        .iter()
        .map(|v| {
            let p = v.profile();
            context! { version => v, summary => p.summary, name => p.name }
        })
        .collect();
    view.ok("directory/history.html.j2", context! { provider, rows })
}
