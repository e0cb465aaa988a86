//! Schools: the GIAS import (`gias`), and the administrator's page for the URN-to-locality
//! table the import assigns localities from.

pub mod gias;

use crate::auth::csrf::{token_matches, CsrfToken, SameOrigin};
use crate::auth::guards::{Actor, Admin};
use crate::db::{self, Pool};
use crate::error::{AppError, AppResult};
use crate::web::{Page, Reply};
use crate::AppState;
use minijinja::context;
use rocket::form::{Form, FromForm};
use rocket::fs::TempFile;
use rocket::http::Status;
use rocket::tokio::io::AsyncReadExt;
use rocket::{get, post, routes, Route, State};
use serde::Serialize;

pub fn routes() -> Vec<Route> {
    routes![page, upload_localities]
}

/// Problems shown at most, so a wrong file does not make a page of thousands.
const SHOWN_PROBLEMS: usize = 20;

/// Reads a URN-to-locality table: a CSV with `URN` and `Locality` columns (any case); a
/// locality is given by its name or its key. Every problem is reported; nothing is half-read.
pub fn parse_locality_table(
    text: &str,
    localities: &[db::reference::LocalityRow],
) -> Result<Vec<(String, i64)>, Vec<String>> {
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => return Err(vec![format!("The first line could not be read: {e}")]),
    };
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(i_urn), Some(i_locality)) = (column("URN"), column("Locality")) else {
        return Err(vec![
            "The file needs a URN column and a Locality column on its first line".into(),
        ]);
    };
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("Line {line}: could not be read ({e})"));
                continue;
            }
        };
        let urn = match crate::domain::Urn::parse(record.get(i_urn).unwrap_or("")) {
            Ok(u) => u.as_str().to_string(),
            Err(e) => {
                problems.push(format!("Line {line}: {e}"));
                continue;
            }
        };
        let wanted = record.get(i_locality).unwrap_or("").trim();
        let Some(locality) = localities
            .iter()
            .find(|l| l.name.eq_ignore_ascii_case(wanted) || l.key.eq_ignore_ascii_case(wanted))
        else {
            let known: Vec<&str> = localities.iter().map(|l| l.name.as_str()).collect();
            problems.push(format!(
                "Line {line}: \"{}\" is not a locality (they are {})",
                wanted.chars().take(40).collect::<String>(),
                known.join(", ")
            ));
            continue;
        };
        if !seen.insert(urn.clone()) {
            problems.push(format!(
                "Line {line}: URN {urn} is in the file more than once"
            ));
            continue;
        }
        rows.push((urn, locality.id));
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// Replaces the table from a file's bytes (UTF-8 or Windows-1252): the rows written and
/// schools changed, or every problem (and nothing written).
pub async fn load_locality_table(
    pool: &Pool,
    data: &[u8],
) -> AppResult<Result<(usize, u64), Vec<String>>> {
    let localities = db::reference::localities(pool).await?;
    let text = gias::decode(data);
    match parse_locality_table(&text, &localities) {
        Ok(rows) => {
            let changed = db::schools::replace_locality_table(pool, &rows, db::now()).await?;
            Ok(Ok((rows.len(), changed)))
        }
        Err(problems) => Ok(Err(problems)),
    }
}

#[derive(Serialize)]
struct LocalityCount {
    locality: String,
    open: i64,
    closed: i64,
}

async fn render(
    view: &Page<'_>,
    state: &AppState,
    csrf: &str,
    status: Status,
    problems: Vec<String>,
    done: Option<String>,
) -> AppResult<Reply> {
    let mut counts: Vec<LocalityCount> = Vec::new();
    for (locality, school_status, n) in db::schools::counts_by_locality(&state.pool).await? {
        let locality = locality.unwrap_or_else(|| "No locality".into());
        let at = match counts.iter().position(|c| c.locality == locality) {
            Some(i) => i,
            None => {
                counts.push(LocalityCount {
                    locality,
                    open: 0,
                    closed: 0,
                });
                counts.len() - 1
            }
        };
        if school_status == "Closed" {
            counts[at].closed += n;
        } else {
            counts[at].open += n;
        }
    }
    let mapped = db::schools::locality_table(&state.pool).await?.len();
    let more = problems.len().saturating_sub(SHOWN_PROBLEMS);
    let problems: Vec<String> = problems.into_iter().take(SHOWN_PROBLEMS).collect();
    view.render(
        status,
        "admin/schools.html.j2",
        context! { counts, mapped, problems, more, done, csrf_token => csrf },
    )
}

#[get("/admin/schools")]
async fn page(
    view: Page<'_>,
    _admin: Admin<'_>,
    csrf: CsrfToken,
    state: &State<AppState>,
) -> AppResult<Reply> {
    render(&view, state, &csrf.0, Status::Ok, vec![], None).await
}

#[derive(FromForm)]
pub struct LocalityUpload<'r> {
    csrf_token: String,
    /// Errors kept, so a file over the size limit is reported rather than ignored.
    file: rocket::form::Result<'r, TempFile<'r>>,
}

#[post("/admin/schools/localities", data = "<form>")]
#[allow(clippy::too_many_arguments)]
async fn upload_localities(
    view: Page<'_>,
    admin: Admin<'_>,
    _same: SameOrigin,
    actor: Actor,
    csrf: CsrfToken,
    state: &State<AppState>,
    form: Form<LocalityUpload<'_>>,
) -> AppResult<Reply> {
    if !token_matches(&admin.0.csrf_token, &form.csrf_token) {
        return Err(AppError::Forbidden(
            "This form has expired or did not come from this service. Go back, reload the page and try again."
                .into(),
        ));
    }
    let problem = |p: &str| vec![p.to_string()];
    let data = match &form.file {
        Ok(f) if f.len() > 0 => {
            let mut buf = Vec::new();
            let read = match f.open().await {
                Ok(mut r) => r.read_to_end(&mut buf).await.is_ok(),
                Err(_) => false,
            };
            if !read {
                return render(
                    &view,
                    state,
                    &csrf.0,
                    Status::UnprocessableEntity,
                    problem("The file could not be read"),
                    None,
                )
                .await;
            }
            buf
        }
        Ok(_) => {
            return render(
                &view,
                state,
                &csrf.0,
                Status::UnprocessableEntity,
                problem("Choose a CSV file of URNs and localities"),
                None,
            )
            .await;
        }
        Err(_) => {
            return render(
                &view,
                state,
                &csrf.0,
                Status::UnprocessableEntity,
                problem("The file must be a CSV file of 10 MB or less"),
                None,
            )
            .await;
        }
    };
    match load_locality_table(&state.pool, &data).await? {
        Ok((rows, changed)) => {
            let mut conn = state.pool.acquire().await?;
            db::audit::record(
                &mut *conn,
                &actor.entry(
                    "replace",
                    "school_localities",
                    None,
                    format!("{rows} URNs; {changed} schools' localities changed"),
                ),
            )
            .await?;
            let done = format!(
                "The table now has {rows} schools. {changed} schools here changed locality; the next GIAS import uses it for new schools too."
            );
            render(&view, state, &csrf.0, Status::Ok, vec![], Some(done)).await
        }
        Err(problems) => {
            render(
                &view,
                state,
                &csrf.0,
                Status::UnprocessableEntity,
                problems,
                None,
            )
            .await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn localities() -> Vec<db::reference::LocalityRow> {
        vec![
            db::reference::LocalityRow {
                id: 1,
                key: "a".into(),
                name: "North East".into(),
            },
            db::reference::LocalityRow {
                id: 2,
                key: "b".into(),
                name: "Central".into(),
            },
        ]
    }

    #[test]
    fn a_locality_table_reads_names_or_keys_in_any_case() {
        let rows =
            parse_locality_table("urn,LOCALITY\n107136,north east\n107137,B\n", &localities());
        assert_eq!(rows, Ok(vec![("107136".into(), 1), ("107137".into(), 2)]));
    }

    #[test]
    fn every_problem_is_reported_with_its_line() {
        let problems = parse_locality_table(
            "URN,Locality\n12,Central\n107136,Nowhere\n107137,Central\n107137,Central\n",
            &localities(),
        )
        .expect_err("problems");
        assert_eq!(problems.len(), 3);
        assert!(problems[0].starts_with("Line 2:"));
        assert!(problems[1].contains("\"Nowhere\" is not a locality"));
        assert!(problems[2].contains("more than once"));
        assert!(parse_locality_table("School,Area\n", &localities()).is_err());
    }
}
