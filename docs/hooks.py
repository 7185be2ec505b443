"""The site's MkDocs hooks (mkdocs.yml, `hooks:`; kept out of the site by
`exclude_docs`): in the command reference, each command's `Example:` block
is shown as `--help` prints it, line by line, not run together into one
paragraph. (mkdocs-click drops click's `\\b`, the mark that keeps a
paragraph as written, so the block is known by its shape: a line ending in
a colon, then lines indented under it.)"""

from __future__ import annotations

import textwrap
from typing import Any

from markdown import Extension, Markdown
from markdown.preprocessors import Preprocessor


def heads_a_block(line: str, following: str) -> bool:
    return line.endswith(":") and not line.startswith(" ") and following.startswith("  ") and bool(following.strip())


# The page mkdocs-click writes the reference into: the one page this applies to.
REFERENCE = "cli.md"
on_the_reference = False


class ExampleBlocks(Preprocessor):
    def run(self, lines: list[str]) -> list[str]:
        if not on_the_reference:
            return lines
        shown: list[str] = []
        fenced = False
        at = 0
        while at < len(lines):
            line = lines[at]
            fenced ^= line.lstrip().startswith("```")
            if fenced or at + 1 == len(lines) or not heads_a_block(line, lines[at + 1]):
                shown.append(line)
                at += 1
                continue
            end = at + 1
            while end < len(lines) and lines[end].startswith("  ") and lines[end].strip():
                end += 1
            block = textwrap.dedent("\n".join(lines[at + 1 : end])).splitlines()
            shown += ["", f"**{line}**", "", "```text", *block, "```", ""]
            at = end
        return shown


class ExampleBlocksExtension(Extension):
    def extendMarkdown(self, md: Markdown) -> None:
        # After mkdocs-click (141) has written the commands' help into the page.
        md.preprocessors.register(ExampleBlocks(md), "click_examples", 140)


def on_config(config: Any) -> Any:
    config.markdown_extensions.append(ExampleBlocksExtension())
    return config


def on_page_markdown(markdown: str, page: Any, **_: Any) -> str:
    global on_the_reference
    on_the_reference = page.file.src_uri == REFERENCE
    return markdown
