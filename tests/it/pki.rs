//! Test certificates made at run time: a small DER writer for X.509 v3 certificates (RFC 5280
//! section 4.1) with ECDSA P-256/P-384 keys, so a test can make a CA, an intermediate and a
//! signing certificate with any validity, and write them and their keys as PEM. Nothing here
//! is committed key material.

use aibom::sign::keys::{Curve, SigningKey};
use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

const DAY: i64 = 86_400;

/// One DER TLV (definite length, short or long form).
fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let n = body.len();
    if n < 0x80 {
        out.push(n as u8);
    } else {
        let len = n.to_be_bytes();
        let skip = len.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (len.len() - skip) as u8);
        out.extend_from_slice(&len[skip..]);
    }
    out.extend_from_slice(body);
    out
}

fn seq(parts: &[Vec<u8>]) -> Vec<u8> {
    tlv(0x30, &parts.concat())
}

fn uint(n: u64) -> Vec<u8> {
    let b = n.to_be_bytes();
    let skip = b.iter().take_while(|x| **x == 0).count().min(7);
    let mut body = b[skip..].to_vec();
    if body[0] & 0x80 != 0 {
        body.insert(0, 0);
    }
    tlv(0x02, &body)
}

/// An OBJECT IDENTIFIER from its content octets.
fn oid(content: &[u8]) -> Vec<u8> {
    tlv(0x06, content)
}

const OID_CN: &[u8] = &[0x55, 0x04, 0x03];
const OID_ECDSA_SHA256: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02];
const OID_ECDSA_SHA384: &[u8] = &[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03];
const OID_BASIC_CONSTRAINTS: &[u8] = &[0x55, 0x1d, 0x13];
const OID_KEY_USAGE: &[u8] = &[0x55, 0x1d, 0x0f];

/// `CN=<cn>`.
fn name(cn: &str) -> Vec<u8> {
    seq(&[tlv(0x31, &seq(&[oid(OID_CN), tlv(0x0c, cn.as_bytes())]))])
}

/// UTCTime until 2049, GeneralizedTime after (RFC 5280 section 4.1.2.5).
fn time(unix: i64) -> Vec<u8> {
    let t = jiff::Timestamp::from_second(unix).unwrap();
    let year = t.to_zoned(jiff::tz::TimeZone::UTC).year();
    if (1950..2050).contains(&year) {
        tlv(0x17, t.strftime("%y%m%d%H%M%SZ").to_string().as_bytes())
    } else {
        tlv(0x18, t.strftime("%Y%m%d%H%M%SZ").to_string().as_bytes())
    }
}

fn extension(id: &[u8], critical: bool, value: Vec<u8>) -> Vec<u8> {
    let mut parts = vec![oid(id)];
    if critical {
        parts.push(tlv(0x01, &[0xff]));
    }
    parts.push(tlv(0x04, &value));
    seq(&parts)
}

fn spki_der(key: &SigningKey) -> Vec<u8> {
    pem_body(&key.verifying_key().to_pem().unwrap())
}

fn pem_body(pem: &str) -> Vec<u8> {
    let b64: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    B64.decode(b64).unwrap()
}

/// PEM text of a DER certificate.
pub fn pem(der: &[u8]) -> String {
    let b64 = B64.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// What a certificate is for.
#[derive(Clone, Copy)]
pub enum Usage {
    /// basicConstraints CA=true, keyUsage keyCertSign.
    Ca,
    /// basicConstraints CA=false, keyUsage digitalSignature.
    Signing,
}

/// A certificate over `subject_key`, signed by `issuer_key` for `issuer`, valid from
/// `not_before` to `not_after` (Unix seconds).
#[allow(clippy::too_many_arguments)]
pub fn certificate(
    serial: u64,
    issuer: &str,
    issuer_key: &SigningKey,
    subject: &str,
    subject_key: &SigningKey,
    usage: Usage,
    not_before: i64,
    not_after: i64,
) -> Vec<u8> {
    let alg = seq(&[oid(match issuer_key {
        SigningKey::P256(_) => OID_ECDSA_SHA256,
        SigningKey::P384(_) => OID_ECDSA_SHA384,
    })]);
    let (bc, ku) = match usage {
        Usage::Ca => (seq(&[tlv(0x01, &[0xff])]), tlv(0x03, &[0x02, 0x04])),
        Usage::Signing => (seq(&[]), tlv(0x03, &[0x07, 0x80])),
    };
    let exts = seq(&[
        extension(OID_BASIC_CONSTRAINTS, true, bc),
        extension(OID_KEY_USAGE, true, ku),
    ]);
    let tbs = seq(&[
        tlv(0xa0, &uint(2)),
        uint(serial),
        alg.clone(),
        name(issuer),
        seq(&[time(not_before), time(not_after)]),
        name(subject),
        spki_der(subject_key),
        tlv(0xa3, &exts),
    ]);
    let sig = issuer_key.sign(&tbs);
    let mut bits = vec![0u8];
    bits.extend_from_slice(&sig);
    seq(&[tbs, alg, tlv(0x03, &bits)])
}

/// A certificate authority: its name, key and certificate.
pub struct Ca {
    pub name: String,
    pub key: SigningKey,
    pub der: Vec<u8>,
}

impl Ca {
    /// A self-signed root, valid from a day ago for a year.
    pub fn root(name: &str) -> Ca {
        let key = SigningKey::generate(Curve::P256);
        let t = now();
        let der = certificate(1, name, &key, name, &key, Usage::Ca, t - DAY, t + 365 * DAY);
        Ca {
            name: name.to_owned(),
            key,
            der,
        }
    }

    /// An intermediate CA under this one.
    pub fn intermediate(&self, name: &str) -> Ca {
        let key = SigningKey::generate(Curve::P256);
        let t = now();
        let der = certificate(
            2,
            &self.name,
            &self.key,
            name,
            &key,
            Usage::Ca,
            t - DAY,
            t + 365 * DAY,
        );
        Ca {
            name: name.to_owned(),
            key,
            der,
        }
    }

    /// A signing certificate for `key`, valid from `not_before` to `not_after`.
    pub fn signing(
        &self,
        subject: &str,
        key: &SigningKey,
        not_before: i64,
        not_after: i64,
    ) -> Vec<u8> {
        certificate(
            3,
            &self.name,
            &self.key,
            subject,
            key,
            Usage::Signing,
            not_before,
            not_after,
        )
    }

    /// A signing certificate for `key`, valid from a day ago for thirty days.
    pub fn signing_now(&self, subject: &str, key: &SigningKey) -> Vec<u8> {
        let t = now();
        self.signing(subject, key, t - DAY, t + 30 * DAY)
    }

    /// Writes the CA certificate to `path` as PEM.
    pub fn write(&self, path: &Path) {
        std::fs::write(path, pem(&self.der)).unwrap();
    }
}

/// A new P-384 signing key written to `path` (PKCS#8 PEM).
pub fn key_file(path: &Path) -> SigningKey {
    let k = SigningKey::generate(Curve::P384);
    std::fs::write(path, k.to_pem().unwrap()).unwrap();
    k
}
