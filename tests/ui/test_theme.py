"""The themes: read from their files in the package data, applied whole, and readable."""

from __future__ import annotations

import json
from dataclasses import fields

import pytest
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication
from workbench.resources import resource

from workbench.ui import theme
from workbench.ui.widgets.viewerpalette import ViewerColors, contrast

ROLE = QPalette.ColorRole
FOREGROUNDS = ("ok", "redirect", "client_error", "server_error", "engine", "warning", "error")
BACKGROUNDS = ("highlight_bg", "error_bg", "banner_bg")


def theme_file(name: str) -> dict[str, dict[str, str]]:
    return json.loads(resource("themes", f"{name}.json").read_text("utf-8"))


@pytest.fixture
def restore_theme(qapp: QApplication) -> object:
    palette, dark = QPalette(qapp.palette()), qapp.property("workbench_dark")
    yield qapp
    qapp.setPalette(palette)
    qapp.setProperty("workbench_dark", dark)


@pytest.mark.parametrize("name", theme.THEME_NAMES)
def test_applying_a_theme_sets_every_colour_its_file_names(
    restore_theme: QApplication, name: str
) -> None:
    app = restore_theme
    assert theme.apply_theme(app, name) is (name == "dark")
    data = theme_file(name)
    palette = app.palette()
    for role, color in data["palette"].items():
        for group in (QPalette.ColorGroup.Active, QPalette.ColorGroup.Inactive):
            assert palette.color(group, getattr(ROLE, role)) == QColor(color), role
    for role, color in data["palette_disabled"].items():
        assert palette.color(QPalette.ColorGroup.Disabled, getattr(ROLE, role)) == QColor(color)
    meaning = theme.colors(app)
    assert {f.name: getattr(meaning, f.name).name() for f in fields(meaning)} == data["colors"]
    viewer = ViewerColors.from_palette(palette)
    for kind in ("key", "string", "number", "literal"):
        assert viewer.syntax[kind] == QColor(data["syntax"][kind])
    assert (viewer.match, viewer.current) == tuple(
        QColor(data["syntax"][kind]) for kind in ("match", "current")
    )


def test_both_themes_name_the_same_colours() -> None:
    light, dark = theme_file("light"), theme_file("dark")
    assert {k: sorted(v) for k, v in light.items()} == {k: sorted(v) for k, v in dark.items()}


@pytest.mark.parametrize("name", theme.THEME_NAMES)
def test_every_theme_reads_well(name: str) -> None:
    """WCAG contrast: 7:1 for text, 4.5:1 for coloured text, on every background it meets."""
    loaded = theme.load_theme(name)
    palette, meaning = loaded.palette, loaded.colors
    text, grounds = palette.color(ROLE.Text), (palette.color(ROLE.Base), palette.color(ROLE.Window))
    for ground in grounds:
        assert contrast(text, ground) >= 7
        for field in (*FOREGROUNDS, "muted"):
            assert contrast(getattr(meaning, field), ground) >= 4.5, field
    for field in BACKGROUNDS:
        assert contrast(text, getattr(meaning, field)) >= 7, field
    for kind in ("key", "string", "number", "literal"):
        assert contrast(loaded.syntax[kind], palette.color(ROLE.Base)) >= 4.5, kind
    assert contrast(palette.color(ROLE.PlaceholderText), palette.color(ROLE.Base)) >= 4.5


def test_a_theme_is_read_once() -> None:
    assert theme.load_theme("dark") is theme.load_theme("dark")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.pop("colors"), "has no 'colors' object"),
        (lambda d: d["colors"].pop("muted"), "colors lacks muted"),
        (lambda d: d["colors"].update(purple="#800080"), "colors has unknown purple"),
        (lambda d: d["syntax"].update(key="bluish"), "syntax.key is 'bluish', not a colour"),
        (lambda d: d["palette"].update(Window=7), "palette.Window is 7, not a colour"),
        (lambda d: d["palette"].update(Windw="#fff"), "names 'Windw', which is not a palette"),
        (lambda d: d["palette_disabled"].update(Text=""), "palette_disabled.Text is ''"),
    ],
)
def test_a_damaged_theme_file_is_named_with_what_is_wrong(change: object, message: str) -> None:
    data = theme_file("light")
    change(data)  # type: ignore[operator]
    with pytest.raises(theme.ThemeError, match=r"the theme file themes/light\.json") as caught:
        theme.parse_theme("light", json.dumps(data))
    assert message in str(caught.value)


def test_a_theme_file_that_is_not_json_or_an_unknown_theme_is_refused() -> None:
    with pytest.raises(theme.ThemeError, match=r"themes/dark.json is not JSON"):
        theme.parse_theme("dark", "{")
    with pytest.raises(theme.ThemeError, match=r"themes/dark.json must hold a JSON object"):
        theme.parse_theme("dark", "[]")
    with pytest.raises(theme.ThemeError, match="unknown theme 'purple'"):
        theme.load_theme("purple")
