"""`caseway translations`: keep the diagrams' French catalog in step with the diagrams.

    caseway translations update [PATHS]   extract every diagram text into workflows.pot and merge
                                          it into each language's workflows.po
    caseway translations compile          write the .mo files the pages read
    caseway translations missing [PATHS]  list texts without a translation (exit 1 if any)

PATHS default to the workflows folder; the catalogs live in its `translations/` folder.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from engine.config import Settings
from engine.definitions.compile import read_paths
from engine.definitions.texts import (
    DOMAIN,
    DiagramText,
    catalog_directory,
    has_translation,
    texts_of_files,
)

LANGUAGES = ("fr",)


def register(sub: Any, group: Callable[[Any, str, str], Any]) -> None:
    translations = group(sub, "translations", "the diagrams' French texts (workflows.po)")
    update = translations.add_parser(
        "update", help="extract the diagrams' texts and merge them into each workflows.po"
    )
    update.add_argument("paths", nargs="*", type=Path, help="default: the workflows folder")
    update.set_defaults(run=_update)
    translations.add_parser("compile", help="write workflows.mo from workflows.po").set_defaults(
        run=_compile
    )
    missing = translations.add_parser("missing", help="list texts without French")
    missing.add_argument("paths", nargs="*", type=Path, help="default: the workflows folder")
    missing.set_defaults(run=_missing)


def collect(paths: list[Path]) -> list[DiagramText]:
    files = read_paths(paths)
    return texts_of_files((f.name, f.content) for f in files)


def template(texts: list[DiagramText]) -> Catalog:
    """The .pot: one entry per distinct English text, with where each is used as comments."""
    catalog = Catalog(project="Caseway diagrams", fuzzy=False)
    for text in texts:
        catalog.add(text.text, auto_comments=[text.where])
    return catalog


def merge(directory: Path, texts: list[DiagramText], languages: tuple[str, ...]) -> list[Path]:
    """Write workflows.pot and bring each language's .po up to date; translations are kept,
    texts no longer in any diagram are dropped, new ones start empty."""
    directory.mkdir(parents=True, exist_ok=True)
    pot = template(texts)
    with (directory / f"{DOMAIN}.pot").open("wb") as handle:
        write_po(handle, pot, sort_output=True, omit_header=True, width=100)
    written = []
    for language in languages:
        po_path = directory / language / "LC_MESSAGES" / f"{DOMAIN}.po"
        if po_path.exists():
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=language)
            catalog.update(pot, no_fuzzy_matching=True)
            catalog.obsolete.clear()
        else:
            po_path.parent.mkdir(parents=True, exist_ok=True)
            catalog = Catalog(locale=language, project="Caseway diagrams", fuzzy=False)
            for message in pot:
                if message.id:
                    catalog.add(message.id, auto_comments=message.auto_comments)
        with po_path.open("wb") as handle:
            write_po(handle, catalog, sort_output=True, width=100)
        written.append(po_path)
    return written


def compile_catalogs(directory: Path) -> list[Path]:
    written = []
    for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle, locale=po_path.parent.parent.name)
        mo_path = po_path.with_suffix(".mo")
        with mo_path.open("wb") as handle:
            write_mo(handle, catalog, use_fuzzy=False)
        written.append(mo_path)
    return written


def missing_texts(directory: Path, texts: list[DiagramText], language: str) -> list[DiagramText]:
    return [t for t in texts if not has_translation(directory, t.text, language)]


def _paths(settings: Settings, args: argparse.Namespace) -> list[Path]:
    return list(args.paths) or [settings.workflows_dir]


def _update(settings: Settings, args: argparse.Namespace) -> int:
    texts = collect(_paths(settings, args))
    for path in merge(catalog_directory(settings.workflows_dir), texts, LANGUAGES):
        print(f"updated {path} ({len({t.text for t in texts})} texts)")
    return 0


def _compile(settings: Settings, args: argparse.Namespace) -> int:
    for path in compile_catalogs(catalog_directory(settings.workflows_dir)):
        print(f"compiled {path}")
    return 0


def _missing(settings: Settings, args: argparse.Namespace) -> int:
    texts = collect(_paths(settings, args))
    directory = catalog_directory(settings.workflows_dir)
    gaps = [
        (language, t) for language in LANGUAGES for t in missing_texts(directory, texts, language)
    ]
    for language, text in gaps:
        print(f"{text.where}: no {language} text for {text.text[:80]!r}", file=sys.stderr)
    print(f"{len(texts) - len(gaps)} of {len(texts)} texts translated")
    return 1 if gaps else 0


def warn_untranslated(settings: Settings, files: list[tuple[str, bytes]]) -> int:
    """`caseway validate`'s warnings: each diagram text without French (not an error: the page
    then shows the English). Returns how many were found."""
    texts = texts_of_files(files)
    directory = catalog_directory(settings.workflows_dir)
    gaps = [(lang, t) for lang in LANGUAGES for t in missing_texts(directory, texts, lang)]
    for language, text in gaps:
        print(f"warning  {text.where}: no {language} text for {text.text[:80]!r}", file=sys.stderr)
    if gaps:
        print(
            f"warning  {len(gaps)} diagram text(s) without French: run `caseway translations "
            "update`, translate them in workflows/translations/fr/LC_MESSAGES/workflows.po, "
            "then `caseway translations compile`",
            file=sys.stderr,
        )
    return len(gaps)
