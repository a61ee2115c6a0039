//! A seeded generator of realistic npg programs for benchmarks: teams, named
//! ports and port sets, external networks, namespaces and groups in fixed
//! proportion to the number of rules, spread over several files.
//! The same shape and seed always give the same program, byte for byte.

use std::fmt::Write as _;
use std::io;
use std::path::Path;

/// How big a program to generate. A rule is one (source, target) pair, the unit
/// the compiler's model counts, so `may reach a, b, c` is three rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shape {
    pub rules: usize,
    pub groups: usize,
}

impl Shape {
    /// The usual proportion: one group per five rules.
    pub fn with_rules(rules: usize) -> Shape {
        Shape { rules, groups: (rules / RULES_PER_GROUP).max(2) }
    }
}

const RULES_PER_GROUP: usize = 5;
const GROUPS_PER_NAMESPACE: usize = 20;
const NAMESPACES_PER_FILE: usize = 5;
/// Namespaces carry `shard: sN` for N below this; `in namespaces(shard=sN)`
/// groups therefore live in one namespace out of this many.
const SHARDS: usize = 20;
/// One group in this many lives in every namespace of a shard.
const GROUPS_PER_SHARD_GROUP: usize = 200;
/// One rule in this many is ingress from an external network.
const RULES_PER_NETWORK_INGRESS: usize = 20;

/// One generated `.npg` file: its path inside the program folder and its text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedFile {
    pub path: String,
    pub text: String,
}

/// A whole generated program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GeneratedProgram {
    pub files: Vec<GeneratedFile>,
    /// Rules written, counting each target of a `may reach` line once.
    pub rules: usize,
    pub groups: usize,
    pub namespaces: usize,
}

impl GeneratedProgram {
    /// The size of all files together, in bytes.
    pub fn total_bytes(&self) -> usize {
        self.files.iter().map(|file| file.text.len()).sum()
    }

    /// Writes every file under `dir`, replacing whatever `dir` held.
    pub fn write_to(&self, dir: &Path) -> io::Result<()> {
        if dir.exists() {
            std::fs::remove_dir_all(dir)?;
        }
        std::fs::create_dir_all(dir)?;
        for file in &self.files {
            std::fs::write(dir.join(&file.path), &file.text)?;
        }
        Ok(())
    }
}

/// SplitMix64: small, fast, and the same on every machine.
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound` (0 when `bound` is 0).
    fn below(&mut self, bound: usize) -> usize {
        if bound == 0 {
            return 0;
        }
        usize::try_from(self.next() % (bound as u64)).unwrap_or(0)
    }

    /// True with the given chance, in percent.
    fn percent(&mut self, chance: usize) -> bool {
        self.below(100) < chance
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items.get(self.below(items.len())).copied().unwrap_or("")
    }
}

/// Declared ports: every form of `port NAME = ...`.
const DECLARED_PORTS: &[(&str, &str)] = &[
    ("http", "8080"),
    ("https", "443"),
    ("grpc", "9090"),
    ("metrics", "http-metrics"),
    ("postgres", "5432"),
    ("redis", "6379"),
    ("amqp", "5672"),
    ("kafka", "9092-9094"),
    ("elasticsearch", "9200-9300/tcp"),
    ("statsd", "8125/udp"),
    ("web", "{ 80, 443 }"),
    ("admin", "{ 8443, 9443 }"),
];

const TIERS: &[&str] = &["frontend", "backend", "data", "batch", "internal"];
const NUMBERED_PORTS: &[&str] = &["80", "443", "3000", "5000", "8000", "8081", "8443", "9000"];
const CONTAINER_PORT_NAMES: &[&str] = &["http-api", "grpc-web", "admin-ui"];
const PORT_SETS: &[&str] = &["{80, 443}", "{http, 9090}", "{8080, 8443/tcp, grpc}"];
const PORT_RANGES: &[&str] = &["8000-8100", "30000-30100", "6000-6010/tcp"];
const UDP_PORTS: &[&str] = &["53/udp", "8125/udp", "4789/udp"];

/// Where a group lives.
#[derive(Clone, Copy)]
enum Home {
    /// Declared inside `namespace ns-N { }`.
    Block(usize),
    /// Declared at top level as `group NAME in ns-N ...`.
    Outside(usize),
    /// `group NAME in namespaces(shard=sN) = ...`, declared in the file of namespace N.
    Shard { shard: usize, file_namespace: usize },
}

impl Home {
    fn namespace(self) -> usize {
        match self {
            Home::Block(namespace) | Home::Outside(namespace) => namespace,
            Home::Shard { file_namespace, .. } => file_namespace,
        }
    }
}

struct Group {
    name: String,
    home: Home,
}

/// A program of the given shape, the same for the same seed.
pub fn generate(shape: Shape, seed: u64) -> GeneratedProgram {
    let mut random = Random(seed);
    let group_count = shape.groups.max(2);
    let namespace_count = group_count.div_ceil(GROUPS_PER_NAMESPACE);
    let network_count = (namespace_count / 2).max(2);

    let groups: Vec<Group> = (0..group_count)
        .map(|index| {
            let namespace = index / GROUPS_PER_NAMESPACE;
            let home = if index % GROUPS_PER_SHARD_GROUP == GROUPS_PER_SHARD_GROUP - 1 {
                Home::Shard { shard: namespace % SHARDS, file_namespace: namespace }
            } else if index % 17 == 3 {
                Home::Outside(namespace)
            } else {
                Home::Block(namespace)
            };
            let name = match home {
                Home::Shard { .. } => format!("fleet-{index}"),
                Home::Block(_) | Home::Outside(_) => format!("svc-{index}"),
            };
            Group { name, home }
        })
        .collect();

    let network_rules = shape.rules / RULES_PER_NETWORK_INGRESS;
    let egress_rules = shape.rules.saturating_sub(network_rules);
    let mut namespace_texts: Vec<String> = vec![String::new(); namespace_count];
    let mut rules_written = 0;

    for namespace in 0..namespace_count {
        let Some(text) = namespace_texts.get_mut(namespace) else { continue };
        write_namespace(text, namespace, namespace_count, &groups, &mut random);
    }

    for (index, group) in groups.iter().enumerate() {
        let share = egress_rules / group_count + usize::from(index < egress_rules % group_count);
        if share == 0 {
            continue;
        }
        let Some(text) = namespace_texts.get_mut(group.home.namespace()) else { continue };
        rules_written += write_group_rules(text, index, share, &groups, network_count, &mut random);
    }

    for rule in 0..network_rules {
        let target_index = random.below(group_count);
        let Some(target) = groups.get(target_index) else { continue };
        let Some(text) = namespace_texts.get_mut(target.home.namespace()) else { continue };
        let network = random.below(network_count);
        let ports = if rule % 2 == 0 { "https" } else { "web" };
        let _ = writeln!(text, "network ext-{network} may reach {}:{ports}", target.name);
        rules_written += 1;
    }

    let mut files =
        vec![GeneratedFile { path: "shared.npg".to_owned(), text: shared_text(namespace_count, network_count) }];
    for (chunk_index, chunk) in namespace_texts.chunks(NAMESPACES_PER_FILE).enumerate() {
        let mut text = format!(
            "# Namespaces {} to {}.\n",
            chunk_index * NAMESPACES_PER_FILE,
            chunk_index * NAMESPACES_PER_FILE + chunk.len() - 1
        );
        for part in chunk {
            text.push('\n');
            text.push_str(part);
        }
        files.push(GeneratedFile { path: format!("zone-{chunk_index:04}.npg"), text });
    }

    GeneratedProgram { files, rules: rules_written, groups: group_count, namespaces: namespace_count }
}

fn shared_text(namespace_count: usize, network_count: usize) -> String {
    let mut text = String::from("# Teams, ports and external networks every zone file uses.\n\n");
    for team in 0..namespace_count {
        let _ = writeln!(
            text,
            "team team-{team} {{\n  group \"oidc:team-{team}\"\n  user \"lead-{team}@example.com\"\n  serviceaccount ci/deploy-{team}\n}}\n"
        );
    }
    for (name, value) in DECLARED_PORTS {
        let _ = writeln!(text, "port {name} = {value}");
    }
    text.push('\n');
    for network in 0..network_count {
        let _ = writeln!(text, "network ext-{network} = {}", network_block(network));
    }
    text
}

/// A distinct external block per network: IPv4 /24s in 100.64.0.0/10, every
/// fifth an IPv6 /48 in the documentation prefix, some with exceptions.
fn network_block(network: usize) -> String {
    if network % 5 == 4 {
        let prefix = network % 0x1_0000;
        return format!("2001:db8:{prefix:x}::/48 except 2001:db8:{prefix:x}:ff00::/56");
    }
    let second = 64 + (network >> 8) % 64;
    let third = network & 0xff;
    if network.is_multiple_of(3) {
        format!("100.{second}.{third}.0/24 except 100.{second}.{third}.128/25")
    } else {
        format!("100.{second}.{third}.0/24")
    }
}

fn write_namespace(text: &mut String, namespace: usize, namespace_count: usize, groups: &[Group], random: &mut Random) {
    let tier = random.pick(TIERS);
    let shard = namespace % SHARDS;
    let _ = writeln!(text, "namespace ns-{namespace} {{");
    let _ = writeln!(text, "  labels {{ tier: {tier}, shard: s{shard}, env: prod }}");
    let _ = writeln!(text, "  owner team-{namespace}");
    if namespace % 15 == 7 {
        text.push_str("  isolate ingress\n");
    } else if namespace % 15 == 11 {
        text.push_str("  isolate egress\n");
    }
    if namespace % 10 == 5 {
        text.push_str("  allow internal\n");
    }
    let first = namespace * GROUPS_PER_NAMESPACE;
    let members = groups.iter().enumerate().skip(first).take(GROUPS_PER_NAMESPACE);
    for (index, group) in members.clone() {
        if let Home::Block(_) = group.home {
            let selector = selector(index, random);
            if index % 13 == 0 {
                let owner = (namespace + 1) % namespace_count;
                let _ = writeln!(text, "  group {} {{\n    match {selector}\n    owner team-{owner}\n  }}", group.name);
            } else {
                let _ = writeln!(text, "  group {} = {selector}", group.name);
            }
        }
    }
    text.push_str("}\n\n");
    for (index, group) in members {
        match group.home {
            Home::Block(_) => {}
            Home::Outside(home) => {
                let _ = writeln!(text, "group {} in ns-{home} = {}", group.name, selector(index, random));
            }
            Home::Shard { shard, .. } => {
                let _ = writeln!(text, "group {} in namespaces(shard=s{shard}) = app={}", group.name, group.name);
            }
        }
    }
}

/// A pod selector that starts with the group's own `app` label (so no two
/// groups select the same pods) and sometimes says more.
fn selector(index: usize, random: &mut Random) -> String {
    let mut selector = format!("app=svc-{index}");
    match random.below(8) {
        0 => selector.push_str(", track notin (canary, shadow)"),
        1 => selector.push_str(", role in (primary, replica)"),
        2 => selector.push_str(", tier!=debug"),
        3 => selector.push_str(", !experimental"),
        4 => selector.push_str(", app.kubernetes.io/part-of"),
        _ => {}
    }
    selector
}

/// Writes `share` egress rules for group `index` (the first always to
/// kube-dns) and returns how many it wrote.
fn write_group_rules(
    text: &mut String,
    index: usize,
    share: usize,
    groups: &[Group],
    network_count: usize,
    random: &mut Random,
) -> usize {
    let Some(group) = groups.get(index) else { return 0 };
    let mut targets = vec!["kube-dns".to_owned()];
    let mut chosen = std::collections::BTreeSet::from([index]);
    let own_namespace = group.home.namespace();
    let mut attempts = 0;
    while targets.len() < share && attempts < share * 8 {
        attempts += 1;
        if random.percent(10) {
            let network = random.below(network_count);
            targets.push(format!("ext-{network}:{}", random.pick(&["443", "https", "{80, 443}", "5432"])));
            continue;
        }
        let target_index = if random.percent(65) {
            own_namespace * GROUPS_PER_NAMESPACE + random.below(GROUPS_PER_NAMESPACE)
        } else {
            random.below(groups.len())
        };
        let Some(target) = groups.get(target_index) else { continue };
        if !chosen.insert(target_index) {
            continue;
        }
        let reference = match target.home {
            Home::Block(namespace) | Home::Outside(namespace) if random.percent(10) => {
                format!("ns-{namespace}/{}", target.name)
            }
            _ => target.name.clone(),
        };
        targets.push(format!("{reference}{}", ports(random)));
    }

    let mut line_start = true;
    for (position, target) in targets.iter().enumerate() {
        if position % 4 == 0 {
            if !line_start {
                text.push('\n');
            }
            let _ = write!(text, "group {} may reach {target}", group.name);
        } else if position % 4 == 2 && random.percent(30) {
            let _ = write!(text, ",\n    {target}");
        } else {
            let _ = write!(text, ", {target}");
        }
        line_start = false;
    }
    text.push('\n');
    if index.is_multiple_of(97)
        && let Some(first_group_target) = targets.iter().skip(1).find(|target| has_numbered_port(target))
    {
        let _ = writeln!(text, "assert {} can reach {first_group_target}", group.name);
    }
    targets.len()
}

/// Whether a group target carries a plain port number (`svc-3:8080`): an
/// assertion about it holds for certain.
fn has_numbered_port(target: &str) -> bool {
    !target.starts_with("ext-")
        && target
            .rsplit_once(':')
            .is_some_and(|(_, port)| !port.is_empty() && port.bytes().all(|byte| byte.is_ascii_digit()))
}

/// The `:PORTS` part of a target, in every form the language has.
fn ports(random: &mut Random) -> String {
    let roll = random.below(100);
    let ports = match roll {
        0..8 => return String::new(),
        8..33 => random.pick(NUMBERED_PORTS).to_owned(),
        33..68 => {
            let declared = DECLARED_PORTS.get(random.below(DECLARED_PORTS.len())).map_or("http", |(name, _)| *name);
            declared.to_owned()
        }
        68..75 => random.pick(CONTAINER_PORT_NAMES).to_owned(),
        75..85 => random.pick(PORT_SETS).to_owned(),
        85..93 => random.pick(PORT_RANGES).to_owned(),
        _ => random.pick(UDP_PORTS).to_owned(),
    };
    format!(":{ports}")
}
