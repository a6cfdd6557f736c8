"""Build the demo portfolio bundled in src/psirt/demo/data from ../shared/data.

The portfolio is four medical products. Their SBOMs are written here (the infusion pump's is the
real anonymised device SBOM from spacelab-ccny/sbom-completeness); the advisories are the real
records that name the portfolio's packages, sliced from the public databases named in NOTICE.

    python scripts/build_demo_data.py [--shared ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import shutil
import uuid
import zipfile
from pathlib import Path

import yaml

OUT = Path(__file__).resolve().parent.parent / "src" / "psirt" / "demo" / "data"

PY_GATEWAY_310 = {
    "django": "3.2.10",
    "jinja2": "2.11.2",
    "pyyaml": "5.3.1",
    "urllib3": "1.26.4",
    "requests": "2.25.1",
    "cryptography": "3.3.1",
    "pillow": "8.1.0",
    "flask": "1.1.2",
    "werkzeug": "1.0.1",
    "sqlalchemy": "1.3.23",
    "lxml": "4.6.2",
    "pydicom": "2.1.2",
    "hl7apy": "1.3.4",
    "gunicorn": "20.0.4",
    "paramiko": "2.7.1",
}
PY_GATEWAY_320 = {
    **PY_GATEWAY_310,
    "django": "4.2.16",
    "jinja2": "3.1.4",
    "pyyaml": "6.0.1",
    "urllib3": "2.2.2",
    "requests": "2.32.3",
    "cryptography": "43.0.1",
    "pillow": "10.4.0",
    "flask": "3.0.3",
    "werkzeug": "3.0.4",
    "lxml": "5.3.0",
    "gunicorn": "23.0.0",
    "paramiko": "3.4.1",
}
GO_FLEET = {
    "golang.org/x/net": "v0.0.0-20210226172049-e18ecbb05110",
    "golang.org/x/crypto": "v0.0.0-20201221181555-eec23a3978ad",
    "golang.org/x/text": "v0.3.5",
    "github.com/gin-gonic/gin": "v1.6.3",
    "google.golang.org/grpc": "v1.36.0",
    "gopkg.in/yaml.v3": "v3.0.0-20200615113413-eeeca48fe776",
    "github.com/golang-jwt/jwt/v4": "v4.2.0",
    "github.com/prometheus/client_golang": "v1.11.0",
}
ALMA_WORKSTATION = {
    "openssl": "1:3.0.1-23.el9_0",
    "curl": "7.76.1-14.el9",
    "sudo": "1.9.5p2-7.el9",
    "glibc": "2.34-28.el9_0",
    "openssh": "8.7p1-8.el9",
    "systemd": "250-6.el9_0",
    "bash": "5.1.8-4.el9",
    "zlib": "1.2.11-31.el9",
    "polkit": "0.117-8.el9",
}
MONITOR_FIRMWARE = [
    # name, version, vendor, product, supplier, item class
    ("libwebp", "1.3.1", "webmproject", "libwebp", "WebM Project", "maintained"),
    ("busybox", "1.31.1", "busybox", "busybox", "BusyBox", "maintained"),
    ("xz", "5.6.0", "tukaani", "xz", "Tukaani Project", "maintained"),
    ("open62541", "1.2.4", "open62541", "open62541", "open62541", "maintained"),
    ("libcurl", "8.4.0", "haxx", "libcurl", "curl project", "maintained"),
    ("openjpeg", "2.5.0", "uclouvain", "openjpeg", "UCLouvain", "supported"),
    ("samba", "4.15.5", "samba", "samba", "Samba Team", "required"),
]
# The next firmware release: the vulnerable embedded parts upgraded.
MONITOR_FIRMWARE_NEXT = [
    ("libwebp", "1.3.2", "webmproject", "libwebp", "WebM Project", "maintained"),
    ("busybox", "1.36.1", "busybox", "busybox", "BusyBox", "maintained"),
    ("xz", "5.6.2", "tukaani", "xz", "Tukaani Project", "maintained"),
    ("open62541", "1.3.9", "open62541", "open62541", "open62541", "maintained"),
    ("libcurl", "8.4.0", "haxx", "libcurl", "curl project", "maintained"),
    ("openjpeg", "2.5.0", "uclouvain", "openjpeg", "UCLouvain", "supported"),
    ("samba", "4.15.5", "samba", "samba", "Samba Team", "required"),
]


def cdx(name: str, version: str, components: list[dict], *, device: bool = False) -> dict:
    return {
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": str(uuid.uuid5(uuid.NAMESPACE_URL, f"psirt-demo:{name}:{version}")).join(
            ("urn:uuid:", "")
        ),
        "version": 1,
        "metadata": {
            "timestamp": "2026-10-01T09:00:00Z",
            "authors": [{"name": "Product Security Team", "email": "psirt@example.org"}],
            "component": {
                "type": "device" if device else "application",
                "bom-ref": f"{name}@{version}",
                "name": name,
                "version": version,
                "supplier": {"name": "Meridian Medical Systems"},
            },
        },
        "components": components,
        "dependencies": [
            {"ref": f"{name}@{version}", "dependsOn": [c["bom-ref"] for c in components]}
        ],
    }


def lib(name: str, version: str, purl: str, supplier: str, item_class: str | None = None) -> dict:
    c = {
        "type": "library",
        "bom-ref": purl,
        "supplier": {"name": supplier},
        "name": name,
        "version": version,
        "purl": purl,
    }
    if item_class:
        c["properties"] = [{"name": "psirt:item_class", "value": item_class}]
    return c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument(
        "--shared", type=Path, default=Path(__file__).resolve().parents[2] / "shared" / "data"
    )
    args = ap.parse_args()
    shared: Path = args.shared
    for derived in (OUT / "sbom", OUT / "feeds"):
        if derived.exists():
            shutil.rmtree(derived)
    (OUT / "sbom").mkdir(parents=True)
    (OUT / "feeds").mkdir(parents=True)

    # SBOMs
    shutil.copyfile(
        shared / "sbom/medical/sbom-completeness/narrow.sbom.json",
        OUT / "sbom/infusion-pump-4.2.0.cdx.json",
    )
    for version, pkgs in (("3.1.0", PY_GATEWAY_310), ("3.2.0", PY_GATEWAY_320)):
        comps = [
            lib(n, v, f"pkg:pypi/{n}@{v}", "Python Package Index", "supported")
            for n, v in sorted(pkgs.items())
        ]
        (OUT / f"sbom/clinical-gateway-{version}.cdx.json").write_text(
            json.dumps(cdx("Clinical Data Gateway", version, comps), indent=1)
        )
    comps = [
        lib(n, v, f"pkg:golang/{n}@{v}", "Go module proxy", "maintained")
        for n, v in sorted(GO_FLEET.items())
    ]
    (OUT / "sbom/fleet-manager-2.0.0.cdx.json").write_text(
        json.dumps(cdx("Device Fleet Manager", "2.0.0", comps), indent=1)
    )
    comps = [
        lib(
            n,
            v,
            f"pkg:rpm/almalinux/{n}@{v}?arch=x86_64&distro=almalinux-9",
            "AlmaLinux OS Foundation",
            "required",
        )
        for n, v in sorted(ALMA_WORKSTATION.items())
    ]
    (OUT / "sbom/imaging-workstation-5.1.cdx.json").write_text(
        json.dumps(cdx("Imaging Workstation", "5.1", comps), indent=1)
    )
    for fw_version, parts in (("7.4.2", MONITOR_FIRMWARE), ("7.5.0", MONITOR_FIRMWARE_NEXT)):
        comps = [
            {
                "type": "library",
                "bom-ref": f"fw:{name}",
                "supplier": {"name": supplier},
                "name": name,
                "version": version,
                "cpe": f"cpe:2.3:a:{vendor}:{product}:{version}:*:*:*:*:*:*:*",
                "properties": [{"name": "psirt:item_class", "value": cls}],
            }
            for name, version, vendor, product, supplier, cls in parts
        ]
        doc = cdx("Patient Monitor PM-8 firmware", fw_version, comps, device=True)
        (OUT / f"sbom/patient-monitor-fw-{fw_version}.cdx.json").write_text(
            json.dumps(doc, indent=1)
        )

    # OSV slices: every record that names one of the portfolio's packages.
    def slice_zip(src: Path, names: set[str], ecosystem_prefix: str, out: Path) -> int:
        kept = 0
        with zipfile.ZipFile(src) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
            for info in sorted(zin.infolist(), key=lambda i: i.filename):
                if not info.filename.endswith((".json", ".yaml")):
                    continue
                raw = zin.read(info)
                try:
                    rec = (
                        json.loads(raw) if info.filename.endswith(".json") else yaml.safe_load(raw)
                    )
                except ValueError:
                    continue
                if any(
                    a.get("package", {}).get("ecosystem", "").startswith(ecosystem_prefix)
                    and a["package"].get("name", "").lower() in names
                    for a in rec.get("affected", [])
                ):
                    # A fixed timestamp keeps the archive byte-identical between builds.
                    member = zipfile.ZipInfo(info.filename, date_time=(2026, 1, 1, 0, 0, 0))
                    member.compress_type = zipfile.ZIP_DEFLATED
                    zout.writestr(member, raw)
                    kept += 1
        return kept

    print(
        "pypi",
        slice_zip(
            shared / "osv/pypi-pypa-advisory-database.zip",
            set(PY_GATEWAY_310),
            "PyPI",
            OUT / "feeds/osv-pypi-slice.zip",
        ),
    )
    print(
        "go",
        slice_zip(
            shared / "osv/go-vulndb-osv.zip", set(GO_FLEET), "Go", OUT / "feeds/osv-go-slice.zip"
        ),
    )
    print(
        "alma",
        slice_zip(
            shared / "osv/almalinux9-osv.zip",
            set(ALMA_WORKSTATION),
            "AlmaLinux",
            OUT / "feeds/osv-almalinux9-slice.zip",
        ),
    )

    # NVD records for the firmware's embedded components (CPE matching).
    nvd_dir = OUT / "feeds/nvd"
    nvd_dir.mkdir()
    for cve in (
        "CVE-2023-4863",
        "CVE-2018-1000500",
        "CVE-2024-3094",
        "CVE-2022-25761",
        "CVE-2022-32746",
    ):
        shutil.copyfile(
            shared / f"nvd/osv.dev-nvdcve-2.0/test_data/nvdcve-2.0/{cve}.json",
            nvd_dir / f"{cve}.json",
        )

    # KEV: the catalogue's entries for CVEs the portfolio meets, in the catalogue's own layout.
    kev = json.loads((shared / "kev/known_exploited_vulnerabilities.json").read_text())
    portfolio_ids: set[str] = set()
    for z in (OUT / "feeds").glob("*.zip"):
        with zipfile.ZipFile(z) as zf:
            for n in zf.namelist():
                raw = zf.read(n)
                rec = json.loads(raw) if n.endswith(".json") else yaml.safe_load(raw)
                portfolio_ids.update([rec["id"], *rec.get("aliases", []), *rec.get("related", [])])
    portfolio_ids.update(p.stem for p in nvd_dir.glob("*.json"))
    kept = [v for v in kev["vulnerabilities"] if v["cveID"] in portfolio_ids]
    kev["vulnerabilities"] = kept
    kev["count"] = len(kept)
    (OUT / "feeds/kev-slice.json").write_text(json.dumps(kev, indent=1))
    print("kev", len(kept), sorted(v["cveID"] for v in kept))


if __name__ == "__main__":
    main()
