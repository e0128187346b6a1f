//! `aibom keygen`: a new ECDSA key pair; the private key is created with mode 0600 and no
//! existing file is ever overwritten.

use crate::ExitStatus;
use crate::cli::{CurveChoice, KeygenArgs, OutputFormat};
use crate::sign::keys::{Curve, SigningKey};
use anyhow::{Context, Result, bail};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;

pub fn run(args: KeygenArgs) -> Result<ExitStatus> {
    for p in [&args.private_key, &args.public_key] {
        if p.exists() {
            bail!("{} exists; refusing to overwrite a key", p.display());
        }
    }
    let key = SigningKey::generate(match args.curve {
        CurveChoice::P256 => Curve::P256,
        CurveChoice::P384 => Curve::P384,
    });
    let private = key.to_pem()?;
    let public = key.verifying_key().to_pem()?;
    write_new(&args.private_key, private.as_bytes(), 0o600)?;
    write_new(&args.public_key, public.as_bytes(), 0o644)?;
    match args.format {
        OutputFormat::Json => {
            let v = serde_json::json!({
                "private_key": args.private_key.display().to_string(),
                "public_key": args.public_key.display().to_string(),
                "curve": match args.curve {
                    CurveChoice::P256 => "p256",
                    CurveChoice::P384 => "p384",
                },
            });
            super::write_stdout((serde_json::to_string_pretty(&v)? + "\n").as_bytes())?;
        }
        OutputFormat::Human => super::note!(
            "wrote {} (private, mode 0600) and {}",
            args.private_key.display(),
            args.public_key.display()
        ),
    }
    Ok(ExitStatus::Success)
}

fn write_new(path: &std::path::Path, bytes: &[u8], mode: u32) -> Result<()> {
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(mode)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)
        .and_then(|_| f.sync_all())
        .with_context(|| format!("writing {}", path.display()))
}
