//! argon2id password hashing (the argon2 crate's defaults: m=19 MiB, t=2, p=1, OWASP's minimum).

use crate::domain::Invalid;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

/// NCSC-style policy: length over complexity rules.
pub fn check_policy(password: &str, email: &str) -> Result<(), Invalid> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(Invalid::new(format!(
            "Password must be {MIN_LEN} characters or more"
        )));
    }
    if n > MAX_LEN {
        return Err(Invalid::new(format!(
            "Password must be {MAX_LEN} characters or fewer"
        )));
    }
    if password.trim().to_lowercase() == email.trim().to_lowercase() {
        return Err(Invalid::new("Password must not be your email address"));
    }
    Ok(())
}

pub fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("password hashing failed: {e}"))
}

pub fn verify(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// Hashing is deliberately slow: keep it off the async workers.
pub async fn hash_async(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || hash(&password))
        .await
        .map_err(|e| format!("hashing task failed: {e}"))?
}

/// Verifies, or burns the same time against a fixed hash when there is no account, so response
/// times do not tell which emails have accounts.
pub async fn verify_async(password: String, stored: Option<String>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    tokio::task::spawn_blocking(move || match stored {
        Some(h) => verify(&password, &h),
        None => {
            let dummy = DUMMY.get_or_init(|| hash("no such account").unwrap_or_default());
            let _ = verify(&password, dummy);
            false
        }
    })
    .await
    .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_salted_and_verify() {
        let a = hash("correct horse battery").unwrap();
        let b = hash("correct horse battery").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "each hash has its own salt");
        assert!(verify("correct horse battery", &a));
        assert!(!verify("correct horse batterY", &a));
        assert!(!verify("anything", "not a hash"));
    }

    #[test]
    fn policy() {
        assert!(check_policy("short", "a@b.c").is_err());
        assert!(check_policy(&"x".repeat(129), "a@b.c").is_err());
        assert!(check_policy("someone@demo.test", "someone@demo.test").is_err());
        assert!(check_policy("demo-password-2026", "admin@demo.test").is_ok());
    }
}
