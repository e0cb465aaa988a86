//! Fixed ingredients of the demo: Sheffield postcode districts with plausible centres, the
//! providers, and name lists. Provider names are invented; contacts use reserved domains and
//! Ofcom's drama numbers (0114 496 0xxx).

pub struct District {
    pub code: &'static str,
    pub lat: f64,
    pub lon: f64,
    /// Index of Locality A..G.
    pub locality: usize,
    pub areas: &'static [&'static str],
}

pub const DISTRICTS: &[District] = &[
    District {
        code: "S5",
        lat: 53.4250,
        lon: -1.4600,
        locality: 0,
        areas: &[
            "Firth Park",
            "Parson Cross",
            "Southey Green",
            "Shiregreen",
            "Longley",
        ],
    },
    District {
        code: "S35",
        lat: 53.4520,
        lon: -1.4680,
        locality: 0,
        areas: &[
            "Chapeltown",
            "High Green",
            "Ecclesfield",
            "Grenoside",
            "Burncross",
        ],
    },
    District {
        code: "S36",
        lat: 53.4870,
        lon: -1.5920,
        locality: 0,
        areas: &["Stocksbridge", "Deepcar", "Bolsterstone"],
    },
    District {
        code: "S4",
        lat: 53.3980,
        lon: -1.4520,
        locality: 1,
        areas: &[
            "Pitsmoor",
            "Burngreave",
            "Grimesthorpe",
            "Fir Vale",
            "Abbeyfield",
        ],
    },
    District {
        code: "S9",
        lat: 53.3970,
        lon: -1.4120,
        locality: 1,
        areas: &[
            "Darnall",
            "Tinsley",
            "Attercliffe",
            "Brightside",
            "Wincobank",
            "Carbrook",
        ],
    },
    District {
        code: "S13",
        lat: 53.3720,
        lon: -1.3780,
        locality: 2,
        areas: &[
            "Handsworth",
            "Woodhouse",
            "Richmond",
            "Ballifield",
            "Orgreave",
        ],
    },
    District {
        code: "S20",
        lat: 53.3330,
        lon: -1.3550,
        locality: 2,
        areas: &[
            "Mosborough",
            "Westfield",
            "Halfway",
            "Beighton",
            "Owlthorpe",
            "Waterthorpe",
        ],
    },
    District {
        code: "S12",
        lat: 53.3450,
        lon: -1.4120,
        locality: 3,
        areas: &[
            "Gleadless",
            "Intake",
            "Frecheville",
            "Hackenthorpe",
            "Birley",
        ],
    },
    District {
        code: "S14",
        lat: 53.3500,
        lon: -1.4450,
        locality: 3,
        areas: &["Gleadless Valley", "Norfolk Park", "Hemsworth"],
    },
    District {
        code: "S2",
        lat: 53.3680,
        lon: -1.4550,
        locality: 3,
        areas: &["Heeley", "Manor", "Arbourthorne", "Park Hill", "Lowfield"],
    },
    District {
        code: "S8",
        lat: 53.3380,
        lon: -1.4780,
        locality: 4,
        areas: &[
            "Woodseats",
            "Meersbrook",
            "Norton",
            "Jordanthorpe",
            "Greenhill",
        ],
    },
    District {
        code: "S7",
        lat: 53.3570,
        lon: -1.4950,
        locality: 4,
        areas: &[
            "Nether Edge",
            "Sharrow",
            "Abbeydale",
            "Beauchief",
            "Carterknowle",
        ],
    },
    District {
        code: "S11",
        lat: 53.3600,
        lon: -1.5180,
        locality: 5,
        areas: &[
            "Ecclesall",
            "Greystones",
            "Hunters Bar",
            "Bents Green",
            "Endcliffe",
        ],
    },
    District {
        code: "S17",
        lat: 53.3180,
        lon: -1.5400,
        locality: 5,
        areas: &["Dore", "Totley", "Bradway"],
    },
    District {
        code: "S10",
        lat: 53.3780,
        lon: -1.5300,
        locality: 5,
        areas: &["Crookes", "Broomhill", "Fulwood", "Ranmoor", "Lodge Moor"],
    },
    District {
        code: "S6",
        lat: 53.4020,
        lon: -1.5120,
        locality: 6,
        areas: &[
            "Hillsborough",
            "Walkley",
            "Stannington",
            "Wisewood",
            "Loxley",
            "Malin Bridge",
        ],
    },
    District {
        code: "S3",
        lat: 53.3890,
        lon: -1.4800,
        locality: 6,
        areas: &["Netherthorpe", "Upperthorpe", "Kelham", "Philadelphia"],
    },
    District {
        code: "S1",
        lat: 53.3810,
        lon: -1.4700,
        locality: 6,
        areas: &["City Centre", "Devonshire Quarter"],
    },
];

pub const SECONDARY_SUFFIXES: &[&str] = &["Academy", "School", "Community Academy", "High School"];
pub const PRIMARY_SUFFIXES: &[&str] = &[
    "Primary School",
    "Junior School",
    "Infant School",
    "Primary Academy",
    "Nursery and Infant School",
    "Community Primary",
    "Junior Academy",
];
pub const TYPE_NAMES: &[&str] = &[
    "Academy converter",
    "Community school",
    "Academy sponsor led",
    "Voluntary aided school",
];

pub struct PlannedProvider {
    pub name: &'static str,
    /// Framework lot; `None` for providers outside the framework.
    pub lot: Option<&'static str>,
    pub registration: &'static str,
    pub urn: Option<&'static str>,
    pub ukprn: Option<&'static str>,
    pub ofsted: Option<&'static str>,
    pub tiers: &'static [i64],
    pub place_types: &'static [&'static str],
    pub key_stages: &'static [&'static str],
    pub capacity: i64,
    pub district: usize,
    pub dd: &'static str,
    pub dd_reason: &'static str,
    pub qualifications: &'static str,
    pub hours: &'static str,
    pub focus: &'static str,
}

const OK: &str = "All required checks are passed and in date.";
const SCHOOL_DAY: &str = "Monday to Friday, 9:15am to 2:45pm";
const SHORT_DAY: &str = "Monday to Thursday, 9:30am to 2:30pm";
const FS: &str = "Functional Skills English and maths (Entry 3 to Level 2)";

macro_rules! provider {
    ($name:expr, $lot:expr, $reg:expr, $urn:expr, $ukprn:expr, $ofsted:expr, $tiers:expr, $pt:expr, $ks:expr,
     $cap:expr, $district:expr, $dd:expr, $reason:expr, $qual:expr, $hours:expr, $focus:expr) => {
        PlannedProvider {
            name: $name,
            lot: $lot,
            registration: $reg,
            urn: $urn,
            ukprn: $ukprn,
            ofsted: $ofsted,
            tiers: $tiers,
            place_types: $pt,
            key_stages: $ks,
            capacity: $cap,
            district: $district,
            dd: $dd,
            dd_reason: $reason,
            qualifications: $qual,
            hours: $hours,
            focus: $focus,
        }
    };
}

const SEC: Option<&str> = Some("secondary");
const PRI: Option<&str> = Some("primary");
const BOTH: Option<&str> = Some("both");
const NS: &str = "non_school";

pub const PROVIDERS: &[PlannedProvider] = &[
    // 21 secondary-lot framework providers (one on both lots).
    provider!("Steel City Vocational Hub", SEC, NS, None, Some("10084521"), None, &[2, 3], &["vocational", "ks4_full_time"], &["KS4"], 48, 16, "approved", OK,
        "BTEC Level 1 and 2 in construction, engineering and hospitality; Functional Skills English and maths", SCHOOL_DAY, "Workshops in construction and engineering run alongside English and maths every day."),
    provider!("Don Valley Motor Skills", SEC, NS, None, Some("10091234"), None, &[2, 3], &["vocational"], &["KS4"], 18, 4, "approved", OK,
        "IMI Level 1 Award in vehicle maintenance; Functional Skills English and maths", SCHOOL_DAY, "Pupils learn vehicle mechanics and maintenance in a working garage."),
    provider!("Peak Edge Outdoor Learning", SEC, NS, None, None, None, &[2], &["engagement", "intervention_assessment"], &["KS3", "KS4"], 16, 13, "approved", OK,
        "AQA Unit Awards; John Muir Award", SHORT_DAY, "Climbing, bushcraft and team challenges build confidence and routines."),
    provider!("Kelham Island Creative Arts", SEC, NS, None, None, None, &[2], &["engagement", "vocational"], &["KS3", "KS4"], 20, 16, "expiring", "Public liability insurance certificate expires on 12 December 2026.",
        "Arts Award Bronze and Silver; Functional Skills English", SCHOOL_DAY, "Music, film and art projects with professional artists."),
    provider!("Northern Lights Engagement Project", SEC, NS, None, None, None, &[2, 3], &["engagement"], &["KS3", "KS4"], 14, 0, "approved", OK,
        "AQA Unit Awards; Entry Level Certificates in English and maths", SCHOOL_DAY, "Small groups with a key worker for every pupil."),
    provider!("Hillsborough Boxing Academy", SEC, NS, None, None, None, &[1, 2], &["engagement", "step_out", "intervention_assessment"], &["KS3", "KS4"], 24, 15, "approved", OK,
        "Sports Leaders Level 1; Functional Skills English and maths", SCHOOL_DAY, "Boxing fitness and mentoring, with classroom learning every afternoon."),
    provider!("Sheaf Valley Learning Centre", SEC, NS, None, Some("10077745"), None, &[2, 3], &["ks4_full_time", "exclusion"], &["KS4"], 40, 9, "approved", OK,
        "GCSE English, maths and science; Functional Skills", SCHOOL_DAY, "A full Key Stage 4 timetable in small classes."),
    provider!("Forge Construction Skills", SEC, NS, None, Some("10065432"), None, &[3], &["vocational"], &["KS4", "KS5"], 22, 5, "lapsed", "Staff vetting (enhanced DBS and single central record) check expired on 3 October 2026.",
        "CSCS card preparation; NOCN Level 1 construction skills", SCHOOL_DAY, "Bricklaying, joinery and plastering on real projects."),
    provider!("Parkwood Hair and Beauty Academy", SEC, NS, None, None, None, &[3], &["vocational"], &["KS4"], 16, 3, "approved", OK,
        "VTCT Level 1 hair and beauty", SHORT_DAY, "A working salon where pupils gain a first qualification."),
    provider!("Loxley Farm School", SEC, NS, None, None, None, &[2], &["engagement", "vocational"], &["KS3", "KS4"], 12, 15, "approved", OK,
        "City & Guilds Level 1 land-based studies", SCHOOL_DAY, "Animal care and growing food on a working farm."),
    provider!("Attercliffe Digital Studio", SEC, NS, None, None, None, &[2, 3], &["vocational", "engagement"], &["KS4"], 18, 4, "expiring", "Safeguarding policy review due by 20 December 2026.",
        "BCS Level 1 digital skills; Functional Skills English and maths", SCHOOL_DAY, "Coding, game design and media production."),
    provider!("Manor Top Youth Mentoring", SEC, NS, None, None, None, &[1, 2], &["intervention_assessment", "outreach"], &["KS3", "KS4"], 30, 7, "approved", OK,
        "", SHORT_DAY, "Mentors work with pupils in school and in our centre to prevent exclusion."),
    provider!("Rivelin Nurture Outreach", BOTH, NS, None, None, None, &[1], &["outreach"], &["KS2", "KS3"], 40, 15, "approved", OK,
        "", SCHOOL_DAY, "Nurture-based support delivered in mainstream schools."),
    provider!("Ecclesall Road Step Out Centre", SEC, NS, None, None, None, &[2], &["step_out"], &["KS3", "KS4"], 12, 12, "approved", OK,
        FS, SCHOOL_DAY, "Up to six weeks of full-time support after a serious incident, with a planned return."),
    provider!("Tinsley Sports Futures", SEC, NS, None, None, None, &[2], &["engagement", "vocational"], &["KS3", "KS4"], 20, 4, "suspended", "Suspended on 4 November 2026 while a safeguarding concern is investigated.",
        "Sports Leaders Level 1 and 2", SCHOOL_DAY, "Football coaching and sports leadership."),
    provider!("Castle Market Catering Academy", SEC, NS, None, Some("10088812"), None, &[3], &["vocational"], &["KS4", "KS5"], 16, 17, "approved", OK,
        "Level 1 food safety; Level 1 professional cookery", SCHOOL_DAY, "A training kitchen and a public café run by pupils."),
    provider!("Woodhouse Bikeworks", SEC, NS, None, None, None, &[2], &["vocational", "engagement"], &["KS3", "KS4"], 12, 5, "approved", OK,
        "Cytech Level 1 cycle maintenance", SHORT_DAY, "Repairing and rebuilding bikes, with rides out every week."),
    provider!("Greenhill Therapeutic School", SEC, "registered_school", Some("147321"), Some("10071122"), Some("Good"), &[2, 3], &["ks4_full_time", "engagement"], &["KS3", "KS4"], 36, 10, "approved", OK,
        "GCSEs; Functional Skills; AQA Unit Awards", SCHOOL_DAY, "A registered independent school with therapy built into the timetable."),
    provider!("Abbeydale Horticulture Project", SEC, NS, None, None, None, &[2], &["engagement"], &["KS3", "KS4"], 10, 11, "expiring", "Health and safety risk assessments due for renewal by 15 December 2026.",
        "RHS Level 1 practical horticulture", SHORT_DAY, "Gardening, landscaping and growing in a walled garden."),
    provider!("Meadowhall Retail and Enterprise Skills", SEC, NS, None, None, None, &[3], &["vocational"], &["KS4", "KS5"], 14, 4, "pending", "Due diligence has started: 4 of 11 checks are complete.",
        "Level 1 retail skills; enterprise awards", SCHOOL_DAY, "Real retail experience and enterprise projects."),
    provider!("Sheffield Online Tuition Service", SEC, "online", None, Some("10093377"), None, &[2], &["medical", "engagement"], &["KS3", "KS4"], 60, 17, "approved", OK,
        "GCSE English, maths and science", "Monday to Friday, live lessons 9:30am to 12:30pm", "Live online lessons for pupils who cannot attend in person."),
    // 10 primary-lot framework providers.
    provider!("Little Oaks Nurture Centre", PRI, NS, None, None, None, &[2], &["ks1_3_full_time", "intervention_assessment"], &["KS1", "KS2"], 12, 0, "approved", OK,
        "", SCHOOL_DAY, "A nurture room with a high staff ratio and a planned return to school."),
    provider!("Firth Park Primary Outreach", PRI, NS, None, None, None, &[1], &["outreach"], &["KS1", "KS2"], 24, 0, "approved", OK,
        "", SCHOOL_DAY, "Specialist staff support children and teachers in their own school."),
    provider!("Wildflower Forest School", PRI, NS, None, None, None, &[2], &["engagement"], &["KS1", "KS2"], 10, 13, "approved", OK,
        "", SHORT_DAY, "Learning outdoors in woodland, in small groups."),
    provider!("Bright Start Assessment Base", PRI, NS, None, None, None, &[2], &["intervention_assessment"], &["KS1", "KS2"], 8, 7, "expiring", "Insurance certificate expires on 9 December 2026.",
        "", SHORT_DAY, "Six to eight weeks to understand a child's needs and plan support."),
    provider!("Heeley City Farm Learning", PRI, NS, None, None, None, &[2], &["engagement"], &["KS2"], 10, 9, "approved", OK,
        "", SHORT_DAY, "Caring for animals and growing food at a city farm."),
    provider!("Stepping Stones Primary Support", PRI, NS, None, None, None, &[2, 3], &["ks1_3_full_time"], &["KS1", "KS2", "KS3"], 16, 3, "approved", OK,
        "", SCHOOL_DAY, "Full-time places while needs are assessed, dual registered with the home school."),
    provider!("Riverside Play and Learning", PRI, NS, None, None, None, &[1, 2], &["engagement", "outreach"], &["KS1", "KS2"], 12, 5, "lapsed", "Financial standing check expired on 30 September 2026.",
        "", SHORT_DAY, "Play-based learning and support for families."),
    provider!("Shiregreen Family Learning", PRI, NS, None, None, None, &[2], &["intervention_assessment"], &["KS2"], 8, 0, "approved", OK,
        "", SHORT_DAY, "Short programmes for children at risk of exclusion, with their parents."),
    provider!("Woodseats Nurture Outreach", PRI, NS, None, None, None, &[1], &["outreach"], &["KS1", "KS2"], 20, 10, "approved", OK,
        "", SCHOOL_DAY, "Nurture groups run in mainstream primary schools."),
    provider!("Handsworth Horizons Primary Centre", PRI, NS, None, None, None, &[2, 3], &["ks1_3_full_time", "exclusion"], &["KS2"], 12, 5, "approved", OK,
        "", SCHOOL_DAY, "Full-time places for primary pupils, including after exclusion."),
    // The LA's registered centres, outside the framework.
    provider!("Sheffield Inclusion Centre", None, "registered_school", Some("139876"), None, Some("Requires improvement"), &[2, 3], &["exclusion", "ks4_full_time", "ks1_3_full_time"], &["KS2", "KS3", "KS4"], 250, 3, "approved", OK,
        "GCSEs; Functional Skills; vocational awards", SCHOOL_DAY, "The city's pupil referral unit, providing full-time education from the sixth day of exclusion."),
    provider!("Becton School (Chapel House)", None, "registered_school", Some("131432"), None, Some("Good"), &[2, 3], &["medical"], &["KS1", "KS2", "KS3", "KS4", "KS5"], 100, 7, "approved", OK,
        "GCSEs and A levels; Functional Skills", SCHOOL_DAY, "Education alongside treatment for children and young people with medical and mental health needs."),
];

pub const STREETS: &[&str] = &[
    "Penistone Road",
    "Abbeydale Road",
    "Attercliffe Road",
    "Ecclesall Road",
    "Staniforth Road",
    "Middlewood Road",
    "Chesterfield Road",
    "Barnsley Road",
    "Manor Lane",
    "Handsworth Road",
    "Langsett Road",
    "Spital Hill",
    "Cemetery Road",
    "London Road",
    "Infirmary Road",
    "Shoreham Street",
    "City Road",
    "Owlthorpe Greenway",
];

pub const TRANSPORT: &[&str] = &[
    "On bus routes 52 and 52a. Taxi transport can be arranged for eligible pupils.",
    "Five minutes' walk from the tram stop.",
    "Pupils make their own way; bus passes can be provided.",
    "Transport is arranged by the council for eligible pupils.",
];

pub const FORENAMES: &[&str] = &[
    "Oliver", "Amelia", "Muhammad", "Isla", "Harry", "Ava", "Jack", "Mia", "Noah", "Lily", "Leo",
    "Freya", "Alfie", "Sophia", "Charlie", "Grace", "Ibrahim", "Zara", "Kai", "Evie", "Tyler",
    "Aisha", "Reece", "Maya", "Jayden", "Hana", "Ethan", "Ruby", "Mason", "Amira", "Logan",
    "Chloe", "Yusuf", "Ella", "Callum", "Poppy", "Riley", "Layla", "Kian", "Summer",
];

pub const SURNAMES: &[&str] = &[
    "Smith", "Jones", "Taylor", "Brown", "Wilson", "Khan", "Hussain", "Walker", "Wright",
    "Robinson", "Thompson", "White", "Hughes", "Ahmed", "Edwards", "Green", "Hall", "Wood",
    "Harris", "Lewis", "Martin", "Jackson", "Clarke", "Clegg", "Turner", "Hill", "Ali", "Cooper",
    "Ward", "Moore", "Shaw", "Akhtar", "Parkin", "Bramall", "Oduya", "Kowalski", "Nowak", "Begum",
    "Mahmood", "Fletcher",
];

pub const NEEDS_SUMMARIES: &[&str] = &[
    "Finds large groups hard; responds well to a consistent adult.",
    "Anxiety about school attendance; likes practical work.",
    "Needs help with reading; enjoys sport.",
    "Struggles with transitions between lessons.",
    "Medical needs affect attendance; keen to keep up with GCSE work.",
    "",
];
