"""``wrk`` as the benchmarks' load generator: C, one thread, far from being the bottleneck.

Debian's package (``make wrk-deps`` installs it). A POST body and a header that must change on
every request (an ``Idempotency-Key``) go through a small Lua script written next to the run.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}

# A fresh key per request: the thread's own prefix (wrk runs each thread in its own Lua state)
# and a counter.
_LUA = """
local counter = 0
local prefix = string.format("%x%x", os.time(), math.random(1, 2147483647))
wrk.method = {method}
wrk.body = {body}
{headers}
request = function()
  counter = counter + 1
  {unique}
  return wrk.format()
end
"""


@dataclass(frozen=True)
class Load:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int


def available() -> bool:
    return shutil.which("wrk") is not None


def _ms(text: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if found is None:
        raise RuntimeError(f"wrk printed a latency it cannot be read from: {text!r}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def _lua_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _script(method: str, body: str | None, headers: dict[str, str], unique: str | None) -> str:
    lines = [f"wrk.headers[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items()]
    if body is not None:
        lines.append('wrk.headers["Content-Type"] = "application/json"')
    bump = f'wrk.headers[{_lua_string(unique)}] = prefix .. "-" .. counter' if unique else ""
    return _LUA.format(
        method=_lua_string(method),
        body=_lua_string(body) if body is not None else "nil",
        headers="\n".join(lines),
        unique=bump,
    )


def parse(text: str) -> Load:
    def find(pattern: str) -> str:
        found = re.search(pattern, text)
        if found is None:
            raise RuntimeError(f"wrk's output lacks {pattern!r}:\n{text}")
        return found.group(1)

    errors = 0
    if found := re.search(r"Non-2xx or 3xx responses: (\d+)", text):
        errors += int(found.group(1))
    if found := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text
    ):
        errors += sum(int(g) for g in found.groups())
    return Load(
        rps=float(find(r"Requests/sec:\s+([\d.]+)")),
        p50_ms=_ms(find(r"\s50%\s+(\S+)")),
        p99_ms=_ms(find(r"\s99%\s+(\S+)")),
        requests=int(find(r"(\d+) requests in")),
        errors=errors,
    )


def run(
    url: str,
    *,
    seconds: float,
    connections: int,
    method: str = "GET",
    body: str | None = None,
    headers: dict[str, str] | None = None,
    unique_header: str | None = None,
    timeout_s: int = 30,
) -> Load:
    """One wrk run against ``url``; any non-2xx/3xx answer or socket error counts as an error."""
    with tempfile.TemporaryDirectory(prefix="accord-wrk-") as tmp:
        script = Path(tmp) / "request.lua"
        script.write_text(_script(method, body, headers or {}, unique_header))
        command = [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{max(1, round(seconds))}s",
            f"--timeout={timeout_s}s",
            "--latency",
            "-s",
            str(script),
            url,
        ]
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + timeout_s + 30, check=False
        )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr}{done.stdout}")
    return parse(done.stdout)
