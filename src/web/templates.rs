use crate::error::AppError;
use minijinja::{AutoEscape, Environment, Value};
use rust_embed::RustEmbed;

#[derive(RustEmbed)]
#[folder = "templates/"]
struct TemplateFiles;

#[derive(RustEmbed)]
#[folder = "static/"]
pub struct Static;

/// minijinja over templates embedded in the binary (read from disk in debug builds).
pub struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub fn new() -> Templates {
        let mut env = Environment::new();
        env.set_loader(|name| {
            Ok(TemplateFiles::get(name).map(|f| String::from_utf8_lossy(&f.data).into_owned()))
        });
        // Autoescape hangs on the `.html.j2` suffix: every page template is escaped.
        env.set_auto_escape_callback(|name| {
            if name.ends_with(".html.j2") || name.ends_with(".html") {
                AutoEscape::Html
            } else {
                AutoEscape::None
            }
        });
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        env.add_filter("date", filter_date);
        env.add_filter("datetime", filter_datetime);
        env.add_filter("dd_words", dd_words);
        env.add_filter("registration_words", registration_words);
        env.add_filter("place_type_name", place_type_name);
        env.add_filter("place_type_definition", |v: String| {
            crate::domain::PlaceType::parse(&v)
                .map(|p| p.definition().to_string())
                .unwrap_or_default()
        });
        env.add_filter("placement_words", placement_words);
        Templates { env }
    }

    pub fn render(&self, name: &str, ctx: Value) -> Result<String, AppError> {
        let tmpl = self
            .env
            .get_template(name)
            .map_err(|e| AppError::Internal(format!("template {name}: {e:#}")))?;
        tmpl.render(ctx)
            .map_err(|e| AppError::Internal(format!("template {name}: {e:#}")))
    }
}

impl Default for Templates {
    fn default() -> Self {
        Templates::new()
    }
}

/// `2026-03-03` or an RFC 3339 time → `3 March 2026` (GOV.UK date style).
fn filter_date(v: String) -> String {
    let date = v.get(..10).unwrap_or(&v);
    match chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d") {
        Ok(d) => d.format("%-d %B %Y").to_string(),
        Err(_) => v,
    }
}

/// An RFC 3339 UTC time shown in UK local time: `3 March 2026, 2:05pm`.
fn filter_datetime(v: String) -> String {
    match chrono::DateTime::parse_from_rfc3339(&v) {
        Ok(t) => t
            .with_timezone(&chrono_tz::Europe::London)
            .format("%-d %B %Y, %-I:%M%P")
            .to_string(),
        Err(_) => v,
    }
}

/// Due-diligence status in words (DOMAIN.md section 7).
fn dd_words(v: String) -> String {
    match v.as_str() {
        "approved" => "Checks complete and current",
        "expiring" => "Checks due soon",
        "lapsed" => "Checks out of date",
        "suspended" => "Suspended: not taking new placements",
        "pending" => "Checks not yet complete",
        _ => "Unknown",
    }
    .to_string()
}

fn registration_words(v: String) -> String {
    match v.as_str() {
        "registered_school" => "Registered school",
        "non_school" => "Unregistered (non-school) provision",
        "online" => "Online provision",
        _ => "Unknown",
    }
    .to_string()
}

fn place_type_name(v: String) -> String {
    crate::domain::PlaceType::parse(&v)
        .map(|p| p.name().to_string())
        .unwrap_or(v)
}

/// A placement vocabulary key in words: `{{ p.reason|placement_words("reason") }}`.
fn placement_words(v: String, vocabulary: String) -> String {
    use crate::domain::placement::*;
    let label = match vocabulary.as_str() {
        "reason" => Reason::parse(&v).map(Reason::label),
        "status" => Status::parse(&v).map(Status::label),
        "destination" => Destination::parse(&v).map(Destination::label),
        "next_step" => NextStep::parse(&v).map(NextStep::label),
        "decision" => Decision::parse(&v).map(Decision::label),
        "sen" => SenStatus::parse(&v).map(SenStatus::label),
        "commissioner" => Commissioner::parse(&v).map(Commissioner::label),
        _ => return v,
    };
    label.map(str::to_string).unwrap_or(v)
}
