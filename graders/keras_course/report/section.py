"""What the grading process draws from a notebook's export for the learner's HTML report: the
model beside the expected one (report/model_table.py) and the grader's figures. It is drawn
where the export is, in the grading process (grade/report_section.py), and read back as plain
JSON wherever the report is written: beside the stored result, or sent back by a Dask worker.
notebook_sha256 is the notebook's it was drawn from: a section of another notebook is not used."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from keras_course.report.figure import Figure
from keras_course.report.model_table import ModelTable


@dataclass(frozen=True)
class Section:
    """The model table (None where there is no model to compare: about_model says why), and
    the figures, in order."""

    model: ModelTable | None = None
    about_model: str = ""
    figures: tuple[Figure, ...] = field(default=())
    notebook_sha256: str = ""

    def to_json(self) -> str:
        figures = [
            {
                "title": f.title,
                "alt": f.alt,
                "png": base64.b64encode(f.png).decode("ascii"),
                "heldout": f.heldout,
            }
            for f in self.figures
        ]
        raw = {
            "model": self.model.to_dict() if self.model else None,
            "about_model": self.about_model,
            "figures": figures,
            "notebook_sha256": self.notebook_sha256,
        }
        return json.dumps(raw, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Section:
        """The section that to_json wrote; ValueError, KeyError or TypeError where it is not one."""
        raw = json.loads(text)
        figures = tuple(
            Figure(
                str(f["title"]),
                str(f["alt"]),
                base64.b64decode(f["png"], validate=True),
                f.get("heldout") is True,
            )
            for f in raw["figures"]
        )
        model = ModelTable.from_dict(raw["model"]) if raw.get("model") else None
        return cls(model, str(raw.get("about_model", "")), figures, str(raw.get("notebook_sha256", "")))
