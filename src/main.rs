//! `apdir`: the command line. `serve` runs the web application; the rest are admin tasks.

use anyhow::{bail, Context};
use apdir::config::Config;
use apdir::{db, demo};
use clap::{Args, Parser, Subcommand};
use rocket::figment::Figment;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

#[derive(Parser)]
#[command(
    name = "apdir",
    version,
    about = "Alternative provision directory and provider framework"
)]
struct Cli {
    #[command(flatten)]
    common: Common,
    #[command(subcommand)]
    command: Command,
}

#[derive(Args)]
struct Common {
    /// Data directory (SQLite database, secret key). Default: ./data, or APDIR_DATA_DIR.
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// Database URL (required for the PostgreSQL build). Or APDIR_DATABASE_URL.
    #[arg(long, global = true)]
    database_url: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web application (migrates the database first).
    Serve {
        /// Load the Sheffield demo data into an empty database and print the demo accounts.
        #[arg(long)]
        demo: bool,
        /// Port to listen on (default 8000, or ROCKET_PORT).
        #[arg(long)]
        port: Option<u16>,
        /// Address to listen on (default 127.0.0.1, or ROCKET_ADDRESS).
        #[arg(long)]
        address: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Load the demo data into an empty database.
    Demo,
    /// Rebuild the search index from the database.
    Reindex,
    /// Import data from a file.
    #[command(subcommand)]
    Import(ImportCommand),
    /// Create an administrator account. The password is read from the terminal, or from the
    /// first line of standard input when it is not a terminal.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
    },
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Load providers from a CSV file (see the README for the columns). Checks the whole file
    /// first; writes nothing if any row is bad unless --skip-invalid is given.
    Providers {
        file: PathBuf,
        /// Write the valid rows and report the rest.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Load historical attendance marks from a CSV file with columns
    /// placement,date,session,code. Checks the whole file first; writes nothing if any row is
    /// bad.
    Marks { file: PathBuf },
    /// Load schools from a GIAS establishment extract (CSV, as downloaded): keeps the council's
    /// LA code (la_code setting), updates schools by URN, closes those GIAS marks closed, and
    /// reports rows skipped and why.
    Schools { file: PathBuf },
    /// Replace the URN-to-locality table (CSV with URN and Locality columns) that assigns
    /// schools' localities; the same as the upload on the administrator's Schools page.
    SchoolLocalities { file: PathBuf },
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let config = match load_config(&cli.common) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e:#}");
            return std::process::ExitCode::from(2);
        }
    };
    init_logging(&config);
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: could not start the runtime: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli.command, config)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn load_config(common: &Common) -> anyhow::Result<Config> {
    let mut config = Config::load().context("reading configuration (apdir.toml, APDIR_*)")?;
    if let Some(d) = &common.data_dir {
        config.data_dir = d.clone();
    }
    if let Some(u) = &common.database_url {
        config.database_url = Some(u.clone());
    }
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data directory {}", config.data_dir.display()))?;
    Ok(config)
}

fn init_logging(config: &Config) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("APDIR_LOG").unwrap_or_else(|_| {
        tracing_subscriber::EnvFilter::new("info,rocket=error,sqlx=warn,tantivy=warn,_=error")
    });
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if config.log_format == "json" {
        let _ = builder.json().try_init();
    } else {
        let _ = builder.try_init();
    }
}

async fn connect(config: &Config) -> anyhow::Result<db::Pool> {
    let url = config.database_url().map_err(anyhow::Error::msg)?;
    let pool = db::connect(&url)
        .await
        .context("connecting to the database")?;
    db::migrate(&pool).await.context("applying migrations")?;
    Ok(pool)
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Migrate => {
            connect(&config).await?;
            println!("Database is up to date ({}).", db::BACKEND);
        }
        Command::Demo => {
            let pool = connect(&config).await?;
            let loaded = demo::load(&pool).await?;
            print_loaded(&loaded);
            demo::welcome(&pool, &config).await?;
        }
        Command::Import(ImportCommand::Providers { file, skip_invalid }) => {
            let data =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let pool = connect(&config).await?;
            let report =
                apdir::directory::import::import_providers(&pool, &data, skip_invalid).await?;
            for p in &report.problems {
                println!("line {}, column {}: {}", p.line, p.column, p.message);
            }
            println!(
                "{} rows read, {} valid, {} with problems. {}",
                report.rows,
                report.valid,
                report.rows - report.valid,
                if report.written {
                    format!(
                        "Written: {} added, {} updated, {} unchanged.",
                        report.inserted, report.updated, report.unchanged
                    )
                } else {
                    "Nothing was written: correct the file, or use --skip-invalid to write the valid rows.".into()
                }
            );
            if !report.written {
                bail!("the file has {} problems", report.problems.len());
            }
        }
        Command::Import(ImportCommand::Marks { file }) => {
            let data =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let pool = connect(&config).await?;
            let report = apdir::attendance::import::import_marks(&pool, &data).await?;
            for p in &report.problems {
                println!("line {}, column {}: {}", p.line, p.column, p.message);
            }
            println!(
                "{} rows read, {} with problems. {}",
                report.rows,
                report.problems.len(),
                if report.problems.is_empty() {
                    format!("Written: {} marks.", report.written)
                } else {
                    "Nothing was written: correct the file and import it again.".into()
                }
            );
            if !report.problems.is_empty() {
                bail!("the file has {} problems", report.problems.len());
            }
        }
        Command::Import(ImportCommand::Schools { file }) => {
            let data =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let pool = connect(&config).await?;
            // A bar for long files; indicatif draws nothing when stderr is not a terminal.
            let lines = data.iter().filter(|b| **b == b'\n').count();
            let bar = indicatif::ProgressBar::new(lines as u64);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} schools {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            let report =
                apdir::schools::gias::import(&pool, &data, &config.la_code, &|n| bar.inc(n))
                    .await
                    .map_err(|e| anyhow::anyhow!(e.to_string()))?;
            bar.finish_and_clear();
            for s in &report.skipped {
                println!("line {} (URN {}): {}", s.line, s.urn, s.reason);
            }
            println!(
                "{} rows read, {} for other local authorities. Added {}, updated {}, unchanged {}, closed {}; {} closed schools were never here. {} rows skipped. {} schools have no locality.",
                report.rows,
                report.other_la,
                report.added,
                report.updated,
                report.unchanged,
                report.closed,
                report.closed_unknown,
                report.skipped.len(),
                report.without_locality,
            );
        }
        Command::Import(ImportCommand::SchoolLocalities { file }) => {
            let data =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let pool = connect(&config).await?;
            match apdir::schools::load_locality_table(&pool, &data)
                .await
                .map_err(|e| anyhow::anyhow!(e.to_string()))?
            {
                Ok((rows, changed)) => println!(
                    "The table now has {rows} schools; {changed} schools changed locality."
                ),
                Err(problems) => {
                    for p in &problems {
                        println!("{p}");
                    }
                    bail!(
                        "the file has {} problems; nothing was written",
                        problems.len()
                    );
                }
            }
        }
        Command::Reindex => {
            let pool = connect(&config).await?;
            let search = apdir::directory::index::open(&pool, &config.data_dir).await?;
            let started = std::time::Instant::now();
            let n = apdir::directory::index::rebuild(&pool, &search).await?;
            println!(
                "Search index rebuilt: {n} providers in {:.2} s.",
                started.elapsed().as_secs_f64()
            );
        }
        Command::CreateAdmin { email, name } => {
            let pool = connect(&config).await?;
            let password = read_password()?;
            let id = apdir::admin::create_admin(&pool, &email, &name, &password)
                .await
                .map_err(anyhow::Error::msg)?;
            println!("Administrator {email} created (user {id}).");
        }
        Command::Serve {
            demo,
            port,
            address,
        } => serve(config, demo, port, address).await?,
    }
    Ok(())
}

async fn serve(
    config: Config,
    demo_mode: bool,
    port: Option<u16>,
    address: Option<String>,
) -> anyhow::Result<()> {
    let pool = connect(&config).await?;
    let mut demo_loaded = false;
    if demo_mode {
        if db::is_empty(&pool).await? {
            let loaded = demo::load(&pool).await?;
            print_loaded(&loaded);
            demo_loaded = true;
        } else {
            println!("Demo data: the database already holds data, so nothing was loaded.");
        }
    }
    let mut figment: Figment = rocket::Config::figment()
        .merge(("log_level", "off"))
        .merge(("cli_colors", false));
    if let Some(p) = port {
        figment = figment.merge(("port", p));
    }
    if let Some(a) = address {
        figment = figment.merge(("address", a));
    }
    let configured: rocket::Config = figment.extract().context("reading Rocket configuration")?;
    let mut config = config;
    // Links in emails: unless configured, the address this server listens on.
    if config.public_url == Config::default().public_url {
        config.public_url = format!("http://{}:{}", configured.address, configured.port);
    }
    if demo_loaded {
        demo::welcome(&pool, &config).await?;
    }
    if configured.secret_key.is_zero() {
        figment = figment.merge(("secret_key", secret_key(&config)?));
    }
    // The banner is printed once the socket is listening, so what it says is true.
    let rocket = apdir::assemble(config, pool, figment)?.attach(
        rocket::fairing::AdHoc::on_liftoff("banner", move |r| {
            Box::pin(async move {
                let rc = r.config();
                if demo_mode {
                    println!("\nDemo accounts (password: {}):", demo::DEMO_PASSWORD);
                    for (email, _, role) in demo::ACCOUNTS {
                        println!("  {email:<26} {}", role.label());
                    }
                }
                println!(
                    "\napdir is running at http://{}:{}  (Ctrl+C to stop)",
                    rc.address, rc.port
                );
                let _ = std::io::stdout().flush();
            })
        }),
    );
    rocket.launch().await.context("running the server")?;
    Ok(())
}

fn print_loaded(l: &demo::Loaded) {
    println!(
        "Demo data loaded: {} localities, {} schools, {} providers, {} pupils, {} placements, {} accounts.",
        l.localities, l.schools, l.providers, l.pupils, l.placements, l.accounts
    );
    println!(
        "  school@demo.test works at {}; provider@demo.test at {}.",
        l.demo_school, l.demo_provider
    );
}

/// The cookie key: configured (ROCKET_SECRET_KEY), else generated once and kept in the data
/// directory, readable only by its owner, so sessions survive restarts.
fn secret_key(config: &Config) -> anyhow::Result<String> {
    use base64::Engine;
    let path = config.data_dir.join("secret_key");
    if let Ok(existing) = std::fs::read_to_string(&path) {
        let key = existing.trim().to_string();
        if base64::engine::general_purpose::STANDARD
            .decode(&key)
            .map(|k| k.len())
            == Ok(64)
        {
            return Ok(key);
        }
        bail!(
            "{} is not a valid 64-byte base64 key; remove it to generate a new one",
            path.display()
        );
    }
    let mut bytes = [0u8; 64];
    rand::RngCore::fill_bytes(&mut rand::rngs::OsRng, &mut bytes);
    let key = base64::engine::general_purpose::STANDARD.encode(bytes);
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(key.as_bytes())?;
    Ok(key)
}

fn read_password() -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        eprint!("Password (12 characters or more): ");
        let _ = std::io::stderr().flush();
    }
    let mut line = String::new();
    stdin
        .lock()
        .read_line(&mut line)
        .context("reading the password")?;
    let pw = line.trim_end_matches(['\r', '\n']).to_string();
    if pw.is_empty() {
        bail!("no password given");
    }
    Ok(pw)
}
