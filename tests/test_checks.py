"""The exercise checks of minispark.testing, against answers right and wrong."""

import pytest

from minispark.testing import ExerciseError, check_result


def test_rel_tol_accepts_an_average_computed_in_another_order(sc):
    lengths = [1, 15, 7, 11, 4, 7, 12, 1, 9, 4]   # mean 7.1; the running mean gives 7.1000000000000005
    running_mean = 0.0
    for count, length in enumerate(lengths, 1):       # a mean kept as it goes: other rounding
        running_mean += (length - running_mean) / count
    expected = [(1, sum(lengths) / len(lengths))]
    answer = sc.parallelize([(1, running_mean)])
    check_result(answer, expected, rel_tol=1e-9)
    with pytest.raises(ExerciseError, match="within 1e-09"):
        check_result(sc.parallelize([(1, running_mean + 0.01)]), expected, rel_tol=1e-9)


def test_rel_tol_still_compares_keys_order_and_shape_exactly(sc):
    expected = [("a", 1.0), ("b", 2.0)]
    check_result(sc.parallelize([("b", 2.0), ("a", 1.0)]), expected, ordered=False, rel_tol=1e-9)
    for wrong in ([("a", 1.0)], [("a", 1.0), ("c", 2.0)], [("a", (1.0,)), ("b", 2.0)]):
        with pytest.raises(ExerciseError):
            check_result(wrong, expected, rel_tol=1e-9)


def test_without_rel_tol_floats_must_be_equal(sc):
    with pytest.raises(ExerciseError):
        check_result([0.1 + 0.2], [0.3])


def test_the_running_mean_above_really_differs_in_its_last_digits():
    lengths, running_mean = [1, 15, 7, 11, 4, 7, 12, 1, 9, 4], 0.0
    for count, length in enumerate(lengths, 1):
        running_mean += (length - running_mean) / count
    assert running_mean != sum(lengths) / len(lengths)
