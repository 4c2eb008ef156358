"""A griffe extension for the API page (mkdocs.yml loads it): s2s_ad's docstrings are
written for ``help()`` and doctest, in reStructuredText habits; this reads them as Markdown.

- a run of doctest lines (``>>>`` and its output, up to a blank line) becomes a fenced
  Python block, without ``<BLANKLINE>`` and ``# doctest:`` flags;
- a simple table (rows between ``=====  ===`` borders) becomes a fenced text block;
- a paragraph ending in ``::`` ends in ``:`` (the indented block after it is already a code
  block in Markdown);
- ``:func:`name``` and the other roles become ``name`` in code.

Only the rendered page changes; the docstrings stay as they are.
"""

import re

from griffe import Extension

_BORDER = re.compile(r"^\s*=+(\s+=+)+\s*$")
_ROLE = re.compile(r":(?:func|class|meth|mod|data|attr|exc|obj):`~?([^`]+)`")
_FLAGS = re.compile(r"\s*# doctest:.*$")


def markdown(text: str) -> str:
    """The docstring ``text`` with doctests and simple tables fenced, roles as code."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    literal_indent = None  # inside the indented block after a "::" paragraph
    while i < len(lines):
        line = lines[i]
        indent = len(line) - len(line.lstrip())
        if literal_indent is not None:
            if line.strip() and indent <= literal_indent:
                literal_indent = None
            else:
                out.append(line)
                i += 1
                continue
        if line.lstrip().startswith(">>>"):
            out.append(" " * indent + "```python")
            while i < len(lines) and lines[i].strip():
                out.append(_FLAGS.sub("", lines[i].replace("<BLANKLINE>", "")))
                i += 1
            out.append(" " * indent + "```")
            continue
        if _BORDER.match(line):
            out.append(" " * indent + "```text")
            while i < len(lines) and lines[i].strip():
                out.append(lines[i])
                i += 1
            out.append(" " * indent + "```")
            continue
        if line.rstrip().endswith("::"):
            literal_indent = indent
            line = line.rstrip()[:-1]
            if line.strip() == ":":
                line = ""
        out.append(_ROLE.sub(r"`\1`", line))
        i += 1
    return "\n".join(out)


class DoctestBlocks(Extension):
    """Rewrite each docstring as :func:`markdown` says, as griffe loads the object."""

    def on_instance(self, *, obj, **kwargs) -> None:  # noqa: ANN001, ANN003
        if obj.docstring is not None:
            obj.docstring.value = markdown(obj.docstring.value)
