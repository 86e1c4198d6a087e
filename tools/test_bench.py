"""The benchmark's own logic, without kernels: the batch it builds, its table and bench.json."""

from __future__ import annotations

import json
from collections import Counter

import nbformat
from bench import KINDS, LONG, Figures, bench_json, compare_verdicts, plan, table, verdicts, write_batch
from keras_course.course.config import load_course
from keras_course.course.paths import EXERCISES, SOLUTIONS

COURSE = load_course()


def test_every_learner_hands_in_every_exercise_in_the_mix_it_claims():
    batch = plan(6)
    assert Counter(item.learner for item in batch) == {f"learner{i:02d}": 7 for i in range(1, 7)}
    assert {(item.learner, item.exercise) for item in batch} == {
        (f"learner{i:02d}", e) for i in range(1, 7) for e in COURSE.exercises
    }
    for exercise in COURSE.exercises:
        kinds = Counter(item.kind for item in batch if item.exercise == exercise)
        if exercise in LONG:  # one reference; the others that would train long are mistakes
            assert kinds == {"reference": 1, "untouched": 2, "mistake": 3}, exercise
        else:
            assert kinds == {kind: 2 for kind in KINDS}, exercise
    mistakes = [item for item in batch if item.kind == "mistake"]
    assert all(item.variant is not None and item.variant.exercise == item.exercise for item in mistakes)
    # the mistakes of an exercise differ from learner to learner, and none trains long
    for exercise in COURSE.exercises:
        names = [item.name for item in mistakes if item.exercise == exercise]
        assert len(set(names)) == len(names), exercise
    assert not [m.name for m in mistakes if m.variant.trains and m.exercise in LONG]


def test_one_learner_on_some_exercises_still_mixes_the_three_kinds():
    batch = plan(1, ["hello_nets", "counting_parameters", "darts"])
    assert [(item.exercise, item.kind) for item in batch] == [
        ("hello_nets", KINDS[0]),
        ("counting_parameters", KINDS[1]),
        ("darts", KINDS[2]),
    ]


def test_the_batch_folder_holds_the_reference_the_stub_and_the_mistake(tmp_path):
    batch = plan(3, ["hello_nets"])
    paths = write_batch(batch, tmp_path)
    assert paths == [tmp_path / item.learner / "hello_nets.ipynb" for item in batch]
    reference = (SOLUTIONS / "hello_nets.ipynb").read_text(encoding="utf-8")
    stub = (EXERCISES / "hello_nets.ipynb").read_text(encoding="utf-8")
    texts = {item.kind: path.read_text(encoding="utf-8") for item, path in zip(batch, paths, strict=True)}
    assert texts["reference"] == reference
    assert texts["untouched"] == stub
    mistake = next(item for item in batch if item.kind == "mistake")
    old, new = mistake.variant.edits[0]
    sources = "".join(c.source for c in nbformat.reads(texts["mistake"], as_version=4).cells)
    assert new in sources and old not in sources


def test_table_gives_each_ways_rate_and_ratios_and_says_why_a_way_was_skipped():
    ways = {
        "plain": Figures(40.0, 70.0),
        "jobs2": Figures(50.0, 90.0),
        "nbgrader": Figures(120.0, 200.0),
        "dask": Figures(skipped="no worker command"),
    }
    rows = {line.split()[0]: line.split() for line in table(ways, 20).splitlines()[1:]}
    assert rows["jobs2"] == ["jobs2", "50.0", "90.0", f"{20 / 50 * 60:.1f}", "x1.25", f"x{50 / 120:.2f}"]
    assert rows["plain"][4:] == ["x1.00", f"x{40 / 120:.2f}"]
    assert " ".join(rows["dask"][1:]) == "(skipped: no worker command)"


def test_ratios_are_left_out_without_their_base():
    rows = table({"jobs1": Figures(30.0, 31.0)}, 7).splitlines()
    assert rows[1].split()[4:] == ["-", "-"]


def test_bench_json_has_the_shape_other_tools_read():
    ways = {"plain": Figures(40.0, 70.0), "jobs1": Figures(60.0, 61.5), "dask": Figures(skipped="why")}
    out = json.loads(json.dumps(bench_json(6, 42, ways, 812.5)))
    assert set(out) == {"learners", "notebooks", "ways", "peak_worker_mb"}
    assert (out["learners"], out["notebooks"], out["peak_worker_mb"]) == (6, 42, 812.5)
    assert set(out["ways"]) == set(ways)
    assert out["ways"]["jobs1"]["wall_s"] == 60.0 and out["ways"]["jobs1"]["cpu_s"] == 61.5
    assert out["ways"]["dask"] == {"wall_s": None, "cpu_s": None, "skipped": "why"}


def result(learner, exercise, score, isolation="sandbox"):
    return {"learner": learner, "exercise": exercise, "score": score, "checks": [], "isolation": isolation}


def test_verdicts_compare_without_isolation_and_name_a_difference(tmp_path):
    path = tmp_path / "jobs1.json"
    path.write_text(json.dumps({"results": [result("a", "darts", 3.0), result("b", "darts", 0.0)]}))
    jobs1 = verdicts(path)
    jobs2 = {key: dict(value) for key, value in jobs1.items()}
    dask = {**jobs1, ("b", "darts"): {**jobs1[("b", "darts")], "score": 1.0}}
    path.write_text(json.dumps({"results": [result("a", "darts", 3.0, "none"), result("b", "darts", 0.0)]}))
    assert verdicts(path) == jobs1  # isolation aside
    lines = compare_verdicts(
        {"jobs1": jobs1, "jobs2": jobs2, "dask": dask}, {("a", "darts"): 3.0, ("b", "darts"): 2.0}
    )
    assert lines == [
        "verdicts jobs1 vs jobs2: identical (2 results)",
        "verdicts jobs1 vs dask: 1 differ, e.g. b/darts (2 results)",
        "scores jobs1 vs nbgrader: 1 differ, e.g. b/darts (2 notebooks)",
    ]
