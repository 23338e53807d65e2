import base64
from decimal import Decimal

from portal.charts import LINE, MONEY, PERCENT, Figure, Series


def figure(**kwargs):
    values = dict(key="spend", title="Weekly spend", labels=["Q1 2026-27", "Q2 2026-27"],
                  series=[Series("On framework", [Decimal("4250.50"), None]),
                          Series("Off framework", [Decimal("5100.00"), Decimal("5300.25")])],
                  unit=MONEY, label_heading="Quarter")
    values.update(kwargs)
    return Figure(**values)


def test_the_table_and_csv_carry_the_same_figures_as_the_chart():
    chart = figure()
    assert chart.rows() == [("Q1 2026-27", ["£4,250.50", "£5,100.00"]), ("Q2 2026-27", ["No data", "£5,300.25"])]
    assert chart.csv().splitlines() == ["Quarter,On framework,Off framework", "Q1 2026-27,4250.50,5100.00",
                                        "Q2 2026-27,,5300.25"]


def test_the_svg_has_no_script_and_names_every_series():
    svg = base64.b64decode(figure(kind=LINE).svg_data_url().split(",", 1)[1]).decode()
    assert svg.startswith("<svg") and "<script" not in svg and "kozea" not in svg
    assert "On framework" in svg and "Off framework" in svg


def test_percentages_and_an_empty_figure():
    share = figure(unit=PERCENT, series=[Series("In area", [Decimal("20.04"), 35])])
    assert [row[1] for row in share.rows()] == [["20.0%"], ["35.0%"]]
    assert figure(series=[Series("None yet", [None, 0])]).is_empty()
    assert not share.is_empty()


def test_a_chart_is_drawn_once_for_the_same_figures_and_again_when_they_change():
    first = figure(key="one", title="A title").svg()
    assert figure(key="two", title="Another title").svg() is first
    changed = figure(series=[Series("On framework", [Decimal("4250.50"), Decimal("1.00")]),
                             Series("Off framework", [Decimal("5100.00"), Decimal("5300.25")])]).svg()
    assert changed is not first and "£1.00" in changed
    assert figure(kind=LINE).svg() is not first
    assert figure(unit=PERCENT).svg() is not first
