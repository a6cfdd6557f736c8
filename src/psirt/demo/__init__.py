"""The bundled demo portfolio: real SBOM and advisory data, see NOTICE beside this file."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path


@dataclass(frozen=True, slots=True)
class DemoRelease:
    product: str
    description: str
    version: str
    status: str
    released_on: str | None
    sbom: str


MANUFACTURER = "Meridian Medical Systems"

PORTFOLIO: tuple[DemoRelease, ...] = (
    DemoRelease(
        "Infusion Pump IP-300",
        "Large-volume infusion pump with drug library and wireless connectivity",
        "4.2.0",
        "fielded",
        "2024-03-18",
        "infusion-pump-4.2.0.cdx.json",
    ),
    DemoRelease(
        "Patient Monitor PM-8",
        "Bedside multi-parameter patient monitor, embedded Linux firmware",
        "7.4.2",
        "fielded",
        "2024-01-22",
        "patient-monitor-fw-7.4.2.cdx.json",
    ),
    DemoRelease(
        "Patient Monitor PM-8",
        "Bedside multi-parameter patient monitor, embedded Linux firmware",
        "7.5.0",
        "development",
        None,
        "patient-monitor-fw-7.5.0.cdx.json",
    ),
    DemoRelease(
        "Clinical Data Gateway",
        "HL7/DICOM integration service between devices and the hospital EHR",
        "3.1.0",
        "fielded",
        "2023-06-05",
        "clinical-gateway-3.1.0.cdx.json",
    ),
    DemoRelease(
        "Clinical Data Gateway",
        "HL7/DICOM integration service between devices and the hospital EHR",
        "3.2.0",
        "development",
        None,
        "clinical-gateway-3.2.0.cdx.json",
    ),
    DemoRelease(
        "Device Fleet Manager",
        "Server managing configuration and updates of the device fleet",
        "2.0.0",
        "released",
        "2024-09-02",
        "fleet-manager-2.0.0.cdx.json",
    ),
    DemoRelease(
        "Imaging Workstation",
        "Diagnostic imaging workstation on AlmaLinux 9",
        "5.1",
        "fielded",
        "2023-11-13",
        "imaging-workstation-5.1.cdx.json",
    ),
)

FEEDS: tuple[str, ...] = (
    "feeds/osv-pypi-slice.zip",
    "feeds/osv-go-slice.zip",
    "feeds/osv-almalinux9-slice.zip",
    "feeds/nvd",
    "feeds/kev-slice.json",
)


def data_dir() -> Path:
    return Path(str(resources.files("psirt.demo") / "data"))
