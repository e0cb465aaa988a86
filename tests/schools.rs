//! Schools from GIAS: `apdir import schools` on an establishment extract (Windows-1252, its
//! real column names), coordinates checked against Ordnance Survey's published points, the
//! council's LA only, closures, the report of skipped rows, and the URN-to-locality table.

mod common;

use apdir::schools::{gias, load_locality_table};
use common::TestApp;
use rocket::http::Status;

/// The start of a real GIAS extract's header (it has about 130 columns; the import reads ten,
/// by name, wherever they are).
const HEADER: &str = "URN,LA (code),LA (name),EstablishmentNumber,EstablishmentName,TypeOfEstablishment (code),TypeOfEstablishment (name),EstablishmentTypeGroup (name),EstablishmentStatus (code),EstablishmentStatus (name),PhaseOfEducation (code),PhaseOfEducation (name),Street,Town,Postcode,Easting,Northing,OpenDate,CloseDate";

/// One row: urn, la, number, name, type, status, phase, postcode, easting, northing.
#[allow(clippy::too_many_arguments)]
fn row(
    urn: &str,
    la: &str,
    number: &str,
    name: &[u8],
    status: &str,
    phase: &str,
    postcode: &str,
    e: &str,
    n: &str,
) -> Vec<u8> {
    let mut r = format!("{urn},{la},Sheffield,{number},\"").into_bytes();
    r.extend_from_slice(name);
    r.extend_from_slice(
        format!(
            "\",1,Community school,Local authority maintained schools,1,\"{status}\",2,{phase},1 School Lane,Sheffield,{postcode},{e},{n},01-09-1990,\n"
        )
        .as_bytes(),
    );
    r
}

/// Ordnance Survey OSTN15 test points: (easting, northing, latitude, longitude).
const TP20: (f64, f64, f64, f64) = (422242.186, 433818.701, 53.8002152, -1.66379168);
const TP15: (f64, f64, f64, f64) = (454002.834, 340834.943, 52.96219109, -1.19747656);
const TP16: (f64, f64, f64, f64) = (357455.843, 383290.436, 53.3448028, -2.64049321);

fn metres_apart(a: (f64, f64), b: (f64, f64)) -> f64 {
    let north = (a.0 - b.0) * 111_320.0;
    let east = (a.1 - b.1) * 111_320.0 * a.0.to_radians().cos();
    north.hypot(east)
}

async fn school(
    app: &TestApp,
    urn: &str,
) -> Option<(String, String, Option<f64>, Option<f64>, Option<i64>)> {
    sqlx::query_as(
        "SELECT name, status, latitude, longitude, locality_id FROM schools WHERE urn = $1",
    )
    .bind(urn)
    .fetch_optional(&app.pool)
    .await
    .expect("school")
}

struct Extract {
    bytes: Vec<u8>,
    existing: String,
    closing: String,
}

async fn extract(app: &TestApp) -> Extract {
    let urns: Vec<String> = sqlx::query_scalar("SELECT urn FROM schools ORDER BY id LIMIT 2")
        .fetch_all(&app.pool)
        .await
        .expect("demo schools");
    let (existing, closing) = (urns[0].clone(), urns[1].clone());
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.push(b'\n');
    let f = |v: f64| format!("{v}");
    for r in [
        // A new school, its name in Windows-1252 (0x92 is a right single quotation mark).
        row(
            "900001",
            "373",
            "2001",
            b"St Mary\x92s Catholic Primary School",
            "Open",
            "Primary",
            "S2 4QS",
            &f(TP20.0),
            &f(TP20.1),
        ),
        row(
            "900002",
            "373",
            "4001",
            b"Ecclesfield School",
            "Open, but proposed to close",
            "Secondary",
            "S35 9WD",
            &f(TP15.0),
            &f(TP15.1),
        ),
        // No coordinates in GIAS: kept, without a point.
        row(
            "900003",
            "373",
            "7001",
            b"Hill House Special School",
            "Open",
            "Not applicable",
            "S5 6AB",
            "",
            "",
        ),
        // An existing school renamed and moved.
        row(
            &existing,
            "373",
            "2002",
            b"Renamed Junior School",
            "Open",
            "Primary",
            "S6 1AA",
            &f(TP16.0),
            &f(TP16.1),
        ),
        // GIAS closed one of ours, and one we never had.
        row(
            &closing,
            "373",
            "2003",
            b"Closing School",
            "Closed",
            "Primary",
            "S6 1AB",
            "",
            "",
        ),
        row(
            "900009",
            "373",
            "2004",
            b"Long Gone School",
            "Closed",
            "Primary",
            "",
            "",
            "",
        ),
        // Another council's school.
        row(
            "106000",
            "372",
            "2005",
            b"Rotherham School",
            "Open",
            "Primary",
            "S60 1AA",
            "443000",
            "392000",
        ),
        // Bad rows, each with its reason.
        row(
            "90000X",
            "373",
            "2006",
            b"Bad URN School",
            "Open",
            "Primary",
            "S1 1AA",
            "",
            "",
        ),
        row(
            "900004",
            "373",
            "2007",
            b"No Postcode School",
            "Open",
            "Primary",
            "",
            "",
            "",
        ),
        row(
            "900005",
            "373",
            "2008",
            b"Bad Grid School",
            "Open",
            "Primary",
            "S1 1AA",
            "abc",
            "387000",
        ),
        row(
            "900006",
            "373",
            "2009",
            b"Future School",
            "Proposed to open",
            "Primary",
            "S1 1AA",
            "",
            "",
        ),
        row(
            "900001",
            "373",
            "2010",
            b"Twice School",
            "Open",
            "Primary",
            "S1 1AA",
            "",
            "",
        ),
    ] {
        bytes.extend_from_slice(&r);
    }
    Extract {
        bytes,
        existing,
        closing,
    }
}

#[rocket::async_test]
async fn a_gias_extract_imports_with_correct_coordinates_and_a_report() {
    let app = TestApp::with_demo().await;
    let before = app.count("SELECT COUNT(*) FROM schools").await;
    let x = extract(&app).await;
    // The administrator's table puts the new primary school in a locality.
    let locality: i64 = sqlx::query_scalar("SELECT MIN(id) FROM localities")
        .fetch_one(&app.pool)
        .await
        .expect("locality");
    let name_of_first: String = sqlx::query_scalar("SELECT name FROM localities WHERE id = $1")
        .bind(locality)
        .fetch_one(&app.pool)
        .await
        .expect("name");
    let table = format!("URN,Locality\n900001,{name_of_first}\n");
    assert_eq!(
        load_locality_table(&app.pool, table.as_bytes())
            .await
            .expect("loads"),
        Ok((1, 0))
    );

    let counted = std::sync::atomic::AtomicU64::new(0);
    let report = gias::import(&app.pool, &x.bytes, "373", &|n| {
        counted.fetch_add(n, std::sync::atomic::Ordering::Relaxed);
    })
    .await
    .expect("imports");
    assert_eq!(report.rows, 12);
    assert_eq!(report.other_la, 1);
    assert_eq!(
        (
            report.added,
            report.updated,
            report.closed,
            report.closed_unknown
        ),
        (3, 1, 1, 1),
        "{report:?}"
    );
    let reasons: Vec<(usize, String)> = report
        .skipped
        .iter()
        .map(|s| (s.line, s.reason.clone()))
        .collect();
    assert_eq!(reasons.len(), 5, "{reasons:?}");
    assert!(
        reasons[0].0 == 9 && reasons[0].1.contains("A URN is 6 digits"),
        "{reasons:?}"
    );
    assert!(
        reasons[1].0 == 10 && reasons[1].1.starts_with("Postcode"),
        "{reasons:?}"
    );
    assert!(
        reasons[2].0 == 11 && reasons[2].1.contains("Easting \"abc\""),
        "{reasons:?}"
    );
    assert!(
        reasons[3].0 == 12 && reasons[3].1.contains("not opened yet"),
        "{reasons:?}"
    );
    assert!(
        reasons[4].0 == 13 && reasons[4].1.contains("more than once"),
        "{reasons:?}"
    );
    assert_eq!(app.audit_count("schools.import").await, 1);
    // Every row kept was counted for the progress bar.
    assert_eq!(counted.into_inner(), 6);
    assert_eq!(app.count("SELECT COUNT(*) FROM schools").await, before + 3);

    let (name, status, _, _, loc) = school(&app, "900001").await.expect("new school");
    assert_eq!(name, "St Mary\u{2019}s Catholic Primary School");
    assert_eq!(status, "Open");
    assert_eq!(loc, Some(locality));
    for (urn, tp) in [
        ("900001", TP20),
        ("900002", TP15),
        (x.existing.as_str(), TP16),
    ] {
        let (_, _, lat, lon, _) = school(&app, urn).await.expect("school");
        let got = (lat.expect("latitude"), lon.expect("longitude"));
        let d = metres_apart(got, (tp.2, tp.3));
        assert!(d < 10.0, "{urn} is {d} m from Ordnance Survey's answer");
    }
    let (_, _, lat, lon, loc) = school(&app, "900003")
        .await
        .expect("school without a point");
    assert_eq!((lat, lon, loc), (None, None, None));
    let (name, status, ..) = school(&app, &x.existing).await.expect("renamed");
    assert_eq!(
        (name.as_str(), status.as_str()),
        ("Renamed Junior School", "Open")
    );
    let (_, status, ..) = school(&app, &x.closing).await.expect("closed");
    assert_eq!(status, "Closed");
    assert!(
        school(&app, "106000").await.is_none(),
        "another council's school"
    );
    assert!(school(&app, "900009").await.is_none());
    // A closed school gets no new accounts.
    app.login("admin@demo.test").await;
    let r = app
        .post_csrf(
            "/admin/users",
            &[
                ("email", "head@closing.example.org"),
                ("display_name", "Head Teacher"),
                ("role", "school"),
                ("school_urn", x.closing.as_str()),
                ("password", "a-long-enough-password"),
            ],
        )
        .await;
    assert_eq!(r.status(), Status::UnprocessableEntity);
    let html = r.into_string().await.unwrap_or_default();
    assert!(html.contains("is closed, according to GIAS"), "{html}");

    // The same file again changes nothing.
    let again = gias::import(&app.pool, &x.bytes, "373", &|_| {})
        .await
        .expect("imports");
    assert_eq!((again.added, again.updated, again.closed), (0, 0, 0));
    assert_eq!(again.unchanged, 5);

    // A locality table applied later moves schools already here.
    let (second, second_name): (i64, String) =
        sqlx::query_as("SELECT id, name FROM localities ORDER BY id DESC LIMIT 1")
            .fetch_one(&app.pool)
            .await
            .expect("another locality");
    assert_ne!(second, locality);
    let table = format!(
        "URN,Locality\n900002,{second_name}\n900001,{first}\n",
        first = name_of_first
    );
    assert_eq!(
        load_locality_table(&app.pool, table.as_bytes())
            .await
            .expect("loads"),
        Ok((2, 1))
    );
    assert_eq!(school(&app, "900002").await.and_then(|s| s.4), Some(second));
}

#[rocket::async_test]
async fn a_file_that_is_not_a_gias_extract_is_refused_whole() {
    let app = TestApp::with_demo().await;
    let before = app.count("SELECT COUNT(*) FROM schools").await;
    let err = gias::import(&app.pool, b"URN,Name\n107136,A school\n", "373", &|_| {})
        .await
        .expect_err("refused");
    assert!(
        err.to_string().contains("no EstablishmentName, LA (code)"),
        "{err}"
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM schools").await, before);
    // Bytes that are not text at all give a report, never a panic.
    let r = gias::import(&app.pool, b"\xff\xfe\x00\x01", "373", &|_| {}).await;
    assert!(r.is_err());
}

#[test]
fn the_cli_imports_schools_and_the_locality_table() {
    let dir = tempfile::tempdir().expect("dir");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let (url, _db) = rt.block_on(common::fresh_database_url(dir.path()));
    let run = |args: &[&str]| common::apdir_cli(dir.path(), &url, args);
    assert!(run(&["migrate"]).status.success());
    let path = dir.path().join("edubasealldata.csv");
    let mut bytes = HEADER.as_bytes().to_vec();
    bytes.push(b'\n');
    bytes.extend(row(
        "900001",
        "373",
        "2001",
        b"Caf\xe9 Lane Primary",
        "Open",
        "Primary",
        "S2 4QS",
        "435000",
        "387000",
    ));
    bytes.extend(row(
        "9", "373", "2001", b"Bad", "Open", "Primary", "S2 4QS", "", "",
    ));
    std::fs::write(&path, bytes).expect("write");
    let out = run(&["import", "schools", path.to_str().unwrap_or_default()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{text} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(text.contains("line 3 (URN 9): A URN is 6 digits"), "{text}");
    assert!(
        text.contains("2 rows read, 0 for other local authorities. Added 1, updated 0"),
        "{text}"
    );
    assert!(text.contains("1 schools have no locality"), "{text}");

    let table = dir.path().join("localities.csv");
    std::fs::write(&table, "URN,Locality\n900001,Nowhere\n").expect("write");
    let out = run(&[
        "import",
        "school-localities",
        table.to_str().unwrap_or_default(),
    ]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("\"Nowhere\" is not a locality"));

    let out = run(&[
        "import",
        "schools",
        dir.path().join("missing.csv").to_str().unwrap_or_default(),
    ]);
    assert!(!out.status.success());
}

#[rocket::async_test]
async fn the_administrator_uploads_the_locality_table_on_the_schools_page() {
    let app = TestApp::with_demo().await;
    app.login("admin@demo.test").await;
    let (status, html) = app.get("/admin/schools").await;
    assert_eq!(status, Status::Ok);
    assert!(html.contains("Schools and localities"));
    let urn: String = sqlx::query_scalar(
        "SELECT urn FROM schools WHERE locality_id IS NOT NULL ORDER BY id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("school");
    let (old, other): (i64, String) = sqlx::query_as(
        "SELECT s.locality_id, (SELECT l.name FROM localities l WHERE l.id <> s.locality_id ORDER BY l.id LIMIT 1) \
         FROM schools s WHERE s.urn = $1",
    )
    .bind(&urn)
    .fetch_one(&app.pool)
    .await
    .expect("localities");

    // A bad file changes nothing and says why.
    let bad = format!("URN,Locality\n{urn},{other}\n12,{other}\n");
    let (status, html) = app
        .post_upload(
            "/admin/schools/localities",
            &[],
            Some(("file", "localities.csv", bad.as_bytes())),
        )
        .await;
    assert_eq!(status, Status::UnprocessableEntity);
    assert!(
        html.contains("The table was not changed") && html.contains("Line 3"),
        "{html}"
    );
    assert_eq!(school(&app, &urn).await.and_then(|s| s.4), Some(old));
    let (status, _) = app
        .post_upload("/admin/schools/localities", &[], None)
        .await;
    assert_eq!(status, Status::UnprocessableEntity);

    let good = format!("URN,Locality\n{urn},{other}\n");
    let (status, html) = app
        .post_upload(
            "/admin/schools/localities",
            &[],
            Some(("file", "localities.csv", good.as_bytes())),
        )
        .await;
    assert_eq!(status, Status::Ok, "{html}");
    assert!(html.contains("1 schools here changed locality"), "{html}");
    assert_ne!(school(&app, &urn).await.and_then(|s| s.4), Some(old));
    assert_eq!(app.audit_count("replace").await, 1);
}
