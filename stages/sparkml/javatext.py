"""Java's text forms of numbers, which Spark ML and the AWS SparkML container use.

Spark fits string indexers on numeric columns through ``Double.toString`` (labels
like ``"1.0"`` and ``"1.0E20"``), and the AWS container writes CSV with it, so a
Python runtime must print numbers the Java way to stay byte-compatible::

    >>> java_double(1e20), java_double(1e-5), java_double(5.0), java_double(float("nan"))
    ('1.0E20', '1.0E-5', '5.0', 'NaN')

The digits are the shortest that round-trip, as JDK 19+ prints them; older JDKs
(the AWS container runs Java 8) print a longer form for a rare few values
(JDK-4511638; e.g. Double.MIN_VALUE is 4.9E-324 there, 5.0E-324 here).
"""

from __future__ import annotations

import math

import numpy as np


def java_double(value: float) -> str:
    """``Double.toString``: shortest round-trip digits, plain in [1e-3, 1e7), else d.dddE±n."""
    value = float(value)
    if 1e-3 <= abs(value) < 1e7 or value == 0.0:
        return repr(value)  # Python's repr is Java's text in this range (the common case)
    return _java_text(value, repr(value))


def java_float(value: float) -> str:
    """``Float.toString``: the same layout with float32's shortest digits."""
    single = np.float32(value)
    return _java_text(
        float(single), repr(float(single)) if not np.isfinite(single) else str(single)
    )


def _java_text(value: float, shortest: str) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    if value == 0.0:
        return "-0.0" if math.copysign(1.0, value) < 0 else "0.0"
    sign = "-" if value < 0 else ""
    digits, exponent = _digits(shortest.lstrip("-"))
    # `exponent` is the power of ten of the first digit: value = d.ddd * 10**exponent.
    if -3 <= exponent < 7:
        if exponent >= 0:
            whole = digits[: exponent + 1].ljust(exponent + 1, "0")
            fraction = digits[exponent + 1 :] or "0"
        else:
            whole, fraction = "0", "0" * (-exponent - 1) + digits
        return f"{sign}{whole}.{fraction}"
    return f"{sign}{digits[0]}.{digits[1:] or '0'}E{exponent}"


def _digits(text: str) -> tuple[str, int]:
    """Significant digits (no leading/trailing zeros) and the exponent of the first one."""
    mantissa, _, exp_text = text.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    exponent = int(exp_text or 0) + len(whole)
    digits = (whole + fraction).lstrip("0")
    exponent -= len(whole + fraction) - len(digits)
    return digits.rstrip("0") or "0", exponent - 1
