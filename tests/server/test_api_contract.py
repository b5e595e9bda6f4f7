"""The API contract: the served OpenAPI document, the app's routes, the kiosk's client and
the committed snapshot agree; every error of the API is JSON with a stable code.

The snapshot ``docs/openapi-v1.json`` makes a contract change deliberate; refresh it with

    .venv/bin/python -m tests.server.test_api_contract

The client checks are derived from ``server_api/client.py`` itself: its source (every
``_api``/``_request`` call and the contract models it builds and parses) and its
behaviour (every public method called through a recording transport), never from a list
of paths written here.
"""
from __future__ import annotations

import ast
import difflib
import hashlib
import inspect
import json
import logging
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import requests
from fastapi.routing import APIRoute

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # ``python -m tests.server.test_api_contract`` from anywhere
    sys.path.insert(0, str(ROOT))

from server_api import client as client_module  # noqa: E402
from server_api import contract  # noqa: E402
from server_api.client import CentralClient  # noqa: E402

from tests.staff_console import start_server  # noqa: E402

SNAPSHOT = ROOT / "docs" / "openapi-v1.json"
REFRESH = ".venv/bin/python -m tests.server.test_api_contract"
CLIENT_SOURCE = Path(client_module.__file__)
HTTP_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}
# Paths the framework serves besides the API (the document itself and its viewers).
FRAMEWORK_PATHS = {"/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc"}


# --- a live server and its document -----------------------------------------------------

@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """A real server (uvicorn, loopback, SQLite) and its app object."""
    tmp = tmp_path_factory.mktemp("contract")
    base_url, _password, stop = start_server(f"sqlite:///{tmp / 'central.db'}", tmp / "data")
    try:
        yield base_url
    finally:
        stop()


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from server_api.server.app import create_app
    from server_api.server.settings import CentralSettings

    tmp = tmp_path_factory.mktemp("contract-app")
    return create_app(f"sqlite:///{tmp / 'central.db'}", tmp / "data",
                      settings=CentralSettings(admin_password="contract-test-password"))


@pytest.fixture(scope="module")
def spec(live) -> dict:
    response = requests.get(live + "/openapi.json", timeout=10)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    return response.json()


def operations(spec: dict) -> dict[tuple[str, str], dict]:
    """(METHOD, path template) -> the operation object, for every documented operation."""
    return {(method.upper(), path): op for path, item in spec["paths"].items()
            for method, op in item.items() if method in HTTP_METHODS}


def template_key(path: str) -> str:
    """A path template with its parameter names erased: ``/a/{x}/b`` -> ``/a/{}/b``."""
    return re.sub(r"\{[^}]*\}", "{}", path)


def schema_ref(media: dict | None) -> str | None:
    """The component name a media object's schema refers to, if it is a plain $ref."""
    ref = ((media or {}).get("schema") or {}).get("$ref", "")
    return ref.rsplit("/", 1)[-1] or None


def json_media(obj: dict) -> dict | None:
    return (obj.get("content") or {}).get("application/json")


def validator(spec: dict, component: str):
    """A JSON Schema validator for ``#/components/schemas/<component>`` of the document."""
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$ref": f"#/components/schemas/{component}", "components": spec["components"]}
    return jsonschema_rs.Draft202012Validator(root)


# --- the snapshot -----------------------------------------------------------------------

def render(document: dict) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def test_served_document_matches_the_committed_snapshot(spec):
    assert SNAPSHOT.exists(), f"no {SNAPSHOT.relative_to(ROOT)}; create it with: {REFRESH}"
    committed = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    if committed != spec:
        diff = "".join(list(difflib.unified_diff(
            render(committed).splitlines(keepends=True), render(spec).splitlines(keepends=True),
            "docs/openapi-v1.json (committed)", "/openapi.json (served)", n=2))[:80])
        pytest.fail("the served OpenAPI document differs from docs/openapi-v1.json. If the "
                    f"contract change is deliberate, refresh the snapshot with: {REFRESH}\n"
                    + diff, pytrace=False)


def test_the_snapshot_is_stored_in_canonical_form():
    # Sorted keys and one layout: a refresh shows only real changes in review.
    text = SNAPSHOT.read_text(encoding="utf-8")
    assert text == render(json.loads(text)), f"reformat it with: {REFRESH}"


# --- the document and the app's routes --------------------------------------------------

def app_operations(app) -> dict[tuple[str, str], Any]:
    """(METHOD, path) -> route, for every HTTP route the app really has.

    FastAPI (0.16x) keeps included routers as lazy branches; ``iter_route_contexts``
    flattens them into the routes as served (prefix applied)."""
    try:
        from fastapi.routing import iter_route_contexts
        routes = list(iter_route_contexts(app.routes))
    except ImportError:  # an older FastAPI: routers are flattened when included
        routes = list(app.routes)
    found = {}
    for route in routes:
        for method in getattr(route, "methods", None) or ():
            found[(method, route.path)] = route
    return found


def test_every_api_route_is_documented_and_every_documented_operation_is_served(app, spec):
    served = app_operations(app)
    documented = operations(spec)
    assert documented, "the document lists no operation"

    api_routes = {key for key in served if key[1].startswith("/api")}
    assert api_routes, "the app has no API route"
    assert {path for _m, path in api_routes} == {
        path for _m, path in api_routes if path.startswith(contract.API_PREFIX + "/")}, \
        "every API route is under the versioned prefix " + contract.API_PREFIX
    undocumented = {key for key in api_routes if key not in documented}
    assert not undocumented, f"API routes missing from the OpenAPI document: {sorted(undocumented)}"
    hidden = {key for key, route in served.items()
              if isinstance(getattr(route, "original_route", route), APIRoute)
              and getattr(route, "include_in_schema", False) and key not in documented}
    assert not hidden, f"routes meant for the document but missing from it: {sorted(hidden)}"

    not_served = {key for key in documented if key not in served}
    assert not not_served, f"documented operations the app does not serve: {sorted(not_served)}"
    assert not any(path.startswith("/console") for _m, path in documented)
    other = {path for _m, path in documented} - {path for _m, path in api_routes}
    assert other <= {"/healthz"}, f"documented paths outside the API: {sorted(other)}"


def test_documented_operations_answer_on_the_wire_as_documented(live, spec):
    """Each documented operation, called for real without credentials or body, reaches its
    route (not the generic not_found / method_not_allowed) and answers a documented
    status with the documented body."""
    for (method, path), op in operations(spec).items():
        url = live + re.sub(r"\{[^}]*\}", "1", path)
        response = requests.request(method, url, timeout=10)
        where = f"{method} {path}"
        assert str(response.status_code) in op["responses"], \
            f"{where}: status {response.status_code} is not documented"
        if response.status_code >= 400:
            body = response.json()
            assert body["error"]["code"] not in ("not_found", "method_not_allowed"), where
            assert schema_ref(json_media(op["responses"][str(response.status_code)])) == \
                "ErrorResponse", where
            validator(spec, "ErrorResponse").validate(body)


def test_every_operation_declares_its_errors_with_the_error_model(spec):
    for (method, path), op in operations(spec).items():
        errors = {status: answer for status, answer in op["responses"].items()
                  if status.startswith(("4", "5"))}
        if path.startswith(contract.API_PREFIX):
            assert not (op.get("parameters") or op.get("requestBody")) or "422" in errors, \
                f"{method} {path}: takes input, yet 422 is not declared"
            assert op.get("security") is None or "401" in errors, \
                f"{method} {path}: an authenticated operation must declare 401"
            if "requestBody" in op:
                assert {"413", "415", "422"} <= errors.keys(), f"{method} {path}"
        for status, answer in errors.items():
            if path.startswith(contract.API_PREFIX):
                assert schema_ref(json_media(answer)) == "ErrorResponse", \
                    f"{method} {path}: {status} is not declared as ErrorResponse"
    # The error model itself: what the client reads from an error body is required.
    error = spec["components"]["schemas"]["ErrorResponse"]
    assert error["required"] == ["error"]
    body = spec["components"]["schemas"][error["properties"]["error"]["$ref"].rsplit("/", 1)[-1]]
    assert set(body["required"]) == {"code", "message"}


def test_documented_models_are_the_contract_models(spec):
    """Each component schema is the JSON schema of the same-named model of
    ``server_api.contract``, the module the kiosk's client builds and parses with."""
    from enum import Enum

    from pydantic import BaseModel

    components = spec["components"]["schemas"]
    checked = 0
    for name, schema in components.items():
        base = name.removesuffix("-Input").removesuffix("-Output")
        model = getattr(contract, base, None)
        assert isinstance(model, type), f"component {name} is not a model of the contract"
        if issubclass(model, Enum):
            assert schema["enum"] == [member.value for member in model], name
            checked += 1
            continue
        assert issubclass(model, BaseModel), name
        mode = "serialization" if name.endswith("-Output") else "validation"
        expected = model.model_json_schema(ref_template="#/components/schemas/{model}",
                                           mode=mode)
        expected.pop("$defs", None)
        assert _without_titles(schema) == _without_titles(expected), name
        checked += 1
    assert checked >= 10


def _without_titles(value: Any) -> Any:
    """A schema without what does not change validation: titles and null defaults."""
    if isinstance(value, dict):
        return {k: _without_titles(v) for k, v in value.items()
                if k != "title" and not (k == "default" and v is None)}
    if isinstance(value, list):
        return [_without_titles(v) for v in value]
    return value


# --- the kiosk's client, from its source ------------------------------------------------

class ClientCall:
    def __init__(self, function: str, method: str, path: str, body_model: str | None,
                 parsed_model: str | None) -> None:
        self.function, self.method, self.path = function, method, path
        self.body_model, self.parsed_model = body_model, parsed_model

    def __repr__(self) -> str:
        return f"{self.function}: {self.method} {self.path}"


def _literal_path(node: ast.expr) -> str:
    """The path of a call argument: a string, or an f-string whose fields become ``{}``."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(v.value if isinstance(v, ast.Constant) else "{}" for v in node.values)
    raise AssertionError(f"line {node.lineno}: the client's path is not a literal; "
                         "keep paths literal so the contract test can read them")


def _contract_model(node: ast.expr | None) -> str | None:
    """``c.Model`` (the contract module imported as ``c``) -> "Model"."""
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) \
            and node.value.id == "c" and node.attr[:1].isupper():
        return node.attr
    return None


def client_calls_from_source(source: str) -> list[ClientCall]:
    """Every API call the client's public methods make, read from the client's source."""
    tree = ast.parse(source)
    assert any(isinstance(n, ast.ImportFrom) and n.module == "server_api"
               and any(a.name == "contract" and a.asname == "c" for a in n.names)
               for n in tree.body), "the client imports the contract as 'c'"
    cls = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "CentralClient")
    calls = []
    for function in cls.body:
        if not isinstance(function, ast.FunctionDef) or function.name.startswith("_"):
            continue
        # body = c.Model(...).model_dump(...), or param.model_dump(...) of a parameter
        # annotated with a contract model: the request model, by variable name
        built: dict[str, str] = {}
        parsed: set[str] = set()
        params = {a.arg: _contract_model(a.annotation) for a in function.args.args}
        for node in ast.walk(function):
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name) and isinstance(node.value, ast.Call) \
                    and isinstance(node.value.func, ast.Attribute) \
                    and node.value.func.attr == "model_dump" \
                    and isinstance(node.value.func.value, ast.Name) \
                    and params.get(node.value.func.value.id):
                built[node.targets[0].id] = params[node.value.func.value.id]
            if isinstance(node, ast.Assign) and len(node.targets) == 1 \
                    and isinstance(node.targets[0], ast.Name):
                for inner in ast.walk(node.value):
                    if isinstance(inner, ast.Call) and _contract_model(inner.func):
                        built[node.targets[0].id] = _contract_model(inner.func)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                    and node.func.attr == "model_validate" and _contract_model(node.func.value):
                parsed.add(_contract_model(node.func.value))
        for node in ast.walk(function):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and isinstance(node.func.value, ast.Name) and node.func.value.id == "self"
                    and node.func.attr in ("_api", "_request")):
                continue
            method = node.args[0]
            assert isinstance(method, ast.Constant), f"{function.name}: method not literal"
            path = _literal_path(node.args[1])
            if node.func.attr == "_api":
                path = contract.API_PREFIX + path
            body = next((k.value for k in node.keywords if k.arg == "json"), None)
            body_model = built.get(body.id) if isinstance(body, ast.Name) else (
                _contract_model(body.func) if isinstance(body, ast.Call) else None)
            assert body is None or body_model, \
                f"{function.name}: the JSON body is not built from a contract model"
            assert len(parsed) <= 1, f"{function.name} parses several models: {parsed}"
            calls.append(ClientCall(function.name, method.value, path, body_model,
                                    next(iter(parsed), None)))
    return calls


def client_call_problems(spec: dict, calls: list[ClientCall]) -> list[str]:
    """Where the client's calls and the document disagree (empty when they agree)."""
    documented = {(m, template_key(p)): op for (m, p), op in operations(spec).items()}
    problems = []
    for call in calls:
        op = documented.get((call.method, template_key(call.path)))
        if op is None:
            problems.append(f"{call!r} is not a documented operation")
            continue
        request_body = op.get("requestBody")
        if call.body_model:
            takes = schema_ref(json_media(request_body or {}))
            if takes not in (call.body_model, call.body_model + "-Input"):
                problems.append(f"{call!r} sends {call.body_model}, the document takes {takes}")
        elif (request_body or {}).get("required"):
            problems.append(f"{call!r} sends no body; the document requires one")
        ok = op["responses"].get("200", {})
        answers = schema_ref(json_media(ok))
        if call.parsed_model:
            if answers not in (call.parsed_model, call.parsed_model + "-Output"):
                problems.append(f"{call!r} parses {call.parsed_model}, the document answers "
                                f"{answers}")
        elif json_media(ok) is not None:
            problems.append(f"{call!r} parses no model, yet the document answers {answers}")
    return problems


def test_the_client_only_uses_documented_operations_with_documented_models(spec):
    calls = client_calls_from_source(CLIENT_SOURCE.read_text(encoding="utf-8"))
    assert {c.function for c in calls} >= {"roster", "post_events", "enrol"}, calls
    assert client_call_problems(spec, calls) == []


@pytest.mark.parametrize("original, changed, problem", [
    ('"/terminal/roster"', '"/terminal/rooster"', "not a documented operation"),
    ('self._api("POST", "/terminal/events"', 'self._api("PUT", "/terminal/events"',
     "not a documented operation"),
    ("c.LeaveList.model_validate", "c.LessonList.model_validate", "parses LessonList"),
    ("body = c.EventBatch(", "body = c.EnrolRequest(", "sends EnrolRequest"),
])
def test_the_source_check_catches_a_client_that_strays(spec, original, changed, problem):
    source = CLIENT_SOURCE.read_text(encoding="utf-8")
    assert original in source, "update this test to the client's source"
    calls = client_calls_from_source(source.replace(original, changed, 1))
    assert any(problem in p for p in client_call_problems(spec, calls)), problem


# --- the kiosk's client, by what it sends -----------------------------------------------

class Recorder(requests.adapters.BaseAdapter):
    """A transport that records each request and answers from the OpenAPI document: the
    documented 200 body, built from its schema (or video bytes for the lesson content)."""

    def __init__(self, spec: dict, content: bytes) -> None:
        super().__init__()
        self.spec = spec
        self.content = content
        self.sent: list[requests.PreparedRequest] = []

    def send(self, request, **_kwargs):
        self.sent.append(request)
        path = requests.utils.urlparse(request.url).path
        op = match_operation(self.spec, request.method, path)
        response = requests.Response()
        response.request, response.url = request, request.url
        response.status_code = 200
        ok = op["responses"]["200"] if op else {}
        media = json_media(ok)
        if op is None:
            response.status_code = 404
            body = json.dumps({"error": {"code": "not_found", "message": "Not Found"}}).encode()
            response.headers["Content-Type"] = "application/json"
        elif media is not None:
            body = json.dumps(instance_of(self.spec, media["schema"])).encode()
            response.headers["Content-Type"] = "application/json"
        else:
            body = self.content
            response.headers["Content-Type"] = next(iter(ok.get("content") or {"video/mp4": 0}))
        response._content = body
        response._content_consumed = True
        response.headers["Content-Length"] = str(len(body))
        return response

    def close(self):
        pass


def match_operation(spec: dict, method: str, path: str) -> dict | None:
    for (m, template), op in operations(spec).items():
        pattern = "^" + re.sub(r"\\\{[^}]*\\\}", "[^/]+", re.escape(template)) + "$"
        if m == method and re.match(pattern, path):
            return op
    return None


def instance_of(spec: dict, schema: dict) -> Any:
    """A full, valid instance of a JSON schema of the document (every property given)."""
    if "$ref" in schema:
        return instance_of(spec, spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]])
    if "anyOf" in schema:
        return instance_of(spec, next((s for s in schema["anyOf"] if s.get("type") != "null"),
                                      schema["anyOf"][0]))
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    kind = schema.get("type")
    if kind == "object":
        return {name: instance_of(spec, sub) for name, sub in schema.get("properties", {}).items()}
    if kind == "array":
        return [instance_of(spec, schema.get("items", {})) for _ in range(max(1, schema.get("minItems", 1)))]
    if kind == "string":
        fmt = schema.get("format")
        if fmt == "date-time":
            return "2024-05-06T07:08:09Z"
        if fmt == "date":
            return "2024-05-06"
        if "pattern" in schema and "default" in schema:  # e.g. opening_hours: "" matches
            return schema["default"]
        return "x" * max(1, schema.get("minLength", 1))
    if kind == "integer":
        return max(1, schema.get("minimum", 1))
    if kind == "number":
        return max(0.5, schema.get("minimum", 0.5))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return {}


def sample_arguments(tmp: Path, content: bytes) -> dict[str, tuple]:
    """Arguments for each public method of the client (a new method must be added here)."""
    from server_api import signing

    event = contract.Event(idempotency_key="contract-0001", kind=contract.EventKind.checkin,
                           person_id=1, occurred_at="2024-05-06T07:08:09Z",
                           payload={"match_score": 0.9})
    lesson = contract.LessonInfo(id=3, title="t", sha256=hashlib.sha256(content).hexdigest(),
                                 size=len(content))
    return {
        "health": (),
        "enrol": ("token-1234", "终端", signing.public_key_pem(signing.generate_private_key())),
        "roster": (),
        "post_events": ([event],),
        "leaves": (1,),
        "approvals": (1,),
        "lessons": (1,),
        "download_lesson": (lesson, tmp / "lesson.mp4"),
        "heartbeat": (contract.HeartbeatRequest(
            app_version="1.0", free_disk_bytes=10**9, outbox_depth=0,
            terminal_time="2024-05-06T07:08:09Z",
            devices={"camera": contract.DeviceReport(state="ok")}),),
        "command_result": (7, contract.CommandResult(status="done", message="ok")),
        "content_metadata": ("timestamp.json", tmp / "timestamp.json"),
        "content_target": ("lessons", f"{lesson.sha256}.lesson-3.mp4", tmp / "target.part"),
        "questionnaires": (1,),
        "questionnaire_definition": ("phq9", 1, hashlib.sha256(content).hexdigest()),
    }


def recording_client(recorder: Recorder) -> CentralClient:
    """The kiosk's client over the recording transport (anonymous: signing is not what
    this test is about, and the transport answers every request)."""
    session = requests.Session()
    session.mount("http://", recorder)
    return CentralClient("http://central.test", session=session)


def test_the_client_sends_documented_requests_and_parses_documented_answers(spec, tmp_path):
    content = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4
    recorder = Recorder(spec, content)
    client = recording_client(recorder)
    arguments = sample_arguments(tmp_path, content)
    public = sorted(name for name, member in inspect.getmembers(CentralClient, inspect.isfunction)
                    if not name.startswith("_"))
    missing = set(public) - arguments.keys()
    assert not missing, f"add sample arguments for the client's new methods: {sorted(missing)}"

    for name in public:
        before = len(recorder.sent)
        result = getattr(client, name)(*arguments[name])
        sent = recorder.sent[before:]
        assert sent, f"{name} sent nothing"
        for request in sent:
            path = requests.utils.urlparse(request.url).path
            op = match_operation(spec, request.method, path)
            assert op is not None, f"{name}: {request.method} {path} is not documented"
            body_doc = json_media(op.get("requestBody") or {})
            if request.body:
                assert body_doc is not None, f"{name}: sends a body the document does not take"
                assert request.headers["Content-Type"] == "application/json"
                validator(spec, schema_ref(body_doc)).validate(json.loads(request.body))
            else:
                assert not (op.get("requestBody") or {}).get("required"), name
            for header, value in request.headers.items():
                declared = [p for p in op.get("parameters", []) if p["in"] == "header"]
                if header.lower() == "range":
                    assert any(p["name"].lower() == "range" for p in declared), name
        # What the client returns is the model the document answers with.
        ok = op["responses"]["200"]
        if json_media(ok):
            documented = schema_ref(json_media(ok)).removesuffix("-Output")
            assert type(result).__name__ == documented, \
                f"{name} returns {type(result).__name__}, the document answers {documented}"
        else:
            data = result if isinstance(result, bytes) else Path(result).read_bytes()
            assert data == content, name  # a file (lesson) or the bytes (questionnaire)


# --- errors on the wire -------------------------------------------------------------------

def _error(response: requests.Response) -> dict:
    assert response.headers["content-type"].startswith("application/json"), response.text[:200]
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message"}, body
    assert isinstance(body["error"]["code"], str) and isinstance(body["error"]["message"], str)
    return body["error"]


def test_errors_of_the_api_are_json_with_stable_codes(live):
    api = live + contract.API_PREFIX
    cases = [
        # unknown routes, under the API and elsewhere but the console
        (requests.get(api + "/nothing-here", timeout=10), 404, "not_found"),
        (requests.get(live + "/api/v2/terminal/roster", timeout=10), 404, "not_found"),
        (requests.post(api + "/terminal/roster/x", json={}, timeout=10), 404, "not_found"),
        # wrong method
        (requests.delete(api + "/terminal/events", timeout=10), 405, "method_not_allowed"),
        (requests.put(api + "/terminals/enrol", json={}, timeout=10), 405, "method_not_allowed"),
        # validation: the field is named
        (requests.post(api + "/terminals/enrol", json={"name": "x"}, timeout=10), 422,
         "validation_error"),
        (requests.get(api + "/terminal/persons/abc/leaves", timeout=10), 401,
         None),  # authentication is checked first: no hint about valid ids
        # malformed JSON, a JSON body of the wrong type
        (requests.post(api + "/terminals/enrol", data=b'{"token": ', timeout=10,
                       headers={"Content-Type": "application/json"}), 422, "validation_error"),
        (requests.post(api + "/terminals/enrol", data=b"[1, 2]", timeout=10,
                       headers={"Content-Type": "application/json"}), 422, "validation_error"),
        # JSON that is not UTF-8
        (requests.post(api + "/terminals/enrol", data=b'{"token": "\xff\xfe"}', timeout=10,
                       headers={"Content-Type": "application/json"}), 400, "bad_request"),
        # wrong or missing content type
        (requests.post(api + "/terminals/enrol", data=b"token=abc", timeout=10,
                       headers={"Content-Type": "application/x-www-form-urlencoded"}), 415,
         "unsupported_media_type"),
        (requests.post(api + "/terminals/enrol", data=b'{"token": "abc"}', timeout=10,
                       headers={"Content-Type": "text/plain"}), 415, "unsupported_media_type"),
        (requests.post(api + "/terminals/enrol", data=b'{"token": "abc"}', timeout=10), 415,
         "unsupported_media_type"),
        # an empty body
        (requests.post(api + "/terminals/enrol", timeout=10,
                       headers={"Content-Type": "application/json"}), 422, "validation_error"),
    ]
    for response, status, code in cases:
        where = f"{response.request.method} {response.request.url}"
        assert response.status_code == status, f"{where}: {response.status_code} {response.text}"
        error = _error(response)
        if code is not None:
            assert error["code"] == code, f"{where}: {error}"
    missing_token = requests.post(api + "/terminals/enrol", json={"name": "x"}, timeout=10)
    assert "body.token" in _error(missing_token)["message"]
    malformed = requests.post(api + "/terminals/enrol", data=b'{"token": ', timeout=10,
                              headers={"Content-Type": "application/json"})
    assert "malformed JSON" in _error(malformed)["message"]


def test_the_console_keeps_html_errors(live):
    page = requests.get(live + "/console/nothing-here", timeout=10)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")


@pytest.fixture
def small_limit_server(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_CENTRAL_MAX_API_BODY_BYTES", "65536")
    base_url, _password, stop = start_server(f"sqlite:///{tmp_path / 'central.db'}",
                                             tmp_path / "data")
    try:
        yield base_url
    finally:
        stop()


def test_oversized_bodies_are_refused_with_413(small_limit_server):
    url = small_limit_server + contract.API_PREFIX + "/terminal/events"
    big = json.dumps({"events": [], "padding": "x" * 70000}).encode()
    declared = requests.post(url, data=big, headers={"Content-Type": "application/json"},
                             timeout=10)
    assert declared.status_code == 413
    assert _error(declared)["code"] == "payload_too_large"

    def chunks():  # no Content-Length: counted while read
        for _ in range(10):
            yield b" " * 8192

    chunked = requests.post(url, data=chunks(), headers={"Content-Type": "application/json"},
                            timeout=10)
    assert chunked.status_code == 413
    assert _error(chunked)["code"] == "payload_too_large"

    small = requests.post(url, json={"events": []}, timeout=10)
    assert small.status_code in (401, 422)  # within the limit: handled as usual
    _error(small)


@pytest.mark.filterwarnings("ignore:Using `httpx`")
def test_an_unexpected_failure_is_a_json_500_logged_without_the_request(app, caplog):
    """The last resort (a 500 is a bug: the property test shows none happens)."""
    from fastapi.testclient import TestClient

    secret = "s3cr3t-in-the-body-and-query"

    def explode(payload: dict) -> dict:
        raise RuntimeError(f"failure quoting the request: {payload}")

    app.add_api_route(contract.API_PREFIX + "/_explode", explode, methods=["POST"],
                      include_in_schema=False)
    app.add_api_route("/console/_explode", explode, methods=["POST"], include_in_schema=False)
    try:
        with TestClient(app, raise_server_exceptions=False) as http, \
                caplog.at_level(logging.ERROR):
            answer = http.post(contract.API_PREFIX + f"/_explode?token={secret}",
                               json={"secret": secret})
            page = http.post(f"/console/_explode?token={secret}", json={"secret": secret})
    finally:
        app.router.routes[:] = [r for r in app.router.routes
                                if not getattr(r, "path", "").endswith("/_explode")]
    assert answer.status_code == 500
    assert answer.json() == {"error": {"code": "internal_error",
                                       "message": "unexpected server error"}}
    assert page.status_code == 500 and page.headers["content-type"].startswith("text/html")
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "RuntimeError" in logged and "Traceback" in logged and "explode" in logged
    assert secret not in logged


def test_safe_traceback_withholds_messages_of_the_whole_chain():
    from server_api.server.errors import safe_traceback

    one, two = "secret" + "-one", "secret" + "-two"  # not in the source lines shown
    try:
        try:
            raise ValueError(one)
        except ValueError as first:
            raise KeyError(two) from first
    except KeyError as exc:
        text = safe_traceback(exc)
    assert "builtins.ValueError" in text and "builtins.KeyError" in text
    assert text.index("ValueError") < text.index("KeyError")
    assert "secret-one" not in text and "secret-two" not in text


# --- refreshing the snapshot ------------------------------------------------------------

def write_snapshot() -> Path:
    """Serve the app as the tests do and store its /openapi.json as the snapshot."""
    with tempfile.TemporaryDirectory() as tmp:
        base_url, _password, stop = start_server(f"sqlite:///{Path(tmp) / 'central.db'}",
                                                 Path(tmp) / "data")
        try:
            document = requests.get(base_url + "/openapi.json", timeout=10).json()
        finally:
            stop()
    SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
    SNAPSHOT.write_text(render(document), encoding="utf-8")
    return SNAPSHOT


if __name__ == "__main__":
    print(f"wrote {write_snapshot().relative_to(ROOT)}")
