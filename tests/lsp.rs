//! `npg lsp` over stdio, as an editor drives it: the workspace folder's files are
//! checked at start, an edit updates the diagnostics it published, formatting is
//! `npg fmt`'s, a group's name leads to its declaration, and the outline lists declarations.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use serde_json::{Value, json};

struct Server {
    child: Child,
    input: ChildStdin,
    messages: Receiver<Value>,
}

impl Server {
    fn start() -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_npg"))
            .arg("lsp")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let input = child.stdin.take().unwrap();
        let mut output = BufReader::new(child.stdout.take().unwrap());
        let (sender, messages) = channel();
        std::thread::spawn(move || {
            loop {
                let mut length = 0;
                loop {
                    let mut header = String::new();
                    if output.read_line(&mut header).unwrap_or(0) == 0 {
                        return;
                    }
                    let header = header.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    if let Some(value) = header.strip_prefix("Content-Length: ") {
                        length = value.parse().unwrap();
                    }
                }
                let mut body = vec![0; length];
                output.read_exact(&mut body).unwrap();
                if sender.send(serde_json::from_slice(&body).unwrap()).is_err() {
                    return;
                }
            }
        });
        Server { child, input, messages }
    }

    fn send(&mut self, message: Value) {
        let body = message.to_string();
        write!(self.input, "Content-Length: {}\r\n\r\n{body}", body.len()).unwrap();
        self.input.flush().unwrap();
    }

    /// The next message with this method (or the response with this id).
    fn wait_for(&self, wanted: impl Fn(&Value) -> bool) -> Value {
        loop {
            let message = self.messages.recv_timeout(Duration::from_secs(20)).expect("the server answers");
            if wanted(&message) {
                return message;
            }
        }
    }

    fn diagnostics_for(&self, uri: &str) -> Vec<Value> {
        let message = self.wait_for(|message| {
            message["method"] == "textDocument/publishDiagnostics" && message["params"]["uri"] == uri
        });
        message["params"]["diagnostics"].as_array().unwrap().clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

#[test]
fn diagnostics_are_published_for_the_workspace_and_follow_an_edit() {
    let folder = tempfile::tempdir().unwrap();
    let root = folder.path().canonicalize().unwrap();
    std::fs::write(root.join("shop.npg"), "namespace shop {\n  group web = app=web\n}\n").unwrap();
    std::fs::write(root.join("rules.npg"), "group web may reach api:8080\n").unwrap();
    let root_uri = format!("file://{}", root.display());
    let rules_uri = format!("{root_uri}/rules.npg");

    let mut server = Server::start();
    server.send(json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"capabilities": {}, "rootUri": root_uri}}));
    let initialized = server.wait_for(|message| message["id"] == 1);
    assert_eq!(initialized["result"]["capabilities"]["textDocumentSync"], 2, "{initialized}");
    server.send(json!({"jsonrpc": "2.0", "method": "initialized", "params": {}}));

    // A file the editor never opened is checked too.
    let diagnostics = server.diagnostics_for(&rules_uri);
    assert_eq!(diagnostics.len(), 1, "{diagnostics:?}");
    assert_eq!(diagnostics[0]["code"], "NPG0201");
    assert_eq!(diagnostics[0]["range"]["start"], json!({"line": 0, "character": 20}));

    // Declaring `api` in the other file clears it.
    let shop_uri = format!("{root_uri}/shop.npg");
    server.send(json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
        {"uri": shop_uri, "languageId": "npg", "version": 1, "text": "namespace shop {\n  group web = app=web\n}\n"}}}));
    server.send(json!({"jsonrpc": "2.0", "method": "textDocument/didChange", "params": {
        "textDocument": {"uri": shop_uri, "version": 2},
        "contentChanges": [{"range": {"start": {"line": 1, "character": 21}, "end": {"line": 1, "character": 21}},
                            "text": "\n  group api = app=api"}]}}));
    // (Opening publishes the error again; the edit's publication clears it.)
    let cleared = server.wait_for(|message| {
        message["method"] == "textDocument/publishDiagnostics"
            && message["params"]["uri"] == rules_uri
            && message["params"]["diagnostics"] == json!([])
    });
    assert_eq!(cleared["params"]["diagnostics"], json!([]));

    // Formatting is `npg fmt`'s, as one edit of the whole text.
    let messy_uri = format!("{root_uri}/messy.npg");
    server.send(json!({"jsonrpc": "2.0", "method": "textDocument/didOpen", "params": {"textDocument":
        {"uri": messy_uri, "languageId": "npg", "version": 1, "text": "group  web may reach   api:8080\n"}}}));
    server.send(json!({"jsonrpc": "2.0", "id": 3, "method": "textDocument/formatting", "params": {
        "textDocument": {"uri": messy_uri}, "options": {"tabSize": 2, "insertSpaces": true}}}));
    let formatted = server.wait_for(|message| message["id"] == 3);
    assert_eq!(
        formatted["result"],
        json!([{"range": {"start": {"line": 0, "character": 0}, "end": {"line": 1, "character": 0}},
                "newText": "group web may reach api:8080\n"}]),
        "{formatted}"
    );

    // A group's name leads to its declaration, in another file.
    server.send(json!({"jsonrpc": "2.0", "id": 4, "method": "textDocument/definition", "params": {
        "textDocument": {"uri": rules_uri}, "position": {"line": 0, "character": 7}}}));
    let definition = server.wait_for(|message| message["id"] == 4);
    assert_eq!(
        definition["result"],
        json!([{"uri": shop_uri, "range": {"start": {"line": 1, "character": 8}, "end": {"line": 1, "character": 11}}}]),
        "{definition}"
    );

    // The outline: the namespace with its groups.
    server.send(json!({"jsonrpc": "2.0", "id": 5, "method": "textDocument/documentSymbol", "params": {
        "textDocument": {"uri": shop_uri}}}));
    let outline = server.wait_for(|message| message["id"] == 5);
    assert_eq!(outline["result"][0]["name"], "shop", "{outline}");
    let groups: Vec<&Value> = outline["result"][0]["children"].as_array().unwrap().iter().map(|g| &g["name"]).collect();
    assert_eq!(groups, [&json!("web"), &json!("api")], "{outline}");

    server.send(json!({"jsonrpc": "2.0", "id": 2, "method": "shutdown"}));
    server.wait_for(|message| message["id"] == 2);
    server.send(json!({"jsonrpc": "2.0", "method": "exit"}));
}
