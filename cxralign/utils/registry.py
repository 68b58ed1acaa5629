"""One registry idiom for the whole toolkit: named members, added by decorator, found by entry point.

As spaCy's ``catalogue`` does it: a :class:`Registry` maps names to members (task classes,
model loaders, dataset loaders, corpus readers, losses, phantom findings, towers). A member
joins in one of three ways, and every registry offers all three:

- ``@REGISTRY.register("name")`` in the module that defines it (the built-in way);
- ``REGISTRY.register_lazy("name", "package.module:attribute")`` for a member whose module is
  expensive to import (model adapters pull in transformers); it is imported on first lookup;
- an entry point in the registry's group (``[project.entry-points."cxralign.models"]``), so
  other packages add members without touching this one; also imported on first lookup.

A registry whose members register themselves by decorator names the modules that hold them
(``modules=``); they are imported the first time the registry is read, so importing a registry
costs nothing. An unknown name is one error line naming the registry's kind and its members.
"""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Generic, TypeVar, overload

from cxralign.errors import ConfigError, CxrAlignError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

T = TypeVar("T")


def import_object(path: str, error: type[CxrAlignError] = ConfigError, what: str = "") -> object:
    """``package.module:attribute`` -> the attribute, or one error line saying what is missing."""
    module_name, _, attribute = path.partition(":")
    label = what or path
    if not module_name or not attribute:
        raise error(f"{label}: expected package.module:attribute")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise error(f"{label}: cannot import {module_name} ({exc})") from exc
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise error(f"{label}: {module_name} has no attribute {attribute!r}") from None


class Registry(Generic[T]):
    """Named members of one kind, in registration order (built-in, then lazy, then plug-ins)."""

    def __init__(
        self,
        kind: str,
        *,
        entry_point_group: str | None = None,
        modules: tuple[str, ...] = (),
        members: dict[str, T] | None = None,
        lazy: dict[str, str] | None = None,
        error: type[CxrAlignError] = ConfigError,
    ) -> None:
        """``modules``: imported on first read (their members register by decorator);
        ``members``: ``{name: member}`` registered now; ``lazy``: ``{name: "package.module:attribute"}``,
        as :meth:`register_lazy`."""
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._modules = modules
        self._error = error
        self._members: dict[str, T] = {}
        self._lazy: dict[str, str] = {}
        self._aliases: dict[str, str] = {}
        for name, member in (members or {}).items():
            self.register(name, member)
        for name, path in (lazy or {}).items():
            self.register_lazy(name, path)

    def __repr__(self) -> str:
        return f"<Registry {self.kind}: {len(self._members) + len(self._lazy)} registered>"

    # -- adding members ------------------------------------------------------------------------
    @overload
    def register(
        self, name: str, member: None = None, *, aliases: tuple[str, ...] = ()
    ) -> Callable[[T], T]: ...

    @overload
    def register(self, name: str, member: T, *, aliases: tuple[str, ...] = ()) -> T: ...

    def register(self, name: str, member: T | None = None, *, aliases: tuple[str, ...] = ()):  # noqa: ANN201
        """Add ``member`` under ``name`` (and ``aliases``); without ``member``, a decorator that does."""

        def add(obj: T) -> T:
            known = self._members.get(name)
            if (known is not None and known is not obj) or name in self._lazy:
                raise ConfigError(f"{self.kind} {name!r} is registered twice")
            self._members[name] = obj
            self._add_aliases(name, aliases)
            return obj

        return add if member is None else add(member)

    def register_lazy(self, name: str, path: str, *, aliases: tuple[str, ...] = ()) -> None:
        """Add the member at ``package.module:attribute``, imported when first looked up."""
        if name in self._members or name in self._lazy:
            raise ConfigError(f"{self.kind} {name!r} is registered twice")
        self._lazy[name] = path
        self._add_aliases(name, aliases)

    def _add_aliases(self, name: str, aliases: tuple[str, ...]) -> None:
        for alias in aliases:
            if self._aliases.get(alias, name) != name:
                raise ConfigError(
                    f"{self.kind} alias {alias!r} names both {self._aliases[alias]!r} and {name!r}"
                )
            self._aliases[alias] = name

    # -- reading -------------------------------------------------------------------------------
    def _import_modules(self) -> None:
        modules, self._modules = self._modules, ()
        for module in modules:
            importlib.import_module(module)

    def _plugins(self) -> dict[str, EntryPoint]:
        if not self.entry_point_group:
            return {}
        from importlib.metadata import entry_points  # only when a plug-in could be asked for

        return {ep.name: ep for ep in entry_points(group=self.entry_point_group)}

    def names(self) -> list[str]:
        """Every member's name (aliases not included), without importing lazy members."""
        self._import_modules()
        return list(dict.fromkeys([*self._members, *self._lazy, *self._plugins()]))

    def canonical(self, name: str) -> str:
        """The member name ``name`` stands for (itself unless it is an alias)."""
        self._import_modules()
        return self._aliases.get(name, name)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and self.canonical(name) in self.names()

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def get(self, name: str) -> T:
        """The member called ``name`` (or an alias of it); an unknown name is one error line."""
        self._import_modules()
        key = self.canonical(name)
        if key in self._members:
            return self._members[key]
        if key in self._lazy:
            member = import_object(self._lazy[key], self._error, f"{self.kind} {key!r}")
        else:
            plugin = self._plugins().get(key)
            if plugin is None:
                raise self.unknown(name)
            member = plugin.load()
        self._members[key] = member  # type: ignore[assignment]
        return member  # type: ignore[return-value]

    __getitem__ = get

    def items(self) -> list[tuple[str, T]]:
        """Every (name, member), importing lazy members and plug-ins."""
        return [(name, self.get(name)) for name in self.names()]

    def unknown(self, name: str, known: list[str] | None = None) -> CxrAlignError:
        """The error for a name this registry lacks: one line listing the known names."""
        known = self.names() if known is None else known
        close = difflib.get_close_matches(str(name), known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]}?)" if close else ""
        return self._error(f"unknown {self.kind} {name!r}{hint}; known: {', '.join(known)}")
