import json

import pytest

from sequence.strategy.params import Params, ParamsError, load_params

DEFAULTS = {
    "wallet_exposure_limit": 1.0,
    "initial_qty_pct": 0.01,
    "ddown_factor": 1.0,
    "spacing": 0.01,
    "spacing_mult": 1.5,
    "we_weight": 0.0,
    "max_dca": 6,
    "markup": 0.005,
    "maker_fee": 0.0002,
    "sides": "both",
    "market": "derivatives",
    "contract": "linear",
    "starting_balance": 10000.0,
}


def test_defaults_match_the_design():
    assert Params().to_dict() == DEFAULTS
    assert Params.from_mapping({}) == Params()


def test_frozen():
    with pytest.raises(AttributeError):
        Params().spacing = 0.02  # type: ignore[misc]


def test_omitted_keys_take_defaults_and_ints_become_floats():
    p = Params.from_mapping({"spacing_mult": 2, "max_dca": 3})
    assert p.spacing_mult == 2.0
    assert isinstance(p.spacing_mult, float)
    assert p.max_dca == 3
    assert p.markup == 0.005


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"spacingg": 0.01}, "spacingg", "unknown parameter"),
        ({"spacing": "0.01"}, "spacing", "must be a number"),
        ({"spacing": True}, "spacing", "must be a number"),
        ({"spacing": None}, "spacing", "must be a number"),
        ({"spacing": [1]}, "spacing", "must be a number"),
        ({"max_dca": 2.5}, "max_dca", "must be an integer"),
        ({"max_dca": "6"}, "max_dca", "must be an integer"),
        ({"sides": 1}, "sides", "must be a string"),
        ({"wallet_exposure_limit": 0}, "wallet_exposure_limit", "must be positive"),
        ({"initial_qty_pct": -0.01}, "initial_qty_pct", "must be positive"),
        ({"initial_qty_pct": 1.5}, "initial_qty_pct", "at most 1"),
        ({"ddown_factor": 0}, "ddown_factor", "must be positive"),
        ({"spacing": 0}, "spacing", "must be positive"),
        ({"spacing_mult": 0.9}, "spacing_mult", "at least 1"),
        ({"max_dca": 0}, "max_dca", "must be at least 1"),
        ({"max_dca": 101}, "max_dca", "must be at most 100"),
        ({"max_dca": 1e30}, "max_dca", "must be at most 100"),
        ({"spacing": 1.0}, "spacing", "must be below 1"),
        ({"spacing_mult": 11}, "spacing_mult", "must be at most 10"),
        ({"wallet_exposure_limit": 51}, "wallet_exposure_limit", "must be at most 50"),
        ({"maker_fee": 0.02, "markup": 0.5}, "maker_fee", "must be at most 0.01"),
        ({"markup": 1.0}, "markup", "must be below 1"),
        ({"markup": 0.00021}, "markup", "markup*(1-maker_fee) must exceed 2*maker_fee"),
        ({"starting_balance": 1e13}, "starting_balance", "must be at most 1e+12"),
        ({"spacing": 10**400}, "spacing", "must be a finite number"),
        ({"markup": 0}, "markup", "must be at least 1e-06"),
        ({"starting_balance": -5}, "starting_balance", "must be positive"),
        ({"we_weight": -0.1}, "we_weight", "zero or positive"),
        ({"maker_fee": -0.0001}, "maker_fee", "zero or positive"),
        ({"markup": 0.0002}, "markup", "never closes at a loss"),
        ({"markup": 0.001, "maker_fee": 0.002}, "markup", "never closes at a loss"),
        ({"sides": "up"}, "sides", "one of both, long, short"),
        ({"market": "futures"}, "market", "one of derivatives, spot"),
        ({"contract": "quanto"}, "contract", "one of linear, inverse"),
        ({"market": "spot"}, "sides", "spot runs one side"),
        ({"market": "spot", "sides": "long", "contract": "inverse"}, "contract", "spot has no"),
        ({"market": "spot", "sides": "long", "wallet_exposure_limit": 2}, "wallet_exposure_limit", "cannot borrow"),
    ],
)
def test_rules_name_the_field(data, field, words):
    with pytest.raises(ParamsError) as e:
        Params.from_mapping(data)
    assert e.value.field == field
    assert field in str(e.value)
    assert words in str(e.value)


def test_zero_fee_and_weight_are_allowed():
    p = Params.from_mapping({"maker_fee": 0, "we_weight": 0})
    assert p.maker_fee == 0.0


def test_constructor_validates_too():
    with pytest.raises(ParamsError, match="spacing"):
        Params(spacing=-1.0)
    with pytest.raises(ParamsError, match="must be a finite number"):
        Params(markup=float("nan"))


def test_not_an_object():
    with pytest.raises(ParamsError, match="JSON object"):
        Params.from_mapping([1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("{", "invalid JSON at line 1"),
        ('{"spacing": NaN}', "NaN is not a number"),
        ("[]", "JSON object"),
        ('{"spacing": 0.01,}', "invalid JSON"),
        ('{"bogus": 1}', "bogus: unknown parameter"),
    ],
)
def test_load_params_errors(tmp_path, text, words):
    f = tmp_path / "p.json"
    f.write_text(text)
    with pytest.raises(ParamsError) as e:
        load_params(f)
    assert words in str(e.value)
    assert str(f) in str(e.value)


def test_load_params_missing_file(tmp_path):
    with pytest.raises(ParamsError, match="cannot read"):
        load_params(tmp_path / "nope.json")


def test_load_params_roundtrip(tmp_path):
    f = tmp_path / "p.json"
    f.write_text(json.dumps({"contract": "inverse", "starting_balance": 1}))
    p = load_params(f)
    assert p.coin_margined
    assert p.unit == "coin"
    assert not Params(market="spot", sides="long").coin_margined
    assert Params(market="spot", sides="short", wallet_exposure_limit=1.0).coin_margined
