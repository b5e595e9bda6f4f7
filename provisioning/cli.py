"""``kiosk-provision``: make this terminal known to a central server with a one-time token."""
from __future__ import annotations

import argparse
import socket
import sys

from kiosk.settings import KioskSettings
from provisioning.credentials import TerminalCredentials, load, save
from server_api.client import CentralClient, CentralRejected, CentralUnavailable


def provision(central_url: str, token: str, settings: KioskSettings, name: str) -> TerminalCredentials:
    client = CentralClient(central_url, timeout=settings.http_timeout_s)
    answer = client.enrol(token.strip(), name)
    creds = TerminalCredentials(central_url=central_url.rstrip("/"), terminal_id=answer.terminal_id,
                                secret=answer.secret, centre_id=answer.centre_id,
                                centre_name=answer.centre_name)
    save(settings.credentials_path, creds)
    return creds


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="kiosk-provision", description=(
        "Enrol this terminal with a central server using a one-time token from the staff console."))
    p.add_argument("--central", required=True, help="central server address, e.g. http://127.0.0.1:8800")
    p.add_argument("--token", required=True, help="one-time enrolment token from the console")
    p.add_argument("--data-dir", help="kiosk data folder (default: data/kiosk or KIOSK_DATA_DIR)")
    p.add_argument("--name", default=socket.gethostname(), help="a name staff will see for this terminal")
    p.add_argument("--force", action="store_true", help="replace existing credentials")
    args = p.parse_args(argv)
    settings = KioskSettings(**({"data_dir": args.data_dir} if args.data_dir else {}))
    existing = load(settings.credentials_path)
    if existing and not args.force:
        print(f"此终端已注册（终端 {existing.terminal_id}，{existing.centre_name}）。"
              f"如需重新注册请加 --force。 / Already provisioned; use --force to replace.",
              file=sys.stderr)
        return 2
    try:
        creds = provision(args.central, args.token, settings, args.name)
    except CentralRejected as exc:
        print(f"注册被拒绝：令牌无效、已使用或已过期（{exc.code}）。请在管理台重新生成令牌。 / "
              f"Enrolment refused: the token is invalid, used or expired ({exc.code}).", file=sys.stderr)
        return 1
    except CentralUnavailable as exc:
        print(f"无法连接中心服务器 {args.central}。 / Cannot reach the central server: {exc}",
              file=sys.stderr)
        return 1
    print(f"终端已注册 / Terminal provisioned: {creds.terminal_id} @ {creds.centre_name}")
    print(f"凭据保存于 / Credentials stored in {settings.credentials_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
