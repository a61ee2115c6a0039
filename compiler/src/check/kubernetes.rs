//! Kubernetes' own validation rules for the values npg writes into objects:
//! names, label keys and values, port names and numbers, CIDRs, RBAC subjects.
//! Each check is pure (text in, `Ok` or the [`Problem`] to report out) and follows
//! the API server's rules, so that what npg accepts, Kubernetes accepts.

use std::net::{IpAddr, Ipv4Addr};

use ipnet::IpNet;

use crate::diagnostic::Code;
use crate::model::Protocol;
use crate::suggest;

/// Why a value is invalid: the diagnostic code to report, a message, and a fix when one exists.
///
/// `suggestion` is replacement text for the checked word as written (for
/// [`check_subject_name`], the quoted string literal) and is offered only when it is
/// surely what was meant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    pub code: Code,
    pub message: String,
    pub suggestion: Option<String>,
}

impl Problem {
    fn new(code: Code, message: String) -> Problem {
        Problem { code, message, suggestion: None }
    }

    fn with_suggestion(mut self, suggestion: Option<String>) -> Problem {
        self.suggestion = suggestion;
        self
    }
}

/// The longest DNS-1123 label: names of namespaces and npg declarations.
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;
/// The longest DNS-1123 subdomain: label key prefixes and service account names.
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
/// The longest name part of a label key.
pub const LABEL_KEY_NAME_MAX_LENGTH: usize = 63;
/// The longest label value.
pub const LABEL_VALUE_MAX_LENGTH: usize = 63;
/// The longest container port name (an IANA service name).
pub const PORT_NAME_MAX_LENGTH: usize = 15;

const NAME_RULE: &str =
    "it may contain only lowercase letters, digits and '-', and must start and end with a letter or digit";
const SUBDOMAIN_RULE: &str = "it may contain only lowercase letters, digits, '-' and '.', and each part between dots must start and end with a letter or digit";
const LABEL_VALUE_RULE: &str =
    "it may contain only letters, digits, '-', '_' and '.', and must start and end with a letter or digit";
const PORT_RULE: &str = "ports are 1 to 65535";
const RANGE_FORM: &str = "write a range as START-END, e.g. 8000-8100";
const CIDR_FORM: &str = "write an address and a prefix length, e.g. 10.0.0.0/8 or 2001:db8::/32";

// ---------------------------------------------------------------------------
// Names
// ---------------------------------------------------------------------------

/// Whether `text` is a DNS-1123 label: `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most 63 characters.
pub fn is_dns1123_label(text: &str) -> bool {
    text.len() <= DNS1123_LABEL_MAX_LENGTH && matches_dns1123_label(text)
}

/// Whether `text` is a DNS-1123 subdomain: labels joined by `.`, at most 253 characters
/// in all. As in Kubernetes, the parts between dots have no length limit of their own.
pub fn is_dns1123_subdomain(text: &str) -> bool {
    text.len() <= DNS1123_SUBDOMAIN_MAX_LENGTH && matches_dns1123_subdomain(text)
}

fn matches_dns1123_label(text: &str) -> bool {
    let bytes = text.as_bytes();
    let is_inner = |byte: &u8| byte.is_ascii_lowercase() || byte.is_ascii_digit() || *byte == b'-';
    let is_edge = |byte: &u8| byte.is_ascii_lowercase() || byte.is_ascii_digit();
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => is_edge(first) && is_edge(last) && bytes.iter().all(is_inner),
        _ => false,
    }
}

fn matches_dns1123_subdomain(text: &str) -> bool {
    text.split('.').all(matches_dns1123_label)
}

/// Why `text` is not a DNS-1123 label, as reasons to join into one message.
fn dns1123_label_reasons(text: &str) -> Vec<String> {
    let mut reasons = Vec::new();
    if length(text) > DNS1123_LABEL_MAX_LENGTH {
        reasons.push(too_long(DNS1123_LABEL_MAX_LENGTH, text));
    }
    if !matches_dns1123_label(text) {
        if matches_dns1123_subdomain(text) {
            reasons.push("it must not contain '.'".to_owned());
        } else {
            reasons.push(NAME_RULE.to_owned());
        }
    }
    reasons
}

fn dns1123_subdomain_reasons(text: &str) -> Vec<String> {
    let mut reasons = Vec::new();
    if length(text) > DNS1123_SUBDOMAIN_MAX_LENGTH {
        reasons.push(too_long(DNS1123_SUBDOMAIN_MAX_LENGTH, text));
    }
    if !matches_dns1123_subdomain(text) {
        reasons.push(SUBDOMAIN_RULE.to_owned());
    }
    reasons
}

/// A length as people count it. Kubernetes counts bytes, but the two differ only
/// for text outside ASCII, which every rule here rejects anyway.
fn length(text: &str) -> usize {
    text.chars().count()
}

fn too_long(limit: usize, text: &str) -> String {
    format!("it must be at most {limit} characters (it has {})", length(text))
}

/// `what "text" is invalid: reason; reason`.
fn invalid(code: Code, what: &str, text: &str, reasons: &[String]) -> Problem {
    Problem::new(code, format!("{what} {text:?} is invalid: {}", reasons.join("; ")))
}

/// The name a user who wrote `text` most likely meant: lowercase, `_` as `-`.
/// Returned only when it differs from `text` and passes `is_valid`.
fn repaired(text: &str, is_valid: impl Fn(&str) -> bool) -> Option<String> {
    let repaired: String = text.chars().map(|c| if c == '_' { '-' } else { c.to_ascii_lowercase() }).collect();
    (repaired != text && is_valid(&repaired)).then_some(repaired)
}

/// A name of a namespace or of an npg declaration: a DNS-1123 label (Kubernetes
/// names namespaces this way, and npg's names become parts of object names and
/// label values).
pub fn check_name(name: &str) -> Result<(), Problem> {
    if name.is_empty() {
        return Err(Problem::new(Code::InvalidName, format!("name is empty: {NAME_RULE}")));
    }
    let reasons = dns1123_label_reasons(name);
    if reasons.is_empty() {
        return Ok(());
    }
    Err(invalid(Code::InvalidName, "name", name, &reasons).with_suggestion(repaired(name, is_dns1123_label)))
}

// ---------------------------------------------------------------------------
// Labels
// ---------------------------------------------------------------------------

/// Whether `text` matches `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]`, the shape of a
/// label key's name part and of a non-empty label value.
fn matches_qualified_name(text: &str) -> bool {
    let bytes = text.as_bytes();
    let is_inner = |byte: &u8| byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'_' | b'.');
    match (bytes.first(), bytes.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() && bytes.iter().all(is_inner)
        }
        _ => false,
    }
}

/// A label key: an optional DNS-1123 subdomain prefix of at most 253 characters and a
/// `/`, then a name part of at most 63 characters matching
/// `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]` (Kubernetes' "qualified name").
pub fn check_label_key(key: &str) -> Result<(), Problem> {
    if key.is_empty() {
        return Err(Problem::new(Code::InvalidLabelKey, "label key is empty".to_owned()));
    }
    let (prefix, name) = match key.split_once('/') {
        None => (None, key),
        Some((_, rest)) if rest.contains('/') => {
            let reason =
                "it may contain at most one '/', between an optional DNS subdomain prefix and the name".to_owned();
            return Err(invalid(Code::InvalidLabelKey, "label key", key, &[reason]));
        }
        Some((prefix, name)) => (Some(prefix), name),
    };
    let mut reasons = Vec::new();
    if let Some(prefix) = prefix {
        reasons.extend(label_key_prefix_reasons(prefix));
    }
    reasons.extend(label_key_name_reasons(name, prefix.is_some()));
    if reasons.is_empty() {
        return Ok(());
    }
    // DNS names ignore case, so a prefix written in capitals surely meant lowercase.
    let suggestion = prefix
        .map(|prefix| format!("{}/{name}", prefix.to_ascii_lowercase()))
        .filter(|lowered| lowered != key && check_label_key(lowered).is_ok());
    Err(invalid(Code::InvalidLabelKey, "label key", key, &reasons).with_suggestion(suggestion))
}

fn label_key_prefix_reasons(prefix: &str) -> Vec<String> {
    if prefix.is_empty() {
        return vec!["its prefix before '/' is empty".to_owned()];
    }
    let mut reasons = Vec::new();
    if length(prefix) > DNS1123_SUBDOMAIN_MAX_LENGTH {
        reasons.push(format!(
            "its prefix must be at most {DNS1123_SUBDOMAIN_MAX_LENGTH} characters (it has {})",
            length(prefix)
        ));
    }
    if !matches_dns1123_subdomain(prefix) {
        reasons.push(
            "its prefix must be a DNS subdomain: lowercase letters, digits, '-' and '.', each part between dots starting and ending with a letter or digit"
                .to_owned(),
        );
    }
    reasons
}

fn label_key_name_reasons(name: &str, has_prefix: bool) -> Vec<String> {
    if name.is_empty() {
        return vec!["its name after '/' is empty".to_owned()];
    }
    let subject = if has_prefix { "its name part" } else { "it" };
    let mut reasons = Vec::new();
    if length(name) > LABEL_KEY_NAME_MAX_LENGTH {
        reasons.push(format!(
            "{subject} must be at most {LABEL_KEY_NAME_MAX_LENGTH} characters (it has {})",
            length(name)
        ));
    }
    if !matches_qualified_name(name) {
        reasons.push(LABEL_VALUE_RULE.replacen("it", subject, 1));
    }
    reasons
}

/// A label value: empty, or at most 63 characters matching
/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`.
pub fn check_label_value(value: &str) -> Result<(), Problem> {
    let mut reasons = Vec::new();
    if length(value) > LABEL_VALUE_MAX_LENGTH {
        reasons.push(too_long(LABEL_VALUE_MAX_LENGTH, value));
    }
    if !value.is_empty() && !matches_qualified_name(value) {
        reasons.push(LABEL_VALUE_RULE.to_owned());
    }
    if reasons.is_empty() {
        return Ok(());
    }
    Err(invalid(Code::InvalidLabelValue, "label value", value, &reasons))
}

// ---------------------------------------------------------------------------
// Ports
// ---------------------------------------------------------------------------

/// A container port name, as Kubernetes checks it (RFC 6335's IANA service names,
/// lowercase only): 1 to 15 characters of `[-a-z0-9]`, at least one letter, no `-`
/// at either end and no `--`.
pub fn check_port_name(name: &str) -> Result<(), Problem> {
    if name.is_empty() {
        return Err(Problem::new(Code::InvalidPortName, "port name is empty".to_owned()));
    }
    let reasons = port_name_reasons(name);
    if reasons.is_empty() {
        return Ok(());
    }
    let suggestion = repaired(name, |candidate| port_name_reasons(candidate).is_empty());
    Err(invalid(Code::InvalidPortName, "port name", name, &reasons).with_suggestion(suggestion))
}

fn port_name_reasons(name: &str) -> Vec<String> {
    let mut reasons = Vec::new();
    if length(name) > PORT_NAME_MAX_LENGTH {
        reasons.push(too_long(PORT_NAME_MAX_LENGTH, name));
    }
    if !name.bytes().all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-') {
        reasons.push("it may contain only lowercase letters, digits and '-'".to_owned());
    }
    if !name.bytes().any(|byte| byte.is_ascii_lowercase()) {
        reasons.push("it must contain at least one letter".to_owned());
    }
    if name.contains("--") {
        reasons.push("it must not contain '--'".to_owned());
    }
    if name.starts_with('-') || name.ends_with('-') {
        reasons.push("it must not start or end with '-'".to_owned());
    }
    reasons
}

/// What a port word (`8080`, `8000-8100`, `http`) says.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PortWord {
    Number(u16),
    /// `start..=end`, with `start <= end` (`80-80` is a range of one port).
    Range(u16, u16),
    /// A container port name, already checked by [`check_port_name`].
    Name(String),
}

/// Reads the port part of a port item: a number from 1 to 65535, a range `START-END`
/// of such numbers with `START <= END`, or else a container port name.
///
/// Words of digits alone are numbers and words of digits and `-` alone are ranges;
/// anything else is a name (`80-http` is a valid name, as in Kubernetes).
pub fn parse_port_word(word: &str) -> Result<PortWord, Problem> {
    if word.is_empty() {
        return Err(Problem::new(Code::InvalidPort, format!("port is empty: {PORT_RULE}")));
    }
    if word.bytes().all(|byte| byte.is_ascii_digit()) {
        return match port_number(word) {
            Some(port) => Ok(PortWord::Number(port)),
            None => Err(Problem::new(Code::InvalidPort, format!("port {word} is invalid: {PORT_RULE}"))),
        };
    }
    if word.bytes().all(|byte| byte.is_ascii_digit() || byte == b'-') {
        return parse_port_range(word);
    }
    check_port_name(word)?;
    Ok(PortWord::Name(word.to_owned()))
}

fn parse_port_range(word: &str) -> Result<PortWord, Problem> {
    let range_problem =
        |reason: String| Problem::new(Code::InvalidPortRange, format!("port range {word:?} is invalid: {reason}"));
    let Some((start, end)) = word.split_once('-') else {
        return Err(range_problem(RANGE_FORM.to_owned()));
    };
    if end.contains('-') {
        return Err(range_problem(format!("it must be two port numbers joined by one '-'; {RANGE_FORM}")));
    }
    if start.is_empty() {
        return Err(range_problem(format!("it has no start; {RANGE_FORM}")));
    }
    if end.is_empty() {
        return Err(range_problem(format!("it has no end; {RANGE_FORM}")));
    }
    let (Some(start), Some(end)) = (port_number(start), port_number(end)) else {
        return Err(range_problem(PORT_RULE.to_owned()));
    };
    if start > end {
        return Err(
            range_problem("its start is above its end".to_owned()).with_suggestion(Some(format!("{end}-{start}")))
        );
    }
    Ok(PortWord::Range(start, end))
}

/// A string of ASCII digits as a port number, `None` when it is 0 or above 65535.
fn port_number(digits: &str) -> Option<u16> {
    u16::try_from(decimal_saturating(digits)).ok().filter(|port| *port >= 1)
}

/// The value of a string of ASCII digits, `u32::MAX` when it is larger.
fn decimal_saturating(digits: &str) -> u32 {
    digits
        .bytes()
        .fold(0u32, |value, digit| value.saturating_mul(10).saturating_add(u32::from(digit.wrapping_sub(b'0'))))
}

/// A protocol as npg writes it: `tcp`, `udp` or `sctp`, in lowercase (the
/// uppercase spelling belongs to the YAML npg writes, not to npg source).
pub fn parse_protocol(word: &str) -> Result<Protocol, Problem> {
    const PROTOCOLS: [(&str, Protocol); 3] = [("sctp", Protocol::Sctp), ("tcp", Protocol::Tcp), ("udp", Protocol::Udp)];
    if let Some((_, protocol)) = PROTOCOLS.iter().find(|(spelling, _)| *spelling == word) {
        return Ok(*protocol);
    }
    let lowercase = word.to_ascii_lowercase();
    if PROTOCOLS.iter().any(|(spelling, _)| *spelling == lowercase) {
        return Err(Problem::new(
            Code::InvalidProtocol,
            format!("protocol {word:?} is invalid: npg writes protocols in lowercase"),
        )
        .with_suggestion(Some(lowercase)));
    }
    let suggestion = suggest::closest_unambiguous(&lowercase, PROTOCOLS.iter().map(|(spelling, _)| *spelling));
    Err(Problem::new(Code::InvalidProtocol, format!("protocol {word:?} is invalid: it must be tcp, udp or sctp"))
        .with_suggestion(suggestion.map(str::to_owned)))
}

// ---------------------------------------------------------------------------
// Addresses
// ---------------------------------------------------------------------------

/// A CIDR block as Kubernetes' strict validation of `ipBlock` accepts it: an IPv4 or
/// IPv6 address, `/`, and a prefix length, with no leading zeros in either, no
/// IPv4-mapped IPv6 address, and no address bits set beyond the prefix length.
/// IPv6 need not be in canonical form; the returned block prints canonically.
pub fn parse_cidr(text: &str) -> Result<IpNet, Problem> {
    let invalid_cidr = |reason: String| Problem::new(Code::InvalidCidr, format!("CIDR {text:?} is invalid: {reason}"));
    if text.is_empty() {
        return Err(Problem::new(Code::InvalidCidr, format!("CIDR is empty: {CIDR_FORM}")));
    }
    let Some((address_text, length_text)) = text.split_once('/') else {
        return Err(bare_address_problem(text));
    };
    let address = parse_address(address_text).map_err(&invalid_cidr)?;
    if let Some(v4) = ipv4_mapped(address) {
        let suggestion = mapped_block(v4, length_text);
        let reason = match &suggestion {
            Some(block) => format!("it is an IPv4-mapped IPv6 address; write the IPv4 block {block} instead"),
            None => "it is an IPv4-mapped IPv6 address; write the IPv4 block instead".to_owned(),
        };
        return Err(invalid_cidr(reason).with_suggestion(suggestion));
    }
    let length = parse_prefix_length(length_text).map_err(&invalid_cidr)?;
    let max_length = match address {
        IpAddr::V4(_) => 32,
        IpAddr::V6(_) => 128,
    };
    let family = family_name(address);
    let Some(block) = u8::try_from(length).ok().and_then(|length| IpNet::new(address, length).ok()) else {
        return Err(invalid_cidr(format!(
            "the prefix length {length_text} is too long: an {family} prefix length is at most {max_length}"
        )));
    };
    let network = block.trunc();
    if network != block {
        return Err(invalid_cidr(format!(
            "the address has bits set beyond the prefix length; the block is written {network}"
        ))
        .with_suggestion(Some(network.to_string())));
    }
    if length_text.len() > 1 && length_text.starts_with('0') {
        return Err(invalid_cidr("the prefix length must not have leading zeros".to_owned())
            .with_suggestion(Some(format!("{address_text}/{length}"))));
    }
    Ok(block)
}

fn ipv4_mapped(address: IpAddr) -> Option<Ipv4Addr> {
    match address {
        IpAddr::V4(_) => None,
        IpAddr::V6(v6) => v6.to_ipv4_mapped(),
    }
}

fn family_name(address: IpAddr) -> &'static str {
    match address {
        IpAddr::V4(_) => "IPv4",
        IpAddr::V6(_) => "IPv6",
    }
}

/// The problem with a CIDR written without `/`: an address gets a suggestion of its
/// single-address block.
fn bare_address_problem(text: &str) -> Problem {
    match text.parse::<IpAddr>() {
        Ok(address) if ipv4_mapped(address).is_some() => Problem::new(
            Code::InvalidCidr,
            format!("CIDR {text:?} is invalid: it is an IPv4-mapped IPv6 address with no prefix length; write the IPv4 block instead"),
        )
        .with_suggestion(ipv4_mapped(address).map(|v4| format!("{v4}/32"))),
        Ok(address) => {
            let single = match address {
                IpAddr::V4(_) => 32,
                IpAddr::V6(_) => 128,
            };
            Problem::new(
                Code::InvalidCidr,
                format!("{text:?} is an address, not a CIDR block: add /{single} to mean this one address"),
            )
            .with_suggestion(Some(format!("{text}/{single}")))
        }
        Err(_) => Problem::new(Code::InvalidCidr, format!("{text:?} is not a CIDR block: {CIDR_FORM}")),
    }
}

/// An IP address, with a reason when it is none.
fn parse_address(text: &str) -> Result<IpAddr, String> {
    if let Ok(address) = text.parse::<IpAddr>() {
        return Ok(address);
    }
    // Say more for dotted decimals, where the common mistakes are.
    let octets: Vec<&str> = text.split('.').collect();
    let dotted_decimal = octets.len() == 4
        && octets.iter().all(|octet| !octet.is_empty() && octet.bytes().all(|byte| byte.is_ascii_digit()));
    if dotted_decimal {
        if let Some(octet) =
            octets.iter().find(|octet| octet.len() > 3 || octet.parse::<u16>().is_ok_and(|value| value > 255))
        {
            return Err(format!("{octet} is not a byte of an IPv4 address (0 to 255)"));
        }
        if octets.iter().any(|octet| octet.len() > 1 && octet.starts_with('0')) {
            return Err("IPv4 addresses must not have leading zeros (some software reads them as octal)".to_owned());
        }
    }
    if text.is_empty() {
        return Err(format!("it has no address before '/'; {CIDR_FORM}"));
    }
    Err(format!("{text:?} is not an IPv4 or IPv6 address"))
}

/// A prefix length as written: decimal digits (leading zeros are reported later, once
/// the rest is known to be right, so that the suggestion is sure).
fn parse_prefix_length(text: &str) -> Result<u32, String> {
    if text.is_empty() {
        return Err(format!("it has no prefix length after '/'; {CIDR_FORM}"));
    }
    if !text.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(format!("the prefix length {text:?} is not a number"));
    }
    Ok(decimal_saturating(text))
}

/// The IPv4 block an IPv4-mapped IPv6 block stands for, when its prefix covers the
/// mapping (`::ffff:10.0.0.0/104` is `10.0.0.0/8`).
fn mapped_block(v4: Ipv4Addr, length_text: &str) -> Option<String> {
    let length = parse_prefix_length(length_text).ok()?;
    let v4_length = u8::try_from(length.checked_sub(96)?).ok()?;
    IpNet::new(IpAddr::V4(v4), v4_length).ok().map(|block| block.trunc().to_string())
}

/// An `except` block of `block`: of the same IP family and strictly inside it, as
/// Kubernetes requires (an `except` equal to its block is rejected).
pub fn check_except(block: &IpNet, except: &IpNet) -> Result<(), Problem> {
    let (block, except) = (block.trunc(), except.trunc());
    if family_name(block.addr()) != family_name(except.addr()) {
        return Err(Problem::new(
            Code::ExceptFamilyMismatch,
            format!(
                "except {except} is {} but its block {block} is {}: an except must be of its block's IP family",
                family_name(except.addr()),
                family_name(block.addr())
            ),
        ));
    }
    if block.contains(&except) && except.prefix_len() > block.prefix_len() {
        return Ok(());
    }
    let reason = if except == block {
        "it is the whole block, and Kubernetes requires an except to be strictly inside its block".to_owned()
    } else if except.contains(&block) {
        format!("it is larger than the block {block}; an except must be strictly inside its block")
    } else {
        format!("it is not inside the block {block}")
    };
    Err(Problem::new(Code::ExceptOutsideBlock, format!("except {except} is invalid: {reason}")))
}

// ---------------------------------------------------------------------------
// RBAC subjects
// ---------------------------------------------------------------------------

/// An RBAC user or group name (`kind` is `user` or `group`, as written in npg).
/// Kubernetes requires only that it is not empty; npg also rejects surrounding
/// whitespace and control characters, which are never meant.
pub fn check_subject_name(kind: &str, name: &str) -> Result<(), Problem> {
    let kind = kind.to_lowercase();
    if name.is_empty() {
        return Err(Problem::new(Code::InvalidSubject, format!("{kind} name is empty")));
    }
    if name.chars().any(char::is_control) {
        let reason = "it must not contain control characters (tabs, line breaks and the like)".to_owned();
        return Err(invalid(Code::InvalidSubject, &format!("{kind} name"), name, &[reason]));
    }
    let trimmed = name.trim();
    if trimmed != name {
        let reason = "it must not start or end with whitespace".to_owned();
        let suggestion = (!trimmed.is_empty()).then(|| string_literal(trimmed));
        return Err(invalid(Code::InvalidSubject, &format!("{kind} name"), name, &[reason]).with_suggestion(suggestion));
    }
    Ok(())
}

/// `value` as an npg string literal: in double quotes, with `"` and `\` escaped.
fn string_literal(value: &str) -> String {
    npg_grammar::lexer::escape(value)
}

/// A service account `namespace/name`: the namespace a DNS-1123 label, the name a
/// DNS-1123 subdomain; the namespace is checked first.
///
/// The problem carries no suggestion, since no one word holds both parts: for a fix,
/// check each part with [`check_service_account_namespace`] and
/// [`check_service_account_name`], whose suggestions replace that part's word.
pub fn check_service_account(namespace: &str, name: &str) -> Result<(), Problem> {
    check_service_account_namespace(namespace)
        .and_then(|()| check_service_account_name(name))
        .map_err(|problem| problem.with_suggestion(None))
}

/// The namespace part of a service account subject: a DNS-1123 label.
pub fn check_service_account_namespace(namespace: &str) -> Result<(), Problem> {
    if namespace.is_empty() {
        return Err(Problem::new(Code::InvalidSubject, "service account namespace is empty".to_owned()));
    }
    let reasons = dns1123_label_reasons(namespace);
    if reasons.is_empty() {
        return Ok(());
    }
    Err(invalid(Code::InvalidSubject, "service account namespace", namespace, &reasons)
        .with_suggestion(repaired(namespace, is_dns1123_label)))
}

/// The name part of a service account subject: a DNS-1123 subdomain.
pub fn check_service_account_name(name: &str) -> Result<(), Problem> {
    if name.is_empty() {
        return Err(Problem::new(Code::InvalidSubject, "service account name is empty".to_owned()));
    }
    let reasons = dns1123_subdomain_reasons(name);
    if reasons.is_empty() {
        return Ok(());
    }
    Err(invalid(Code::InvalidSubject, "service account name", name, &reasons)
        .with_suggestion(repaired(name, is_dns1123_subdomain)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

    use super::*;

    fn net(text: &str) -> IpNet {
        text.parse().unwrap()
    }

    /// The problem `result` holds, checking its code.
    #[track_caller]
    fn problem<T: std::fmt::Debug>(result: Result<T, Problem>, code: Code) -> Problem {
        let problem = result.expect_err("the value should be rejected");
        assert_eq!(problem.code, code, "{}", problem.message);
        problem
    }

    #[track_caller]
    fn message<T: std::fmt::Debug>(result: Result<T, Problem>) -> String {
        result.expect_err("the value should be rejected").message
    }

    #[track_caller]
    fn suggestion<T: std::fmt::Debug>(result: Result<T, Problem>) -> Option<String> {
        result.expect_err("the value should be rejected").suggestion
    }

    fn repeat(text: &str, times: usize) -> String {
        text.repeat(times)
    }

    // --- names (DNS-1123 labels) ---

    #[test]
    fn names_are_dns_labels() {
        for name in ["a", "0", "web", "my-app", "1-2", "123", "a-b-c", "x1", &repeat("a", 63)] {
            assert_eq!(check_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn names_reject_what_dns_labels_reject() {
        for name in ["", "-web", "web-", "-", "Web", "my_app", "my.app", "a b", "café", "web!", "a/b", &repeat("a", 64)]
        {
            problem(check_name(name), Code::InvalidName);
        }
    }

    #[test]
    fn a_name_may_have_63_characters_but_not_64() {
        assert_eq!(check_name(&repeat("a", 63)), Ok(()));
        assert_eq!(
            message(check_name(&repeat("a", 64))),
            format!("name \"{}\" is invalid: it must be at most 63 characters (it has 64)", repeat("a", 64))
        );
    }

    #[test]
    fn a_name_message_states_the_rule() {
        assert_eq!(
            message(check_name("Web")),
            "name \"Web\" is invalid: it may contain only lowercase letters, digits and '-', and must start and end with a letter or digit"
        );
        assert_eq!(message(check_name("")), format!("name is empty: {NAME_RULE}"));
    }

    #[test]
    fn a_name_with_a_dot_is_told_so() {
        assert_eq!(message(check_name("my.app")), "name \"my.app\" is invalid: it must not contain '.'");
    }

    #[test]
    fn a_name_that_is_too_long_and_malformed_gives_both_reasons() {
        let name = repeat("A", 64);
        assert_eq!(
            message(check_name(&name)),
            format!("name \"{name}\" is invalid: it must be at most 63 characters (it has 64); {NAME_RULE}")
        );
    }

    #[test]
    fn a_name_in_capitals_or_with_underscores_suggests_the_dns_form() {
        assert_eq!(suggestion(check_name("Web")), Some("web".to_owned()));
        assert_eq!(suggestion(check_name("my_app")), Some("my-app".to_owned()));
        assert_eq!(suggestion(check_name("My_App")), Some("my-app".to_owned()));
    }

    #[test]
    fn a_name_suggests_nothing_when_no_simple_repair_is_valid() {
        assert_eq!(suggestion(check_name("-web")), None);
        assert_eq!(suggestion(check_name("_web")), None);
        assert_eq!(suggestion(check_name("my.app")), None);
        assert_eq!(suggestion(check_name(&repeat("A", 64))), None);
    }

    #[test]
    fn dns_subdomains_limit_the_whole_name_to_253_characters() {
        assert!(is_dns1123_subdomain("example.com"));
        assert!(is_dns1123_subdomain("a"));
        assert!(is_dns1123_subdomain("1.2.3.4"));
        assert!(is_dns1123_subdomain(&repeat("a", 253)));
        assert!(!is_dns1123_subdomain(&repeat("a", 254)));
        // Kubernetes puts no limit on one part between dots.
        assert!(is_dns1123_subdomain(&format!("{}.com", repeat("a", 64))));
        for text in ["", ".", "a..b", ".a", "a.", "Example.com", "a_b.com", "-a.com", "a-.com"] {
            assert!(!is_dns1123_subdomain(text), "{text}");
        }
    }

    #[test]
    fn dns_labels_limit_the_name_to_63_characters() {
        assert!(is_dns1123_label(&repeat("a", 63)));
        assert!(!is_dns1123_label(&repeat("a", 64)));
        assert!(!is_dns1123_label(""));
    }

    // --- label keys ---

    #[test]
    fn label_keys_accept_qualified_names_with_optional_prefixes() {
        let long_key = format!("{}/{}", repeat("a", 253), repeat("b", 63));
        for key in [
            "app",
            "k8s-app",
            "app.kubernetes.io/name",
            "kubernetes.io/metadata.name",
            "1-starts-with-num",
            "1234",
            "Uppercase_Is_OK_123",
            "example.com/Uppercase_Is_OK_123",
            "requests.storage-foo",
            "now-with-dashes/now-with-dashes",
            "1.2.3.4/5678",
            "a",
            &repeat("a", 63),
            &long_key,
        ] {
            assert_eq!(check_label_key(key), Ok(()), "{key}");
        }
    }

    #[test]
    fn label_keys_reject_what_kubernetes_rejects() {
        let long_prefix = format!("{}/abc", repeat("a", 254));
        let long_name = format!("example.com/{}", repeat("b", 64));
        for key in [
            "",
            "nospecialchars%^=@",
            "endswithdash-",
            "-startswithdash",
            "_underscore",
            "trailing.",
            "a b",
            "only/one/slash",
            "Example.com/abc",
            "example_com/abc",
            "example.com/",
            "/simple",
            "/",
            "..com/a",
            &repeat("a", 64),
            &long_prefix,
            &long_name,
        ] {
            problem(check_label_key(key), Code::InvalidLabelKey);
        }
    }

    #[test]
    fn a_label_key_prefix_may_have_253_characters_but_not_254() {
        assert_eq!(check_label_key(&format!("{}/x", repeat("a", 253))), Ok(()));
        let key = format!("{}/x", repeat("a", 254));
        assert_eq!(
            message(check_label_key(&key)),
            format!("label key {key:?} is invalid: its prefix must be at most 253 characters (it has 254)")
        );
    }

    #[test]
    fn a_label_key_name_may_have_63_characters_but_not_64() {
        assert_eq!(check_label_key(&format!("example.com/{}", repeat("b", 63))), Ok(()));
        let key = format!("example.com/{}", repeat("b", 64));
        assert_eq!(
            message(check_label_key(&key)),
            format!("label key {key:?} is invalid: its name part must be at most 63 characters (it has 64)")
        );
        let bare = repeat("b", 64);
        assert_eq!(
            message(check_label_key(&bare)),
            format!("label key {bare:?} is invalid: it must be at most 63 characters (it has 64)")
        );
    }

    #[test]
    fn label_key_messages_name_the_part_that_is_wrong() {
        assert_eq!(
            message(check_label_key("a/b/c")),
            "label key \"a/b/c\" is invalid: it may contain at most one '/', between an optional DNS subdomain prefix and the name"
        );
        assert_eq!(message(check_label_key("/app")), "label key \"/app\" is invalid: its prefix before '/' is empty");
        assert_eq!(
            message(check_label_key("example.com/")),
            "label key \"example.com/\" is invalid: its name after '/' is empty"
        );
        assert_eq!(
            message(check_label_key("example.com/-app")),
            "label key \"example.com/-app\" is invalid: its name part may contain only letters, digits, '-', '_' and '.', and must start and end with a letter or digit"
        );
        assert_eq!(
            message(check_label_key("app!")),
            "label key \"app!\" is invalid: it may contain only letters, digits, '-', '_' and '.', and must start and end with a letter or digit"
        );
        assert!(message(check_label_key("Example.com/app")).contains("its prefix must be a DNS subdomain"));
        assert_eq!(message(check_label_key("")), "label key is empty");
    }

    #[test]
    fn a_label_key_with_a_capitalised_prefix_suggests_it_in_lowercase() {
        assert_eq!(suggestion(check_label_key("Example.COM/App")), Some("example.com/App".to_owned()));
    }

    #[test]
    fn a_label_key_suggests_nothing_when_lowercase_does_not_fix_it() {
        assert_eq!(suggestion(check_label_key("Example.com/-app")), None);
        assert_eq!(suggestion(check_label_key("example_com/app")), None);
        assert_eq!(suggestion(check_label_key("app!")), None);
    }

    // --- label values ---

    #[test]
    fn label_values_may_be_empty_or_qualified_names() {
        for value in
            ["", "a", "prod", "v1.2", "my_value", "MyValue", "12345", "A-b_c.d", "end-with-num-1", &repeat("a", 63)]
        {
            assert_eq!(check_label_value(value), Ok(()), "{value}");
        }
    }

    #[test]
    fn label_values_reject_what_kubernetes_rejects() {
        for value in [
            "-a",
            "a-",
            ".a",
            "a.",
            "_a",
            "a_",
            "a b",
            "a/b",
            "a:b",
            "\\bad",
            "Tama-nui-te-rā",
            "nospecialchars%^=@",
            &repeat("a", 64),
        ] {
            problem(check_label_value(value), Code::InvalidLabelValue);
        }
    }

    #[test]
    fn a_label_value_may_have_63_characters_but_not_64() {
        assert_eq!(check_label_value(&repeat("v", 63)), Ok(()));
        let value = repeat("v", 64);
        assert_eq!(
            message(check_label_value(&value)),
            format!("label value {value:?} is invalid: it must be at most 63 characters (it has 64)")
        );
    }

    #[test]
    fn a_label_value_message_states_the_rule() {
        assert_eq!(
            message(check_label_value("a b")),
            "label value \"a b\" is invalid: it may contain only letters, digits, '-', '_' and '.', and must start and end with a letter or digit"
        );
        assert_eq!(suggestion(check_label_value("a b")), None);
    }

    // --- port names ---

    #[test]
    fn port_names_follow_the_iana_service_name_rules() {
        for name in ["http", "h", "h2c", "http-alt", "80a", "1a", "a1", "x-y-z", "metrics", &repeat("a", 15)] {
            assert_eq!(check_port_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn port_names_reject_what_kubernetes_rejects() {
        for name in [
            "",
            "HTTP",
            "Http",
            "http_alt",
            "-http",
            "http-",
            "ht--tp",
            "123",
            "1-2",
            "a.b",
            "http alt",
            "-",
            &repeat("a", 16),
        ] {
            problem(check_port_name(name), Code::InvalidPortName);
        }
    }

    #[test]
    fn a_port_name_may_have_15_characters_but_not_16() {
        assert_eq!(check_port_name(&repeat("p", 15)), Ok(()));
        let name = repeat("p", 16);
        assert_eq!(
            message(check_port_name(&name)),
            format!("port name {name:?} is invalid: it must be at most 15 characters (it has 16)")
        );
    }

    #[test]
    fn port_name_messages_give_every_broken_rule() {
        assert_eq!(
            message(check_port_name("123")),
            "port name \"123\" is invalid: it must contain at least one letter"
        );
        assert_eq!(message(check_port_name("ht--tp")), "port name \"ht--tp\" is invalid: it must not contain '--'");
        assert_eq!(
            message(check_port_name("-")),
            "port name \"-\" is invalid: it must contain at least one letter; it must not start or end with '-'"
        );
        assert_eq!(
            message(check_port_name("HTTP")),
            "port name \"HTTP\" is invalid: it may contain only lowercase letters, digits and '-'; it must contain at least one letter"
        );
    }

    #[test]
    fn a_port_name_in_capitals_or_with_underscores_suggests_the_valid_form() {
        assert_eq!(suggestion(check_port_name("HTTP")), Some("http".to_owned()));
        assert_eq!(suggestion(check_port_name("http_alt")), Some("http-alt".to_owned()));
        assert_eq!(suggestion(check_port_name("-http")), None);
        assert_eq!(suggestion(check_port_name(&repeat("P", 16))), None);
    }

    // --- port words ---

    #[test]
    fn port_numbers_run_from_1_to_65535() {
        assert_eq!(parse_port_word("1"), Ok(PortWord::Number(1)));
        assert_eq!(parse_port_word("8080"), Ok(PortWord::Number(8080)));
        assert_eq!(parse_port_word("65535"), Ok(PortWord::Number(65535)));
        assert_eq!(message(parse_port_word("65536")), "port 65536 is invalid: ports are 1 to 65535");
        assert_eq!(message(parse_port_word("0")), "port 0 is invalid: ports are 1 to 65535");
        for word in ["0", "00", "65536", "70000", "99999999999999999999999"] {
            problem(parse_port_word(word), Code::InvalidPort);
        }
    }

    #[test]
    fn a_port_number_may_have_leading_zeros() {
        assert_eq!(parse_port_word("080"), Ok(PortWord::Number(80)));
        assert_eq!(parse_port_word("0000000000000000000443"), Ok(PortWord::Number(443)));
    }

    #[test]
    fn an_empty_port_is_an_invalid_port() {
        assert_eq!(message(parse_port_word("")), "port is empty: ports are 1 to 65535");
        problem(parse_port_word(""), Code::InvalidPort);
    }

    #[test]
    fn port_ranges_run_from_start_to_end() {
        assert_eq!(parse_port_word("8000-8100"), Ok(PortWord::Range(8000, 8100)));
        assert_eq!(parse_port_word("1-65535"), Ok(PortWord::Range(1, 65535)));
        assert_eq!(parse_port_word("80-80"), Ok(PortWord::Range(80, 80)));
    }

    #[test]
    fn a_port_range_backwards_suggests_it_swapped() {
        let backwards = problem(parse_port_word("8100-8000"), Code::InvalidPortRange);
        assert_eq!(backwards.message, "port range \"8100-8000\" is invalid: its start is above its end");
        assert_eq!(backwards.suggestion, Some("8000-8100".to_owned()));
        assert_eq!(suggestion(parse_port_word("81-80")), Some("80-81".to_owned()));
    }

    #[test]
    fn a_port_range_must_stay_within_1_to_65535() {
        for word in ["0-100", "1-65536", "70000-80000", "0-0"] {
            let out_of_bounds = problem(parse_port_word(word), Code::InvalidPortRange);
            assert_eq!(out_of_bounds.message, format!("port range {word:?} is invalid: ports are 1 to 65535"));
            assert_eq!(out_of_bounds.suggestion, None);
        }
    }

    #[test]
    fn a_port_range_missing_a_bound_says_which() {
        assert_eq!(
            message(parse_port_word("80-")),
            "port range \"80-\" is invalid: it has no end; write a range as START-END, e.g. 8000-8100"
        );
        assert_eq!(
            message(parse_port_word("-80")),
            "port range \"-80\" is invalid: it has no start; write a range as START-END, e.g. 8000-8100"
        );
        for word in ["80-", "-80", "-", "--"] {
            problem(parse_port_word(word), Code::InvalidPortRange);
        }
    }

    #[test]
    fn a_port_range_has_exactly_two_bounds() {
        for word in ["1-2-3", "80--90", "80-90-"] {
            let problem = problem(parse_port_word(word), Code::InvalidPortRange);
            assert!(problem.message.contains("two port numbers joined by one '-'"), "{}", problem.message);
        }
    }

    #[test]
    fn other_port_words_are_container_port_names() {
        assert_eq!(parse_port_word("http"), Ok(PortWord::Name("http".to_owned())));
        assert_eq!(parse_port_word("80-http"), Ok(PortWord::Name("80-http".to_owned())));
        assert_eq!(parse_port_word("8o8o"), Ok(PortWord::Name("8o8o".to_owned())));
        assert_eq!(suggestion(parse_port_word("HTTP")), Some("http".to_owned()));
        for word in ["HTTP", "http!", "8080/tcp", "-http", "very-long-port-name"] {
            problem(parse_port_word(word), Code::InvalidPortName);
        }
    }

    // --- protocols ---

    #[test]
    fn protocols_are_tcp_udp_and_sctp_in_lowercase() {
        assert_eq!(parse_protocol("tcp"), Ok(Protocol::Tcp));
        assert_eq!(parse_protocol("udp"), Ok(Protocol::Udp));
        assert_eq!(parse_protocol("sctp"), Ok(Protocol::Sctp));
    }

    #[test]
    fn a_protocol_in_capitals_suggests_lowercase() {
        for (word, lowercase) in [("TCP", "tcp"), ("Udp", "udp"), ("SCTP", "sctp")] {
            let problem = problem(parse_protocol(word), Code::InvalidProtocol);
            assert_eq!(problem.message, format!("protocol {word:?} is invalid: npg writes protocols in lowercase"));
            assert_eq!(problem.suggestion, Some(lowercase.to_owned()));
        }
    }

    #[test]
    fn an_unknown_protocol_names_the_known_ones() {
        assert_eq!(message(parse_protocol("icmp")), "protocol \"icmp\" is invalid: it must be tcp, udp or sctp");
        assert_eq!(suggestion(parse_protocol("icmp")), None);
        assert_eq!(suggestion(parse_protocol("")), None);
        problem(parse_protocol("http"), Code::InvalidProtocol);
    }

    #[test]
    fn a_misspelt_protocol_suggests_the_one_it_is_closest_to() {
        assert_eq!(suggestion(parse_protocol("tpc")), Some("tcp".to_owned()));
        assert_eq!(suggestion(parse_protocol("TPC")), Some("tcp".to_owned()));
        assert_eq!(suggestion(parse_protocol("scpt")), Some("sctp".to_owned()));
        // As near sctp (a swap) as tcp (a deletion): no guess.
        assert_eq!(suggestion(parse_protocol("stcp")), None);
        // As near tcp as udp: no guess.
        assert_eq!(suggestion(parse_protocol("ucp")), None);
    }

    // --- CIDRs ---

    #[test]
    fn cidrs_of_both_families_parse() {
        for text in [
            "10.0.0.0/8",
            "0.0.0.0/0",
            "192.168.1.0/24",
            "10.0.0.1/32",
            "255.255.255.255/32",
            "::/0",
            "2001:db8::/32",
            "::1/128",
            "fe80::/10",
            "::102:304/128",
        ] {
            assert_eq!(parse_cidr(text), Ok(net(text)), "{text}");
        }
    }

    #[test]
    fn a_non_canonical_ipv6_cidr_is_accepted_and_printed_canonically() {
        let block = parse_cidr("2001:0db8:0000::/32").unwrap();
        assert_eq!(block.to_string(), "2001:db8::/32");
    }

    #[test]
    fn an_ipv4_prefix_may_be_32_but_not_33() {
        assert_eq!(parse_cidr("10.0.0.1/32"), Ok(net("10.0.0.1/32")));
        let too_long = problem(parse_cidr("10.0.0.0/33"), Code::InvalidCidr);
        assert_eq!(
            too_long.message,
            "CIDR \"10.0.0.0/33\" is invalid: the prefix length 33 is too long: an IPv4 prefix length is at most 32"
        );
        assert_eq!(too_long.suggestion, None);
        problem(parse_cidr("10.0.0.0/256"), Code::InvalidCidr);
        problem(parse_cidr("10.0.0.0/99999999999999999999"), Code::InvalidCidr);
    }

    #[test]
    fn an_ipv6_prefix_may_be_128_but_not_129() {
        assert_eq!(parse_cidr("2001:db8::1/128"), Ok(net("2001:db8::1/128")));
        assert!(message(parse_cidr("2001:db8::/129")).contains("an IPv6 prefix length is at most 128"));
    }

    #[test]
    fn a_bare_address_suggests_its_single_address_block() {
        let bare = problem(parse_cidr("10.0.0.1"), Code::InvalidCidr);
        assert_eq!(bare.message, "\"10.0.0.1\" is an address, not a CIDR block: add /32 to mean this one address");
        assert_eq!(bare.suggestion, Some("10.0.0.1/32".to_owned()));
        assert_eq!(suggestion(parse_cidr("2001:db8::1")), Some("2001:db8::1/128".to_owned()));
    }

    #[test]
    fn host_bits_beyond_the_prefix_suggest_the_network_address() {
        let host_bits = problem(parse_cidr("10.0.0.1/8"), Code::InvalidCidr);
        assert_eq!(
            host_bits.message,
            "CIDR \"10.0.0.1/8\" is invalid: the address has bits set beyond the prefix length; the block is written 10.0.0.0/8"
        );
        assert_eq!(host_bits.suggestion, Some("10.0.0.0/8".to_owned()));
        assert_eq!(suggestion(parse_cidr("192.168.1.77/24")), Some("192.168.1.0/24".to_owned()));
        assert_eq!(suggestion(parse_cidr("2001:db8::1/32")), Some("2001:db8::/32".to_owned()));
        assert_eq!(suggestion(parse_cidr("10.0.0.0/00")), Some("0.0.0.0/0".to_owned()));
    }

    #[test]
    fn leading_zeros_in_an_ipv4_address_are_rejected_without_a_guess() {
        let octal = problem(parse_cidr("010.0.0.0/8"), Code::InvalidCidr);
        assert_eq!(
            octal.message,
            "CIDR \"010.0.0.0/8\" is invalid: IPv4 addresses must not have leading zeros (some software reads them as octal)"
        );
        assert_eq!(octal.suggestion, None);
        problem(parse_cidr("10.0.0.00/32"), Code::InvalidCidr);
    }

    #[test]
    fn leading_zeros_in_a_prefix_length_suggest_it_without_them() {
        let padded = problem(parse_cidr("10.0.0.0/08"), Code::InvalidCidr);
        assert_eq!(padded.message, "CIDR \"10.0.0.0/08\" is invalid: the prefix length must not have leading zeros");
        assert_eq!(padded.suggestion, Some("10.0.0.0/8".to_owned()));
    }

    #[test]
    fn an_ipv4_byte_above_255_is_named() {
        assert_eq!(
            message(parse_cidr("256.0.0.0/8")),
            "CIDR \"256.0.0.0/8\" is invalid: 256 is not a byte of an IPv4 address (0 to 255)"
        );
        assert!(message(parse_cidr("10.0.0.1000/32")).contains("1000 is not a byte"));
    }

    #[test]
    fn ipv4_mapped_ipv6_blocks_suggest_the_ipv4_block() {
        let mapped = problem(parse_cidr("::ffff:10.0.0.0/104"), Code::InvalidCidr);
        assert_eq!(
            mapped.message,
            "CIDR \"::ffff:10.0.0.0/104\" is invalid: it is an IPv4-mapped IPv6 address; write the IPv4 block 10.0.0.0/8 instead"
        );
        assert_eq!(mapped.suggestion, Some("10.0.0.0/8".to_owned()));
        assert_eq!(suggestion(parse_cidr("::ffff:10.0.0.0/64")), None);
        assert_eq!(suggestion(parse_cidr("::ffff:10.0.0.1")), Some("10.0.0.1/32".to_owned()));
    }

    #[test]
    fn malformed_cidrs_say_what_is_missing() {
        assert_eq!(message(parse_cidr("")), format!("CIDR is empty: {CIDR_FORM}"));
        assert_eq!(message(parse_cidr("internet")), format!("\"internet\" is not a CIDR block: {CIDR_FORM}"));
        assert_eq!(
            message(parse_cidr("10.0.0.0/")),
            format!("CIDR \"10.0.0.0/\" is invalid: it has no prefix length after '/'; {CIDR_FORM}")
        );
        assert_eq!(
            message(parse_cidr("/8")),
            format!("CIDR \"/8\" is invalid: it has no address before '/'; {CIDR_FORM}")
        );
        assert_eq!(
            message(parse_cidr("10.0.0.0/x")),
            "CIDR \"10.0.0.0/x\" is invalid: the prefix length \"x\" is not a number"
        );
        assert_eq!(
            message(parse_cidr("1.2.3/8")),
            "CIDR \"1.2.3/8\" is invalid: \"1.2.3\" is not an IPv4 or IPv6 address"
        );
        for text in [
            " 10.0.0.0/8",
            "10.0.0.0/8 ",
            "10.0.0.0/-1",
            "10.0.0.0/+8",
            "10.0.0.0/8/8",
            "fe80::1%eth0/64",
            "1.2.3.4.5/32",
            "::g/64",
        ] {
            let problem = problem(parse_cidr(text), Code::InvalidCidr);
            assert_eq!(problem.suggestion, None, "{text}");
        }
    }

    // --- except blocks ---

    #[test]
    fn an_except_strictly_inside_its_block_is_accepted() {
        for (block, except) in [
            ("0.0.0.0/0", "10.0.0.0/8"),
            ("10.0.0.0/8", "10.0.0.0/9"),
            ("10.0.0.0/8", "10.128.0.0/9"),
            ("10.0.0.0/8", "10.255.255.255/32"),
            ("10.0.0.0/31", "10.0.0.1/32"),
            ("::/0", "2001:db8::/32"),
            ("2001:db8::/127", "2001:db8::1/128"),
        ] {
            assert_eq!(check_except(&net(block), &net(except)), Ok(()), "{block} except {except}");
        }
    }

    #[test]
    fn an_except_equal_to_its_block_is_rejected() {
        let whole = problem(check_except(&net("10.0.0.0/8"), &net("10.0.0.0/8")), Code::ExceptOutsideBlock);
        assert_eq!(
            whole.message,
            "except 10.0.0.0/8 is invalid: it is the whole block, and Kubernetes requires an except to be strictly inside its block"
        );
        problem(check_except(&net("10.0.0.1/32"), &net("10.0.0.1/32")), Code::ExceptOutsideBlock);
        problem(check_except(&net("2001:db8::1/128"), &net("2001:db8::1/128")), Code::ExceptOutsideBlock);
    }

    #[test]
    fn an_except_larger_than_its_block_is_rejected() {
        assert_eq!(
            message(check_except(&net("10.1.0.0/16"), &net("10.0.0.0/8"))),
            "except 10.0.0.0/8 is invalid: it is larger than the block 10.1.0.0/16; an except must be strictly inside its block"
        );
    }

    #[test]
    fn an_except_outside_its_block_is_rejected() {
        assert_eq!(
            message(check_except(&net("10.0.0.0/8"), &net("192.168.0.0/16"))),
            "except 192.168.0.0/16 is invalid: it is not inside the block 10.0.0.0/8"
        );
        problem(check_except(&net("10.0.0.0/8"), &net("11.0.0.0/8")), Code::ExceptOutsideBlock);
        problem(check_except(&net("10.0.0.0/9"), &net("10.128.0.0/9")), Code::ExceptOutsideBlock);
        problem(check_except(&net("2001:db8::/32"), &net("2001:db9::/48")), Code::ExceptOutsideBlock);
    }

    #[test]
    fn an_except_of_the_other_family_is_a_family_mismatch() {
        assert_eq!(
            message(check_except(&net("0.0.0.0/0"), &net("2001:db8::/32"))),
            "except 2001:db8::/32 is IPv6 but its block 0.0.0.0/0 is IPv4: an except must be of its block's IP family"
        );
        problem(check_except(&net("::/0"), &net("10.0.0.0/8")), Code::ExceptFamilyMismatch);
    }

    // --- RBAC subjects ---

    #[test]
    fn user_and_group_names_may_be_almost_anything() {
        for name in ["alice@example.com", "oidc:web-devs", "system:serviceaccounts", "Alice Smith", "élodie", "a"] {
            assert_eq!(check_subject_name("user", name), Ok(()), "{name}");
            assert_eq!(check_subject_name("group", name), Ok(()), "{name}");
        }
    }

    #[test]
    fn an_empty_subject_name_is_rejected() {
        assert_eq!(message(check_subject_name("user", "")), "user name is empty");
        assert_eq!(message(check_subject_name("Group", "")), "group name is empty");
        problem(check_subject_name("user", ""), Code::InvalidSubject);
    }

    #[test]
    fn surrounding_whitespace_in_a_subject_suggests_it_trimmed() {
        let padded = problem(check_subject_name("user", " alice "), Code::InvalidSubject);
        assert_eq!(padded.message, "user name \" alice \" is invalid: it must not start or end with whitespace");
        assert_eq!(padded.suggestion, Some("\"alice\"".to_owned()));
        assert_eq!(suggestion(check_subject_name("group", "\u{a0}devs")), Some("\"devs\"".to_owned()));
        assert_eq!(suggestion(check_subject_name("group", "   ")), None);
        assert_eq!(
            suggestion(check_subject_name("group", " say \"hi\" \\o/")),
            Some(r#""say \"hi\" \\o/""#.to_owned())
        );
    }

    #[test]
    fn control_characters_in_a_subject_are_rejected() {
        for name in ["alice\n", "a\tb", "\u{0}", "bell\u{7}", "\u{9b}x"] {
            let problem = problem(check_subject_name("user", name), Code::InvalidSubject);
            assert!(problem.message.contains("control characters"), "{}", problem.message);
            assert_eq!(problem.suggestion, None);
        }
        assert_eq!(
            message(check_subject_name("user", "a\tb")),
            "user name \"a\\tb\" is invalid: it must not contain control characters (tabs, line breaks and the like)"
        );
    }

    #[test]
    fn service_accounts_are_a_namespace_label_and_a_subdomain_name() {
        let longest_name = repeat("b", 253);
        let longest_namespace = repeat("a", 63);
        for (namespace, name) in [
            ("ci", "deployer"),
            ("kube-system", "default"),
            ("ci", "my.sa"),
            ("0", "1"),
            (longest_namespace.as_str(), longest_name.as_str()),
        ] {
            assert_eq!(check_service_account(namespace, name), Ok(()), "{namespace}/{name}");
        }
    }

    #[test]
    fn service_account_namespaces_are_dns_labels() {
        for namespace in ["", "Ci", "ci.x", "-ci", "ci_", &repeat("a", 64)] {
            problem(check_service_account(namespace, "deployer"), Code::InvalidSubject);
        }
        assert_eq!(
            message(check_service_account("ci.x", "deployer")),
            "service account namespace \"ci.x\" is invalid: it must not contain '.'"
        );
        assert_eq!(message(check_service_account("", "deployer")), "service account namespace is empty");
        assert_eq!(suggestion(check_service_account_namespace("Ci")), Some("ci".to_owned()));
        assert_eq!(suggestion(check_service_account_namespace("ci_x")), Some("ci-x".to_owned()));
        assert_eq!(suggestion(check_service_account_namespace("ci.x")), None);
    }

    #[test]
    fn service_account_names_are_dns_subdomains() {
        for name in ["", "Deployer", "a..b", ".a", "a.", "a b", &repeat("b", 254)] {
            problem(check_service_account("ci", name), Code::InvalidSubject);
        }
        assert_eq!(
            message(check_service_account("ci", "Deployer")),
            format!("service account name \"Deployer\" is invalid: {SUBDOMAIN_RULE}")
        );
        assert_eq!(suggestion(check_service_account_name("Deployer")), Some("deployer".to_owned()));
        assert_eq!(suggestion(check_service_account_name("My_SA.v2")), Some("my-sa.v2".to_owned()));
        assert_eq!(suggestion(check_service_account_name("a..b")), None);
        assert_eq!(message(check_service_account("ci", "")), "service account name is empty");
    }

    #[test]
    fn a_service_account_reports_its_namespace_first() {
        assert!(message(check_service_account("Ci", "Deployer")).starts_with("service account namespace"));
    }

    #[test]
    fn a_whole_service_account_check_suggests_nothing_since_no_one_word_holds_both_parts() {
        assert_eq!(suggestion(check_service_account("Ci", "deployer")), None);
        assert_eq!(suggestion(check_service_account("ci", "Deployer")), None);
    }

    // --- properties ---

    mod properties {
        #![allow(clippy::unwrap_used)]

        use super::super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn no_input_makes_a_check_panic(text in "\\PC{0,80}", other in "[-0-9a-zA-Z./:_ ]{0,40}") {
                let _ = check_name(&text);
                let _ = check_label_key(&text);
                let _ = check_label_value(&text);
                let _ = check_port_name(&text);
                let _ = parse_port_word(&other);
                let _ = parse_protocol(&text);
                let _ = parse_cidr(&other);
                let _ = parse_cidr(&text);
                let _ = check_subject_name("user", &text);
                let _ = check_service_account(&text, &other);
            }

            #[test]
            fn every_port_number_reads_back(port in 1u16..=65535) {
                prop_assert_eq!(parse_port_word(&port.to_string()), Ok(PortWord::Number(port)));
            }

            #[test]
            fn every_canonical_block_reads_back(block in any::<[u8; 4]>().prop_flat_map(|octets| (Just(octets), 0u8..=32))) {
                let (octets, length) = block;
                let network = IpNet::new(IpAddr::V4(Ipv4Addr::from(octets)), length).unwrap().trunc();
                prop_assert_eq!(parse_cidr(&network.to_string()), Ok(network));
            }

            #[test]
            fn every_ipv6_canonical_block_reads_back(bits in any::<u128>(), length in 0u8..=128) {
                let network = IpNet::new(IpAddr::V6(std::net::Ipv6Addr::from(bits)), length).unwrap().trunc();
                // IPv4-mapped blocks are the one exception, rejected on purpose.
                prop_assume!(ipv4_mapped(network.addr()).is_none());
                prop_assert_eq!(parse_cidr(&network.to_string()), Ok(network));
            }

            #[test]
            fn suggestions_are_themselves_valid(text in "[-_.a-zA-Z0-9]{1,20}") {
                if let Err(Problem { suggestion: Some(fixed), .. }) = check_name(&text) {
                    prop_assert_eq!(check_name(&fixed), Ok(()));
                }
                if let Err(Problem { suggestion: Some(fixed), .. }) = check_port_name(&text) {
                    prop_assert_eq!(check_port_name(&fixed), Ok(()));
                }
                if let Err(Problem { suggestion: Some(fixed), .. }) = check_label_key(&text) {
                    prop_assert_eq!(check_label_key(&fixed), Ok(()));
                }
                if let Err(Problem { suggestion: Some(fixed), .. }) = parse_port_word(&text) {
                    prop_assert!(parse_port_word(&fixed).is_ok());
                }
            }
        }
    }
}
