//! The access matrix: every mounted route × every role × {own record, another organisation's
//! record, missing id} → the expected answer. A mounted route without a row fails the test.
//! Records of another organisation answer 404 (not 403), so their existence is not disclosed.

mod common;

use common::TestApp;
use rocket::http::Status;
use std::collections::{BTreeSet, HashMap};

/// anonymous, school, provider, progressions, taskforce, admin
const ROLES: [Option<&str>; 6] = [
    None,
    Some("school@demo.test"),
    Some("provider@demo.test"),
    Some("progressions@demo.test"),
    Some("taskforce@demo.test"),
    Some("admin@demo.test"),
];

#[derive(Clone, Copy, Debug, PartialEq)]
enum Case {
    /// The route has no record id.
    None,
    Own,
    Other,
    Missing,
}

struct Row {
    route: &'static str,
    case: Case,
    /// `{id}` is replaced from the fixture for the case and role.
    path: &'static str,
    form: Option<&'static [(&'static str, &'static str)]>,
    expect: [u16; 6],
    /// Pupil-level rows: what the body must (and must not) contain.
    pupils: PupilCheck,
}

#[derive(Clone, Copy, PartialEq)]
enum PupilCheck {
    No,
    /// A list: exactly the UPNs the role may see, and no others.
    List,
    /// One record: its UPN appears when the answer is 200.
    Record,
    /// An export or a selection: only UPNs the role may see, not necessarily all of them.
    Subset,
}

const R: PupilCheck = PupilCheck::No;

fn row(route: &'static str, case: Case, path: &'static str, expect: [u16; 6]) -> Row {
    Row {
        route,
        case,
        path,
        form: None,
        expect,
        pupils: R,
    }
}

const NEW_USER: &[(&str, &str)] = &[
    ("email", "{unique}@matrix.test"),
    ("display_name", "Matrix Person"),
    ("role", "taskforce"),
    ("password", "a-long-enough-password"),
];
const ACTIVE: &[(&str, &str)] = &[("active", "true")];
const PROFILE: &[(&str, &str)] = &[
    ("name", "Matrix Provider"),
    ("summary", "A summary written for families."),
    ("website", "https://matrix.example.org"),
];
const PLACES: &[(&str, &str)] = &[("places_free", "1")];
const REJECT: &[(&str, &str)] = &[
    ("decision", "reject"),
    ("note", "Checked in the access matrix"),
];
const PREFS: &[(&str, &str)] = &[("mode[council_notice]", "digest")];
const NOTICE: &[(&str, &str)] = &[
    ("audience", "progressions"),
    ("message", "Checked in the access matrix"),
];
const SUSPEND: &[(&str, &str)] = &[("reason", "Checked in the access matrix")];
const CONCERN: &[(&str, &str)] = &[
    ("provider", "steel-city-vocational-hub"),
    ("category", "quality"),
    ("details", "Raised in the access matrix"),
];
const TRIAGE: &[(&str, &str)] = &[
    ("status", "investigating"),
    ("severity", "high"),
    ("owner", ""),
    ("note", "Triaged in the access matrix"),
];
const RESPONSE: &[(&str, &str)] = &[("response", "Answered in the access matrix")];
const ROUND: &[(&str, &str)] = &[
    ("name", "Matrix round"),
    ("starts_on", "2030-09-01"),
    ("ends_on", "2033-08-31"),
];
const MEMBER: &[(&str, &str)] = &[("provider", "loxley-farm-school"), ("lot", "secondary")];
const CHECK_TYPE: &[(&str, &str)] = &[
    ("name", "Matrix check"),
    ("theme", "governance"),
    ("evidence", "A document"),
    ("validity_months", "12"),
];
const STILL: &[(&str, &str)] = &[("still", "yes")];
const BAD_LOGIN: &[(&str, &str)] = &[
    ("email", "school@demo.test"),
    ("password", "wrong-password"),
];

const TERM: &[(&str, &str)] = &[("name", ""), ("starts_on", ""), ("ends_on", "")];
const CLOSURE: &[(&str, &str)] = &[("on_date", ""), ("reason", "")];

/// The forum: every signed-in role reads; schools may not post; moderators (the Progressions
/// Team and administrators) decide on held posts. Forms are sent empty.
fn forum_rows() -> Vec<Row> {
    use Case::*;
    let empty: &'static [(&'static str, &'static str)] = &[];
    let post = |route: &'static str, case: Case, path: &'static str, expect: [u16; 6]| Row {
        form: Some(empty),
        ..row(route, case, path, expect)
    };
    vec![
        row("GET /forum", None, "/forum", [303, 200, 200, 200, 200, 200]),
        row(
            "GET /forum/<key>",
            Own,
            "/forum/questions",
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /forum/<key>",
            Missing,
            "/forum/nowhere",
            [303, 404, 404, 404, 404, 404],
        ),
        row(
            "GET /forum/<key>/new",
            Own,
            "/forum/questions/new",
            [303, 403, 200, 200, 200, 200],
        ),
        row(
            "GET /forum/<key>/new",
            Other,
            "/forum/notices/new",
            [303, 403, 403, 200, 403, 200],
        ),
        row(
            "GET /forum/<key>/new",
            Missing,
            "/forum/nowhere/new",
            [303, 404, 404, 404, 404, 404],
        ),
        post(
            "POST /forum/<key>/new",
            Own,
            "/forum/questions/new",
            [303, 403, 422, 422, 422, 422],
        ),
        post(
            "POST /forum/<key>/new",
            Other,
            "/forum/notices/new",
            [303, 403, 403, 422, 403, 422],
        ),
        post(
            "POST /forum/<key>/new",
            Missing,
            "/forum/nowhere/new",
            [303, 404, 404, 404, 404, 404],
        ),
        row(
            "GET /forum/threads/<id>",
            Own,
            "/forum/threads/{id}",
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /forum/threads/<id>",
            Missing,
            "/forum/threads/{id}",
            [303, 404, 404, 404, 404, 404],
        ),
        post(
            "POST /forum/threads/<id>/reply",
            Own,
            "/forum/threads/{id}/reply",
            [303, 403, 422, 422, 422, 422],
        ),
        post(
            "POST /forum/threads/<id>/reply",
            Missing,
            "/forum/threads/{id}/reply",
            [303, 404, 404, 404, 404, 404],
        ),
        row(
            "GET /forum/moderation",
            None,
            "/forum/moderation",
            [303, 403, 403, 200, 403, 200],
        ),
        row(
            "GET /forum/attachments/<name>",
            Own,
            "/forum/attachments/{id}",
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /forum/attachments/<name>",
            Missing,
            "/forum/attachments/{id}",
            [303, 404, 404, 404, 404, 404],
        ),
        row(
            "GET /admin/forum",
            None,
            "/admin/forum",
            [303, 403, 403, 403, 403, 200],
        ),
        post(
            "POST /admin/forum",
            None,
            "/admin/forum",
            [303, 403, 403, 403, 403, 422],
        ),
        row(
            "GET /admin/forum/<key>",
            None,
            "/admin/forum/questions",
            [303, 403, 403, 403, 403, 200],
        ),
        row(
            "GET /admin/forum/<key>",
            None,
            "/admin/forum/nowhere",
            [303, 403, 403, 403, 403, 404],
        ),
        post(
            "POST /admin/forum/<key>",
            None,
            "/admin/forum/questions",
            [303, 403, 403, 403, 403, 422],
        ),
        post(
            "POST /admin/forum/<key>",
            None,
            "/admin/forum/nowhere",
            [303, 403, 403, 403, 403, 404],
        ),
        row(
            "GET /forum/unread",
            None,
            "/forum/unread",
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /forum/search",
            None,
            "/forum/search?q=maths",
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /forum/moderation/log",
            None,
            "/forum/moderation/log",
            [303, 403, 403, 200, 403, 200],
        ),
        // `Own` forum posts are a Progressions Team post: only it and admins (moderators) edit.
        row(
            "GET /forum/posts/<id>/edit",
            Own,
            "/forum/posts/{id}/edit",
            [303, 403, 403, 200, 403, 200],
        ),
        row(
            "GET /forum/posts/<id>/edit",
            Missing,
            "/forum/posts/{id}/edit",
            [303, 404, 404, 404, 404, 404],
        ),
        post(
            "POST /forum/posts/<id>/edit",
            Own,
            "/forum/posts/{id}/edit",
            [303, 403, 403, 422, 403, 422],
        ),
        post(
            "POST /forum/posts/<id>/edit",
            Missing,
            "/forum/posts/{id}/edit",
            [303, 404, 404, 404, 404, 404],
        ),
        row(
            "GET /forum/posts/<id>/history",
            Own,
            "/forum/posts/{id}/history",
            [303, 403, 403, 200, 403, 200],
        ),
        row(
            "GET /forum/posts/<id>/history",
            Missing,
            "/forum/posts/{id}/history",
            [303, 404, 404, 404, 404, 404],
        ),
        // Deleting the fixture's post would change every later row, so only the missing case.
        post(
            "POST /forum/posts/<id>/delete",
            Missing,
            "/forum/posts/{id}/delete",
            [303, 404, 404, 404, 404, 404],
        ),
        row(
            "GET /forum/posts/<id>/flag",
            Own,
            "/forum/posts/{id}/flag",
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /forum/posts/<id>/flag",
            Missing,
            "/forum/posts/{id}/flag",
            [303, 404, 404, 404, 404, 404],
        ),
        post(
            "POST /forum/posts/<id>/flag",
            Own,
            "/forum/posts/{id}/flag",
            [303, 422, 422, 422, 422, 422],
        ),
        post(
            "POST /forum/posts/<id>/flag",
            Missing,
            "/forum/posts/{id}/flag",
            [303, 404, 404, 404, 404, 404],
        ),
        post(
            "POST /forum/posts/<id>/keep",
            Missing,
            "/forum/posts/{id}/keep",
            [303, 403, 403, 404, 403, 404],
        ),
        post(
            "POST /forum/threads/<id>/moderate",
            Own,
            "/forum/threads/{id}/moderate",
            [303, 403, 403, 422, 403, 422],
        ),
        post(
            "POST /forum/threads/<id>/watch",
            Own,
            "/forum/threads/{id}/watch",
            [303, 303, 303, 303, 303, 303],
        ),
        post(
            "POST /forum/threads/<id>/watch",
            Missing,
            "/forum/threads/{id}/watch",
            [303, 404, 404, 404, 404, 404],
        ),
        post(
            "POST /forum/<key>/watch",
            None,
            "/forum/questions/watch",
            [303, 303, 303, 303, 303, 303],
        ),
        post(
            "POST /forum/<key>/watch",
            None,
            "/forum/nowhere/watch",
            [303, 404, 404, 404, 404, 404],
        ),
        post(
            "POST /forum/posts/<id>/approve",
            Missing,
            "/forum/posts/{id}/approve",
            [303, 403, 403, 404, 403, 404],
        ),
        post(
            "POST /forum/posts/<id>/remove",
            Missing,
            "/forum/posts/{id}/remove",
            [303, 403, 403, 404, 403, 404],
        ),
    ]
}

/// Placements, pupils added by schools, exports, the calendar and retention. Forms are sent
/// empty, so a role that may act gets 422 (its form is checked) and nothing changes for the
/// roles after it; a role that may not act is refused before its form is read.
fn placement_rows() -> Vec<Row> {
    use Case::*;
    let empty: &'static [(&'static str, &'static str)] = &[];
    let post = |route: &'static str, case: Case, path: &'static str, expect: [u16; 6]| Row {
        form: Some(empty),
        ..row(route, case, path, expect)
    };
    let with = |pupils: PupilCheck, r: Row| Row { pupils, ..r };
    let mut rows = vec![
        row(
            "GET /placements",
            None,
            "/placements",
            [303, 200, 200, 200, 403, 403],
        ),
        row(
            "GET /placements/deadlines",
            None,
            "/placements/deadlines",
            [303, 200, 200, 200, 403, 403],
        ),
        with(
            PupilCheck::List,
            row(
                "GET /placements/new",
                None,
                "/placements/new",
                [303, 200, 403, 403, 403, 403],
            ),
        ),
        post(
            "POST /placements",
            None,
            "/placements",
            [303, 422, 403, 403, 403, 403],
        ),
        row(
            "GET /pupils/new",
            None,
            "/pupils/new",
            [303, 200, 403, 200, 403, 403],
        ),
        post(
            "POST /pupils",
            None,
            "/pupils",
            [303, 422, 403, 422, 403, 403],
        ),
        with(
            PupilCheck::Subset,
            row(
                "GET /placements/census.csv",
                None,
                "/placements/census.csv",
                [303, 200, 403, 403, 403, 403],
            ),
        ),
        with(
            PupilCheck::Subset,
            row(
                "GET /api/v1/placements",
                None,
                "/api/v1/placements",
                [401, 200, 200, 200, 403, 403],
            ),
        ),
        row(
            "GET /admin/calendar",
            None,
            "/admin/calendar",
            [303, 200, 200, 200, 200, 200],
        ),
        Row {
            form: Some(TERM),
            ..row(
                "POST /admin/calendar/terms",
                None,
                "/admin/calendar/terms",
                [303, 403, 403, 403, 403, 422],
            )
        },
        Row {
            form: Some(CLOSURE),
            ..row(
                "POST /admin/calendar/closures",
                None,
                "/admin/calendar/closures",
                [303, 403, 403, 403, 403, 422],
            )
        },
        post(
            "POST /admin/calendar/terms/<id>/delete",
            Own,
            "/admin/calendar/terms/{id}/delete",
            [303, 403, 403, 403, 403, 303],
        ),
        post(
            "POST /admin/calendar/terms/<id>/delete",
            Missing,
            "/admin/calendar/terms/{id}/delete",
            [303, 403, 403, 403, 403, 404],
        ),
        post(
            "POST /admin/calendar/closures/<on>/delete",
            Own,
            "/admin/calendar/closures/{id}/delete",
            [303, 403, 403, 403, 403, 303],
        ),
        post(
            "POST /admin/calendar/closures/<on>/delete",
            Missing,
            "/admin/calendar/closures/{id}/delete",
            [303, 403, 403, 403, 403, 404],
        ),
        row(
            "GET /admin/retention",
            None,
            "/admin/retention",
            [303, 403, 403, 403, 403, 200],
        ),
        row(
            "GET /registers",
            None,
            "/registers",
            [303, 403, 200, 403, 403, 403],
        ),
        row(
            "GET /registers/<date>/<session>",
            Own,
            "/registers/{id}",
            [303, 403, 200, 403, 403, 403],
        ),
        row(
            "GET /registers/<date>/<session>",
            Missing,
            "/registers/{id}",
            [303, 403, 400, 403, 403, 403],
        ),
        // A taken register sent with no marks: every pupil needs one.
        post(
            "POST /registers/<date>/<session>",
            Own,
            "/registers/{id}",
            [303, 403, 422, 403, 403, 403],
        ),
        post(
            "POST /registers/<date>/<session>/present",
            Own,
            "/registers/{id}/present",
            [303, 403, 409, 403, 403, 403],
        ),
        row(
            "GET /attendance",
            None,
            "/attendance",
            [303, 200, 403, 403, 403, 403],
        ),
        row(
            "GET /attendance/summary",
            None,
            "/attendance/summary",
            [303, 200, 200, 200, 403, 403],
        ),
        with(
            PupilCheck::Subset,
            row(
                "GET /attendance.csv",
                None,
                "/attendance.csv",
                [303, 200, 403, 403, 403, 403],
            ),
        ),
        post(
            "POST /attendance/corrections",
            None,
            "/attendance/corrections",
            [303, 403, 400, 400, 403, 403],
        ),
        row(
            "GET /attendance/corrections",
            None,
            "/attendance/corrections",
            [303, 403, 403, 200, 403, 403],
        ),
        post(
            "POST /attendance/corrections/<id>",
            Missing,
            "/attendance/corrections/{id}",
            [303, 403, 403, 422, 403, 403],
        ),
        row(
            "GET /attendance/rates",
            None,
            "/attendance/rates",
            [303, 403, 403, 200, 403, 403],
        ),
        // Outcomes: the report is aggregates only (Taskforce, Progressions, admin); follow-ups
        // are answered by the commissioning school or Progressions.
        row(
            "GET /reports/outcomes",
            None,
            "/reports/outcomes",
            [303, 403, 403, 200, 200, 200],
        ),
        row(
            "GET /reports/outcomes/board",
            None,
            "/reports/outcomes/board",
            [303, 403, 403, 200, 200, 200],
        ),
        row(
            "GET /reports/outcomes/<table>",
            None,
            "/reports/outcomes/providers.csv",
            [303, 403, 403, 200, 200, 200],
        ),
        row(
            "GET /follow-ups",
            None,
            "/follow-ups",
            [303, 200, 403, 200, 403, 403],
        ),
        Row {
            form: Some(STILL),
            ..row(
                "POST /follow-ups/<placement>/<weeks>",
                Missing,
                "/follow-ups/{id}/6",
                [303, 409, 403, 409, 403, 403],
            )
        },
        row(
            "GET /attendance/missing",
            None,
            "/attendance/missing",
            [303, 403, 403, 200, 403, 200],
        ),
        row(
            "GET /admin/tokens",
            None,
            "/admin/tokens",
            [303, 403, 403, 403, 403, 200],
        ),
        post(
            "POST /admin/tokens",
            None,
            "/admin/tokens",
            [303, 403, 403, 403, 403, 422],
        ),
        row(
            "GET /admin/schools",
            None,
            "/admin/schools",
            [303, 403, 403, 403, 403, 200],
        ),
        // No file: refused with a message (uploads are in tests/schools.rs).
        post(
            "POST /admin/schools/localities",
            None,
            "/admin/schools/localities",
            [303, 403, 403, 403, 403, 422],
        ),
        post(
            "POST /admin/tokens/<id>/revoke",
            Missing,
            "/admin/tokens/{id}/revoke",
            [303, 403, 403, 403, 403, 404],
        ),
        // The attendance API answers only to an organisation's token, never to a session.
        row(
            "GET /api/v1/attendance",
            None,
            "/api/v1/attendance",
            [401, 401, 401, 401, 401, 401],
        ),
        post(
            "POST /api/v1/registers",
            None,
            "/api/v1/registers",
            [401, 401, 401, 401, 401, 401],
        ),
        post(
            "POST /admin/retention",
            None,
            "/admin/retention",
            [303, 403, 403, 403, 403, 303],
        ),
    ];
    for (case, record, api) in [
        (
            Own,
            [303, 200, 200, 200, 403, 403],
            [401, 200, 200, 200, 403, 403],
        ),
        (
            Other,
            [303, 404, 404, 200, 403, 403],
            [401, 404, 404, 200, 403, 403],
        ),
        (
            Missing,
            [303, 404, 404, 404, 403, 403],
            [401, 404, 404, 404, 403, 403],
        ),
    ] {
        let (own, other) = (case == Own, case == Other);
        // Who may act on a placement they can see: 422 for an empty form; 404 outside scope.
        let scoped = |school: bool, provider: bool| -> [u16; 6] {
            let seen = |may: bool, sees: bool| {
                if !may {
                    403
                } else if sees {
                    422
                } else {
                    404
                }
            };
            [
                303,
                seen(school, own),
                seen(provider, own),
                seen(true, own || other),
                403,
                403,
            ]
        };
        rows.extend([
            with(
                PupilCheck::Record,
                row("GET /placements/<id>", case, "/placements/{id}", record),
            ),
            with(
                PupilCheck::Record,
                row(
                    "GET /api/v1/placements/<id>",
                    case,
                    "/api/v1/placements/{id}",
                    api,
                ),
            ),
            row(
                "GET /placements/<id>/plan",
                case,
                "/placements/{id}/plan",
                record,
            ),
            row(
                "GET /placements/<id>/review",
                case,
                "/placements/{id}/review",
                record,
            ),
            post(
                "POST /placements/<id>/plan",
                case,
                "/placements/{id}/plan",
                scoped(true, true),
            ),
            post(
                "POST /placements/<id>/review",
                case,
                "/placements/{id}/review",
                scoped(true, true),
            ),
            post(
                "POST /placements/<id>/end",
                case,
                "/placements/{id}/end",
                scoped(true, false),
            ),
            post(
                "POST /placements/<id>/withdraw",
                case,
                "/placements/{id}/withdraw",
                scoped(true, false),
            ),
            post(
                "POST /placements/<id>/respond",
                case,
                "/placements/{id}/respond",
                {
                    let mut e = scoped(false, true);
                    e[3] = 403;
                    e
                },
            ),
            post(
                "POST /placements/<id>/offer",
                case,
                "/placements/{id}/offer",
                scoped(false, false),
            ),
            post(
                "POST /placements/<id>/start",
                case,
                "/placements/{id}/start",
                scoped(false, false),
            ),
            post(
                "POST /placements/<id>/prior",
                case,
                "/placements/{id}/prior",
                [303, if own { 422 } else { 404 }, 403, 403, 403, 403],
            ),
            with(
                PupilCheck::Record,
                row("GET /pupils/<id>/record", case, "/pupils/{id}/record", {
                    [
                        303,
                        403,
                        403,
                        if case == Missing { 404 } else { 200 },
                        403,
                        403,
                    ]
                }),
            ),
            with(
                PupilCheck::Record,
                row(
                    "GET /pupils/<id>/record.json",
                    case,
                    "/pupils/{id}/record.json",
                    {
                        [
                            303,
                            403,
                            403,
                            if case == Missing { 404 } else { 200 },
                            403,
                            403,
                        ]
                    },
                ),
            ),
        ]);
    }
    rows
}

fn matrix() -> Vec<Row> {
    use Case::*;
    let mut rows = vec![
        row("GET /", None, "/", [200, 200, 200, 200, 200, 200]),
        row("GET /login", None, "/login", [200, 303, 303, 303, 303, 303]),
        Row {
            form: Some(BAD_LOGIN),
            ..row(
                "POST /login",
                None,
                "/login",
                [401, 401, 401, 401, 401, 401],
            )
        },
        row(
            "GET /providers",
            None,
            "/providers",
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /providers/<slug>",
            Own,
            "/providers/{id}",
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /providers/<slug>",
            Other,
            "/providers/{id}",
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /providers/<slug>",
            Missing,
            "/providers/{id}",
            [404, 404, 404, 404, 404, 404],
        ),
        Row {
            pupils: PupilCheck::List,
            ..row(
                "GET /pupils",
                None,
                "/pupils",
                [303, 200, 200, 200, 403, 403],
            )
        },
        Row {
            pupils: PupilCheck::Record,
            ..row(
                "GET /pupils/<id>",
                Own,
                "/pupils/{id}",
                [303, 200, 200, 200, 403, 403],
            )
        },
        Row {
            pupils: PupilCheck::Record,
            ..row(
                "GET /pupils/<id>",
                Other,
                "/pupils/{id}",
                [303, 404, 404, 200, 403, 403],
            )
        },
        Row {
            pupils: PupilCheck::Record,
            ..row(
                "GET /pupils/<id>",
                Missing,
                "/pupils/{id}",
                [303, 404, 404, 404, 403, 403],
            )
        },
        row(
            "GET /admin/users",
            None,
            "/admin/users",
            [303, 403, 403, 403, 403, 200],
        ),
        Row {
            form: Some(NEW_USER),
            ..row(
                "POST /admin/users",
                None,
                "/admin/users",
                [303, 403, 403, 403, 403, 303],
            )
        },
        Row {
            form: Some(ACTIVE),
            ..row(
                "POST /admin/users/<id>/active",
                Own,
                "/admin/users/{id}/active",
                [303, 403, 403, 403, 403, 303],
            )
        },
        Row {
            form: Some(ACTIVE),
            ..row(
                "POST /admin/users/<id>/active",
                Other,
                "/admin/users/{id}/active",
                [303, 403, 403, 403, 403, 303],
            )
        },
        Row {
            form: Some(ACTIVE),
            ..row(
                "POST /admin/users/<id>/active",
                Missing,
                "/admin/users/{id}/active",
                [303, 403, 403, 403, 403, 404],
            )
        },
        row(
            "GET /admin/audit",
            None,
            "/admin/audit",
            [303, 403, 403, 403, 403, 200],
        ),
        row(
            "GET /accessibility",
            None,
            "/accessibility",
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /privacy",
            None,
            "/privacy",
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /healthz",
            None,
            "/healthz",
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /static/<file..>",
            Own,
            "/static/app.css",
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /static/<file..>",
            Missing,
            "/static/nothing.css",
            [404, 404, 404, 404, 404, 404],
        ),
        row("GET /openreferral", None, "/openreferral", [200; 6]),
        row(
            "GET /openreferral/services",
            None,
            "/openreferral/services",
            [200; 6],
        ),
        row(
            "GET /openreferral/service_at_locations",
            None,
            "/openreferral/service_at_locations",
            [200; 6],
        ),
        row(
            "GET /openreferral/taxonomies",
            None,
            "/openreferral/taxonomies",
            [200; 6],
        ),
        row(
            "GET /openreferral/taxonomy_terms",
            None,
            "/openreferral/taxonomy_terms",
            [200; 6],
        ),
        row(
            "GET /api/v1/me",
            None,
            "/api/v1/me",
            [401, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /api/v1/providers",
            None,
            "/api/v1/providers",
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /api/v1/openapi.json",
            None,
            "/api/v1/openapi.json",
            [200; 6],
        ),
        row(
            "GET /api/v1/localities",
            None,
            "/api/v1/localities",
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /api/v1/providers/<id>",
            Own,
            "/api/v1/providers/{id}",
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /api/v1/providers/<id>",
            Other,
            "/api/v1/providers/{id}",
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /api/v1/providers/<id>",
            Missing,
            "/api/v1/providers/{id}",
            [404, 404, 404, 404, 404, 404],
        ),
        Row {
            pupils: PupilCheck::List,
            ..row(
                "GET /api/v1/pupils",
                None,
                "/api/v1/pupils",
                [401, 200, 200, 200, 403, 403],
            )
        },
        Row {
            pupils: PupilCheck::Record,
            ..row(
                "GET /api/v1/pupils/<id>",
                Own,
                "/api/v1/pupils/{id}",
                [401, 200, 200, 200, 403, 403],
            )
        },
        Row {
            pupils: PupilCheck::Record,
            ..row(
                "GET /api/v1/pupils/<id>",
                Other,
                "/api/v1/pupils/{id}",
                [401, 404, 404, 200, 403, 403],
            )
        },
        Row {
            pupils: PupilCheck::Record,
            ..row(
                "GET /api/v1/pupils/<id>",
                Missing,
                "/api/v1/pupils/{id}",
                [401, 404, 404, 404, 403, 403],
            )
        },
    ];
    rows.extend(placement_rows());
    rows.extend(forum_rows());
    // The open-data feed's records are public to everyone; a well-formed id of nothing is 404.
    for route in [
        "GET /openreferral/services/<id>",
        "GET /openreferral/service_at_locations/<id>",
        "GET /openreferral/taxonomies/<id>",
        "GET /openreferral/taxonomy_terms/<id>",
    ] {
        let path = route
            .trim_start_matches("GET ")
            .replace("<id>", "{id}")
            .leak();
        rows.push(row(route, Own, path, [200; 6]));
        rows.push(row(route, Missing, path, [404; 6]));
    }
    rows.extend([
        row(
            "GET /provider/profile",
            None,
            "/provider/profile",
            [303, 403, 200, 403, 403, 403],
        ),
        Row {
            form: Some(PROFILE),
            ..row(
                "POST /provider/profile",
                None,
                "/provider/profile",
                [303, 403, 303, 403, 403, 403],
            )
        },
        Row {
            form: Some(PLACES),
            ..row(
                "POST /provider/places",
                None,
                "/provider/places",
                [303, 403, 303, 403, 403, 403],
            )
        },
        row(
            "GET /approvals",
            None,
            "/approvals",
            [303, 403, 403, 200, 403, 403],
        ),
        Row {
            form: Some(REJECT),
            ..row(
                "POST /approvals/<id>",
                Own,
                "/approvals/{id}",
                [303, 403, 403, 303, 403, 403],
            )
        },
        Row {
            form: Some(REJECT),
            ..row(
                "POST /approvals/<id>",
                Other,
                "/approvals/{id}",
                [303, 403, 403, 303, 403, 403],
            )
        },
        Row {
            form: Some(REJECT),
            ..row(
                "POST /approvals/<id>",
                Missing,
                "/approvals/{id}",
                [303, 403, 403, 404, 403, 403],
            )
        },
        row(
            "GET /providers/<slug>/edit",
            Own,
            "/providers/{id}/edit",
            [303, 403, 403, 200, 403, 403],
        ),
        row(
            "GET /providers/<slug>/edit",
            Other,
            "/providers/{id}/edit",
            [303, 403, 403, 200, 403, 403],
        ),
        row(
            "GET /providers/<slug>/edit",
            Missing,
            "/providers/{id}/edit",
            [303, 403, 403, 404, 403, 403],
        ),
        Row {
            form: Some(PROFILE),
            ..row(
                "POST /providers/<slug>/edit",
                Own,
                "/providers/{id}/edit",
                [303, 403, 403, 303, 403, 403],
            )
        },
        Row {
            form: Some(PROFILE),
            ..row(
                "POST /providers/<slug>/edit",
                Other,
                "/providers/{id}/edit",
                [303, 403, 403, 303, 403, 403],
            )
        },
        Row {
            form: Some(PROFILE),
            ..row(
                "POST /providers/<slug>/edit",
                Missing,
                "/providers/{id}/edit",
                [303, 403, 403, 404, 403, 403],
            )
        },
        row(
            "GET /providers/<slug>/history",
            Own,
            "/providers/{id}/history",
            [303, 403, 200, 200, 403, 403],
        ),
        row(
            "GET /providers/<slug>/history",
            Other,
            "/providers/{id}/history",
            [303, 403, 404, 200, 403, 403],
        ),
        row(
            "GET /providers/<slug>/history",
            Missing,
            "/providers/{id}/history",
            [303, 404, 404, 404, 404, 404],
        ),
    ]);
    rows.extend([
        row(
            "GET /notifications",
            None,
            "/notifications",
            [303, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /notifications/preferences",
            None,
            "/notifications/preferences",
            [303, 200, 200, 200, 200, 200],
        ),
        Row {
            form: Some(PREFS),
            ..row(
                "POST /notifications/preferences",
                None,
                "/notifications/preferences",
                [303, 303, 303, 303, 303, 303],
            )
        },
        Row {
            form: Some(&[]),
            ..row(
                "POST /notifications/read-all",
                None,
                "/notifications/read-all",
                [303, 303, 303, 303, 303, 303],
            )
        },
        // Another user's notification is not disclosed; one's own is in tests/notifications.rs.
        Row {
            form: Some(&[]),
            ..row(
                "POST /notifications/<id>/open",
                Other,
                "/notifications/{id}/open",
                [303, 404, 404, 404, 404, 404],
            )
        },
        Row {
            form: Some(&[]),
            ..row(
                "POST /notifications/<id>/open",
                Missing,
                "/notifications/{id}/open",
                [303, 404, 404, 404, 404, 404],
            )
        },
        // The token is the authority: no sign-in needed, whoever holds the link.
        row(
            "GET /unsubscribe/<token>",
            Own,
            "/unsubscribe/{id}",
            [200, 200, 200, 200, 200, 200],
        ),
        row(
            "GET /unsubscribe/<token>",
            Missing,
            "/unsubscribe/{id}",
            [404, 404, 404, 404, 404, 404],
        ),
        Row {
            form: Some(&[]),
            ..row(
                "POST /unsubscribe/<token>",
                Own,
                "/unsubscribe/{id}",
                [200, 200, 200, 200, 200, 200],
            )
        },
        Row {
            form: Some(&[]),
            ..row(
                "POST /unsubscribe/<token>",
                Missing,
                "/unsubscribe/{id}",
                [404, 404, 404, 404, 404, 404],
            )
        },
        row(
            "GET /notices/new",
            None,
            "/notices/new",
            [303, 403, 403, 200, 403, 200],
        ),
        Row {
            form: Some(NOTICE),
            ..row(
                "POST /notices",
                None,
                "/notices",
                [303, 403, 403, 303, 403, 303],
            )
        },
        row(
            "GET /admin/mail",
            None,
            "/admin/mail",
            [303, 403, 403, 403, 403, 200],
        ),
        row(
            "GET /admin/mail/<id>",
            Own,
            "/admin/mail/{id}",
            [303, 403, 403, 403, 403, 200],
        ),
        row(
            "GET /admin/mail/<id>",
            Missing,
            "/admin/mail/{id}",
            [303, 403, 403, 403, 403, 404],
        ),
        Row {
            form: Some(&[]),
            ..row(
                "POST /admin/mail/<id>/retry",
                Own,
                "/admin/mail/{id}/retry",
                [303, 403, 403, 403, 403, 303],
            )
        },
        Row {
            form: Some(&[]),
            ..row(
                "POST /admin/mail/<id>/retry",
                Missing,
                "/admin/mail/{id}/retry",
                [303, 403, 403, 403, 403, 404],
            )
        },
    ]);
    rows.extend([
        row(
            "GET /providers/<slug>/checks",
            Own,
            "/providers/{id}/checks",
            [303, 403, 200, 200, 403, 200],
        ),
        row(
            "GET /providers/<slug>/checks",
            Other,
            "/providers/{id}/checks",
            [303, 403, 404, 200, 403, 200],
        ),
        row(
            "GET /providers/<slug>/checks",
            Missing,
            "/providers/{id}/checks",
            [303, 404, 404, 404, 404, 404],
        ),
        // An empty form: refused with the problems listed (a real one is in tests/framework.rs).
        Row {
            form: Some(&[]),
            ..row(
                "POST /providers/<slug>/checks",
                Other,
                "/providers/{id}/checks",
                [303, 403, 403, 422, 403, 403],
            )
        },
        Row {
            form: Some(&[]),
            ..row(
                "POST /providers/<slug>/checks",
                Missing,
                "/providers/{id}/checks",
                [303, 403, 403, 404, 403, 403],
            )
        },
        Row {
            form: Some(SUSPEND),
            ..row(
                "POST /providers/<slug>/suspend",
                Other,
                "/providers/{id}/suspend",
                [303, 403, 403, 303, 403, 403],
            )
        },
        Row {
            form: Some(SUSPEND),
            ..row(
                "POST /providers/<slug>/suspend",
                Missing,
                "/providers/{id}/suspend",
                [303, 403, 403, 404, 403, 403],
            )
        },
        Row {
            form: Some(&[]),
            ..row(
                "POST /providers/<slug>/reinstate",
                Other,
                "/providers/{id}/reinstate",
                [303, 403, 403, 303, 403, 403],
            )
        },
        Row {
            form: Some(&[]),
            ..row(
                "POST /providers/<slug>/reinstate",
                Missing,
                "/providers/{id}/reinstate",
                [303, 403, 403, 404, 403, 403],
            )
        },
        row(
            "GET /evidence/<id>",
            Own,
            "/evidence/{id}",
            [303, 403, 200, 200, 403, 200],
        ),
        row(
            "GET /evidence/<id>",
            Other,
            "/evidence/{id}",
            [303, 403, 404, 200, 403, 200],
        ),
        row(
            "GET /evidence/<id>",
            Missing,
            "/evidence/{id}",
            [303, 403, 404, 404, 403, 404],
        ),
        row(
            "GET /due-diligence",
            None,
            "/due-diligence",
            [303, 403, 403, 200, 403, 200],
        ),
        row(
            "GET /concerns/new",
            None,
            "/concerns/new",
            [200, 200, 200, 200, 200, 200],
        ),
        Row {
            form: Some(CONCERN),
            ..row(
                "POST /concerns",
                None,
                "/concerns",
                [200, 200, 200, 200, 200, 200],
            )
        },
        row(
            "GET /concerns",
            None,
            "/concerns",
            [303, 403, 403, 200, 403, 200],
        ),
        row(
            "GET /concerns/<id>",
            Own,
            "/concerns/{id}",
            [303, 403, 403, 200, 403, 200],
        ),
        row(
            "GET /concerns/<id>",
            Missing,
            "/concerns/{id}",
            [303, 403, 403, 404, 403, 404],
        ),
        Row {
            form: Some(TRIAGE),
            ..row(
                "POST /concerns/<id>",
                Own,
                "/concerns/{id}",
                [303, 403, 403, 303, 403, 403],
            )
        },
        Row {
            form: Some(TRIAGE),
            ..row(
                "POST /concerns/<id>",
                Missing,
                "/concerns/{id}",
                [303, 403, 403, 404, 403, 403],
            )
        },
    ]);
    rows.extend([
        row(
            "GET /providers/<slug>/visits",
            Own,
            "/providers/{id}/visits",
            [303, 403, 200, 200, 403, 200],
        ),
        row(
            "GET /providers/<slug>/visits",
            Other,
            "/providers/{id}/visits",
            [303, 403, 404, 200, 403, 200],
        ),
        row(
            "GET /providers/<slug>/visits",
            Missing,
            "/providers/{id}/visits",
            [303, 404, 404, 404, 404, 404],
        ),
        Row {
            form: Some(&[]),
            ..row(
                "POST /providers/<slug>/visits",
                Other,
                "/providers/{id}/visits",
                [303, 403, 403, 422, 403, 403],
            )
        },
        Row {
            form: Some(&[]),
            ..row(
                "POST /providers/<slug>/visits",
                Missing,
                "/providers/{id}/visits",
                [303, 403, 403, 404, 403, 403],
            )
        },
        Row {
            form: Some(RESPONSE),
            ..row(
                "POST /visit-actions/<id>/respond",
                Own,
                "/visit-actions/{id}/respond",
                [303, 403, 303, 403, 403, 403],
            )
        },
        Row {
            form: Some(RESPONSE),
            ..row(
                "POST /visit-actions/<id>/respond",
                Other,
                "/visit-actions/{id}/respond",
                [303, 403, 404, 403, 403, 403],
            )
        },
        Row {
            form: Some(&[]),
            ..row(
                "POST /visit-actions/<id>/complete",
                Own,
                "/visit-actions/{id}/complete",
                [303, 403, 403, 303, 403, 403],
            )
        },
        Row {
            form: Some(&[]),
            ..row(
                "POST /visit-actions/<id>/complete",
                Missing,
                "/visit-actions/{id}/complete",
                [303, 403, 403, 404, 403, 403],
            )
        },
        row(
            "GET /framework",
            None,
            "/framework",
            [303, 403, 403, 200, 403, 200],
        ),
        Row {
            form: Some(ROUND),
            ..row(
                "POST /framework/rounds",
                None,
                "/framework/rounds",
                [303, 403, 403, 303, 403, 403],
            )
        },
        Row {
            form: Some(MEMBER),
            ..row(
                "POST /framework/rounds/<id>/members",
                Own,
                "/framework/rounds/{id}/members",
                [303, 403, 403, 303, 403, 403],
            )
        },
        Row {
            form: Some(MEMBER),
            ..row(
                "POST /framework/rounds/<id>/members",
                Missing,
                "/framework/rounds/{id}/members",
                [303, 403, 403, 404, 403, 403],
            )
        },
        Row {
            form: Some(&[]),
            ..row(
                "POST /framework/rounds/<id>/members/<provider_id>/remove",
                Own,
                "/framework/rounds/{id}/remove",
                [303, 403, 403, 303, 403, 403],
            )
        },
        Row {
            form: Some(&[]),
            ..row(
                "POST /framework/rounds/<id>/members/<provider_id>/remove",
                Missing,
                "/framework/rounds/{id}/remove",
                [303, 403, 403, 404, 403, 403],
            )
        },
    ]);
    rows.extend([
        row(
            "GET /provider/checks",
            None,
            "/provider/checks",
            [303, 403, 303, 403, 403, 403],
        ),
        row(
            "GET /admin/check-types",
            None,
            "/admin/check-types",
            [303, 403, 403, 403, 403, 200],
        ),
        Row {
            form: Some(CHECK_TYPE),
            ..row(
                "POST /admin/check-types",
                None,
                "/admin/check-types",
                [303, 403, 403, 403, 403, 303],
            )
        },
    ]);
    // Signing out is last: it ends the session the other rows use.
    rows.push(Row {
        form: Some(&[]),
        ..row(
            "POST /logout",
            None,
            "/logout",
            [303, 303, 303, 303, 303, 303],
        )
    });
    rows
}

struct Fixture {
    register_date: String,
    own_placement: i64,
    other_placement: i64,
    provider_upns: BTreeSet<String>,
    term: i64,
    own_pupil: i64,
    other_pupil: i64,
    upns_by_school: HashMap<i64, BTreeSet<String>>,
    all_upns: BTreeSet<String>,
    demo_school: i64,
    own_provider: String,
    other_provider: String,
    own_provider_id: i64,
    other_provider_id: i64,
    own_site: i64,
    own_version: i64,
    other_version: i64,
    admin_id: i64,
    target_user: i64,
    other_notification: i64,
    unsubscribe_token: String,
    failed_mail: i64,
    own_evidence: i64,
    other_evidence: i64,
    concern: i64,
    own_action: i64,
    other_action: i64,
    round: i64,
    forum_thread: i64,
    forum_post: i64,
}

async fn fixture(app: &TestApp) -> Fixture {
    let demo_school: i64 =
        sqlx::query_scalar("SELECT school_id FROM users WHERE email = 'school@demo.test'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let pupils: Vec<(i64, String, i64)> =
        sqlx::query_as("SELECT id, upn, home_school_id FROM pupils ORDER BY id")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let mut upns_by_school: HashMap<i64, BTreeSet<String>> = HashMap::new();
    for (_, upn, school) in &pupils {
        upns_by_school
            .entry(*school)
            .or_default()
            .insert(upn.clone());
    }
    let own_provider: String = sqlx::query_scalar(
        "SELECT p.slug FROM providers p JOIN users u ON u.provider_id = p.id WHERE u.email = 'provider@demo.test'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let own_provider_id: i64 = sqlx::query_scalar("SELECT id FROM providers WHERE slug = $1")
        .bind(&own_provider)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // The matrix pupil is the demo school's, placed with the demo provider (both see it);
    // the other is another school's, never offered to the demo provider.
    let (own_placement, own_pupil): (i64, i64) = sqlx::query_as(
        "SELECT id, pupil_id FROM placements WHERE school_id = $1 AND provider_id = $2 AND status = 'active' ORDER BY id LIMIT 1",
    )
    .bind(demo_school)
    .bind(own_provider_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let provider_upns: BTreeSet<String> = sqlx::query_scalar(
        "SELECT DISTINCT p.upn FROM pupils p JOIN placements pl ON pl.pupil_id = p.id \
         WHERE pl.provider_id = $1 AND pl.status IN ('offered', 'accepted', 'active', 'ended')",
    )
    .bind(own_provider_id)
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let (other_placement, other_pupil): (i64, i64) = sqlx::query_as(
        "SELECT pl.id, pl.pupil_id FROM placements pl WHERE pl.school_id <> $1 AND pl.status = 'active' \
         AND NOT EXISTS (SELECT 1 FROM placements o WHERE o.pupil_id = pl.pupil_id AND o.provider_id = $2) ORDER BY pl.id LIMIT 1",
    )
    .bind(demo_school)
    .bind(own_provider_id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let register_date: chrono::NaiveDate =
        sqlx::query_scalar("SELECT MAX(on_date) FROM registers WHERE provider_id = $1")
            .bind(own_provider_id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let term: i64 = sqlx::query_scalar("SELECT MIN(id) FROM term_dates")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let other_provider: String =
        sqlx::query_scalar("SELECT slug FROM providers WHERE slug <> $1 ORDER BY id LIMIT 1")
            .bind(&own_provider)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let other_provider_id: i64 = sqlx::query_scalar("SELECT id FROM providers WHERE slug = $1")
        .bind(&other_provider)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    // A pending profile change for each of two providers, for the approval rows. Not the
    // matrix provider's own: its submission row would (rightly) supersede it first.
    let third: i64 = sqlx::query_scalar("SELECT MAX(id) FROM providers")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let mut versions = Vec::new();
    for pid in [other_provider_id, third] {
        let v: i64 = sqlx::query_scalar(
            "INSERT INTO provider_versions (provider_id, fields, status, submitted_at) VALUES ($1, '{}', 'pending', $2) RETURNING id",
        )
        .bind(pid)
        .bind(apdir::db::now())
        .fetch_one(&app.pool)
        .await
        .unwrap();
        versions.push(v);
    }
    let admin_id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE email = 'admin@demo.test'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let hash = apdir::auth::password::hash("a-long-enough-password").unwrap();
    let target_user: i64 = sqlx::query_scalar(
        "INSERT INTO users (email, display_name, password_hash, role, active, created_at) \
         VALUES ('target@demo.test', 'Target', $1, 'taskforce', $2, $3) RETURNING id",
    )
    .bind(hash)
    .bind(true)
    .bind(apdir::db::now())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // A notification of the target user (no role's own), its unsubscribe token, a failed mail.
    let other_notification: i64 = sqlx::query_scalar(
        "INSERT INTO notifications (user_id, kind, body, link, mode, created_at) \
         VALUES ($1, 'council_notice', 'For the target only', '/', 'off', $2) RETURNING id",
    )
    .bind(target_user)
    .bind(apdir::db::now())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let unsubscribe_token = apdir::auth::random_token();
    sqlx::query(
        "INSERT INTO unsubscribe_tokens (token, user_id, kind) VALUES ($1, $2, 'council_notice')",
    )
    .bind(&unsubscribe_token)
    .bind(target_user)
    .execute(&app.pool)
    .await
    .unwrap();
    let failed_mail: i64 = sqlx::query_scalar(
        "INSERT INTO mail_outbox (message_id, to_address, kind, subject, body_text, body_html, status, \
         attempts, next_attempt_at, created_at) \
         VALUES ('<m@matrix.test>', 'target@demo.test', 'council_notice', 'S', 'T', 'H', 'failed', 8, $1, $1) RETURNING id",
    )
    .bind(apdir::db::now())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // Evidence files of the matrix provider and another, and a concern.
    let mut evidence = Vec::new();
    for pid in [own_provider_id, other_provider_id] {
        let check: i64 = sqlx::query_scalar(
            "INSERT INTO provider_checks (provider_id, check_type_id, checked_on, result, expires_on, notes, recorded_at) \
             VALUES ($1, 1, $2, 'passed', $3, '', $4) RETURNING id",
        )
        .bind(pid)
        .bind(chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap())
        .bind(chrono::NaiveDate::from_ymd_opt(2027, 3, 1).unwrap())
        .bind(apdir::db::now())
        .fetch_one(&app.pool)
        .await
        .unwrap();
        let stored = format!("matrix-{pid}.bin");
        let dir = app.config.data_dir.join("evidence");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(&stored), b"%PDF-1.7 matrix").unwrap();
        let id: i64 = sqlx::query_scalar(
            "INSERT INTO check_evidence (check_id, provider_id, file_name, content_type, size_bytes, sha256, stored_name, uploaded_at) \
             VALUES ($1, $2, 'matrix.pdf', 'application/pdf', 15, 'x', $3, $4) RETURNING id",
        )
        .bind(check)
        .bind(pid)
        .bind(&stored)
        .bind(apdir::db::now())
        .fetch_one(&app.pool)
        .await
        .unwrap();
        evidence.push(id);
    }
    let concern: i64 = sqlx::query_scalar(
        "INSERT INTO concerns (provider_id, raiser_kind, category, severity, status, details, created_at, updated_at) \
         VALUES ($1, 'family', 'quality', 'medium', 'open', 'Matrix concern', $2, $2) RETURNING id",
    )
    .bind(other_provider_id)
    .bind(apdir::db::now())
    .fetch_one(&app.pool)
    .await
    .unwrap();
    // A quality visit with one action at the matrix provider and one at another.
    let mut actions = Vec::new();
    for pid in [own_provider_id, other_provider_id] {
        let visit: i64 = sqlx::query_scalar(
            "INSERT INTO quality_visits (provider_id, kind, visit_date, score_safeguarding, score_health_safety, \
             score_admissions, score_education, created_at) VALUES ($1, 'annual_qa', $2, 3, 3, 3, 3, $3) RETURNING id",
        )
        .bind(pid)
        .bind(chrono::NaiveDate::from_ymd_opt(2026, 10, 1).unwrap())
        .bind(apdir::db::now())
        .fetch_one(&app.pool)
        .await
        .unwrap();
        let action: i64 = sqlx::query_scalar(
            "INSERT INTO visit_actions (visit_id, provider_id, action, owner, due_on) VALUES ($1, $2, 'Matrix action', 'Manager', $3) RETURNING id",
        )
        .bind(visit)
        .bind(pid)
        .bind(chrono::NaiveDate::from_ymd_opt(2027, 1, 1).unwrap())
        .fetch_one(&app.pool)
        .await
        .unwrap();
        actions.push(action);
    }
    let round: i64 = sqlx::query_scalar("SELECT MIN(id) FROM framework_rounds")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    Fixture {
        register_date: register_date.to_string(),
        own_placement,
        other_placement,
        provider_upns,
        term,
        own_pupil,
        other_pupil,
        all_upns: pupils.iter().map(|p| p.1.clone()).collect(),
        upns_by_school,
        demo_school,
        own_provider,
        other_provider,
        own_provider_id,
        other_provider_id,
        own_site: sqlx::query_scalar("SELECT MIN(id) FROM provider_sites WHERE provider_id = $1")
            .bind(own_provider_id)
            .fetch_one(&app.pool)
            .await
            .unwrap(),
        own_version: versions[0],
        other_version: versions[1],
        admin_id,
        target_user,
        other_notification,
        unsubscribe_token,
        failed_mail,
        own_evidence: evidence[0],
        other_evidence: evidence[1],
        concern,
        own_action: actions[0],
        other_action: actions[1],
        round,
        forum_thread: sqlx::query_scalar(
            "SELECT t.id FROM forum_threads t JOIN forum_categories c ON c.id = t.category_id \
             WHERE c.key = 'questions' ORDER BY t.id LIMIT 1",
        )
        .fetch_one(&app.pool)
        .await
        .unwrap(),
        forum_post: forum_post_with_attachment(app).await,
    }
}

/// A Progressions Team post in Questions, with `MATRIX_ATTACHMENT` attached to it.
async fn forum_post_with_attachment(app: &TestApp) -> i64 {
    let post: i64 = sqlx::query_scalar(
        "SELECT p.id FROM forum_posts p JOIN forum_threads t ON t.id = p.thread_id \
         JOIN forum_categories c ON c.id = t.category_id JOIN users u ON u.id = p.author_id \
         WHERE c.key = 'questions' AND u.email = 'progressions@demo.test' ORDER BY p.id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let dir = app.config.data_dir.join("forum");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(MATRIX_ATTACHMENT), b"%PDF-1.7 matrix").unwrap();
    sqlx::query(
        "INSERT INTO forum_attachments (name, post_id, uploader_id, filename, content_type, size, created_at) \
         SELECT $1, p.id, p.author_id, 'matrix.pdf', 'application/pdf', 15, p.created_at FROM forum_posts p WHERE p.id = $2",
    )
    .bind(MATRIX_ATTACHMENT)
    .bind(post)
    .execute(&app.pool)
    .await
    .unwrap();
    post
}

const MATRIX_ATTACHMENT: &str = "matrix-attachment.pdf";

fn id_for(f: &Fixture, r: &Row) -> String {
    if r.route.contains("/forum/attachments/<name>") {
        return match r.case {
            Case::Own => MATRIX_ATTACHMENT.into(),
            _ => "missing-attachment.pdf".into(),
        };
    }
    if r.route.contains("/forum/threads/<id>") {
        return match r.case {
            Case::Own => f.forum_thread.to_string(),
            _ => "999999".into(),
        };
    }
    if r.route.contains("/forum/posts/<id>") {
        return match r.case {
            Case::Own => f.forum_post.to_string(),
            _ => "999999".into(),
        };
    }
    if r.route.starts_with("GET /openreferral/") {
        use apdir::openreferral::feed;
        let nobody = "6b1e0c5a-52f4-4d0e-9a57-0a1d17c35e01".to_string();
        if r.case != Case::Own {
            return nobody;
        }
        return if r.route.contains("/services/") {
            feed::service_id(f.own_provider_id).to_string()
        } else if r.route.contains("/service_at_locations/") {
            feed::service_at_location_id(f.own_site).to_string()
        } else if r.route.contains("/taxonomies/") {
            feed::taxonomy_id("tier").to_string()
        } else {
            feed::term_id("tier", "1").to_string()
        };
    }
    if r.route.contains("/registers/<date>/<session>") {
        return match r.case {
            Case::Own => format!("{}/am", f.register_date),
            _ => "2026-13-45/am".into(),
        };
    }
    if r.route.contains("/placements/<id>") {
        return match r.case {
            Case::Own => f.own_placement.to_string(),
            Case::Other => f.other_placement.to_string(),
            _ => "999999".into(),
        };
    }
    if r.route.contains("/admin/calendar/terms/<id>") {
        return match r.case {
            Case::Own => f.term.to_string(),
            _ => "999999".into(),
        };
    }
    if r.route.contains("/admin/calendar/closures/<on>") {
        return match r.case {
            Case::Own => "2028-05-01".into(),
            _ => "2099-01-01".into(),
        };
    }
    let is_users = r.route.contains("/admin/users/");
    let is_providers = r.route.contains("/providers/<slug>");
    if r.route.contains("/approvals/<id>") {
        return match r.case {
            Case::Own => f.own_version.to_string(),
            Case::Other => f.other_version.to_string(),
            _ => "999999".into(),
        };
    }
    if r.route.contains("/notifications/<id>") {
        return match r.case {
            Case::Other => f.other_notification.to_string(),
            _ => "999999".into(),
        };
    }
    if r.route.contains("/unsubscribe/<token>") {
        return match r.case {
            Case::Own => f.unsubscribe_token.clone(),
            // Well formed, but nobody's.
            _ => "A".repeat(43),
        };
    }
    if r.route.contains("/visit-actions/<id>") {
        return match r.case {
            Case::Own => f.own_action.to_string(),
            Case::Other => f.other_action.to_string(),
            _ => "999999".into(),
        };
    }
    if r.route.ends_with("/remove") {
        return match r.case {
            Case::Own => format!("{}/members/{}", f.round, f.own_provider_id),
            _ => format!("999999/members/{}", f.own_provider_id),
        };
    }
    if r.route.contains("/framework/rounds/<id>") {
        return match r.case {
            Case::Own => f.round.to_string(),
            _ => "999999".into(),
        };
    }
    if r.route.contains("/evidence/<id>") {
        return match r.case {
            Case::Own => f.own_evidence.to_string(),
            Case::Other => f.other_evidence.to_string(),
            _ => "999999".into(),
        };
    }
    if r.route.contains("/concerns/<id>") {
        return match r.case {
            Case::Own => f.concern.to_string(),
            _ => "999999".into(),
        };
    }
    if r.route.contains("/admin/mail/<id>") {
        return match r.case {
            Case::Own => f.failed_mail.to_string(),
            _ => "999999".into(),
        };
    }
    let is_api_provider = r.route.contains("/api/v1/providers/<id>");
    if is_api_provider {
        return match r.case {
            Case::Own => f.own_provider_id.to_string(),
            Case::Other => f.other_provider_id.to_string(),
            _ => "999999".into(),
        };
    }
    match (r.case, is_users, is_providers) {
        (Case::Own, true, _) => f.admin_id.to_string(),
        (Case::Other, true, _) => f.target_user.to_string(),
        (Case::Own, _, true) => f.own_provider.clone(),
        (Case::Other, _, true) => f.other_provider.clone(),
        (Case::Missing, _, true) => "no-such-provider".into(),
        (Case::Own, _, _) => f.own_pupil.to_string(),
        (Case::Other, _, _) => f.other_pupil.to_string(),
        (Case::Missing, _, _) => "999999".into(),
        (Case::None, _, _) => String::new(),
    }
}

/// The UPNs a role may see in a pupil list.
fn visible(f: &Fixture, role: Option<&str>) -> BTreeSet<String> {
    match role {
        Some("school@demo.test") => f.upns_by_school[&f.demo_school].clone(),
        Some("progressions@demo.test") => f.all_upns.clone(),
        Some("provider@demo.test") => f.provider_upns.clone(),
        _ => BTreeSet::new(),
    }
}

fn upns_in(body: &str, all: &BTreeSet<String>) -> BTreeSet<String> {
    all.iter()
        .filter(|u| body.contains(u.as_str()))
        .cloned()
        .collect()
}

#[rocket::async_test]
async fn every_route_answers_every_role_as_the_matrix_says() {
    let app = TestApp::with_demo().await;
    let f = fixture(&app).await;
    let rows = matrix();

    // Every mounted route has at least one row, and every row names a mounted route.
    let mounted = app.mounted_routes();
    let covered: BTreeSet<String> = rows.iter().map(|r| r.route.to_string()).collect();
    let missing: Vec<_> = mounted.difference(&covered).collect();
    assert!(
        missing.is_empty(),
        "mounted routes without a row in the access matrix: {missing:?}"
    );
    let stale: Vec<_> = covered.difference(&mounted).collect();
    assert!(
        stale.is_empty(),
        "matrix rows for routes that are not mounted: {stale:?}"
    );

    let mut failures = Vec::new();
    let mut n = 0;
    for (ri, role) in ROLES.iter().enumerate() {
        if let Some(email) = role {
            app.login(email).await;
        }
        for r in &rows {
            n += 1;
            let path = r.path.replace("{id}", &id_for(&f, r));
            let unique = format!("m{ri}{n}");
            let (status, location, body) = match r.form {
                Some(fields) => {
                    let fields: Vec<(&str, String)> = fields
                        .iter()
                        .map(|(k, v)| (*k, v.replace("{unique}", &unique)))
                        .collect();
                    let refs: Vec<(&str, &str)> =
                        fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                    let resp = app.post_csrf(&path, &refs).await;
                    let loc = resp.headers().get_one("Location").map(str::to_string);
                    (
                        resp.status(),
                        loc,
                        resp.into_string().await.unwrap_or_default(),
                    )
                }
                None => {
                    let resp = app.get_response(&path).await;
                    let loc = resp.headers().get_one("Location").map(str::to_string);
                    (
                        resp.status(),
                        loc,
                        resp.into_string().await.unwrap_or_default(),
                    )
                }
            };
            let who = role.unwrap_or("anonymous");
            let want = r.expect[ri];
            if status.code != want {
                failures.push(format!(
                    "{who} {} {path} ({:?}): got {}, want {want}",
                    r.route, r.case, status.code
                ));
                continue;
            }
            // Anonymous visitors to pages are sent to sign in, not shown an error.
            let to_login = location
                .as_deref()
                .unwrap_or("")
                .starts_with("/login?next=");
            if role.is_none() && want == 303 && r.route != "POST /logout" && !to_login {
                failures.push(format!(
                    "anonymous {path}: redirect to {location:?}, want /login"
                ));
            }
            if status == Status::Ok {
                match r.pupils {
                    PupilCheck::List => {
                        // Lists come 50 to a page: the first page holds the first 50 allowed.
                        let seen = upns_in(&body, &f.all_upns);
                        let allowed = visible(&f, *role);
                        if !seen.is_subset(&allowed) || seen.len() != allowed.len().min(50) {
                            failures.push(format!(
                                "{who} {path}: saw {} pupils, may see {}; extra: {:?}",
                                seen.len(),
                                allowed.len(),
                                seen.difference(&allowed).take(3).collect::<Vec<_>>()
                            ));
                        }
                    }
                    PupilCheck::Record => {
                        let seen = upns_in(&body, &f.all_upns);
                        if seen.len() != 1 {
                            failures.push(format!(
                                "{who} {path}: one pupil's record shows {} UPNs",
                                seen.len()
                            ));
                        }
                    }
                    PupilCheck::Subset => {
                        let seen = upns_in(&body, &f.all_upns);
                        let allowed = visible(&f, *role);
                        if !seen.is_subset(&allowed) {
                            failures.push(format!(
                                "{who} {path}: shows pupils it may not see: {:?}",
                                seen.difference(&allowed).take(3).collect::<Vec<_>>()
                            ));
                        }
                    }
                    PupilCheck::No => {
                        // Outside pupil routes, no UPN is ever shown.
                        if !upns_in(&body, &f.all_upns).is_empty() {
                            failures
                                .push(format!("{who} {path}: a UPN appears outside pupil routes"));
                        }
                    }
                }
            }
            if r.route == "POST /logout" {
                if let Some(email) = role {
                    app.login(email).await;
                }
            }
        }
        if role.is_some() {
            app.logout().await;
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {n} checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
