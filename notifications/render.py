"""Render a trigger's templates (subject, text, HTML) in a Jinja2 sandbox, per locale."""

from __future__ import annotations

import functools
import re
import traceback
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
from jinja2 import meta, nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

from notifications import formatting
from notifications.context import TRIGGERS, check_trigger, sample_context, template_context

__all__ = ["RenderedMessage", "Renderer", "TemplateError", "sample_context", "single_line", "validate_template"]

TEMPLATES_DIR = Path(__file__).parent / "templates"

_LOCALE = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*\Z")
_NAME = re.compile(
    r"(?P<trigger>[a-z_]+)/(?P<part>subject|body)"
    r"(?:\.(?P<locale>[a-z]{2,8}(?:-[A-Za-z0-9]{1,8})*))?\.(?P<ext>txt|html)\Z"
)
_OVERRIDE_FILENAME = re.compile(r"<override (?P<name>.+)>\Z")
_FILTERS: dict[str, Callable[..., str]] = {
    "reward_text": formatting.reward_text,
    "credits": formatting.format_credits,
    "points": formatting.format_points,
    "long_date": formatting.long_date,
    "thousands": formatting.group_thousands,
}


@dataclass(frozen=True)
class RenderedMessage:
    """One notification rendered: a one-line subject, a plain-text body and an HTML body."""

    subject: str
    text: str
    html: str


class TemplateError(Exception):
    """A template failed to compile or render; the message names the template and the line."""

    def __init__(self, reason: str, *, name: str | None = None, lineno: int | None = None) -> None:
        self.reason, self.name, self.lineno = reason, name, lineno
        super().__init__(_describe(reason, name, lineno))


class Renderer:
    """Renders notification templates, per-campaign overrides first, then the shipped ones."""

    def __init__(self, *, overrides: Mapping[str, str] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._env = _environment(self._overrides)

    def render(self, trigger: str, context: Mapping[str, Any], *, locale: str | None = None) -> RenderedMessage:
        """Render the subject, text and HTML of `trigger` for the customer's (or the given) locale."""
        _require_trigger(trigger)
        values = template_context(context)
        chosen = locale if locale is not None else _customer_locale(context)
        part = functools.partial(self._render_part, trigger, values, chosen)
        return RenderedMessage(
            subject=single_line(part("subject", "txt")),
            text=part("body", "txt"),
            html=part("body", "html"),
        )

    def candidates(self, trigger: str, part: str, ext: str, locale: str | None) -> list[str]:
        """Template names to try, in order: overrides (most specific locale first), then shipped."""
        names = [f"{trigger}/{part}.{suffix}.{ext}" for suffix in locale_chain(locale)]
        names.append(f"{trigger}/{part}.{ext}")
        return [name for name in names if name in self._overrides] + names

    def check(self, name: str, context: Mapping[str, Any]) -> str:
        """Render template `name` alone, refusing variables the context does not define."""
        source = _guard(lambda: self._env.loader.get_source(self._env, name)[0])
        values = template_context(context)
        _refuse_unknown_variables(self._env, name, source, set(values) | set(self._env.globals))
        template = _guard(lambda: self._env.get_template(name))
        return _guard(lambda: template.render(values))

    def _render_part(self, trigger: str, values: dict[str, Any], locale: str | None, part: str, ext: str) -> str:
        """Render one part from the first template that exists among the candidates."""
        template = _guard(lambda: self._env.select_template(self.candidates(trigger, part, ext, locale)))
        return _guard(lambda: template.render(values))


def validate_template(name: str, source: str) -> None:
    """Render `source` as template `name` with a sample context; raise TemplateError if it fails."""
    match = _NAME.match(name)
    if match is None or match["trigger"] not in TRIGGERS or (match["part"], match["ext"]) == ("subject", "html"):
        raise TemplateError("unknown template name; expected <trigger>/<subject|body>[.<locale>].<txt|html>", name=name)
    Renderer(overrides={name: source}).check(name, sample_context(match["trigger"]))


def locale_chain(locale: str | None) -> list[str]:
    """Locale suffixes to try, most specific first: 'de-DE' → ['de-DE', 'de']; junk → []."""
    if not locale or not _LOCALE.match(locale):
        return []
    parts = locale.replace("_", "-").split("-")
    parts = [parts[0].lower()] + [_canonical_subtag(part) for part in parts[1:]]
    return ["-".join(parts[:length]) for length in range(len(parts), 0, -1)]


def single_line(text: str) -> str:
    """`text` on one line: control characters and runs of whitespace (CR/LF too) become one space."""
    printable = "".join(char if char.isprintable() else " " for char in text)
    return " ".join(printable.split())


def _canonical_subtag(subtag: str) -> str:
    """BCP 47 casing: regions upper case ('DE'), scripts title case ('Latn'), the rest lower."""
    if len(subtag) == 2:
        return subtag.upper()
    return subtag.title() if len(subtag) == 4 else subtag.lower()


def _customer_locale(context: Mapping[str, Any]) -> str | None:
    """The locale stored on the context's customer, if any."""
    customer = context.get("customer") or {}
    return customer.get("locale")


def _require_trigger(trigger: str) -> None:
    """Refuse an unknown trigger as a TemplateError."""
    try:
        check_trigger(trigger)
    except ValueError as exc:
        raise TemplateError(str(exc)) from exc


class _OverrideLoader(jinja2.DictLoader):
    """Override sources, with a recognisable filename so errors can name the template."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        """The override's source, named '<override NAME>' in tracebacks."""
        source, _, uptodate = super().get_source(environment, template)
        return source, f"<override {template}>", uptodate


class _MemoryBytecodeCache(jinja2.BytecodeCache):
    """Compiled templates shared by every Renderer, so a new Renderer does not recompile."""

    def __init__(self) -> None:
        self._store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Fill the bucket if this template was compiled before (the source checksum is checked)."""
        if (data := self._store.get(bucket.key)) is not None:
            bucket.bytecode_from_string(data)

    def dump_bytecode(self, bucket: jinja2.bccache.Bucket) -> None:
        """Remember a freshly compiled template."""
        self._store[bucket.key] = bucket.bytecode_to_string()


@functools.cache
def _bytecode_cache() -> _MemoryBytecodeCache:
    """The process-wide bytecode cache, created on first use."""
    return _MemoryBytecodeCache()


def _environment(overrides: Mapping[str, str]) -> ImmutableSandboxedEnvironment:
    """A sandbox that autoescapes .html, refuses undefined variables and knows our filters."""
    env = ImmutableSandboxedEnvironment(
        loader=jinja2.ChoiceLoader([_OverrideLoader(dict(overrides)), jinja2.FileSystemLoader(TEMPLATES_DIR)]),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False, default=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
        bytecode_cache=_bytecode_cache(),
        finalize=_blank_none,
    )
    env.filters.update(_FILTERS)
    return env


def _blank_none(value: Any) -> Any:
    """Print None as nothing rather than 'None'."""
    return "" if value is None else value


def _guard(step: Callable[[], Any]) -> Any:
    """Run a loading or rendering step, turning any failure into a TemplateError with name and line."""
    try:
        return step()
    except jinja2.TemplateSyntaxError as exc:
        raise TemplateError(exc.message or "syntax error", name=exc.name, lineno=exc.lineno) from exc
    except jinja2.TemplateNotFound as exc:
        raise TemplateError(f"template not found: {', '.join(_missing_names(exc))}") from exc
    except Exception as exc:  # a user template can raise anything; report where it happened
        name, lineno = _failing_line(exc)
        raise TemplateError(_reason(exc), name=name, lineno=lineno) from exc


def _refuse_unknown_variables(env: jinja2.Environment, name: str, source: str, known: set[str]) -> None:
    """Raise TemplateError for the first variable the template reads but nobody defines."""
    tree = _guard(lambda: env.parse(source, name))
    unknown = meta.find_undeclared_variables(tree) - known
    for node in tree.find_all(nodes.Name):
        if node.ctx == "load" and node.name in unknown:
            raise TemplateError(f"'{node.name}' is undefined", name=name, lineno=node.lineno)


def _failing_line(exc: BaseException) -> tuple[str | None, int | None]:
    """The innermost template frame of the traceback as (template name, line)."""
    found: tuple[str | None, int | None] = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if (name := _template_name(frame.filename)) is not None:
            found = (name, frame.lineno)
    return found


def _template_name(filename: str) -> str | None:
    """The template name behind a traceback filename, None for Python frames."""
    if match := _OVERRIDE_FILENAME.match(filename):
        return match["name"]
    path = Path(filename)
    if path.suffix in (".txt", ".html") and path.is_relative_to(TEMPLATES_DIR):
        return path.relative_to(TEMPLATES_DIR).as_posix()
    return None


def _missing_names(exc: jinja2.TemplateNotFound) -> Iterable[str]:
    """The names a not-found error tried."""
    return getattr(exc, "templates", None) or [str(exc.name)]


def _reason(exc: Exception) -> str:
    """A short reason: Jinja's own message, or the Python error's type and text."""
    if isinstance(exc, jinja2.TemplateError):
        return exc.message or type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


def _describe(reason: str, name: str | None, lineno: int | None) -> str:
    """'code_published/body.html line 3: reason', leaving out what is unknown."""
    where = " ".join(part for part in (name, f"line {lineno}" if lineno else None) if part)
    return f"{where}: {reason}" if where else reason
