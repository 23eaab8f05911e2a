"""The SVG builders: well-formed, accessible, no inline styles, and drawing what the numbers say."""

import xml.etree.ElementTree as ET

import pytest
from django.utils import translation

from incidents import charts

SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def _english():
    """Labels and numbers are checked in English, whatever language an earlier test left active."""
    with translation.override("en"):
        yield


def parse(markup):
    root = ET.fromstring(str(markup))
    assert root.tag == f"{SVG}svg"
    return root


def assert_accessible(root):
    assert root.get("role") == "img"
    title_id, desc_id = root.get("aria-labelledby").split()
    title = root.find(f"{SVG}title")
    desc = root.find(f"{SVG}desc")
    assert title.get("id") == title_id and title.text.strip()
    assert desc.get("id") == desc_id and desc.text.strip()
    assert root.get("viewBox").startswith("0 0 640 ")
    assert root.get("width") is None and root.get("height") is None  # scales with its container
    for element in root.iter():
        assert "style" not in element.attrib, element.tag  # a strict CSP forbids inline styles
        assert element.tag != f"{SVG}style"
        assert element.tag != f"{SVG}script"


def texts(root):
    return [element.text for element in root.iter(f"{SVG}text")]


def test_stacked_bars():
    series = [
        {"label": "Energy <& co>", "values": [1, 0, 2]},
        {"label": "Rail", "values": [0, 0, 3]},
    ]
    root = parse(charts.stacked_bars("years", "Cases per year", "Three years.", [2019, 2020, 2021], series))
    assert_accessible(root)
    labels = texts(root)
    assert "Energy <& co>" in labels  # escaped in the markup, intact for readers
    assert [t for t in labels if t in {"2019", "2020", "2021"}] == ["2019", "2020", "2021"]
    assert "5" in labels and "1" in labels  # totals above the bars
    patterns = {p.get("id") for p in root.iter(f"{SVG}pattern")}
    assert patterns == {"years-p0", "years-p1"}
    bars = [r for r in root.iter(f"{SVG}rect") if (r.get("fill") or "").startswith("url(#years-p")]
    assert len(bars) == 3 + 2  # three segments, two legend swatches
    heights = sorted(float(r.get("height")) for r in bars if r.find(f"{SVG}title") is not None)
    assert heights[-1] == pytest.approx(3 * heights[0])  # height is proportional to the count


def test_apology_bars_show_shares_and_counts():
    levels = ["Refused", "None", "Non-apology", "Formal", "Sincere", "Exemplary"]
    rows = [
        {"label": "All cases", "counts": [1, 0, 0, 1, 2, 0], "strong": True},
        {"label": "Nobody", "counts": [0] * 6},
    ]
    root = parse(charts.apology_bars("ap", "Apologies", "Shares.", rows, levels))
    assert_accessible(root)
    segments = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert [s.find(f"{SVG}title").text for s in segments] == [
        "All cases · Refused: 1 (25%)",
        "All cases · Formal: 1 (25%)",
        "All cases · Sincere: 2 (50%)",
    ]
    widths = [float(s.get("width")) for s in segments]
    assert widths[2] == pytest.approx(2 * widths[0], abs=0.2)
    assert "n = 4" in texts(root)
    assert "no case" in texts(root)


def test_delay_boxes_use_a_log_scale():
    rows = [
        {"label": "All", "n": 4, "min": 2, "q1": 3.5, "median": 7, "q3": 37.5, "max": 120, "strong": True},
        {"label": "Empty", "n": 0, "min": None, "q1": None, "median": None, "q3": None, "max": None},
    ]
    root = parse(charts.delay_boxes("d", "Delays", "Medians.", rows, "Box: Q1 to Q3."))
    assert_accessible(root)
    # The axis runs from 0 days at x=175 to 365 days (the first tick past 120) at x=505, on log10(1 + days):
    # 175 + 330 * log10(1 + d) / log10(366).
    box = next(r for r in root.iter(f"{SVG}rect") if r.get("fill") == charts.LIGHT_BLUE)
    assert (box.get("x"), box.get("width")) == ("259.1", "120")  # Q1 = 3.5 days at 259.09, Q3 = 37.5 at 379.10
    median = next(r for r in root.iter(f"{SVG}rect") if r.get("fill") == charts.INK)
    assert median.get("x") == "289.3"  # 7 days at 291.26, less half the bar's 4 units
    whisker = next(line for line in root.iter(f"{SVG}line") if line.get("y1") == line.get("y2"))
    assert (whisker.get("x1"), whisker.get("x2")) == ("236.4", "443.1")  # 2 and 120 days
    assert {"7 days", "n = 4"} <= set(texts(root))  # the median, and n beneath it (one line ran past the edge)
    assert all(float(t.get("x")) + charts.text_width(t.text, 12) <= charts.WIDTH for t in root.iter(f"{SVG}text"))
    assert "no delay precise enough" in texts(root)
    assert "1 yr" in texts(root) and "2 yr" not in texts(root)  # the axis stops at the first tick past 120 days


def test_delay_scale_is_logarithmic_from_zero_days():
    assert charts.delay_x(0, 365, 175, 505) == 175
    assert charts.delay_x(365, 365, 175, 505) == pytest.approx(505)
    assert charts.delay_x(99, 9999, 0, 100) == pytest.approx(50)  # log10(100) / log10(10,000)
    assert charts.delay_x(3.5, 365, 175, 505) == pytest.approx(259.089, abs=0.001)


def test_delays_longer_than_the_last_tick_stay_on_the_chart():
    rows = [{"label": "Slow", "n": 2, "min": 10, "q1": 2000, "median": 5000, "q3": 7000, "max": 9000}]
    root = parse(charts.delay_boxes("d", "Delays", "Very slow.", rows, "Note."))
    right_ends = [float(line.get("x2")) for line in root.iter(f"{SVG}line")]
    assert max(right_ends) <= 505


def pair_rows():
    return [
        {
            "label": "EDF · SC-0002 · Bill",
            "bad_buzz": 4_000_000.0,
            "remedy": 1000.0,
            "bad_buzz_text": "€4 million",
            "remedy_text": "€1,000",
            "figure": "×4,000",
            "tooltip": "4,000",
        },
        {
            "label": "SNCF · SC-0008 · Train",
            "bad_buzz": 50_000.0,
            "remedy": 100_000.0,
            "bad_buzz_text": "€50,000",
            "remedy_text": "€100,000",
            "figure": "×0.5",
            "tooltip": "half",
        },
    ]


def test_price_pairs_label_both_amounts_of_each_case_without_links():
    root = parse(charts.price_pairs("r", "Price", "Two cases.", pair_rows(), "EUR"))
    assert_accessible(root)
    assert not list(root.iter(f"{SVG}a"))  # no control inside an image (axe: nested-interactive)
    labels = set(texts(root))
    assert {"€4 million", "€1,000", "×4,000", "€50,000", "€100,000", "×0.5"} <= labels
    assert {"EDF · SC-0002 · Bill", "SNCF · SC-0008 · Train"} <= labels  # every point is named
    assert {"what making it right would have cost", "what the bad buzz cost"} <= labels  # the key
    circles = [c for c in root.iter(f"{SVG}circle") if c.get("cy") not in ("14",)]
    remedy, bad = float(circles[0].get("cx")), float(circles[1].get("cx"))
    assert remedy < bad  # the remedy (€1,000) sits left of the bad buzz (€4 million) on the log scale
    assert float(circles[3].get("cx")) < float(circles[2].get("cx"))  # a bad buzz below its remedy sits left


def test_fewer_than_five_delays_are_drawn_as_dots_not_a_box():
    rows = [
        {"label": "Few", "n": 3, "min": 2, "q1": 6, "median": 10, "q3": 65, "max": 120, "points": [2, 10, 120]},
        {"label": "Many", "n": 5, "min": 1, "q1": 2, "median": 7, "q3": 30, "max": 90, "points": []},
    ]
    root = parse(charts.delay_boxes("d", "Delays", "Both.", rows, "Note."))
    assert len(list(root.iter(f"{SVG}circle"))) == 3
    assert len([r for r in root.iter(f"{SVG}rect") if r.get("fill") == charts.LIGHT_BLUE]) == 1  # one box
    assert "n = 3" in texts(root)


def test_ratio_histogram_for_many_cases():
    ratios = [0.5] + [40.0] * 30 + [90.0] * 10 + [5000.0]
    root = parse(charts.ratio_histogram("rh", "Ratios", "Many cases.", ratios, median=40, median_label="median ×40"))
    assert_accessible(root)
    bars = [r for r in root.iter(f"{SVG}rect")]
    counts = sorted(int(t.text) for t in root.iter(f"{SVG}text") if t.text.isdigit())
    assert counts == [1, 1, 10, 30]  # ×0.5, ×5,000, then 90 and 40 in their quarter-decade bins
    assert len(bars) == 4
    assert {"×1", "×10,000", "median ×40", "same cost"} <= set(texts(root))
    assert "×1.0" not in texts(root)


def test_horizontal_bars():
    rows = [{"label": "Social media", "value": 4, "note": "4 events"}, {"label": "Court", "value": 1, "note": "1"}]
    root = parse(charts.horizontal_bars("h", "Channels", "Bars.", rows))
    assert_accessible(root)
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(4 * widths[1])


def test_numbers_are_written_for_people():
    assert charts.number(7.0) == "7"
    assert charts.number(3.5) == "3.5"
    assert charts.number(0.75) == "0.75"
    assert charts.number(1234.5) == "1,234.5"
    assert charts.number(None) == "–"
    assert charts.days_text(1) == "1 day"
    # Delays as precisely as whole dates support: no half days, weeks from two weeks, months from two months.
    assert [charts.days_text(v) for v in (0, 0.4, 0.5, 1.75, 13, 14.25, 60, 511.5)] == [
        "the same day",
        "the same day",
        "1 day",
        "2 days",
        "13 days",
        "about 2 weeks",
        "about 2 months",
        "about 17 months",
    ]
    with translation.override("fr"):
        assert charts.number(15.5) == "15,5"


def test_text_is_measured_generously_and_wrapped_between_words():
    assert charts.text_width("abcde", 10) == pytest.approx(28)  # 0.56 of the font size per character
    assert charts.wrap("aaa bbb ccc dddd", 45, 10) == ["aaa bbb", "ccc dddd"]  # 39.2 and 44.8 wide
    assert charts.wrap("unbreakable-word-longer-than-the-line", 20, 10) == ["unbreakable-word-longer-than-the-line"]
    assert charts.wrap("", 45, 10) == []


def test_long_notes_wrap_inside_the_chart():
    note = "Boîte : moitié centrale (Q1 à Q3). Barre : médiane. Moustache : du plus court au plus long. " * 2
    lines = charts.wrap(note, charts.WIDTH, 12)
    assert len(lines) > 1
    assert " ".join(lines) == note.strip()
    assert all(charts.text_width(line, 12) <= charts.WIDTH for line in lines)


def test_long_labels_are_shortened_not_overflowing():
    assert charts.shorten("A" * 100, 100, 10) == "A" * 16 + "…"  # 17 characters of 5.6 fit in 100
    assert charts.shorten("Rail and  bus services", 56, 10) == "Rail and…"  # 9 kept, the trailing space dropped
    assert charts.shorten("Rail", 100) == "Rail"
