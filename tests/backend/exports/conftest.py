from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
# pycocotools 2.0.x calls np.array(copy=False) on numpy 2, once per decoded mask.
PYCOCOTOOLS_NUMPY2 = pytest.mark.filterwarnings(
    "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning"
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if HERE in Path(str(item.fspath)).resolve().parents:
            item.add_marker(PYCOCOTOOLS_NUMPY2)
