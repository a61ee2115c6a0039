//! Editing one file recomputes only what depends on it: the language server
//! relies on this. Salsa's execution log shows which queries ran.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

mod support;

use npg_compiler::Database;
use salsa::Setter;

const PROGRAM: &str = "\
//- a.npg
namespace shop {
  group web = app=web
  group api = app=api
}
group web may reach api:8080
//- b.npg
namespace data {
  group db = app=db
}
group api may reach db:5432
";

fn count(log: &[String], query: &str) -> usize {
    log.iter().filter(|entry| entry.starts_with(query)).count()
}

#[test]
fn editing_a_rule_rechecks_only_its_own_file() {
    let mut db = Database::default();
    let (program, files) = support::program(&db, PROGRAM);
    npg_compiler::diagnostics(&db, program);
    db.record_executions();

    let edited = files[0].text(&db).replace("api:8080", "api:9090");
    files[0].set_text(&mut db).to(edited);
    npg_compiler::diagnostics(&db, program);

    let log = db.take_executions();
    assert_eq!(count(&log, "check_file"), 1, "only the edited file is re-checked: {log:#?}");
    assert_eq!(count(&log, "parse"), 1, "only the edited file is re-parsed: {log:#?}");
    assert_eq!(count(&log, "symbol_table"), 0, "names did not change: {log:#?}");
}

#[test]
fn declaring_a_new_name_rebuilds_the_symbol_table_and_rechecks_every_file() {
    let mut db = Database::default();
    let (program, files) = support::program(&db, PROGRAM);
    npg_compiler::diagnostics(&db, program);
    db.record_executions();

    let edited = format!("{}port http = 8080\n", files[1].text(&db));
    files[1].set_text(&mut db).to(edited);
    npg_compiler::diagnostics(&db, program);

    let log = db.take_executions();
    assert_eq!(count(&log, "symbol_table"), 1, "{log:#?}");
    assert_eq!(count(&log, "check_file"), 2, "every file is checked against the new names: {log:#?}");
}

#[test]
fn asking_twice_without_edits_executes_nothing() {
    let db = Database::default();
    let (program, _) = support::program(&db, PROGRAM);
    npg_compiler::diagnostics(&db, program);
    npg_compiler::build(&db, program).ok();
    db.record_executions();
    npg_compiler::diagnostics(&db, program);
    npg_compiler::build(&db, program).ok();
    assert_eq!(db.take_executions(), Vec::<String>::new());
}
