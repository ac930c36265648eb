//! Configuration from the environment and `.env` (cli layer), and the API key type that
//! cannot be printed.

use crate::error::AppError;
use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// An API key. It has no `Display`, its `Debug` prints `[REDACTED]`, it is not
/// serializable: the only way to the bytes is [`ApiKey::expose`], used when a request is
/// built.
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    pub fn new(key: impl Into<String>) -> Self {
        ApiKey(key.into())
    }

    /// The key itself, for an `Authorization` header and nothing else.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([REDACTED])")
    }
}

/// Variables from the process environment, then from a `.env` file (the real environment
/// wins). The file is read, never loaded into the process.
#[derive(Debug, Default)]
pub struct Env {
    file: HashMap<String, String>,
    real: HashMap<String, String>,
    /// The `.env` file that was read, if any.
    pub source: Option<PathBuf>,
}

impl Env {
    /// Reads the process environment and `path` (or `./.env` when it exists).
    pub fn load(path: Option<&Path>) -> Result<Env, AppError> {
        let real: HashMap<String, String> = std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .collect();
        let chosen = match path {
            Some(p) => {
                if !p.is_file() {
                    return Err(AppError::Usage(format!(
                        "cannot read the env file {}: no such file",
                        p.display()
                    )));
                }
                Some(p.to_path_buf())
            }
            None => {
                let p = PathBuf::from(".env");
                p.is_file().then_some(p)
            }
        };
        let mut file = HashMap::new();
        if let Some(p) = &chosen {
            let iter = dotenvy::from_path_iter(p).map_err(|e| {
                AppError::Usage(format!("cannot read the env file {}: {e}", p.display()))
            })?;
            for item in iter {
                let (k, v) = item.map_err(|e| parse_error(p, &e))?;
                file.insert(k, v);
            }
        }
        Ok(Env {
            file,
            real,
            source: chosen,
        })
    }

    /// An environment built from explicit pairs (tests).
    pub fn from_pairs(real: &[(&str, &str)], file: &[(&str, &str)]) -> Env {
        Env {
            real: real
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            file: file
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            source: None,
        }
    }

    /// A variable: the real environment first, then `.env`; empty values count as unset.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.real
            .get(name)
            .or_else(|| self.file.get(name))
            .map(String::as_str)
            .filter(|v| !v.trim().is_empty())
    }

    /// Every value that looks like a secret (for leak checks and redaction of echoes).
    pub fn secret_values(&self) -> Vec<&str> {
        self.real
            .iter()
            .chain(self.file.iter())
            .filter(|(k, v)| (k.contains("KEY") || k.contains("TOKEN")) && v.len() >= 8)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

/// Says where an env file is malformed, never what the line holds: dotenvy's own message
/// quotes the whole line, and that line is usually `SOME_API_KEY=...`.
fn parse_error(path: &Path, e: &dotenvy::Error) -> AppError {
    let what = match e {
        dotenvy::Error::LineParse(line, _) => {
            let number = std::fs::read_to_string(path).ok().and_then(|text| {
                text.find(line.as_str())
                    .map(|at| text[..at].matches('\n').count() + 1)
            });
            match number {
                Some(n) => format!("line {n} is not NAME=value"),
                None => "a line is not NAME=value".to_string(),
            }
        }
        dotenvy::Error::Io(io) => io.to_string(),
        _ => "it is not NAME=value lines".to_string(),
    };
    AppError::Usage(format!(
        "cannot parse the env file {}: {what} (its content is not shown: it may hold a key)",
        path.display()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_debug_is_redacted() {
        let k = ApiKey::new("sk-secret-value-123456");
        assert_eq!(format!("{k:?}"), "ApiKey([REDACTED])");
        assert_eq!(k.expose(), "sk-secret-value-123456");
    }

    #[test]
    fn real_environment_wins_over_dotenv() {
        let e = Env::from_pairs(
            &[("A", "real"), ("C", " ")],
            &[("A", "file"), ("B", "file")],
        );
        assert_eq!(e.get("A"), Some("real"));
        assert_eq!(e.get("B"), Some("file"));
        assert_eq!(e.get("C"), None);
    }

    #[test]
    fn dotenv_file_is_read_not_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("x.env");
        std::fs::write(&p, "RATEDOCTOR_TEST_ONLY_VAR=from-file\n# comment\n").unwrap();
        let e = Env::load(Some(&p)).unwrap();
        assert_eq!(e.get("RATEDOCTOR_TEST_ONLY_VAR"), Some("from-file"));
        assert!(std::env::var("RATEDOCTOR_TEST_ONLY_VAR").is_err());
        assert!(Env::load(Some(&dir.path().join("missing"))).is_err());
    }

    #[test]
    fn a_malformed_env_file_is_located_not_quoted() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join(".env");
        let secret = "sk-proj-PARSEFAILPARSEFAIL0123456789";
        std::fs::write(&p, format!("# keys\nA=1\nOPENAI_API_KEY='{secret}\n")).unwrap();
        let err = Env::load(Some(&p)).unwrap_err().to_string();
        assert!(!err.contains("PARSEFAIL"), "{err}");
        assert!(err.contains("line 3 is not NAME=value"), "{err}");
    }
}
