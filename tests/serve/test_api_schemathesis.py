"""Property-based tests of the HTTP API against its own OpenAPI schema (schemathesis).

Schemathesis generates requests from ``/api/v1/openapi.json``, both valid ones
(positive mode) and invalid ones (negative mode: wrong types, out-of-range numbers,
odd strings in paths, queries and bodies), and sends them to the app in process
(ASGI). Whatever the input, the API must answer with a status below 500
(``not_a_server_error``): bad input is the client's error, never a crash. The store is
the seeded copy of conftest.py; for the public endpoints its run is published, for the
forecaster endpoints it stays a draft, so that fuzzed edits reach the store's checks.

Each operation gets at most :data:`MAX_EXAMPLES` examples per mode, derandomized, so
the file runs in well under a minute. The operations are driven with
``APIOperation.as_strategy`` and Hypothesis directly: schemathesis' own pytest
fixture loader (``schemathesis.pytest.from_fixture``) does not run under pytest 9.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error

from forecasting.config import Settings
from forecasting.storage import Store
from serve.app import create_app

MAX_EXAMPLES = 15
_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(HealthCheck),
)
_PRIVATE = r"^/api/v1/(review|admin)/"


def _run_operations(schema: Any, headers: dict[str, str], known: dict[str, Any]) -> list[str]:
    """Drive every operation of ``schema``; return the failures.

    Three sweeps per operation: valid requests, invalid requests, and valid requests
    whose path parameters name things that exist (``known``), so that the query and
    body values are also fuzzed on the success paths.
    """
    failures: list[str] = []
    labels = []
    for result in schema.get_all_operations():
        operation = result.ok()
        labels.append(operation.label)
        names = [p.name for p in operation.path_parameters]
        sweeps: list[tuple[str, GenerationMode, dict[str, Any] | None]] = [
            ("positive", GenerationMode.POSITIVE, None),
            ("negative", GenerationMode.NEGATIVE, None),
        ]
        if names:
            given_path = {n: known[n] for n in names}
            sweeps.append((f"positive {given_path}", GenerationMode.POSITIVE, given_path))
        for label, mode, path in sweeps:
            try:
                _checker(operation, mode, headers, path)()
            except Unsatisfiable:
                # No invalid request exists for an operation without parameters.
                if mode is GenerationMode.POSITIVE:
                    raise
            except Exception as error:  # collect all, report together
                failures.append(f"{operation.label} [{label}]: {error}")
    assert labels, "the schema has no operations"
    return failures


def _checker(
    operation: Any, mode: GenerationMode, headers: dict[str, str], fixed: dict[str, Any] | None
) -> Callable[[], None]:
    strategy = operation.as_strategy(generation_mode=mode, path_parameters=fixed)

    @_SETTINGS
    @given(case=strategy)
    def check(case: Any) -> None:
        case.call_and_validate(headers=headers, checks=[not_a_server_error])

    return check


def _schema(store: Store, settings: Settings) -> Any:
    app = create_app(settings, store=store)
    return schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)


@pytest.mark.slow
def test_public_endpoints_never_answer_5xx(
    api_store: Store, api_settings: Settings, published_run: int
) -> None:
    public = _schema(api_store, api_settings).exclude(path_regex=_PRIVATE)
    known = {"station": "Dongsi", "city": "Beijing", "run_id": published_run}
    failures = _run_operations(public, headers={}, known=known)
    assert not failures, "\n".join(failures)


@pytest.mark.slow
def test_forecaster_and_admin_endpoints_never_answer_5xx(
    api_store: Store, api_settings: Settings, api_seed: Any
) -> None:
    token = api_store.create_token("property tests", "admin")
    private = _schema(api_store, api_settings).include(path_regex=_PRIVATE)
    known = {"run_id": api_seed.run_id, "entity": "Dongsi"}  # the draft: edits reach the store
    failures = _run_operations(private, {"Authorization": f"Bearer {token}"}, known)
    assert not failures, "\n".join(failures)
