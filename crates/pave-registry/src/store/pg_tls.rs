//! Connecting to PostgreSQL with TLS, `sslmode` meaning what libpq makes it mean:
//!
//! | `sslmode` | encrypted | server certificate checked |
//! |---|---|---|
//! | `disable` | no | — |
//! | `prefer` (the default) | when the server offers it | no |
//! | `require` | yes | no |
//! | `verify-full` | yes | chain (the platform's roots, or `sslrootcert=FILE`) and host name |
//!
//! `prefer` and `require` protect against a passive listener, not against someone in the middle,
//! exactly as with libpq; a registry database reached over a network it does not own should use
//! `verify-full`. The `postgres` crate knows only the first three modes and no `sslrootcert`, so
//! both are read here and the rest of the URL is left to it. `verify-ca` (chain without the host
//! name) is refused with a pointer to `verify-full` rather than quietly weakened or strengthened.

use std::str::FromStr as _;
use std::sync::Arc;

use pki_types::pem::PemObject as _;
use pki_types::{CertificateDer, ServerName, UnixTime};
use postgres::config::SslMode;
use postgres::{Client, Config, NoTls};
use rustls::DigitallySignedStruct;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use tokio_postgres_rustls::MakeRustlsConnect;

use super::StoreError;
use crate::model::Invalid;

/// How the server's certificate is treated.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Check {
    /// No TLS at all.
    Plain,
    /// Encrypt (`prefer`, `require`), accept any certificate.
    EncryptOnly,
    /// Verify the chain and host name, against a PEM file of roots or the platform's roots.
    VerifyFull { root_cert: Option<String> },
}

/// Connects as `url` says, TLS included.
pub(crate) fn connect(url: &str) -> Result<Client, StoreError> {
    let (rest, check) = split_tls(url)?;
    let mut config = Config::from_str(&rest).map_err(StoreError::ConnectPostgres)?;
    match check {
        Check::Plain => config.connect(NoTls),
        Check::EncryptOnly => config.connect(MakeRustlsConnect::new(encrypt_only()?)),
        Check::VerifyFull { root_cert } => {
            config.ssl_mode(SslMode::Require);
            config.connect(MakeRustlsConnect::new(verify_full(root_cert.as_deref())?))
        }
    }
    .map_err(StoreError::ConnectPostgres)
}

/// The URL without the TLS parameters pave reads itself, and what they ask for.
fn split_tls(url: &str) -> Result<(String, Check), StoreError> {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let mut kept = Vec::new();
    let mut mode = None;
    let mut root_cert = None;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "sslmode" => mode = Some(value.to_owned()),
            "sslrootcert" => root_cert = Some(percent_decode(value)),
            _ => kept.push(pair),
        }
    }
    let check = match mode.as_deref() {
        Some("disable") => Check::Plain,
        None | Some("prefer" | "require") => Check::EncryptOnly,
        Some("verify-full") => Check::VerifyFull {
            root_cert: root_cert.take(),
        },
        Some("verify-ca") => {
            return Err(invalid(
                "sslmode=verify-ca is not supported; use sslmode=verify-full (it also checks the host name)",
            ));
        }
        Some(other) => {
            return Err(invalid(&format!(
                "sslmode={other} is not one of disable, prefer, require, verify-full"
            )));
        }
    };
    if root_cert.is_some() {
        return Err(invalid("sslrootcert is only read with sslmode=verify-full"));
    }
    // The crate's own mode: it must try TLS whenever a connector is given for it.
    if let Some(mode @ ("disable" | "prefer" | "require")) = mode.as_deref() {
        kept.push(match mode {
            "disable" => "sslmode=disable",
            "prefer" => "sslmode=prefer",
            _ => "sslmode=require",
        });
    }
    let rest = if kept.is_empty() {
        base.to_owned()
    } else {
        format!("{base}?{}", kept.join("&"))
    };
    Ok((rest, check))
}

fn invalid(message: &str) -> StoreError {
    StoreError::Invalid(Invalid::new("database", message))
}

/// `%2F` and the like in a query value (a path in `sslrootcert`).
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (bytes[i], hex) {
            (b'%', Some(byte)) => {
                out.push(byte);
                i += 3;
            }
            (byte, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

fn tls_error(e: impl std::fmt::Display) -> StoreError {
    invalid(&format!("cannot set up TLS: {e}"))
}

fn encrypt_only() -> Result<rustls::ClientConfig, StoreError> {
    let provider = provider();
    let verifier = AnyCertificate {
        algorithms: provider.signature_verification_algorithms,
    };
    Ok(rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth())
}

fn verify_full(root_cert: Option<&str>) -> Result<rustls::ClientConfig, StoreError> {
    let provider = provider();
    let builder = rustls::ClientConfig::builder_with_provider(Arc::clone(&provider))
        .with_safe_default_protocol_versions()
        .map_err(tls_error)?;
    let config = match root_cert {
        Some(path) => {
            let mut roots = rustls::RootCertStore::empty();
            let certs = CertificateDer::pem_file_iter(path)
                .map_err(|e| invalid(&format!("sslrootcert {path}: {e}")))?;
            for cert in certs {
                let cert = cert.map_err(|e| invalid(&format!("sslrootcert {path}: {e}")))?;
                roots
                    .add(cert)
                    .map_err(|e| invalid(&format!("sslrootcert {path}: {e}")))?;
            }
            builder.with_root_certificates(roots)
        }
        None => {
            let verifier = rustls_platform_verifier::Verifier::new(provider).map_err(tls_error)?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(verifier))
        }
    };
    Ok(config.with_no_client_auth())
}

/// libpq's `require`: the handshake is checked (the server holds the key of the certificate it
/// sent), the certificate is not.
#[derive(Debug)]
struct AnyCertificate {
    algorithms: WebPkiSupportedAlgorithms,
}

impl ServerCertVerifier for AnyCertificate {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<rustls::SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn split(url: &str) -> (String, Check) {
        split_tls(url).unwrap()
    }

    #[test]
    fn sslmode_is_read_the_libpq_way() {
        assert_eq!(
            split("postgres://u@h/db"),
            ("postgres://u@h/db".into(), Check::EncryptOnly)
        );
        assert_eq!(
            split("postgres://u@h/db?sslmode=disable&application_name=pave"),
            (
                "postgres://u@h/db?application_name=pave&sslmode=disable".into(),
                Check::Plain
            )
        );
        assert_eq!(
            split("postgres://u@h/db?sslmode=require").1,
            Check::EncryptOnly
        );
        assert_eq!(
            split("postgres://u@h/db?sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem"),
            (
                "postgres://u@h/db".into(),
                Check::VerifyFull {
                    root_cert: Some("/etc/ca.pem".into())
                }
            )
        );
    }

    #[test]
    fn unsupported_tls_settings_name_the_fix() {
        for (url, expected) in [
            (
                "postgres://h/db?sslmode=verify-ca",
                "use sslmode=verify-full",
            ),
            ("postgres://h/db?sslmode=allow", "not one of"),
            ("postgres://h/db?sslrootcert=/ca.pem", "only read with"),
        ] {
            let e = split_tls(url).unwrap_err().to_string();
            assert!(e.starts_with("database: ") && e.contains(expected), "{e}");
        }
    }
}
