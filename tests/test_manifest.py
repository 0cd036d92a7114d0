"""What a HACS or Home Assistant reviewer checks before anything runs: the manifest, hacs.json,
brand images, the quality-scale self-audit, and that every translation key the code uses exists
(a missing key shows users a raw key, and custom integrations cannot borrow core's strings).
"""

import ast
from collections.abc import Iterator
from dataclasses import dataclass
import importlib
import inspect
import json
from pathlib import Path
import re
import tomllib
from typing import Any

from awesomeversion import AwesomeVersion
from homeassistant.components.automation import config as automation_config
from homeassistant.components.binary_sensor import BinarySensorEntity, BinarySensorEntityDescription
from homeassistant.components.brands.const import ALLOWED_IMAGES
from homeassistant.components.repairs import RepairsFlow
from homeassistant.components.script import config as script_config
from homeassistant.components.sensor import SensorEntity, SensorEntityDescription
from homeassistant.config_entries import ConfigFlow, OptionsFlow
from homeassistant.const import __version__ as HA_VERSION
from homeassistant.core import HomeAssistant
from homeassistant.helpers.entity import EntityDescription
from homeassistant.helpers.selector import SelectSelector
from homeassistant.loader import async_get_integration
from PIL import Image
import pytest
import voluptuous as vol
import yaml

from custom_components.energy_correlator.const import DOMAIN

ROOT = Path(__file__).resolve().parents[1]
INTEGRATION = ROOT / "custom_components" / DOMAIN
PACKAGE = f"custom_components.{DOMAIN}"
HA_COMPONENTS = Path(importlib.import_module("homeassistant.components").__path__[0])

MANIFEST_TEXT = (INTEGRATION / "manifest.json").read_text(encoding="utf-8")
MANIFEST: dict[str, Any] = json.loads(MANIFEST_TEXT)
EN: dict[str, Any] = json.loads((INTEGRATION / "translations" / "en.json").read_text("utf-8"))

# hacs.json keys HACS documents (https://hacs.xyz/docs/publish/start/#hacsjson).
HACS_KEYS = {
    "name",
    "content_in_root",
    "zip_release",
    "filename",
    "hide_default_branch",
    "country",
    "homeassistant",
    "hacs",
    "persistent_directory",
    "render_readme",
}
INTEGRATION_TYPES = {"device", "entity", "hardware", "helper", "hub", "service", "system"}
# The brand folder an integration may ship is loaded by HA since 2026.3.
BRAND_MIN_HA = AwesomeVersion("2026.3.0")


# --- manifest.json -------------------------------------------------------------------------------


def test_manifest_key_order() -> None:
    """hassfest's order: domain, name, then the rest alphabetically."""
    keys = list(MANIFEST)
    assert keys[:2] == ["domain", "name"]
    assert keys[2:] == sorted(keys[2:])


def test_manifest_values() -> None:
    """The values HA, hassfest and HACS expect of a calculated, config-flow custom integration."""
    assert MANIFEST["domain"] == DOMAIN == INTEGRATION.name
    assert MANIFEST["name"] == "Energy Correlator"
    assert MANIFEST["config_flow"] is True
    assert MANIFEST["iot_class"] == "calculated"
    assert MANIFEST["integration_type"] in INTEGRATION_TYPES
    assert MANIFEST["codeowners"]
    assert all(owner.startswith("@") for owner in MANIFEST["codeowners"])
    for key in ("documentation", "issue_tracker"):
        assert MANIFEST[key].startswith("https://"), key
    assert AwesomeVersion(MANIFEST["version"]).valid
    assert "quality_scale" not in MANIFEST, "tiers are for core; the self-audit is the yaml"
    assert not (HA_COMPONENTS / DOMAIN).exists(), "domain collides with a core integration"


def test_manifest_dependencies_are_core_integrations() -> None:
    """A misspelt dependency makes setup fail on the user's machine, not here."""
    for key in ("dependencies", "after_dependencies"):
        for domain in MANIFEST.get(key, []):
            assert (HA_COMPONENTS / domain / "manifest.json").exists(), f"{key}: {domain}"


def test_manifest_requirements_pinned_like_the_test_environment() -> None:
    """Requirements are pinned, and tests run against exactly the pinned versions."""
    test_pins = dict(
        line.split("==", 1)
        for line in (ROOT / "requirements_test.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    )
    for requirement in MANIFEST.get("requirements", []):
        name, sep, version = requirement.partition("==")
        assert sep, f"{requirement} is not pinned with =="
        if name in test_pins:
            assert test_pins[name].strip() == version, f"{name}: manifest and tests differ"


async def test_home_assistant_loads_the_manifest(hass: HomeAssistant) -> None:
    """HA itself accepts the manifest (a custom integration without a version is refused)."""
    integration = await async_get_integration(hass, DOMAIN)
    assert integration.version == AwesomeVersion(MANIFEST["version"])
    assert integration.config_flow is True
    assert integration.has_branding, "brand/ must sit beside manifest.json"


# --- hacs.json, brand images, quality scale ------------------------------------------------------


def test_hacs_json() -> None:
    """Only documented keys; the minimum HA version covers what we use and what we test on."""
    hacs = json.loads((ROOT / "hacs.json").read_text("utf-8"))
    assert set(hacs) <= HACS_KEYS, set(hacs) - HACS_KEYS
    assert hacs["name"] == MANIFEST["name"]
    minimum = AwesomeVersion(hacs["homeassistant"])
    assert BRAND_MIN_HA <= minimum <= AwesomeVersion(HA_VERSION)
    assert not hacs.get("content_in_root", False)


def test_licence_file_matches_pyproject() -> None:
    """HACS's `license` check wants a licence at the root; pyproject names the same one."""
    text = (ROOT / "LICENSE").read_text("utf-8")
    assert text.startswith("MIT License")
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    assert pyproject["license"] == "MIT"
    assert pyproject["license-files"] == ["LICENSE"]


@pytest.mark.parametrize(
    ("name", "icon_side", "logo_short_side"),
    [
        ("icon.png", 256, None),
        ("icon@2x.png", 512, None),
        ("logo.png", None, (128, 256)),
        ("logo@2x.png", None, (256, 512)),
        ("dark_logo.png", None, (128, 256)),
        ("dark_logo@2x.png", None, (256, 512)),
    ],
)
def test_brand_images(
    name: str, icon_side: int | None, logo_short_side: tuple[int, int] | None
) -> None:
    """The sizes of the home-assistant/brands rules, transparent PNGs HA serves from brand/."""
    path = INTEGRATION / "brand" / name
    if name.startswith("dark_") and not path.exists():
        pytest.skip("dark variants are optional")
    assert name in ALLOWED_IMAGES
    with Image.open(path) as image:
        assert image.format == "PNG"
        assert image.mode == "RGBA"
        width, height = image.size
        if icon_side is not None:
            assert (width, height) == (icon_side, icon_side)
        if logo_short_side is not None:
            assert logo_short_side[0] <= min(width, height) <= logo_short_side[1]
        alpha = image.getchannel("A")
        assert alpha.getextrema()[0] == 0, "background must be transparent"
        assert image.getbbox() is not None


def test_quality_scale_is_a_complete_honest_audit() -> None:
    """Every rule of the scale, each done / todo / exempt; todo and exempt say why."""
    ours = yaml.safe_load((INTEGRATION / "quality_scale.yaml").read_text("utf-8"))["rules"]
    # peblar is Platinum, so its file lists every rule of the installed HA's scale.
    reference = yaml.safe_load((HA_COMPONENTS / "peblar" / "quality_scale.yaml").read_text())
    assert set(ours) == set(reference["rules"])
    for rule, value in ours.items():
        status = value if isinstance(value, str) else value["status"]
        assert status in {"done", "todo", "exempt"}, rule
        if status != "done":
            assert isinstance(value, dict), f"{rule}: {status} needs a comment"
            assert value.get("comment", "").strip(), f"{rule}: {status} needs a comment"


# --- translations --------------------------------------------------------------------------------


def test_translations_are_self_contained() -> None:
    """Custom integrations cannot resolve core's [%key:...%] references; strings.json = en.json."""
    text = (INTEGRATION / "translations" / "en.json").read_text("utf-8")
    assert "[%key:" not in text
    strings = INTEGRATION / "strings.json"
    if strings.exists():
        assert json.loads(strings.read_text("utf-8")) == EN
    json.loads((INTEGRATION / "icons.json").read_text("utf-8"))


def _has(path: str) -> bool:
    """Whether the dotted path exists in en.json and ends in a non-empty string or table."""
    node: Any = EN
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return bool(node)


@dataclass(frozen=True)
class Need:
    """A translation key the code uses, and where."""

    path: str
    where: str


ENTITY_PLATFORMS: tuple[tuple[type, type, str], ...] = (
    (BinarySensorEntityDescription, BinarySensorEntity, "binary_sensor"),
    (SensorEntityDescription, SensorEntity, "sensor"),
)
EXCEPTION_SUFFIXES = ("Error", "NotReady", "AuthFailed", "Invalid")


def _modules() -> Iterator[tuple[str, Any, ast.Module, Path]]:
    """Every module of the integration outside the pure engine, imported and parsed."""
    for path in sorted(INTEGRATION.glob("*.py")):
        name = f"{PACKAGE}.{path.stem}" if path.stem != "__init__" else PACKAGE
        module = importlib.import_module(name)
        yield path.name, module, ast.parse(path.read_text("utf-8")), path


def _call_name(node: ast.Call) -> str:
    func = node.func
    if isinstance(func, ast.Attribute):
        return func.attr
    if isinstance(func, ast.Name):
        return func.id
    return ""


def _kw(node: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in node.keywords if k.arg == name), None)


class _Scanner(ast.NodeVisitor):
    """Collects translation keys from one module's syntax; resolves names with its globals."""

    def __init__(self, file: str, module: Any) -> None:
        self.file = file
        self.module = module
        self.needs: set[Need] = set()
        # (function name, parameter) -> path template, for keys passed in by callers.
        self.param_sinks: dict[tuple[str, str], str] = {}
        self.suffixes: dict[str, set[str]] = {}  # class name -> translation_key suffixes
        self._classes: list[ast.ClassDef] = []
        self._functions: list[ast.FunctionDef | ast.AsyncFunctionDef] = []

    # -- helpers --
    def _const(self, node: ast.expr | None) -> str | None:
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            return node.value
        if isinstance(node, ast.Name):
            value = getattr(self.module, node.id, None)
            return value if isinstance(value, str) else None
        if isinstance(node, ast.Attribute):
            value = getattr(self.module, node.attr, None)
            return value if isinstance(value, str) and node.attr.isupper() else None
        return None

    def _where(self, node: ast.AST) -> str:
        return f"{self.file}:{getattr(node, 'lineno', 0)}"

    def _flow(self) -> str:
        """'options' inside an options flow class, a repair issue's fix flow, else 'config'."""
        for cls in reversed(self._classes):
            bases = [getattr(self.module, _base_name(b), None) for b in cls.bases]
            if any(isinstance(b, type) and issubclass(b, RepairsFlow) for b in bases):
                issue = getattr(getattr(self.module, cls.name), "issue_translation_key", "?")
                return f"issues.{issue}.fix_flow"
            if any(isinstance(b, type) and issubclass(b, OptionsFlow) for b in bases):
                return "options"
            if any(isinstance(b, type) and issubclass(b, ConfigFlow) for b in bases):
                return "config"
        return "config"

    def _class_obj(self) -> type | None:
        if not self._classes:
            return None
        obj = getattr(self.module, self._classes[-1].name, None)
        return obj if isinstance(obj, type) else None

    def _need(self, template: str, value: ast.expr | None, node: ast.AST) -> None:
        if (key := self._const(value)) is not None:
            self.needs.add(Need(template.format(key), self._where(node)))
        elif isinstance(value, ast.Name) and self._functions:
            self.param_sinks[(self._functions[-1].name, value.id)] = template

    # -- visitors --
    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._classes.append(node)
        self.generic_visit(node)
        self._classes.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._visit_function(node)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._visit_function(node)

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self._functions.append(node)
        # async_update_reload_and_abort() without a reason aborts with these.
        if (
            node.name in ("async_step_reauth", "async_step_reconfigure")
            and self._flow() == "config"
        ):
            reason = node.name.removeprefix("async_step_")
            self.needs.add(Need(f"config.abort.{reason}_successful", self._where(node)))
        if re.search(r"valid|error", node.name):
            # Helpers that return form error codes: `return "meter_not_found"`, `{field: "x"}`.
            for ret in ast.walk(node):
                if isinstance(ret, ast.Return) and ret.value is not None:
                    values = ret.value.values if isinstance(ret.value, ast.Dict) else [ret.value]
                    for value in values:
                        if value is not None and isinstance(value, ast.Constant):
                            self._need("config.error.{}", value, ret)
        self.generic_visit(node)
        self._functions.pop()

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            # errors["base"] = "cannot_connect"
            if (
                isinstance(target, ast.Subscript)
                and isinstance(target.value, ast.Name)
                and target.value.id == "errors"
            ):
                self._need(f"{self._flow()}.error.{{}}", node.value, node)
            # errors = {"base": "unknown"}
            if (
                isinstance(target, ast.Name)
                and target.id == "errors"
                and isinstance(node.value, ast.Dict)
            ):
                for value in node.value.values:
                    self._need(f"{self._flow()}.error.{{}}", value, node)
            # Module-level tables of error codes, e.g. _INFLUX_ERROR_FIELDS = {"invalid_auth": ...}
            if (
                isinstance(target, ast.Name)
                and not self._functions
                and not self._classes
                and "ERROR" in target.id
                and isinstance(node.value, ast.Dict)
                and self.file == "config_flow.py"
            ):
                for key in node.value.keys:
                    self._need("config.error.{}", key, node)
            # _attr_translation_key = "x" (and f"{...translation_key}_suffix")
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", "")
            if name == "_attr_translation_key":
                self._entity_attr(node)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        name = getattr(node.target, "id", "")
        if name == "_attr_translation_key" and node.value is not None:
            self._entity_attr(node)
        if (
            "ERROR" in name
            and not self._functions
            and not self._classes
            and isinstance(node.value, ast.Dict)
            and self.file == "config_flow.py"
        ):
            for key in node.value.keys:
                self._need("config.error.{}", key, node)
        self.generic_visit(node)

    def _entity_attr(self, node: ast.Assign | ast.AnnAssign) -> None:
        value = node.value
        if isinstance(value, ast.JoinedStr):
            parts = value.values
            if (
                len(parts) == 2
                and isinstance(parts[0], ast.FormattedValue)
                and isinstance(parts[1], ast.Constant)
                and self._classes
            ):
                self.suffixes.setdefault(self._classes[-1].name, set()).add(str(parts[1].value))
            return
        cls = self._class_obj()
        for _, entity_cls, platform in ENTITY_PLATFORMS:
            if cls is not None and issubclass(cls, entity_cls):
                self._need(f"entity.{platform}.{{}}", value, node)
                return

    def visit_Call(self, node: ast.Call) -> None:
        name = _call_name(node)
        key = _kw(node, "translation_key")
        if key is not None:
            target = getattr(self.module, name, None)
            if name.endswith("create_issue"):
                self._need("issues.{}.title", key, node)
            elif _kw(node, "translation_domain") is not None or name.endswith(EXCEPTION_SUFFIXES):
                self._need("exceptions.{}.message", key, node)
            elif name.endswith("SelectorConfig"):
                self._need("selector.{}.options", key, node)
            elif isinstance(target, type) and issubclass(target, EntityDescription):
                for description_cls, _, platform in ENTITY_PLATFORMS:
                    if issubclass(target, description_cls):
                        self._need(f"entity.{platform}.{{}}.name", key, node)
                        break
        if name == "async_abort":
            self._need(f"{self._flow()}.abort.{{}}", _kw(node, "reason"), node)
        elif name == "_abort_if_unique_id_configured":
            self.needs.add(Need("config.abort.already_configured", self._where(node)))
        elif name == "async_update_reload_and_abort" and _kw(node, "reason") is not None:
            self._need("config.abort.{}", _kw(node, "reason"), node)
        elif name in ("async_show_form", "async_show_menu"):
            step = self._const(_kw(node, "step_id"))
            if step is not None:
                flow = self._flow()
                self.needs.add(Need(f"{flow}.step.{step}", self._where(node)))
                if name == "async_show_menu":
                    for option in self._menu_options(_kw(node, "menu_options")):
                        self.needs.add(
                            Need(f"{flow}.step.{step}.menu_options.{option}", self._where(node))
                        )
        elif name == "async_create_issue" and key is None and len(node.args) >= 3:
            self._need("issues.{}.title", node.args[2], node)
        self.generic_visit(node)

    def _menu_options(self, value: ast.expr | None) -> list[str]:
        """Literal menu options, also when built in a local list with appends."""
        if isinstance(value, ast.List):
            return [v for v in map(self._const, value.elts) if v]
        if not (isinstance(value, ast.Name) and self._functions):
            return []
        options: list[str] = []
        for sub in ast.walk(self._functions[-1]):
            if (
                isinstance(sub, ast.Assign)
                and any(getattr(t, "id", None) == value.id for t in sub.targets)
                and isinstance(sub.value, ast.List)
            ):
                options += [v for v in map(self._const, sub.value.elts) if v]
            if (
                isinstance(sub, ast.Call)
                and isinstance(sub.func, ast.Attribute)
                and sub.func.attr == "append"
                and getattr(sub.func.value, "id", None) == value.id
            ):
                options += [v for v in map(self._const, sub.args) if v]
        return options


def _base_name(node: ast.expr) -> str:
    if isinstance(node, ast.Subscript):
        node = node.value
    if isinstance(node, ast.Attribute):
        return node.attr
    return getattr(node, "id", "")


def _calls_to(tree: ast.Module, function: str) -> Iterator[ast.Call]:
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _call_name(node) == function:
            yield node


def used_translation_keys() -> set[Need]:
    """Every key the integration's code refers to, found statically plus by introspection."""
    needs: set[Need] = set()
    scanned = []
    for file, module, tree, _ in _modules():
        scanner = _Scanner(file, module)
        scanner.visit(tree)
        needs |= scanner.needs
        scanned.append((file, module, tree, scanner))

    # Keys passed through one helper: _power("untracked_power", ...), _create_issue(ISSUE_X, ...).
    sinks = {k: v for *_, s in scanned for k, v in s.param_sinks.items()}
    defs = {
        node.name: node
        for *_, tree, _ in scanned
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    for (function, param), template in sinks.items():
        params = [a.arg for a in defs[function].args.args if a.arg != "self"]
        index = params.index(param) if param in params else None
        for file, _module, tree, scanner in scanned:
            for call in _calls_to(tree, function):
                arg = _kw(call, param)
                if arg is None and index is not None and index < len(call.args):
                    arg = call.args[index]
                if (value := scanner._const(arg)) is not None:
                    needs.add(Need(template.format(value), f"{file}:{call.lineno}"))

    # Entity descriptions built anywhere (also in loops): read them from the modules.
    for file, module, _tree, _scanner in scanned:
        for value in vars(module).values():
            items = value if isinstance(value, tuple | list) else (value,)
            for description in items:
                if not isinstance(description, EntityDescription):
                    continue
                if not isinstance(description.translation_key, str):
                    continue
                for description_cls, _, platform in ENTITY_PLATFORMS:
                    if isinstance(description, description_cls):
                        needs.add(
                            Need(f"entity.{platform}.{description.translation_key}.name", file)
                        )
                        break

    # f"{description.translation_key}_named" in a base class: each description of a module that
    # uses that class needs the suffixed key too.
    for *_, scanner in scanned:
        for cls_name, suffixes in scanner.suffixes.items():
            for file, _module, tree, _ in scanned:
                if cls_name not in ast.unparse(tree) or file == scanner.file:
                    continue
                for need in list(needs):
                    if need.where.split(":")[0] == file and need.path.startswith("entity."):
                        base = need.path.removesuffix(".name")
                        for suffix in suffixes:
                            needs.add(Need(f"{base}{suffix}.name", f"{file} via {cls_name}"))
    return needs


def test_translation_keys_used_by_the_code_exist() -> None:
    """A key used in code but missing from en.json shows users a raw key."""
    missing = sorted(
        {f"{need.path}  ({need.where})" for need in used_translation_keys() if not _has(need.path)}
    )
    assert not missing, "missing in translations/en.json:\n" + "\n".join(missing)


def test_the_scan_finds_keys_in_every_category() -> None:
    """Guards the scanner itself: if a pattern stops matching, this notices."""
    paths = {need.path for need in used_translation_keys()}
    for prefix in (
        "config.step.",
        "config.error.",
        "config.abort.",
        "options.step.",
        "entity.sensor.",
        "entity.binary_sensor.",
        "issues.",
        "exceptions.",
        "selector.",
    ):
        assert any(p.startswith(prefix) for p in paths), prefix


def test_actions_are_translated_and_have_icons() -> None:
    """Every action in services.yaml: name, description, each field's name and description."""
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text("utf-8"))
    icons = json.loads((INTEGRATION / "icons.json").read_text("utf-8")).get("services", {})
    missing = []
    for service, spec in services.items():
        for key in ("name", "description"):
            if not _has(f"services.{service}.{key}"):
                missing.append(f"services.{service}.{key}")
        for field in (spec or {}).get("fields", {}) or {}:
            for key in ("name", "description"):
                if not _has(f"services.{service}.fields.{field}.{key}"):
                    missing.append(f"services.{service}.fields.{field}.{key}")
        if service not in icons:
            missing.append(f"icons.json services.{service}")
    assert not missing, "\n".join(missing)


def _form_schemas() -> Iterator[tuple[str, str, vol.Schema]]:
    """(flow, step_id, schema) for every form whose schema can be built without a hass."""
    module = importlib.import_module(f"{PACKAGE}.config_flow")
    scanner = _Scanner("config_flow.py", module)
    tree = ast.parse((INTEGRATION / "config_flow.py").read_text("utf-8"))

    class Forms(ast.NodeVisitor):
        def __init__(self) -> None:
            self.found: list[tuple[str, str, ast.expr]] = []
            self.flow = ["config"]

        def visit_ClassDef(self, node: ast.ClassDef) -> None:
            scanner._classes.append(node)
            self.generic_visit(node)
            scanner._classes.pop()

        def visit_Call(self, node: ast.Call) -> None:
            step = scanner._const(_kw(node, "step_id"))
            schema = _kw(node, "data_schema")
            if _call_name(node) == "async_show_form" and step and schema is not None:
                if isinstance(schema, ast.Call) and _call_name(schema).startswith("add_suggested"):
                    schema = schema.args[0]
                self.found.append((scanner._flow(), step, schema))
            self.generic_visit(node)

    forms = Forms()
    forms.visit(tree)
    for flow, step, expr in forms.found:
        if isinstance(expr, ast.Name):
            schema = getattr(module, expr.id, None)
        elif isinstance(expr, ast.Call) and isinstance(expr.func, ast.Name):
            factory = getattr(module, expr.func.id)
            arguments = [
                "EUR"
                for p in inspect.signature(factory).parameters.values()
                if p.default is p.empty
            ]
            schema = factory(*arguments)
        else:
            continue
        if isinstance(schema, vol.Schema):
            yield flow, step, schema


def test_every_form_field_has_a_label_and_a_description() -> None:
    """Each field of each form: data.<field> and data_description.<field>; select options too."""
    missing = []
    forms = list(_form_schemas())
    assert forms
    for flow, step, schema in forms:
        for marker, validator in schema.schema.items():
            field = str(marker)
            for part in ("data", "data_description"):
                if not _has(f"{flow}.step.{step}.{part}.{field}"):
                    missing.append(f"{flow}.step.{step}.{part}.{field}")
            if isinstance(validator, SelectSelector) and (
                key := validator.config.get("translation_key")
            ):
                for option in validator.config["options"]:
                    value = option if isinstance(option, str) else option["value"]
                    if not _has(f"selector.{key}.options.{value}"):
                        missing.append(f"selector.{key}.options.{value}")
    assert not missing, "missing in translations/en.json:\n" + "\n".join(sorted(set(missing)))


# --- README ----------------------------------------------------------------------------------


async def test_readme_automation_and_script_examples_are_valid(hass: HomeAssistant) -> None:
    """Users paste these; HA's own validators (triggers, conditions, templates) must accept them."""
    readme = (ROOT / "README.md").read_text("utf-8")
    blocks = [yaml.safe_load(block) for block in re.findall(r"```yaml\n(.*?)```", readme, re.S)]
    automations = [a for b in blocks for a in (b or {}).get("automation", [])]
    scripts = [(k, v) for b in blocks for k, v in (b or {}).get("script", {}).items()]
    assert len(automations) >= 3
    assert scripts
    for automation in automations:
        assert await automation_config.async_validate_config_item(hass, "readme", automation)
    for object_id, script in scripts:
        assert await script_config.async_validate_config_item(hass, object_id, script)
    # The actions and attributes the examples use exist.
    services = yaml.safe_load((INTEGRATION / "services.yaml").read_text("utf-8"))
    for action in re.findall(r"action: energy_correlator\.(\w+)", readme):
        assert action in services, action
