"""The content repository's trusted root (TUF), installed on the terminal at provisioning.

Every later content update is verified against this root, so it must come from the
centre: either a file the technician brings (``--content-root``, copied from the
server's ``<data_dir>/tuf/metadata/root.json``), or fetched once over the enrolment
channel right after the terminal was accepted (trust on first use, on site).
"""
from __future__ import annotations

from pathlib import Path

from content.updater import ContentUpdater
from server_api.client import CentralClient



def check_root(data: bytes) -> None:
    """Raise ValueError unless ``data`` is TUF root metadata signed by its own keys."""
    from tuf.api.metadata import Metadata, Root

    try:
        md = Metadata.from_bytes(data)
    except Exception as exc:  # noqa: BLE001 - any parse failure is "not a root"
        raise ValueError(f"not TUF metadata: {exc}") from None
    if not isinstance(md.signed, Root):
        raise ValueError("not root metadata")
    try:
        md.signed.verify_delegate(Root.type, md.signed_bytes, md.signatures)
    except Exception as exc:  # noqa: BLE001 - tuf's UnsignedMetadataError and kin
        raise ValueError(f"root not signed by its own keys: {exc}") from None


def install(data_dir: Path, client: CentralClient, pinned: Path | None = None) -> int:
    """Install the trusted root; returns its version. Raises on anything else."""
    import json

    if pinned:
        data = Path(pinned).read_bytes()
    else:
        fetched = client.content_metadata("root.json", Path(data_dir) / "content_tuf" / ".root.fetched")
        data = fetched.read_bytes()
        fetched.unlink()
    check_root(data)
    ContentUpdater(data_dir, None).install_root(data)
    return int(json.loads(data)["signed"]["version"])
