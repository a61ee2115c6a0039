//! The `npg` command line: finds and reads `.npg` files, asks the compiler about
//! them, renders diagnostics and writes manifests or formatted sources. Arguments,
//! files, stdout/stderr and exit codes live here and nowhere else.

mod cli;
mod commands;
mod emit;
mod inputs;
mod manifests;
mod outcome;
mod output;
mod program;
mod render;
mod sources;

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::outcome::{FAILURE_EXIT_CODE, Failure, Outcome};

/// npg allocates many small values (names, selectors, YAML strings); mimalloc
/// serves them markedly faster than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Stack for the thread that compiles: deeply nested input must not overflow it.
const COMPILER_STACK_BYTES: usize = 256 * 1024 * 1024;

/// Exit status when npg itself broke (a bug), as Rust reports a panic.
const BUG_EXIT_CODE: u8 = 101;

fn main() -> ExitCode {
    // clap prints usage errors itself and exits with status 2.
    let cli = Cli::parse();
    let color = cli.color.enabled(std::io::stderr().is_terminal(), std::env::var_os("NO_COLOR").as_deref());
    let command = cli.command;
    let worker = std::thread::Builder::new()
        .name("npg".into())
        .stack_size(COMPILER_STACK_BYTES)
        .spawn(move || run(&command, color));
    let result = match worker {
        Ok(handle) => match handle.join() {
            Ok(result) => result,
            Err(_) => return ExitCode::from(BUG_EXIT_CODE),
        },
        Err(error) => Err(Failure::new(format!("cannot start: {}", outcome::describe_io_error(&error)))),
    };
    match result {
        Ok(outcome) => outcome.exit_code(),
        Err(failure) => {
            let prefix = if color { "\u{1b}[1;31merror\u{1b}[0m" } else { "error" };
            eprintln!("{prefix}: {failure}");
            ExitCode::from(FAILURE_EXIT_CODE)
        }
    }
}

fn run(command: &Command, color: bool) -> Result<Outcome, Failure> {
    match command {
        Command::Build(args) => commands::build::run(args, color),
        Command::Check(args) => commands::check::run(args, color),
        Command::Fmt(args) => commands::fmt::run(args, color),
        Command::Explain(args) => commands::explain::run(args, color),
        Command::Paths(args) => commands::paths::run(args, color),
        Command::Analyze(args) => commands::analyze::run(args, color),
        Command::Lsp => {
            npg_lsp::run_stdio().map_err(|error| Failure::new(format!("the language server stopped: {error}")))?;
            Ok(Outcome::Clean)
        }
    }
}
