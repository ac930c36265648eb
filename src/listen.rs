//! Addresses the servers listen on (`watch`, `run`, `mock`): `--listen` as people write it
//! (`127.0.0.1:8788`, `localhost:8788`, `[::1]:0`), and a bind failure that says what to do.

use crate::error::AppError;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};

/// Parses `--listen`: an IP address and port, or `localhost:PORT` (127.0.0.1).
pub fn parse(s: &str) -> Result<SocketAddr, String> {
    let s = s.trim();
    if let Ok(a) = s.parse::<SocketAddr>() {
        return Ok(a);
    }
    match s.rsplit_once(':') {
        Some((host, port)) if host.eq_ignore_ascii_case("localhost") => port
            .parse::<u16>()
            .map(|p| SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), p))
            .map_err(|_| format!("`{port}` is not a port (0 to 65535; 0 picks a free one)")),
        _ => Err("expected HOST:PORT with an IP address or localhost, e.g. 127.0.0.1:8788 (port 0 picks a free one)".to_string()),
    }
}

/// Whether only this machine can reach `addr`.
pub fn is_loopback(addr: &SocketAddr) -> bool {
    addr.ip().is_loopback()
}

/// The error for a failed bind; a port in use gets the way out.
pub fn bind_error(addr: SocketAddr, e: &std::io::Error) -> AppError {
    if e.kind() == std::io::ErrorKind::AddrInUse {
        return AppError::Network(format!(
            "cannot listen on {addr}: the port is in use; pick another, or a free one with --listen 127.0.0.1:0"
        ));
    }
    AppError::Network(format!("cannot listen on {addr}: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_as_people_write_them() {
        assert_eq!(parse("127.0.0.1:8788").unwrap().port(), 8788);
        let l = parse("localhost:8788").unwrap();
        assert!(is_loopback(&l) && l.port() == 8788);
        assert!(is_loopback(&parse("[::1]:0").unwrap()));
        assert!(parse("localhost:http").unwrap_err().contains("not a port"));
        assert!(parse("example.com:80").unwrap_err().contains("localhost"));
    }

    #[test]
    fn a_port_in_use_says_what_to_do() {
        let e = std::io::Error::from(std::io::ErrorKind::AddrInUse);
        let msg = bind_error("127.0.0.1:8787".parse().unwrap(), &e).to_string();
        assert!(msg.contains("--listen 127.0.0.1:0"), "{msg}");
    }
}
