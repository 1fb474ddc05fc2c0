//! TLS and proxies as corporate networks have them: a certificate authority made here (as a company's
//! TLS-inspecting CA would be), trusted through `SSL_CERT_FILE` / `SSL_CERT_DIR`; and an `HTTPS_PROXY`
//! that carries a non-loopback API URL through `CONNECT`. Everything stays on loopback.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};

use crate::util::*;

const P006: &str = "94d9697d90f945358de0843f5f971d3c";

/// A certificate authority, and a loopback listener that terminates TLS with a certificate it signed for
/// `names`, passing each request to the sandbox over plain HTTP (one request per connection).
struct TlsFront {
    addr: SocketAddr,
    ca_pem: String,
}

impl TlsFront {
    fn start(backend: SocketAddr, names: &[&str]) -> TlsFront {
        let ca_key = rcgen::KeyPair::generate().unwrap();
        let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
        ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
        ca_params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "Acme TLS inspection CA (test)");
        let ca = rcgen::CertifiedIssuer::self_signed(ca_params, ca_key).unwrap();
        let leaf_key = rcgen::KeyPair::generate().unwrap();
        let leaf_params =
            rcgen::CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>())
                .unwrap();
        let leaf = leaf_params.signed_by(&leaf_key, &ca).unwrap();
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(leaf_key.serialize_der().into());
        let config = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![leaf.der().clone()], key)
        .unwrap();
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            for tcp in listener.incoming().flatten() {
                let config = Arc::clone(&config);
                std::thread::spawn(move || {
                    let conn = rustls::ServerConnection::new(config).unwrap();
                    let mut tls = rustls::StreamOwned::new(conn, tcp);
                    let Some(request) = read_request(&mut tls) else {
                        return;
                    };
                    let mut up = TcpStream::connect(backend).unwrap();
                    up.write_all(&request).unwrap();
                    let mut response = vec![];
                    let _ = up.read_to_end(&mut response);
                    let _ = tls.write_all(&response);
                    tls.conn.send_close_notify();
                    let _ = tls.flush();
                });
            }
        });
        TlsFront {
            addr,
            ca_pem: ca.pem(),
        }
    }
}

/// One HTTP request (head and body), with `Connection: close` so that the sandbox ends the exchange.
fn read_request(stream: &mut impl Read) -> Option<Vec<u8>> {
    let mut reader = BufReader::new(stream);
    let mut head = vec![];
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        let lower = line.to_ascii_lowercase();
        if let Some(v) = lower.strip_prefix("content-length:") {
            length = v.trim().parse().ok()?;
        }
        if lower.starts_with("connection:") {
            continue;
        }
        if line == "\r\n" {
            head.extend_from_slice(b"Connection: close\r\n\r\n");
            break;
        }
        head.extend_from_slice(line.as_bytes());
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    head.extend_from_slice(&body);
    Some(head)
}

/// An HTTP proxy that answers `CONNECT` by tunnelling to `target` (whatever host was asked for), and
/// records every request line it saw.
fn connect_proxy(target: SocketAddr) -> (SocketAddr, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(vec![]));
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let log = Arc::clone(&seen);
    std::thread::spawn(move || {
        for mut client in listener.incoming().flatten() {
            let log = Arc::clone(&log);
            std::thread::spawn(move || {
                let mut reader = BufReader::new(client.try_clone().unwrap());
                let mut first = String::new();
                reader.read_line(&mut first).unwrap();
                let mut rest = first.clone();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap() == 0 || line == "\r\n" {
                        break;
                    }
                    rest.push_str(&line);
                }
                log.lock().unwrap().push(rest);
                if !first.starts_with("CONNECT ") {
                    let _ = client.write_all(b"HTTP/1.1 405 Method Not Allowed\r\n\r\n");
                    return;
                }
                let up = TcpStream::connect(target).unwrap();
                client
                    .write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    .unwrap();
                let (mut up_read, mut client_write) = (up.try_clone().unwrap(), client);
                let mut up_write = up;
                let pump = std::thread::spawn(move || {
                    let _ = std::io::copy(&mut reader, &mut up_write);
                    let _ = up_write.shutdown(std::net::Shutdown::Write);
                });
                let _ = std::io::copy(&mut up_read, &mut client_write);
                let _ = client_write.shutdown(std::net::Shutdown::Write);
                let _ = pump.join();
            });
        }
    });
    (addr, seen)
}

fn sync_with(w: &World, api: &str, envs: &[(&str, &Path)]) -> std::process::Output {
    let mut c = w.command(&bin("git-notion"));
    c.arg("sync").env("GIT_NOTION_API_URL", api);
    for (k, v) in envs {
        c.env(k, v);
    }
    c.output().unwrap()
}

/// A network that inspects TLS with its own CA: trusted once `SSL_CERT_FILE` or `SSL_CERT_DIR` names it
/// (as curl and git do), and the error says so until then.
#[test]
fn a_custom_certificate_authority_is_trusted_through_ssl_cert_file_or_dir() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #006 secrets");
    let front = TlsFront::start(w.sb.addr(), &["localhost", "127.0.0.1"]);
    let api = format!("https://localhost:{}", front.addr.port());
    let dir = w.repo.parent().unwrap().join("ca");
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("acme-ca.pem");
    std::fs::write(&ca_file, &front.ca_pem).unwrap();

    let out = sync_with(&w, &api, &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(err.contains("UnknownIssuer"), "{err}");
    assert!(err.contains("SSL_CERT_FILE"), "{err}");
    assert_eq!(w.prop(P006, "状态"), "未开始");

    let out = sync_with(&w, &api, &[("SSL_CERT_DIR", &dir)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.prop(P006, "状态"), "进行中");
    w.commit_without_hook("fix: 完成 #006 rotated");
    let out = sync_with(&w, &api, &[("SSL_CERT_FILE", &ca_file)]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.prop(P006, "状态"), "完成");
}

/// A non-loopback API URL goes through `HTTPS_PROXY` with `CONNECT` (the token travels inside TLS, never
/// to the proxy); a loopback URL never uses the proxy.
#[test]
fn https_proxy_carries_a_non_loopback_api_url_and_never_sees_the_token() {
    let w = World::new("zh", &format!("{ZH_CONFIG}{FAST}"));
    w.commit_without_hook("feat: #006 secrets");
    let front = TlsFront::start(w.sb.addr(), &["api.notion.test"]);
    let (proxy, seen) = connect_proxy(front.addr);
    let dir = w.repo.parent().unwrap().join("ca");
    std::fs::create_dir_all(&dir).unwrap();
    let ca_file = dir.join("acme-ca.pem");
    std::fs::write(&ca_file, &front.ca_pem).unwrap();
    let proxy_url = format!("http://{proxy}");
    let out = sync_with(
        &w,
        "https://api.notion.test",
        &[
            ("SSL_CERT_FILE", &ca_file),
            ("HTTPS_PROXY", Path::new(&proxy_url)),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(w.prop(P006, "状态"), "进行中");
    let log = seen.lock().unwrap().join("\n");
    assert!(log.starts_with("CONNECT api.notion.test:443 "), "{log}");
    assert!(!log.contains(&w.token), "the proxy saw the token: {log}");
    // The sandbox on loopback: never through the proxy.
    let before = seen.lock().unwrap().len();
    w.commit_without_hook("chore: #006 again");
    let mut c = w.command(&bin("git-notion"));
    let out = c
        .arg("sync")
        .env("HTTPS_PROXY", &proxy_url)
        .env("HTTP_PROXY", &proxy_url)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(seen.lock().unwrap().len(), before);
}
