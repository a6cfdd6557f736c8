"""Build src/psirt/publish/data/cwe-names.json from MITRE's CWE catalogue (XML).

CSAF 2.0 mandatory test 6.1.11 checks that a vulnerability's ``cwe`` names an existing CWE
entry by its name. CSAF 2.0 does not say which CWE release a document follows, so every name
an entry has had (the current one and each ``Previous_Entry_Name`` of its content history)
is kept.

    python scripts/build_cwe_names.py cwec_v4.14.xml

The catalogue is MITRE's ``cwec_vX.Y.xml`` (https://cwe.mitre.org/data/downloads.html); the
one used for the shipped table is the copy inside the ``cwe2`` package (3.0.0) on PyPI.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from defusedxml import ElementTree

OUT = Path(__file__).resolve().parent.parent / "src" / "psirt" / "publish" / "data" / "cwe-names.json"
NS = "{http://cwe.mitre.org/cwe-7}"


def build(xml_path: Path) -> dict[str, object]:
    root = ElementTree.parse(xml_path).getroot()
    entries: dict[str, list[str]] = {}
    for kind in ("Weakness", "Category", "View"):
        for entry in root.iter(f"{NS}{kind}"):
            names = [entry.attrib["Name"]]
            for old in entry.iter(f"{NS}Previous_Entry_Name"):
                text = (old.text or "").strip()
                if text and text not in names:
                    names.append(text)
            entries[entry.attrib["ID"]] = names
    return {
        "catalogue": "CWE",
        "version": root.attrib["Version"],
        "date": root.attrib["Date"],
        "notice": (
            "Copyright (c) 2006-2024, The MITRE Corporation. CWE and the CWE logo are "
            "trademarks of The MITRE Corporation. Used under the CWE Terms of Use "
            "(https://cwe.mitre.org/about/termsofuse.html)."
        ),
        "names": dict(sorted(entries.items(), key=lambda kv: int(kv[0]))),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("xml", type=Path, help="MITRE CWE catalogue, cwec_vX.Y.xml")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    table = build(args.xml)
    names = table.pop("names")
    assert isinstance(names, dict)
    head = json.dumps(table, ensure_ascii=False, indent=1)[:-2]  # without the closing brace
    lines = [f"  {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}" for k, v in names.items()]
    text = head + ',\n "names": {\n' + ",\n".join(lines) + "\n }\n}\n"
    json.loads(text)  # the table is JSON
    args.out.write_text(text, encoding="utf-8")
    table["names"] = names
    print(f"{args.out}: {len(table['names'])} entries of CWE {table['version']}")


if __name__ == "__main__":
    main()
