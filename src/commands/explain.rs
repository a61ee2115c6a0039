//! `npg explain SRC DST[:PORT[/PROTO]] [PATHS...]`: whether SRC may reach DST and
//! why, from `.npg` files, Kubernetes manifests or both. Exit 0 when the answer was
//! given (allowed or denied), 1 when the inputs have errors, 2 on usage errors.

use npg_compiler::reach::Connectivity;
use npg_compiler::reach::explain::{self, split_target};
use npg_compiler::reach::subjects;

use crate::cli::{AnswerFormat, ExplainArgs};
use crate::commands::{report_on_stderr, write_stdout};
use crate::inputs;
use crate::outcome::{Failure, Outcome};

pub fn run(args: &ExplainArgs, color: bool) -> Result<Outcome, Failure> {
    let (destination, asked) = split_target(&args.destination)
        .map_err(|message| Failure::new(format!("in `{}`: {message}", args.destination)))?;
    let inputs = inputs::load(&args.paths)?;
    let sources = inputs.sources();
    let analysed = match inputs.analysed(args.host_network.read_options()) {
        Ok(analysed) => analysed,
        Err(diagnostics) => {
            report_on_stderr(&diagnostics, &sources, color);
            return Ok(Outcome::Problems);
        }
    };
    let names = subjects::Names::of(analysed.model.as_deref());
    let resolve =
        |name: &str| subjects::resolve(&analysed.cluster, names, name).map_err(|error| Failure::new(error.to_string()));
    let source = resolve(&args.source)?;
    let destination = resolve(&destination)?;
    if source.is_outside() && destination.is_outside() {
        return Err(Failure::new(
            "both ends are addresses outside the cluster: NetworkPolicies only govern connections with a workload at one end",
        ));
    }
    // Beyond a handful of pairs, the matrix answers the ones only counted.
    let many = source.endpoints.len().saturating_mul(destination.endpoints.len()) > explain::DETAILED_PAIRS
        || source.is_outside()
        || destination.is_outside();
    let connectivity = many.then(|| Connectivity::of(&analysed.cluster));
    let explanation = explain::explain(
        &analysed.cluster,
        &source,
        &destination,
        asked,
        analysed.fix_style,
        names.groups,
        connectivity.as_ref(),
    );
    let text = match args.format {
        AnswerFormat::Txt => explain::to_text(&explanation, &|line| inputs.line_text(line)),
        AnswerFormat::Json => explain::to_json(&explanation) + "\n",
    };
    write_stdout(&text)?;
    Ok(Outcome::Clean)
}
