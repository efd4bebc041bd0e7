"""docs/tutorial.md runs as written (with 20 epochs instead of 1024)."""

import os
import re
from pathlib import Path

import matplotlib.pyplot as plt

TUTORIAL = Path(__file__).parents[1] / "docs" / "tutorial.md"


def tutorial_code(epochs: int) -> str:
    blocks = re.findall(r"```python\n(.*?)```", TUTORIAL.read_text(), re.S)
    code = "\n".join(blocks)
    assert "epochs=1024" in code
    return code.replace("epochs=1024", f"epochs={epochs}")


def test_tutorial_runs_end_to_end(tmp_path, capsys):
    here = os.getcwd()
    os.chdir(tmp_path)
    try:
        exec(compile(tutorial_code(epochs=20), str(TUTORIAL), "exec"), {"__name__": "tutorial"})
    finally:
        os.chdir(here)
        plt.close("all")
    out = capsys.readouterr().out
    assert "SPICE modules:" in out and "β_V = " in out
    assert "true agent" in out and "equations" in out
    for name in ("tutorial_session.png", "tutorial_model.pt", "tutorial_equations.parquet", "my_choices.csv"):
        assert (tmp_path / name).stat().st_size > 0
