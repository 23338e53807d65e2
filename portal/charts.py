"""Figures for the analytics and KPI pages: a chart drawn on the server as SVG (pygal), the same figures as a
table beside it for screen readers, and as CSV for a spreadsheet.

A chart is shown as an <img> of a data: URL: the SVG carries its own styles, which the page's
Content-Security-Policy (style-src 'self') would refuse inline; its alt text points to the table.

    figure = Figure(key="in-area", title="Placements in the authority's own area", labels=["Q1", "Q2"],
                    series=[Series("In area", [12, 15]), Series("Elsewhere", [30, 28])], unit=PERCENT)
    figure.svg_data_url(); figure.rows(); figure.csv()

In templates: {% from "macros/charts.html" import chart_figure %} {{ chart_figure(figure, csv_url) }}.
"""

import base64
import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

import pygal
from pygal.style import Style

from portal.formatting import money, rounded

SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)
COUNT, PERCENT, MONEY, NUMBER = "count", "percent", "money", "number"
NO_DATA = "No data"  # a figure that cannot be computed (a share of no placements), never shown as 0
BAR, LINE, STACKED = "bar", "line", "stacked"
# The GOV.UK Design System's colours, in an order that keeps neighbours distinguishable
COLOURS = ("#1d70b8", "#f47738", "#00703c", "#912b88", "#d4351c", "#505a5f", "#28a197", "#6f72af")
STYLE = Style(background="#ffffff", plot_background="#ffffff", foreground="#0b0c0c", foreground_strong="#0b0c0c",
              foreground_subtle="#505a5f", colors=COLOURS, font_family="arial, sans-serif", label_font_size=14,
              major_label_font_size=14, legend_font_size=14, title_font_size=18, value_font_size=12)


@dataclass
class Series:
    name: str
    values: list  # one per label: int, Decimal or None (no figure)


@dataclass
class Figure:
    key: str  # unique on its page: the CSV download's name and the table's id
    title: str
    labels: list[str]
    series: list[Series]
    unit: str = COUNT
    kind: str = BAR
    label_heading: str = ""  # the heading of the table's first column
    note: str = ""  # what the figures mean, shown under the title
    extra: dict = field(default_factory=dict)

    def is_empty(self) -> bool:
        return not self.labels or all(value is None or value == 0 for item in self.series for value in item.values)

    def formatted(self, value) -> str:
        """A figure as the table shows it."""
        return formatted(self.unit, value)

    def rows(self) -> list[tuple[str, list[str]]]:
        """The table: each label with its figure in every series."""
        return [(label, [self.formatted(item.values[index]) for item in self.series])
                for index, label in enumerate(self.labels)]

    def csv(self) -> str:
        output = io.StringIO()
        writer = csv.writer(output)
        writer.writerow([self.label_heading or "", *(item.name for item in self.series)])
        for index, label in enumerate(self.labels):
            writer.writerow([label, *("" if item.values[index] is None else _plain(item.values[index])
                                      for item in self.series)])
        return output.getvalue()

    def svg(self) -> str:
        return _drawn(self.kind, self.unit, tuple(self.labels),
                      tuple((item.name, tuple(item.values)) for item in self.series))

    def svg_data_url(self) -> str:
        return _data_url(self.svg())

    @property
    def alt(self) -> str:
        return f"Chart: {self.title}. The figures are in the table that follows."


def formatted(unit: str, value) -> str:
    """A figure in its unit, as the table shows it."""
    if value is None:
        return NO_DATA
    if unit == MONEY:
        return money(value)
    if unit == PERCENT:
        return f"{rounded(Decimal(value), 1)}%"
    if unit == NUMBER:
        return str(rounded(Decimal(value), 2))
    return f"{int(value):,}"


# Drawing a chart is most of the cost of the analytics pages, and the same figures give the same picture: the
# latest charts are kept, by their figures, in each worker (a few megabytes at most).
@lru_cache(maxsize=64)
def _drawn(kind: str, unit: str, labels: tuple[str, ...], series: tuple[tuple[str, tuple], ...]) -> str:
    def chart_value(value) -> str:
        # pygal hands the formatter floats: back to Decimal, through their shortest text, before formatting
        return formatted(unit, None if value is None else Decimal(repr(value)))

    chart_class = {BAR: pygal.Bar, LINE: pygal.Line, STACKED: pygal.StackedBar}[kind]
    chart = chart_class(style=STYLE, js=[], width=800, height=360, explicit_size=False, title=None,
                        show_legend=len(series) > 1, legend_at_bottom=True, x_label_rotation=0,
                        truncate_label=-1, print_values=False, disable_xml_declaration=True,
                        value_formatter=chart_value, dots_size=4, include_x_axis=True)
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, [None if value is None else float(value) for value in values])
    # pygal embeds its configuration as a script for its optional tooltips: an image runs no script, so drop it
    return SCRIPT.sub("", chart.render(is_unicode=True))


@lru_cache(maxsize=64)
def _data_url(svg: str) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")


def _plain(value) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")
    return str(value)
