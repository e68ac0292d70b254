"""Hatch build hook of the kit's distributions: the sdist holds files, never symlinks.

One copy of a shared file lives in git (the root LICENSE, spec/smspartner.yaml); each
distribution directory links to it (`emulator/LICENSE -> ../LICENSE`, ...) and links to this
file as its `hatch_build.py`. A wheel built from the directory reads through the links, but
hatchling stores a symlink in an sdist as a symlink, which dangles once unpacked (and `build`
refuses to unpack a link that leaves the directory). For the sdist target this hook replaces
every symlink of the project, this file included, by the file it points at; a wheel built
from that sdist then finds real files where the links were.
"""

from __future__ import annotations

import os
from typing import Any

from hatchling.builders.config import BuilderConfig
from hatchling.builders.hooks.plugin.interface import BuildHookInterface

_SKIPPED_DIRS = {".git", ".venv", "build", "dist", "__pycache__", "node_modules"}


def symlinks(root: str) -> dict[str, str]:
    """Each symlink to a file under `root` (its path -> its path relative to `root`)."""
    found: dict[str, str] = {}
    for directory, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIPPED_DIRS)
        for name in sorted(files):
            path = os.path.join(directory, name)
            if os.path.islink(path) and os.path.isfile(path):
                found[path] = os.path.relpath(path, root).replace(os.sep, "/")
    return found


class DereferenceHook(BuildHookInterface[BuilderConfig]):
    """For the sdist: each symlink it holds is stored as the file it points at."""

    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        if self.target_name != "sdist":
            return
        forced: dict[str, str] = build_data["force_include"]
        for source in [path for path in forced if os.path.islink(path)]:
            forced[os.path.realpath(source)] = forced.pop(source)
        for link, relative in symlinks(self.root).items():
            if self.build_config.include_path(relative):
                forced[os.path.realpath(link)] = relative
