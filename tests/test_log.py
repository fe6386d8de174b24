"""manifold's logger: ``logging`` is imported by the first record worth making, and records read as direct calls.

Whether ``logging`` is imported is a fact of the whole process, so those cases run in a fresh
interpreter; the others run here, where pytest has imported ``logging`` long ago.
"""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from manifold._log import LazyLogger, logger
from manifold._secrets import MASK, Secrets


def _run(code: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=cwd)


class Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def kept() -> Iterator[list[logging.LogRecord]]:
    real = logging.getLogger("manifold")
    keep, level = Keep(), real.level
    real.addHandler(keep)
    real.setLevel(logging.DEBUG)
    try:
        yield keep.records
    finally:
        real.removeHandler(keep)
        real.setLevel(level)


# -- before logging is imported (fresh interpreters) ------------------------------------------------------


def test_a_debug_or_info_record_before_logging_is_imported_is_dropped_without_importing_it() -> None:
    done = _run(
        "import sys\n"
        "from manifold._log import logger\n"
        "logger.debug('quiet %s', 1)\n"
        "logger.info('quiet %s', 2)\n"
        "print(logger.isEnabledFor(10), 'logging' in sys.modules)\n"
    )
    assert (done.stdout, done.stderr) == ("False False\n", "")


def test_a_warning_before_logging_is_imported_imports_it_and_reaches_stderr() -> None:
    done = _run(
        "import sys\n"
        "from manifold._log import logger\n"
        "logger.warning('plugin %s cannot load', 'acme.x')\n"
        "print('logging' in sys.modules)\n"
    )
    # Python's last-resort handler, as a direct call on logging.getLogger("manifold") prints it
    assert (done.stdout, done.stderr) == ("True\n", "plugin acme.x cannot load\n")


def test_a_debug_record_is_made_once_a_host_has_imported_and_configured_logging() -> None:
    done = _run(
        "import logging, sys\n"
        "from manifold._log import logger\n"
        "logging.basicConfig(level=logging.DEBUG, format='%(levelname)s %(name)s %(funcName)s: %(message)s',"
        " stream=sys.stdout)\n"
        "def host():\n"
        "    logger.debug('read %d manifests', 3)\n"
        "host()\n"
    )
    assert done.stdout == "DEBUG manifold host: read 3 manifests\n"


def test_filters_added_before_the_logger_is_made_are_put_on_it_when_it_is() -> None:
    done = _run(
        "import sys\n"
        "from manifold._log import logger\n"
        "class Upper:\n"
        "    def filter(self, record):\n"
        "        record.msg = str(record.msg).upper()\n"
        "        return True\n"
        "class Gone:\n"
        "    def filter(self, record):\n"
        "        return False\n"
        "upper, gone = Upper(), Gone()\n"
        "logger.addFilter(upper)\n"
        "logger.addFilter(upper)\n"
        "logger.addFilter(gone)\n"
        "logger.removeFilter(gone)\n"
        "print(logger.filters == [upper], 'logging' in sys.modules)\n"
        "logger.warning('masked')\n"
        "import logging\n"
        "print(logging.getLogger('manifold').filters == [upper])\n"
    )
    assert (done.stdout, done.stderr) == ("True False\nTrue\n", "MASKED\n")


def test_a_warm_start_without_secrets_imports_no_logging_and_one_with_a_secret_masks_from_the_start(
    plugins: Path, eager_plugin: Path, tmp_path: Path
) -> None:
    start = (
        "import sys\n"
        "from manifold import Manager\n"
        f"manager = Manager(['plugins'], cache_dir={str(tmp_path / 'cache')!r}{{settings}})\n"
        "manager.activate_all()\n"
        "print(manager.report.active, 'logging' in sys.modules)\n"
    )
    for _ in range(2):  # cold, then warm
        assert _run(start.format(settings=""), cwd=plugins.parent).stdout == "['acme.md'] False\n"
    secret = (
        ", settings={'acme.md': {'api_token': 's3cr3t-value'}})\n"
        "import logging\n"
        "print(getattr(logging.getLogRecordFactory(), 'masks_secrets', False))\n"
        "logging.getLogger('manifold.anything').warning('token %s', 's3cr3t-value'"
    )
    done = _run(start.format(settings=secret), cwd=plugins.parent)
    assert done.stdout.splitlines()[0] == "True"
    assert done.stderr == f"token {MASK}\n"


# -- records read as direct calls (logging imported) -------------------------------------------------------


def test_each_method_makes_the_record_a_direct_call_would_make(kept: list[logging.LogRecord]) -> None:
    def caller() -> None:
        logger.debug("d %s", 1)
        logger.info("i %s", 2)
        logger.warning("w %s", 3)
        logger.error("e %s", 4)
        logger.critical("c %s", 5)
        logger.log(logging.WARNING, "l %s", 6)
        try:
            raise ValueError("boom")
        except ValueError:
            logger.exception("x %s", 7)
        logger.warning("s", stacklevel=2)  # the caller's caller, as logging counts it

    line = caller.__code__.co_firstlineno
    caller()
    made = [(r.levelname, r.getMessage(), r.funcName, r.lineno, Path(r.pathname).name) for r in kept]
    here = Path(__file__).name
    assert made[:7] == [
        ("DEBUG", "d 1", "caller", line + 1, here),
        ("INFO", "i 2", "caller", line + 2, here),
        ("WARNING", "w 3", "caller", line + 3, here),
        ("ERROR", "e 4", "caller", line + 4, here),
        ("CRITICAL", "c 5", "caller", line + 5, here),
        ("WARNING", "l 6", "caller", line + 6, here),
        ("ERROR", "x 7", "caller", line + 10, here),
    ]
    assert kept[6].exc_info is not None
    assert kept[6].exc_info[0] is ValueError
    assert made[7][2:] == ("test_each_method_makes_the_record_a_direct_call_would_make", line + 14, here)
    assert all(r.name == "manifold" for r in kept)


def test_is_enabled_for_follows_the_real_logger(kept: list[logging.LogRecord]) -> None:
    real = logging.getLogger("manifold")
    assert logger.isEnabledFor(logging.DEBUG)
    real.setLevel(logging.ERROR)
    assert not logger.isEnabledFor(logging.WARNING)
    logger.warning("not kept")
    assert kept == []


def test_a_second_lazy_logger_of_the_same_name_is_the_same_real_logger() -> None:
    other = LazyLogger("manifold")
    assert other.real() is logger.real() is logging.getLogger("manifold")
    assert repr(other) == "<LazyLogger manifold (made)>"
    assert repr(LazyLogger("manifold.x")) == "<LazyLogger manifold.x (not made yet)>"


# -- Secrets.when_any: what puts the masking record factory in place --------------------------------------


def test_when_any_calls_back_at_once_when_there_is_a_secret_and_else_once_on_the_first() -> None:
    calls: list[str] = []
    Secrets(["a-long-secret"]).when_any(lambda: calls.append("now"))
    assert calls == ["now"]
    later = Secrets()
    later.when_any(lambda: calls.append("later"))
    later.add("")  # nothing long enough to match: still nothing to mask
    assert calls == ["now"]
    later.add("another-secret")
    later.add("a-third-secret")
    assert calls == ["now", "later"]
