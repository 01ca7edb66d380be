"""The directory as a YAML file: one document per association under `associations:`, with a commented header.

Problems are reported with the line of the value at fault and its YAML path, such as
`associations[0].services[1].phones[0].number`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import yaml

from directory.codes import ServiceStatus
from directory.documents import Path, to_document
from directory.entries import AssociationEntry, Vocabulary
from directory.importing import DirectoryImportError, FileProblem, Locate, check_documents
from foundation.yaml_text import NOT_YAML, dump_yaml, load_yaml, yaml_error_place

*_STATUSES, _LAST_STATUS = ServiceStatus
_YAML_HEADER = (
    "# The directory of the 1001 services helpline: `helpline directory import` reads this file back.\n"
    "# Phones: 'ivr: true' marks the number the voice menu dials. Hours by day (mon ... sun), such as\n"
    f"# mon: ['09:00-12:30', '13:30-17:30']. Service status: {', '.join(_STATUSES)} or {_LAST_STATUS}.\n"
    "# Communes: INSEE codes, or 'all'.\n"
)


def write_yaml(entries: Sequence[AssociationEntry], vocabulary: Vocabulary) -> str:
    """The entries as the YAML document staff edit."""
    documents = [to_document(entry, all_communes=vocabulary.communes) for entry in entries]
    return _YAML_HEADER + dump_yaml({"associations": documents})


def read_yaml(text: str, vocabulary: Vocabulary) -> list[AssociationEntry]:
    """The entries of a YAML document; raises DirectoryImportError listing every problem."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        place = yaml_error_place(exc)
        raise DirectoryImportError([FileProblem(place[0] if place else 1, "", NOT_YAML)]) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("associations"), list):
        raise DirectoryImportError([FileProblem(1, "", "il faut 'associations:' suivi d'une liste")])
    extra = [key for key in data if key != "associations"]
    if extra:
        raise DirectoryImportError(
            [FileProblem(1, str(extra[0]), "inconnu (seul 'associations' est possible)")]
        )

    def locator(index: int) -> Locate:
        def locate(path: Path) -> tuple[int, str]:
            full: Path = ("associations", index, *path)
            return _node_line(root, full), _yaml_path(full)

        return locate

    return check_documents(
        ((document, locator(index)) for index, document in enumerate(data["associations"])), vocabulary
    )


def _node_line(node: yaml.Node | None, path: Path) -> int:
    """The line of the deepest node along `path` (1-based)."""
    line = 1
    for part in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        child: yaml.Node | None = None
        if isinstance(node, yaml.MappingNode):
            child = next((value for key, value in node.value if key.value == str(part)), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
            child = node.value[part]
        node = child
    if node is not None:
        line = node.start_mark.line + 1
    return line


def _yaml_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text
