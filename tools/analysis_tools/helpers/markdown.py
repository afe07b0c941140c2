"""Tables written into a marked section of a docs file (the tools' ``--update-docs``)."""
from __future__ import annotations

from pathlib import Path


def update_section(path: str | Path, section: str, text: str) -> None:
    """Replace the text between ``<!-- SECTION:start -->`` and ``<!-- SECTION:end -->`` of the
    markdown file ``path`` with ``text`` (or append the marked block if the markers are
    absent); the rest of the file is kept byte for byte."""
    path = Path(path)
    start, end = f'<!-- {section}:start -->', f'<!-- {section}:end -->'
    block = f'{start}\n{text}\n{end}'
    doc = path.read_text() if path.exists() else ''
    if start in doc and end in doc:
        doc = doc[:doc.index(start)] + block + doc[doc.index(end) + len(end):]
    else:
        doc = doc.rstrip('\n') + '\n\n' + block + '\n'
    path.write_text(doc)
