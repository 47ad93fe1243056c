"""Java's Double.toString / Float.toString, which Spark labels and AWS CSV output use."""

from __future__ import annotations

import pytest

from inferline.stages.sparkml.javatext import java_double, java_float


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (5.0, "5.0"),
        (0.0, "0.0"),
        (-0.0, "-0.0"),
        (0.1, "0.1"),
        (-2.5, "-2.5"),
        (0.001, "0.001"),
        (0.000999, "9.99E-4"),
        (1e-5, "1.0E-5"),
        (-2.5e-7, "-2.5E-7"),
        (1234567.0, "1234567.0"),
        (9999999.999, "9999999.999"),
        (1e7, "1.0E7"),
        (12345678.0, "1.2345678E7"),
        (1e20, "1.0E20"),
        (1.5e300, "1.5E300"),
        (1 / 3, "0.3333333333333333"),
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        (float("-inf"), "-Infinity"),
    ],
)
def test_double_to_string(value, text):
    assert java_double(value) == text


def test_float_to_string_uses_single_precision_digits():
    assert java_float(0.1) == "0.1"
    assert java_float(1e20) == "1.0E20"
    assert java_float(1 / 3) == "0.33333334"
