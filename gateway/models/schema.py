"""TypedDict wire models: validate parsed JSON against them and turn them into JSON Schema.

Request and response bodies are TypedDicts (keys spelled as on the wire). Constraints ride
along as `Annotated[str, Text(...)]`, so validation and the OpenAPI document share one source.
"""

from __future__ import annotations

import re
import types
from dataclasses import dataclass
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)
from typing import is_typeddict as _is_typeddict

from gateway.errors import BadInput, InvalidField

JsonSchema = dict[str, Any]


@dataclass(frozen=True)
class Text:
    """Constraints on a string field."""

    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    description: str | None = None


EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Annotated[str, Text(min_length=3, max_length=254, pattern=EMAIL_PATTERN)]


def is_typeddict(tp: Any) -> bool:
    return _is_typeddict(tp)


def validate(value: Any, model: Any, path: str = "") -> Any:
    """Check parsed JSON `value` against `model`; raises InvalidField/BadInput, returns `value`."""
    if is_typeddict(model):
        return _validate_object(value, model, path)
    origin, args = get_origin(model), get_args(model)
    if origin is Annotated:
        validate(value, args[0], path)
        for meta in args[1:]:
            if isinstance(meta, Text):
                _check_text(value, meta, path)
    elif origin in (Union, types.UnionType):
        _validate_union(value, args, path)
    elif origin is Literal:
        _validate_literal(value, args, path)
    elif origin is list:
        if not isinstance(value, list):
            raise InvalidField(path, f"{path} must be an array", "INVALID_TYPE")
        for index, item in enumerate(value):
            validate(item, args[0], f"{path}[{index}]")
    elif not _scalar_matches(value, model):
        raise InvalidField(path, f"{path} must be {_TYPE_NAMES.get(model, model)}", "INVALID_TYPE")
    return value


def _validate_object(value: Any, model: Any, path: str) -> Any:
    if not isinstance(value, dict):
        if not path:
            raise BadInput("Request body must be a JSON object", "INVALID_BODY")
        raise InvalidField(path, f"{path} must be an object", "INVALID_TYPE")
    for key in sorted(required_keys(model)):
        if key not in value:
            name = _join(path, key)
            raise InvalidField(name, f"{name} is required", "MISSING_FIELD")
    for key, hint in get_type_hints(model, include_extras=True).items():
        if key in value:
            validate(value[key], _strip_not_required(hint), _join(path, key))
    return value


def _validate_union(value: Any, options: tuple[Any, ...], path: str) -> None:
    for option in options:
        try:
            validate(value, option, path)
        except BadInput:
            continue
        return
    raise InvalidField(path, f"{path} has the wrong type", "INVALID_TYPE")


def _validate_literal(value: Any, allowed: tuple[Any, ...], path: str) -> None:
    # `True == 1` in Python: a boolean must only match boolean literals and vice versa.
    same_kind = isinstance(value, bool) == any(isinstance(a, bool) for a in allowed)
    if value not in allowed or not same_kind:
        choices = ", ".join(repr(a) for a in allowed)
        raise InvalidField(path, f"{path} must be one of {choices}", "INVALID_VALUE")


_TYPE_NAMES: dict[Any, str] = {
    str: "a string",
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    type(None): "null",
}


def _scalar_matches(value: Any, model: Any) -> bool:
    if model is Any:
        return True
    if model is type(None):
        return value is None
    if model is bool:
        return isinstance(value, bool)
    if model is int:
        return isinstance(value, int) and not isinstance(value, bool)
    if model is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if model is str:
        return isinstance(value, str)
    if get_origin(model) is dict:
        return isinstance(value, dict)
    raise TypeError(f"unsupported model type {model!r}")


def _check_text(value: str, rule: Text, path: str) -> None:
    if rule.min_length is not None and len(value) < rule.min_length:
        message = f"{path} must be at least {rule.min_length} characters"
        raise InvalidField(path, message, "INVALID_VALUE")
    if rule.max_length is not None and len(value) > rule.max_length:
        message = f"{path} must be at most {rule.max_length} characters"
        raise InvalidField(path, message, "INVALID_VALUE")
    if rule.pattern is not None and not re.search(rule.pattern, value):
        raise InvalidField(path, f"{path} is not valid", "INVALID_VALUE")


def required_keys(model: Any) -> set[str]:
    """Keys a TypedDict requires, reading `NotRequired`/`Required` from the resolved hints.

    (`__required_keys__` is wrong on Python 3.11 when annotations are postponed strings.)
    """
    hints = get_type_hints(model, include_extras=True)
    required = set()
    for key, hint in hints.items():
        origin = get_origin(hint)
        if origin is Required or (origin is not NotRequired and model.__total__):
            required.add(key)
    return required


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _strip_not_required(hint: Any) -> Any:
    return get_args(hint)[0] if get_origin(hint) is NotRequired else hint


def json_schema(model: Any, components: dict[str, JsonSchema]) -> JsonSchema:
    """JSON Schema for `model`; named TypedDicts go to `components` and are referenced."""
    if is_typeddict(model):
        return _object_schema(model, components)
    origin, args = get_origin(model), get_args(model)
    if origin is Annotated:
        schema = dict(json_schema(args[0], components))
        for meta in args[1:]:
            if isinstance(meta, Text):
                schema.update(_text_schema(meta))
        return schema
    if origin in (Union, types.UnionType):
        return {"anyOf": [json_schema(option, components) for option in args]}
    if origin is Literal:
        return {"enum": list(args)}
    if origin is list:
        return {"type": "array", "items": json_schema(args[0], components)}
    if origin is dict:
        return {"type": "object", "additionalProperties": json_schema(args[1], components)}
    if model in _SIMPLE:
        return {"type": _SIMPLE[model]}
    if model is Any:
        return {}
    raise TypeError(f"no JSON Schema for {model!r}")


_SIMPLE = {str: "string", bool: "boolean", int: "integer", float: "number", type(None): "null"}


def _object_schema(model: Any, components: dict[str, JsonSchema]) -> JsonSchema:
    name = model.__name__
    if name not in components:
        components[name] = {}  # placeholder stops recursion
        hints = get_type_hints(model, include_extras=True)
        properties = {
            key: json_schema(_strip_not_required(hint), components) for key, hint in hints.items()
        }
        schema: JsonSchema = {"type": "object", "properties": properties}
        required = sorted(required_keys(model))
        if required:
            schema["required"] = required
        if model.__doc__:
            schema["description"] = model.__doc__.strip().splitlines()[0]
        components[name] = schema
    return {"$ref": f"#/components/schemas/{name}"}


def _text_schema(rule: Text) -> JsonSchema:
    schema: JsonSchema = {}
    if rule.min_length is not None:
        schema["minLength"] = rule.min_length
    if rule.max_length is not None:
        schema["maxLength"] = rule.max_length
    if rule.pattern is not None:
        schema["pattern"] = rule.pattern
    if rule.description is not None:
        schema["description"] = rule.description
    return schema
