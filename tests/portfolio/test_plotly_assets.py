"""plotly.js is served from the pinned wheel, and its stylesheet file matches that wheel."""

from django.contrib.staticfiles import finders

from sequence.portfolio import plotly_assets


def test_the_finder_serves_plotly_js_from_the_wheel():
    found = finders.find("portfolio/vendor/plotly.min.js")
    assert found and found.endswith("plotly/package_data/plotly.min.js")
    with open(found, encoding="utf-8") as fh:
        assert "plotly.js v" in fh.read(300)
    listed = [path for finder in finders.get_finders() for path, _ in finder.list([])]
    assert "plotly.min.js" in listed


def test_the_generated_stylesheet_and_template_are_up_to_date():
    css, map_id = plotly_assets.extract(plotly_assets.plotly_js())
    assert plotly_assets.CSS.read_text(encoding="utf-8") == css, "run python -m sequence.portfolio.plotly_assets"
    assert plotly_assets.TEMPLATE.read_text(encoding="utf-8") == plotly_assets.template(map_id)
    assert ".js-plotly-plot .plotly .modebar{" in css  # plotly's own rules, with its selectors
