"""Output files are written whole or not at all."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from forecasting.atomic import atomic_path, write_table_atomically
from forecasting.errors import InputDataError


def test_interrupted_write_leaves_nothing_and_keeps_the_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")

    def interrupted() -> None:
        with atomic_path(target) as tmp:
            tmp.write_text("half", encoding="utf-8")
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        interrupted()
    assert target.read_text(encoding="utf-8") == "old\n"
    assert list(tmp_path.iterdir()) == [target]  # no temporary file left behind


@pytest.mark.parametrize("name", ["t.csv", "t.csv.gz", "t.parquet"])
def test_round_trip(tmp_path: Path, name: str) -> None:
    frame = pd.DataFrame({"a": [1.0, 2.5], "b": ["x", "y"]})
    write_table_atomically(frame, tmp_path / name)
    back = (
        pd.read_parquet(tmp_path / name)
        if name.endswith("parquet")
        else pd.read_csv(tmp_path / name)
    )
    pd.testing.assert_frame_equal(back, frame, check_dtype=False)


def test_unknown_suffix_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(InputDataError, match=r"write .csv, .csv.gz or .parquet"):
        write_table_atomically(pd.DataFrame(), tmp_path / "t.xlsx")
    with pytest.raises(InputDataError, match="does not exist"):
        write_table_atomically(pd.DataFrame(), tmp_path / "nope" / "t.csv")
