//! The npg language server, served over stdio by `npg lsp`. Documents and the
//! `.npg` files of the workspace folder are salsa inputs of one program
//! ([`workspace`]); the compiler's diagnostics are published for every file.
//!
//! ```no_run
//! # async fn run() {
//! npg_lsp::serve_stdio().await;
//! # }
//! ```

mod convert;
pub mod symbols;
pub mod workspace;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use tower_lsp_server::jsonrpc::Result;
use tower_lsp_server::ls_types::{
    DidChangeTextDocumentParams, DidChangeWatchedFilesParams, DidCloseTextDocumentParams, DidOpenTextDocumentParams,
    DocumentFormattingParams, DocumentSymbol, DocumentSymbolParams, DocumentSymbolResponse, FileChangeType,
    GotoDefinitionParams, GotoDefinitionResponse, InitializeParams, InitializeResult, InitializedParams, Location,
    OneOf, ServerCapabilities, ServerInfo, TextDocumentSyncCapability, TextDocumentSyncKind, TextEdit, Uri,
};
use tower_lsp_server::{Client, LanguageServer, LspService, Server};

use workspace::{Edit, Workspace};

/// Serves the language server on stdin and stdout until the client exits, on a
/// runtime of its own (for callers that are not async).
pub fn run_stdio() -> std::io::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(serve_stdio());
    Ok(())
}

/// Serves the language server on stdin and stdout until the client exits.
pub async fn serve_stdio() {
    let (service, socket) = LspService::new(|client| Backend { client, state: Arc::new(Mutex::new(State::default())) });
    Server::new(tokio::io::stdin(), tokio::io::stdout(), socket).serve(service).await;
}

/// What the server keeps between requests.
#[derive(Default)]
struct State {
    workspace: Workspace,
    /// Files that were last published with diagnostics, so that clearing them is published too.
    published: BTreeSet<Arc<str>>,
}

struct Backend {
    client: Client,
    state: Arc<Mutex<State>>,
}

impl Backend {
    /// Runs `change` on the workspace, then publishes every file's diagnostics
    /// (and empty lists for files that had some and have none now).
    async fn update(&self, change: impl FnOnce(&mut Workspace)) {
        let batches = {
            let Ok(mut state) = self.state.lock() else { return };
            change(&mut state.workspace);
            let diagnostics = state.workspace.diagnostics();
            let mut batches = Vec::new();
            let mut now_published = BTreeSet::new();
            for (path, list) in &diagnostics {
                let text = state.workspace.text(path).unwrap_or_default();
                if (!list.is_empty() || state.published.contains(path))
                    && let Some(uri) = Uri::from_file_path(&**path)
                {
                    batches.push((uri, list.iter().map(|d| convert::diagnostic(d, text)).collect()));
                }
                if !list.is_empty() {
                    now_published.insert(path.clone());
                }
            }
            for gone in state.published.difference(&now_published) {
                if !diagnostics.contains_key(gone)
                    && let Some(uri) = Uri::from_file_path(&**gone)
                {
                    batches.push((uri, Vec::new()));
                }
            }
            state.published = now_published;
            batches
        };
        for (uri, diagnostics) in batches {
            self.client.publish_diagnostics(uri, diagnostics, None).await;
        }
    }
}

fn path_of(uri: &Uri) -> Option<String> {
    uri.to_file_path().map(|path| path.to_string_lossy().into_owned())
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let roots = params.workspace_folders.unwrap_or_default().into_iter().map(|folder| folder.uri);
        #[expect(deprecated, reason = "older clients send only rootUri")]
        let roots: Vec<Uri> = roots.chain(params.root_uri).collect();
        if let Ok(mut state) = self.state.lock() {
            for root in roots.iter().filter_map(|uri| uri.to_file_path()) {
                state.workspace.load_folder(&root);
            }
        }
        Ok(InitializeResult {
            server_info: Some(ServerInfo {
                name: "npg".to_owned(),
                version: Some(env!("CARGO_PKG_VERSION").to_owned()),
            }),
            capabilities: ServerCapabilities {
                text_document_sync: Some(TextDocumentSyncCapability::Kind(TextDocumentSyncKind::INCREMENTAL)),
                document_formatting_provider: Some(OneOf::Left(true)),
                definition_provider: Some(OneOf::Left(true)),
                document_symbol_provider: Some(OneOf::Left(true)),
                ..ServerCapabilities::default()
            },
            ..InitializeResult::default()
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        self.update(|_| {}).await;
    }

    async fn shutdown(&self) -> Result<()> {
        Ok(())
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let Some(path) = path_of(&params.text_document.uri) else { return Ok(None) };
        let Ok(state) = self.state.lock() else { return Ok(None) };
        let (Some(text), Some(formatted)) = (state.workspace.text(&path), state.workspace.formatted(&path)) else {
            return Ok(None);
        };
        Ok(Some(vec![TextEdit { range: convert::whole_text(text), new_text: formatted }]))
    }

    async fn goto_definition(&self, params: GotoDefinitionParams) -> Result<Option<GotoDefinitionResponse>> {
        let place = params.text_document_position_params;
        let Some(path) = path_of(&place.text_document.uri) else { return Ok(None) };
        let Ok(state) = self.state.lock() else { return Ok(None) };
        let (position, _) =
            convert::range_from_lsp(tower_lsp_server::ls_types::Range { start: place.position, end: place.position });
        let targets: Vec<Location> = state
            .workspace
            .definition(&path, position)
            .iter()
            .filter_map(|target| {
                let text = state.workspace.text(&target.file)?;
                Some(Location { uri: Uri::from_file_path(&*target.file)?, range: convert::span(target.span, text) })
            })
            .collect();
        Ok((!targets.is_empty()).then_some(GotoDefinitionResponse::Array(targets)))
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        let Some(path) = path_of(&params.text_document.uri) else { return Ok(None) };
        let Ok(state) = self.state.lock() else { return Ok(None) };
        let Some(text) = state.workspace.text(&path) else { return Ok(None) };
        let symbols: Vec<DocumentSymbol> =
            symbols::symbols(text).iter().map(|symbol| convert::document_symbol(symbol, text)).collect();
        Ok(Some(DocumentSymbolResponse::Nested(symbols)))
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else { return };
        self.update(|workspace| workspace.set_text(&path, params.text_document.text)).await;
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let Some(path) = path_of(&params.text_document.uri) else { return };
        let edits: Vec<Edit> = params
            .content_changes
            .into_iter()
            .map(|change| Edit { range: change.range.map(convert::range_from_lsp), text: change.text })
            .collect();
        self.update(|workspace| workspace.edit(&path, &edits)).await;
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        // The file stays part of the program as it is on disk.
        let Some(path) = path_of(&params.text_document.uri) else { return };
        let on_disk = std::fs::read_to_string(&path).ok();
        self.update(|workspace| match on_disk {
            Some(text) => workspace.set_text(&path, text),
            None => workspace.remove(&path),
        })
        .await;
    }

    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let changes: Vec<(String, Option<String>)> = params
            .changes
            .into_iter()
            .filter_map(|event| {
                let path = path_of(&event.uri)?;
                let text =
                    if event.typ == FileChangeType::DELETED { None } else { std::fs::read_to_string(&path).ok() };
                Some((path, text))
            })
            .collect();
        self.update(|workspace| {
            for (path, text) in changes {
                match text {
                    Some(text) => workspace.set_text(&path, text),
                    None => workspace.remove(&path),
                }
            }
        })
        .await;
    }
}
