//! One error type for the whole app. Bad input is a 4xx with a message a person can act on;
//! only a fault of ours is a 5xx, and then the page shows a request id to quote.

use crate::web::render_error;
use rocket::http::Status;
use rocket::request::Request;
use rocket::response::{self, Responder};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("{0}")]
    BadRequest(String),
    #[error("You need to sign in to see this page")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    #[error("Page not found")]
    NotFound,
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unprocessable(String),
    #[error("{0}")]
    TooManyRequests(String),
    #[error("database error: {0}")]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> Status {
        match self {
            AppError::BadRequest(_) => Status::BadRequest,
            AppError::Unauthorized => Status::Unauthorized,
            AppError::Forbidden(_) => Status::Forbidden,
            AppError::NotFound => Status::NotFound,
            AppError::Conflict(_) => Status::Conflict,
            AppError::Unprocessable(_) => Status::UnprocessableEntity,
            AppError::TooManyRequests(_) => Status::TooManyRequests,
            AppError::Db(sqlx::Error::PoolTimedOut) => Status::ServiceUnavailable,
            AppError::Db(e) if busy(e) => Status::ServiceUnavailable,
            AppError::Db(_) | AppError::Internal(_) => Status::InternalServerError,
        }
    }

    /// What the person is told. Internal details stay in the log.
    pub fn public_message(&self) -> String {
        match self {
            AppError::Db(sqlx::Error::PoolTimedOut) => {
                "The service is busy. Try again in a minute.".into()
            }
            AppError::Db(e) if busy(e) => "The service is busy. Try again in a minute.".into(),
            AppError::Db(_) | AppError::Internal(_) => {
                "Sorry, there is a problem with the service. Try again later.".into()
            }
            other => other.to_string(),
        }
    }
}

impl<'r> Responder<'r, 'static> for AppError {
    fn respond_to(self, req: &'r Request<'_>) -> response::Result<'static> {
        let status = self.status();
        if status.code >= 500 {
            tracing::error!(
                request_id = %crate::web::request_id(req),
                error = %self,
                "request failed"
            );
        }
        render_error(req, status, &self.public_message())
    }
}

pub type AppResult<T> = Result<T, AppError>;

/// SQLite's "database is locked" after the busy timeout: a queue of writers, not a fault, so
/// the caller is told to try again (503) rather than shown an error (500).
fn busy(e: &sqlx::Error) -> bool {
    matches!(e, sqlx::Error::Database(d) if d.code().as_deref() == Some("5"))
}
