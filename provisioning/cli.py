"""``kiosk-provision``: make this terminal known to a central server with a one-time token.

The terminal makes its own Ed25519 key pair here; only the public key is sent, with the
token. The private key stays in the kiosk data folder (mode 0600) and signs every later
request. Provisioning again (``--force``, e.g. after staff revoked the terminal) makes a
new key pair and needs a new token.
"""
from __future__ import annotations

import argparse
import socket
import sys
from pathlib import Path

from kiosk.settings import KioskSettings
from provisioning.content_root import check_root, install as content_root_install
from provisioning.credentials import TerminalCredentials, key_path_for, load, outdated, save
from server_api import signing
from server_api.client import CentralClient, CentralError, CentralRejected, CentralUnavailable


def provision(central_url: str, token: str, settings: KioskSettings, name: str,
              content_root: Path | None = None) -> TerminalCredentials:
    """Make a key pair, enrol its public key with ``token``, store the credentials.

    Nothing is written unless the server accepted the enrolment.
    """
    if content_root is not None:
        check_root(Path(content_root).read_bytes())  # a wrong file fails before enrolment
    key = signing.generate_private_key()
    client = CentralClient(central_url, timeout=settings.http_timeout_s)
    answer = client.enrol(token.strip(), name, signing.public_key_pem(key))
    creds = TerminalCredentials(
        central_url=central_url.rstrip("/"), terminal_id=answer.terminal_id,
        centre_id=answer.centre_id, centre_name=answer.centre_name,
        private_key_path=key_path_for(settings.credentials_path, answer.terminal_id).resolve())
    save(settings.credentials_path, creds, key)
    signed = CentralClient(creds.central_url, creds.terminal_id, key, timeout=settings.http_timeout_s)
    try:
        content_root_install(settings.data_dir, signed, content_root)
    except (CentralError, OSError, ValueError) as exc:
        print(f"注意：内容更新的信任根未安装，终端不会更新课程内容（{exc}）。请用 --content-root 重新注册。 / "
              f"Warning: no trusted content root installed; content updates stay off.",
              file=sys.stderr)
    return creds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kiosk-provision", description=(
        "Enrol this terminal with a central server using a one-time token from the staff console."))
    p.add_argument("--central", required=True, help="central server address, e.g. http://127.0.0.1:8800")
    p.add_argument("--token", required=True, help="one-time enrolment token from the console")
    p.add_argument("--data-dir", help="kiosk data folder (default: data/kiosk or KIOSK_DATA_DIR)")
    p.add_argument("--name", default=socket.gethostname(), help="a name staff will see for this terminal")
    p.add_argument("--content-root", type=Path, help=(
        "the content repository's root.json from the central server (its data folder "
        "tuf/metadata/root.json); default: fetched at enrolment"))
    p.add_argument("--force", action="store_true",
                   help="replace existing credentials (a new key pair; needs a new token)")
    args = p.parse_args(argv)
    settings = KioskSettings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    existing = load(settings.credentials_path)
    if existing and not args.force:
        print(f"此终端已注册（终端 {existing.terminal_id}，{existing.centre_name}）。"
              f"如需重新注册请加 --force。 / Already provisioned; use --force to replace.",
              file=sys.stderr)
        return 2
    if outdated(settings.credentials_path):
        print("旧版凭据（共享密钥）已不再有效，将以新密钥对重新注册。 / "
              "The old shared-secret credentials are no longer accepted; enrolling with a new key pair.",
              file=sys.stderr)
    try:
        creds = provision(args.central, args.token, settings, args.name, args.content_root)
    except CentralRejected as exc:
        if exc.code == "enrol_token_invalid":
            print(f"注册被拒绝：令牌无效、已使用或已过期（{exc.code}）。请在管理台重新生成令牌。 / "
                  f"Enrolment refused: the token is invalid, used or expired ({exc.code}).",
                  file=sys.stderr)
        else:
            print(f"注册被拒绝（{exc.code}）。 / Enrolment refused: {exc.message}", file=sys.stderr)
        return 1
    except (OSError, ValueError) as exc:
        print(f"内容信任根文件无效，未注册（{exc}）。 / The --content-root file is not a valid "
              f"TUF root; nothing was enrolled.", file=sys.stderr)
        return 1
    except CentralUnavailable as exc:
        print(f"无法连接中心服务器 {args.central}。 / Cannot reach the central server: {exc}",
              file=sys.stderr)
        return 1
    print(f"终端已注册 / Terminal provisioned: {creds.terminal_id} @ {creds.centre_name}")
    print(f"凭据保存于 / Credentials stored in {settings.credentials_path}")
    print(f"私钥（仅存于本机）/ Private key (never leaves this terminal): {creds.private_key_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
