//! One typed configuration: defaults, then `apdir.toml` in the working directory, then `APDIR_*`
//! environment variables, then command-line flags. No globals: it travels in Rocket state.

use figment::providers::{Env, Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Config {
    /// Where the SQLite database, secret key and (later) search index and uploads live.
    pub data_dir: PathBuf,
    /// PostgreSQL URL for the `postgres` build; for SQLite it overrides `<data_dir>/apdir.db`.
    pub database_url: Option<String>,
    /// Shown in the header, page titles and emails.
    pub council_name: String,
    /// The council's DfE local authority code (Sheffield: 373); the GIAS import keeps only
    /// schools with it.
    pub la_code: String,
    /// Short service name shown after the council's name.
    pub service_name: String,
    /// Phase banner tag ("Beta"); empty hides the banner.
    pub phase: String,
    /// Mark cookies `Secure`. Browsers accept them on http://127.0.0.1 too; turn off only for
    /// plain-HTTP access from another host, which is not a supported deployment.
    pub secure_cookies: bool,
    /// `text` or `json` request logs.
    pub log_format: String,
    /// Session idle timeout and absolute lifetime, in minutes.
    pub session_idle_minutes: i64,
    pub session_absolute_minutes: i64,
    /// The address people reach this service at, for links in emails (no trailing `/`).
    pub public_url: String,
    /// `folder`: each mail is written as an `.eml` file to `<data_dir>/outbox` (demo and
    /// development); `smtp`: sent through the relay below.
    pub mail_transport: String,
    pub smtp_host: String,
    pub smtp_port: u16,
    /// `starttls` (port 587), `tls` (implicit TLS, port 465) or `none` (a relay on a trusted
    /// network or loopback only).
    pub smtp_tls: String,
    pub smtp_username: Option<String>,
    pub smtp_password: Option<String>,
    /// The sender, like `Sheffield AP Directory <ap-directory@sheffield.gov.uk>`.
    pub mail_from: String,
    /// When the daily digest goes out, `HH:MM` in Europe/London.
    pub digest_time: String,
    /// How long a claimed mail may stay unsent before another sender takes it again (a sender
    /// that stopped mid-send). Longer than the slowest SMTP conversation.
    pub mail_lease_seconds: i64,
    /// Run the job runner and mail sender inside the server (off only in tests that drive
    /// them step by step).
    pub background_jobs: bool,
    /// Years after a pupil's record closes (last placement ended) before the housekeeping job
    /// anonymises it. Attendance registers are kept six years whatever this says.
    pub pupil_retention_years: u32,
    /// Registers not taken by these London times are missing (`HH:MM`).
    pub register_cutoff_am: String,
    pub register_cutoff_pm: String,
    /// Minutes after the cut-off before a missing register is raised with the schools and the
    /// Progressions Team (the provider is told at the cut-off).
    pub register_escalate_minutes: i64,
    /// Days after which a register's marks change only with Progressions approval.
    pub register_lock_days: i64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            data_dir: PathBuf::from("data"),
            database_url: None,
            council_name: "Sheffield City Council".into(),
            la_code: "373".into(),
            service_name: "Alternative Provision Directory".into(),
            phase: "Beta".into(),
            secure_cookies: true,
            log_format: "text".into(),
            session_idle_minutes: 30,
            session_absolute_minutes: 12 * 60,
            public_url: "http://127.0.0.1:8000".into(),
            mail_transport: "folder".into(),
            smtp_host: "localhost".into(),
            smtp_port: 587,
            smtp_tls: "starttls".into(),
            smtp_username: None,
            smtp_password: None,
            mail_from: "Alternative Provision Directory <no-reply@apdir.invalid>".into(),
            digest_time: "07:00".into(),
            mail_lease_seconds: 120,
            background_jobs: true,
            pupil_retention_years: 6,
            register_cutoff_am: "10:00".into(),
            register_cutoff_pm: "14:00".into(),
            register_escalate_minutes: 60,
            register_lock_days: 7,
        }
    }
}

impl Config {
    /// Defaults < `apdir.toml` < `APDIR_*` variables.
    pub fn figment() -> Figment {
        Figment::from(Serialized::defaults(Config::default()))
            .merge(Toml::file("apdir.toml"))
            .merge(Env::prefixed("APDIR_"))
    }

    pub fn load() -> Result<Config, Box<figment::Error>> {
        Config::figment().extract().map_err(Box::new)
    }

    /// The connection string for the configured backend.
    pub fn database_url(&self) -> Result<String, String> {
        if let Some(url) = &self.database_url {
            return Ok(url.clone());
        }
        if cfg!(feature = "postgres") {
            Err(
                "This is the PostgreSQL build: set APDIR_DATABASE_URL or --database-url \
                 (for example postgres://postgres@127.0.0.1:5432/apdir)"
                    .into(),
            )
        } else {
            Ok(format!(
                "sqlite://{}",
                self.data_dir.join("apdir.db").display()
            ))
        }
    }
}
