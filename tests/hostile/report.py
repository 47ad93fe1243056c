"""Write the "Bad input" and "Hostile artifacts" tables of docs/reliability.md.

    HOSTILE_RESULTS=build/hostile pytest tests/hostile/test_corpus.py   # writes <kind>.json
    python -m tests.hostile.report build/hostile docs/reliability.md

`make hostile` runs both. The tables replace what is between each section's
``<!-- hostile:NAME -->`` and ``<!-- /hostile:NAME -->`` markers; the prose around
them is kept. test_report.py checks the tables still match the corpus and the cases.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from tests.hostile.artifacts import ARTIFACTS


def bad_input_table(results: list[dict[str, object]]) -> str:
    kinds = [str(result["kind"]) for result in results]
    categories = sorted({c for r in results for c in r["categories"]})  # type: ignore[attr-defined]
    lines = [
        "| Category | " + " | ".join(kinds) + " |",
        "|---|" + "---|" * len(kinds),
    ]
    for category in categories:
        cells = []
        for result in results:
            counts: dict[str, int] = result["categories"].get(category, {})  # type: ignore[attr-defined]
            cells.append(", ".join(f"{n}x {status}" for status, n in sorted(counts.items())) or "-")
        lines.append(f"| {category} | " + " | ".join(cells) + " |")
    lines.append("| **requests** | " + " | ".join(str(r["requests"]) for r in results) + " |")
    lines.append("| **5xx** | " + " | ".join(str(r["server_errors"]) for r in results) + " |")
    lines.append(
        "| **RSS before / after (MiB)** | "
        + " | ".join(
            f"{int(r['rss_before']) / 2**20:.0f} / {int(r['rss_after']) / 2**20:.0f}"
            for r in results
        )
        + " |"
    )
    return "\n".join(lines)


def artifacts_table() -> str:
    lines = ["| Format | Archive | Refused with (message names) |", "|---|---|---|"]
    lines += [f"| {a.format} | {a.name} | `{a.refusal}` |" for a in ARTIFACTS]
    return "\n".join(lines)


def replace_section(document: str, name: str, table: str) -> str:
    pattern = re.compile(rf"(<!-- hostile:{name} -->\n).*?(\n<!-- /hostile:{name} -->)", re.S)
    if not pattern.search(document):
        raise SystemExit(f"no <!-- hostile:{name} --> markers in the document")
    return pattern.sub(lambda match: match.group(1) + table + match.group(2), document)


def main(results_dir: Path, document_path: Path) -> None:
    results = [json.loads(p.read_text()) for p in sorted(results_dir.glob("*.json"))]
    if not results:
        raise SystemExit(f"no results in {results_dir}; run the corpus with HOSTILE_RESULTS set")
    document = document_path.read_text()
    document = replace_section(document, "bad-input", bad_input_table(results))
    document = replace_section(document, "artifacts", artifacts_table())
    document_path.write_text(document)


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
