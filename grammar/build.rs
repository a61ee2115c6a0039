//! Generates the parser from `src/grammar.lalrpop`.

fn main() {
    println!("cargo:rerun-if-changed=src/grammar.lalrpop");
    if let Err(error) = lalrpop::Configuration::new().use_cargo_dir_conventions().process() {
        println!("cargo:warning=lalrpop: {error}");
        std::process::exit(1);
    }
}
