"""schema_file.py - shared by the tools that add to a generated schema in place
(schema-subsection-names.py, schema-cpregs.py): write it back with a provenance note."""
import json


def write_with_note(path, doc, note):
    """Append `note` to doc's provenance notes and write doc to path as the generator does."""
    doc.setdefault("provenance", {}).setdefault("notes", []).append(note)
    with open(path, "w") as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write("\n")
