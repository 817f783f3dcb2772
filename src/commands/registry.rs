//! `pave registry serve` and `pave registry token create|list|revoke`: open (and migrate) the
//! database `--database` names, then serve it or manage its tokens.

use std::path::PathBuf;
use std::sync::Arc;

use crate::cli::{
    RegistryArgs, RegistryCommand, RegistryDatabaseArgs, RegistryServeArgs, RegistryTokenCommand,
    RegistryTokenCreateArgs,
};
use crate::error::Error;
use crate::printer::Printer;
use crate::registry::server::{self, ReadAccess, RegistryError};
use crate::registry::store::{Database, Store, StoreError};

pub fn run(args: &RegistryArgs, printer: &Printer) -> Result<u8, Error> {
    let outcome = match &args.command {
        RegistryCommand::Serve(args) => serve(args, printer),
        RegistryCommand::Token(token) => match &token.command {
            RegistryTokenCommand::Create(args) => create_token(args, printer),
            RegistryTokenCommand::List(args) => list_tokens(args, printer),
            RegistryTokenCommand::Revoke(args) => {
                let store = open(&args.database, printer)?;
                if !store.revoke_token(&args.id).map_err(RegistryError::from)? {
                    return Err(RegistryError::UnknownToken(args.id.clone()).into());
                }
                printer.status("Revoked", &format!("token {}", args.id));
                Ok(0)
            }
        },
    };
    Ok(outcome?)
}

fn serve(args: &RegistryServeArgs, printer: &Printer) -> Result<u8, RegistryError> {
    let store = open(&args.database, printer)?;
    let read_access = if args.read_token_required {
        ReadAccess::TokenRequired
    } else {
        ReadAccess::Open
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(RegistryError::Runtime)?;
    let app = server::app(Arc::clone(&store), read_access);
    let served = runtime.block_on(async {
        let listener = tokio::net::TcpListener::bind(args.listen)
            .await
            .map_err(|source| RegistryError::Bind {
                addr: args.listen,
                source,
            })?;
        let addr = listener.local_addr().unwrap_or(args.listen);
        printer.status("Listening", &format!("on http://{addr}"));
        server::serve(listener, app, server::shutdown_signal())
            .await
            .map_err(RegistryError::Serve)
    });
    if served.is_ok() {
        printer.status("Stopped", "every request in flight was answered");
    }
    // The last handle on the store is dropped here, outside the runtime: the PostgreSQL client
    // runs its own runtime and must not be dropped inside another.
    drop(runtime);
    drop(store);
    served.map(|()| 0)
}

fn create_token(args: &RegistryTokenCreateArgs, printer: &Printer) -> Result<u8, RegistryError> {
    let store = open(&args.database, printer)?;
    let created = store.create_token(&args.name, &args.scopes)?;
    // The secret alone on stdout, so `TOKEN=$(pave registry token create …)` just works.
    printer.data(&created.secret);
    printer.status(
        "Created",
        &format!(
            "token {} ({}); its secret is shown this once",
            created.id, args.name
        ),
    );
    Ok(0)
}

fn list_tokens(args: &RegistryDatabaseArgs, printer: &Printer) -> Result<u8, RegistryError> {
    let store = open(args, printer)?;
    let mut out = String::from("ID\tNAME\tSCOPES\tCREATED\tREVOKED\n");
    for token in store.list_tokens()? {
        let scopes: Vec<&str> = token.scopes.iter().map(|s| s.as_str()).collect();
        let revoked = token
            .revoked_at
            .map_or_else(|| "-".to_owned(), |t| t.to_string());
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{revoked}\n",
            token.id,
            token.name,
            scopes.join(","),
            token.created_at
        ));
    }
    printer.data(&out);
    Ok(0)
}

/// The database `--database` names (default: SQLite in the user data folder), migrated.
fn open(args: &RegistryDatabaseArgs, printer: &Printer) -> Result<Arc<dyn Store>, RegistryError> {
    let database = match &args.database {
        Some(text) => Database::parse(text).map_err(StoreError::from)?,
        None => Database::Sqlite(default_sqlite()?),
    };
    let store: Arc<dyn Store> = Arc::from(database.open()?);
    let applied = store.migrate()?;
    if applied > 0 {
        printer.status(
            "Migrated",
            &format!("the registry database ({applied} steps)"),
        );
    }
    Ok(store)
}

/// `<data dir>/pave/registry.sqlite`, its folder created.
fn default_sqlite() -> Result<PathBuf, RegistryError> {
    let dir = dirs::data_dir()
        .ok_or(RegistryError::NoDataDir)?
        .join("pave");
    std::fs::create_dir_all(&dir).map_err(|source| RegistryError::CreateDir {
        path: dir.clone(),
        source,
    })?;
    Ok(dir.join("registry.sqlite"))
}
