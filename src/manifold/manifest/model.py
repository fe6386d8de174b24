"""The manifest as typed, immutable values, built from a ``plugin.toml`` table that passed validation."""

from __future__ import annotations

import functools
from collections.abc import Mapping
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal

from manifold._values import field, value_type

if TYPE_CHECKING:
    from importlib.resources.abc import Traversable

    from packaging.markers import Marker
    from packaging.requirements import Requirement
    from packaging.specifiers import SpecifierSet
    from packaging.version import Version

# packaging is imported by the first value parsed: packaging.version and packaging.specifiers (~5 ms with their
# regexes) when a manifest is built, packaging.markers and packaging.requirements (with packaging's parser,
# ~5-10 ms) by the first manifest that has markers or requires: most plugins have neither.

__all__ = [
    "Activation",
    "Cardinality",
    "Essentials",
    "Extension",
    "ExtensionPoint",
    "Manifest",
    "Order",
    "Reference",
    "essentials_of",
    "parse_marker",
    "parse_specifier",
    "parse_version",
    "satisfies",
]

Activation = Literal["lazy", "eager"]
Cardinality = Literal["many", "one"]
Order = Literal["priority", "last-registered-first"]
"""The order of a point's contributions: highest priority first, ties in load order or the reverse."""


EMPTY: Mapping[str, Any] = MappingProxyType({})
"""A read-only empty table, shared: nothing can add to it (its dict is not reachable)."""


def _empty() -> Mapping[str, Any]:
    return EMPTY


def frozen(table: Mapping[str, Any]) -> Mapping[str, Any]:
    """A read-only copy of ``table`` (the shared ``EMPTY`` when it is empty: one object less per use)."""
    return MappingProxyType(dict(table)) if table else EMPTY


MANIFEST_VERSIONS = (1,)
"""The ``manifest-version`` values this manifold reads."""


@functools.lru_cache(maxsize=4096)
def parse_specifier(text: str) -> SpecifierSet:
    """A PEP 440 specifier set; ``"*"`` and ``""`` both mean any version.

    Cached: the same few specifiers recur across a set of plugins, and a SpecifierSet is never
    changed after it is made.
    """
    from packaging.specifiers import SpecifierSet

    return SpecifierSet("" if text.strip() == "*" else text)


def satisfies(specifier: SpecifierSet, version: Version) -> bool:
    """Whether ``version`` (pre-releases included) is in ``specifier``; cached, since the same few
    specifiers are checked against the same versions many times.

    Keyed by the specifier's identity: hashing a SpecifierSet costs more than the check itself
    (specifiers come from ``parse_specifier``, so equal texts are one object). An entry holds its
    specifier, so an id in the cache is never reused by another object.
    """
    key = (id(specifier), version)
    hit = _SATISFIES.get(key)
    if hit is not None and hit[0] is specifier:
        return hit[1]
    result = specifier.contains(version, prereleases=True)
    if len(_SATISFIES) >= 16384:
        _SATISFIES.clear()
    _SATISFIES[key] = (specifier, result)
    return result


_SATISFIES: dict[tuple[int, Version], tuple[SpecifierSet, bool]] = {}


@functools.lru_cache(maxsize=4096)
def parse_marker(text: str) -> Marker:
    """A PEP 508 environment marker; cached like ``parse_specifier`` (a Marker is never changed either)."""
    from packaging.markers import Marker

    return Marker(text)


def _requirement(text: str) -> Requirement:
    from packaging.requirements import Requirement

    return Requirement(text)


@functools.lru_cache(maxsize=4096)
def parse_version(text: str) -> Version:
    """A PEP 440 version; cached: validation checks it, then the manifest is built from it."""
    from packaging.version import Version

    return Version(text)


@value_type
class Reference:
    """A ``module:Qualname`` reference to an object in a plugin's code, or ``module`` alone (an
    extension's ``ref``, as in an entry point: the module is the object, ``qualname`` is empty);
    imported late, never here."""

    module: str
    qualname: str

    @classmethod
    def parse(cls, text: str) -> Reference:
        module, _, qualname = text.partition(":")
        return cls(module, qualname)

    @property
    def top_level(self) -> str:
        """The top-level package the module lives in (what ``packages`` must declare)."""
        return self.module.partition(".")[0]

    def __str__(self) -> str:
        return f"{self.module}:{self.qualname}" if self.qualname else self.module


@value_type
class ExtensionPoint:
    """A named point a plugin declares, to which other plugins contribute extensions.

    ``plugin`` is the id of the plugin whose manifest declares it, or None for a point the host
    declares (``[[host-points]]`` in ``manifold.toml``); ``index`` is its place in that list.
    """

    id: str
    plugin: str | None
    index: int
    description: str = ""
    interface: Reference | None = None
    cardinality: Cardinality = "many"
    config_schema: Mapping[str, Any] | None = None
    hook: bool = False
    parameters: tuple[str, ...] = ()
    firstresult: bool = False
    order: Order = "priority"
    timeout: float | None = None

    @classmethod
    def from_data(cls, table: Mapping[str, Any], *, plugin: str | None, index: int) -> ExtensionPoint:
        """Build the point from one ``[[extension-points]]`` (or ``[[host-points]]``) table that passed
        validation (nothing is checked here)."""
        interface = table.get("interface")
        return cls(
            id=table["id"],
            plugin=plugin,
            index=index,
            description=table.get("description", ""),
            interface=None if interface is None else Reference.parse(interface),
            cardinality=table.get("cardinality", "many"),
            config_schema=table.get("config-schema"),
            hook=table.get("hook", False),
            parameters=tuple(table.get("parameters", ())),
            firstresult=table.get("firstresult", False),
            order=table.get("order", "priority"),
            timeout=table.get("timeout"),
        )


@value_type
class Extension:
    """One contribution of a plugin to a point: an object reference and/or a config table.

    ``wrapper``: a hook implementation that wraps the others (a generator function).
    """

    point: str
    plugin: str
    index: int
    ref: Reference | None = None
    id: str | None = None
    priority: int = 0
    config: Mapping[str, Any] = field(default_factory=_empty)
    markers: Marker | None = None
    wrapper: bool = False


@value_type
class Manifest:
    """Everything a host needs to know about one plugin, read from its validated manifest.

    ``file`` is the manifest's location as the user named it (for messages); ``root`` is the
    plugin folder as a traversable, so plugins inside packages and archives work alike.
    """

    file: str
    root: Traversable
    id: str
    version: Version
    manifest_version: int = 1
    name: str = ""
    description: str = ""
    license: str = ""
    homepage: str = ""
    authors: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    requires_api: SpecifierSet | None = None
    requires_app: SpecifierSet | None = None
    requires_python: SpecifierSet | None = None
    target: str | None = None
    markers: Marker | None = None
    requires: tuple[Requirement, ...] = ()
    packages: tuple[str, ...] = ()
    distribution: str | None = None
    """An installed distribution whose code this plugin is: its ``packages`` come from ``sys.path``."""
    source_root: str = "."
    plugin_class: Reference | None = None
    activation: Activation = "lazy"
    dependencies: Mapping[str, SpecifierSet] = field(default_factory=_empty)
    optional_dependencies: Mapping[str, SpecifierSet] = field(default_factory=_empty)
    settings_schema: Mapping[str, Any] | None = None
    extension_points: tuple[ExtensionPoint, ...] = ()
    extensions: tuple[Extension, ...] = ()
    data: Mapping[str, Any] = field(default_factory=_empty)
    """The validated TOML table itself, as read (for caching and for tools that show it)."""

    @property
    def display_name(self) -> str:
        return self.name or self.id

    @property
    def requires_api_text(self) -> str | None:
        """``requires-api`` as the author wrote it (``str(requires_api)`` is normalised: sorted, no spaces)."""
        return self._written("requires-api")

    @property
    def requires_app_text(self) -> str | None:
        """``requires-app`` as the author wrote it."""
        return self._written("requires-app")

    @property
    def requires_python_text(self) -> str | None:
        """``requires-python`` as the author wrote it."""
        return self._written("requires-python")

    def dependency_text(self, plugin_id: str) -> str | None:
        """The version specifier of a dependency (or optional dependency) as the author wrote it."""
        for table in ("dependencies", "optional-dependencies"):
            written = self.data.get(table, EMPTY).get(plugin_id)
            if isinstance(written, str):
                return written
        return None

    def _written(self, key: str) -> str | None:
        written = self.data.get("plugin", EMPTY).get(key)
        return written if isinstance(written, str) else None

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as what it is built from (``data`` is a read-only view, which does not pickle).
        return _unpickle, (dict(self.data), self.file, self.root)

    @property
    def code_root(self) -> Traversable:
        """The folder that holds the plugin's ``packages``."""
        root = self.root
        for part in self.source_root.replace("\\", "/").split("/"):
            if part not in ("", "."):
                root = root / part
        return root

    @property
    def references(self) -> tuple[tuple[str, Reference], ...]:
        """Every code reference with the key path that names it (``class``, ``ref``, ``interface``)."""
        refs: list[tuple[str, Reference]] = []
        if self.plugin_class is not None:
            refs.append(("plugin.class", self.plugin_class))
        for point in self.extension_points:
            if point.interface is not None:
                refs.append((f"extension-points[{point.index}].interface", point.interface))
        for ext in self.extensions:
            if ext.ref is not None:
                refs.append((f"extensions[{ext.index}].ref", ext.ref))
        return tuple(refs)

    @classmethod
    def from_data(cls, data: Mapping[str, Any], *, file: str, root: Traversable) -> Manifest:
        """Build the values from a table that already passed validation (nothing is checked here)."""
        plugin: Mapping[str, Any] = data["plugin"]
        plugin_id: str = plugin["id"]
        get = plugin.get
        points = data.get("extension-points")
        extensions = data.get("extensions")
        api, app, python, marker, plugin_class = (
            get("requires-api"),
            get("requires-app"),
            get("requires-python"),
            get("markers"),
            get("class"),
        )
        return cls(
            file=file,
            root=root,
            id=plugin_id,
            version=parse_version(plugin["version"]),
            manifest_version=data.get("manifest-version", 1),
            name=get("name", ""),
            description=get("description", ""),
            license=get("license", ""),
            homepage=get("homepage", ""),
            authors=tuple(get("authors", ())),
            tags=tuple(get("tags", ())),
            requires_api=None if api is None else parse_specifier(api),
            requires_app=None if app is None else parse_specifier(app),
            requires_python=None if python is None else parse_specifier(python),
            target=get("target"),
            markers=None if marker is None else parse_marker(marker),
            requires=_requirements(plugin) if "requires" in plugin or "distribution" in plugin else (),
            packages=tuple(get("packages", ())),
            distribution=get("distribution"),
            source_root=get("source-root", "."),
            plugin_class=None if plugin_class is None else Reference.parse(plugin_class),
            activation=get("activation", "lazy"),
            dependencies=_specifiers(data.get("dependencies")),
            optional_dependencies=_specifiers(data.get("optional-dependencies")),
            settings_schema=data.get("settings-schema"),
            extension_points=tuple(ExtensionPoint.from_data(p, plugin=plugin_id, index=i) for i, p in enumerate(points))
            if points
            else (),
            extensions=tuple(_extension(e, plugin_id, i) for i, e in enumerate(extensions)) if extensions else (),
            data=MappingProxyType(dict(data)),
        )


@value_type
class Essentials:
    """What activating a plugin reads of its manifest (``essentials_of``): importing its code, building
    its object and giving it its context. A warm start restores these alone and builds the whole ``Manifest``
    only when something reads it."""

    id: str
    version: str
    """As ``str(Manifest.version)`` writes it (normalised)."""
    file: str
    root: Traversable
    code_root: Traversable
    packages: tuple[str, ...]
    plugin_class: Reference | None
    activation: Activation
    requires: frozenset[str]
    """The ids of the plugins it requires (its ``dependencies``; the optional ones are not)."""
    installed: bool
    """Its code is an installed distribution's (``Manifest.distribution``), imported from ``sys.path``."""


def essentials_of(manifest: Manifest) -> Essentials:
    """What activating the plugin reads of ``manifest``."""
    return Essentials(
        id=manifest.id,
        version=str(manifest.version),
        file=manifest.file,
        root=manifest.root,
        code_root=manifest.code_root,
        packages=manifest.packages,
        plugin_class=manifest.plugin_class,
        activation=manifest.activation,
        requires=frozenset(manifest.dependencies),
        installed=manifest.distribution is not None,
    )


def _specifiers(table: Mapping[str, str] | None) -> Mapping[str, SpecifierSet]:
    """A dependency table's specifiers by plugin id (the shared ``EMPTY`` when there are none)."""
    return MappingProxyType({name: parse_specifier(text) for name, text in table.items()}) if table else EMPTY


def _extension(table: Mapping[str, Any], plugin: str, index: int) -> Extension:
    """One ``[[extensions]]`` table that passed validation as its value."""
    get = table.get
    ref, config, marker = get("ref"), get("config"), get("markers")
    return Extension(
        point=table["point"],
        plugin=plugin,
        index=index,
        ref=None if ref is None else Reference.parse(ref),
        id=get("id"),
        priority=get("priority", 0),
        config=MappingProxyType(dict(config)) if config else EMPTY,
        markers=None if marker is None else parse_marker(marker),
        wrapper=get("wrapper", False),
    )


def _requirements(plugin: Mapping[str, Any]) -> tuple[Requirement, ...]:
    """``requires``, and the ``distribution`` the plugin's code is in when ``requires`` does not name it."""
    requires = [_requirement(r) for r in plugin.get("requires", ())]
    distribution: str | None = plugin.get("distribution")
    if distribution is not None:
        from packaging.utils import canonicalize_name

        if all(canonicalize_name(r.name) != canonicalize_name(distribution) for r in requires):
            requires.append(_requirement(distribution))
    return tuple(requires)


def _unpickle(data: dict[str, Any], file: str, root: Traversable) -> Manifest:
    return Manifest.from_data(data, file=file, root=root)
