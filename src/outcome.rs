//! How a command ends: cleanly (exit 0), with problems in the program (exit 1), or
//! with a failure that is about usage or the filesystem rather than the program
//! (exit 2, one `error:` line on stderr).

use std::fmt;
use std::io;
use std::path::Path;
use std::process::ExitCode;

/// The end of a command that ran to completion.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to complain about.
    Clean,
    /// The program has errors (or denied warnings, or files `fmt --check` would change).
    Problems,
}

impl Outcome {
    pub fn exit_code(self) -> ExitCode {
        match self {
            Outcome::Clean => ExitCode::SUCCESS,
            Outcome::Problems => ExitCode::from(1),
        }
    }
}

/// A usage or I/O failure: the command could not do its job for reasons outside
/// the program's text.
#[derive(Debug, PartialEq, Eq)]
pub struct Failure {
    message: String,
}

/// The exit status of a usage or I/O failure.
pub const FAILURE_EXIT_CODE: u8 = 2;

impl Failure {
    pub fn new(message: impl Into<String>) -> Failure {
        Failure { message: message.into() }
    }

    /// A failed filesystem operation, e.g. `cannot read `a.npg`: permission denied`.
    pub fn io(action: &str, path: &Path, error: &io::Error) -> Failure {
        Failure::new(format!("cannot {action} `{}`: {}", path.display(), describe_io_error(error)))
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// An I/O error in plain words, without the OS error number.
pub fn describe_io_error(error: &io::Error) -> String {
    match error.kind() {
        io::ErrorKind::NotFound => "no such file or folder".to_owned(),
        io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        io::ErrorKind::AlreadyExists => "it already exists".to_owned(),
        _ => {
            let text = error.to_string();
            match text.find(" (os error") {
                Some(end) => text.get(..end).unwrap_or(&text).to_owned(),
                None => text,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn io_failures_name_the_action_the_path_and_the_cause() {
        let error = io::Error::from(io::ErrorKind::NotFound);
        let failure = Failure::io("read", Path::new("shop.npg"), &error);
        assert_eq!(failure.to_string(), "cannot read `shop.npg`: no such file or folder");
    }

    #[test]
    fn os_error_numbers_are_left_out() {
        let error = io::Error::from_raw_os_error(28);
        let text = describe_io_error(&error);
        assert!(!text.contains("os error"), "{text}");
        assert!(!text.is_empty());
    }
}
