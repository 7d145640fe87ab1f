"""Samplers for ``sample`` and ``randomSplit``: one seeded generator per partition.

Each partition draws from ``random.Random(seed ^ partition)``, so a sample is reproducible from
its seed whichever worker runs the task, and partitions do not share a random sequence. This is
PySpark's ``rddsampler`` algorithm: a Bernoulli trial per element without replacement, a Poisson
count per element with replacement.
"""

import math
import random
import sys


class RDDSamplerBase:
    def __init__(self, withReplacement, seed=None):
        self._seed = seed if seed is not None else random.randint(0, sys.maxsize)
        self._withReplacement = withReplacement
        self._random = None

    def initRandomGenerator(self, split):
        self._random = random.Random(self._seed ^ split)
        # Mix the state: the seeds of neighbouring partitions differ in few bits only.
        for _ in range(10):
            self._random.randint(0, 1)

    def getUniformSample(self):
        return self._random.random()

    def getPoissonSample(self, mean):
        # Knuth's algorithm for small means; sums of exponential gaps for large ones.
        if mean < 20.0:
            limit = math.exp(-mean)
            p = self._random.random()
            k = 0
            while p > limit:
                k += 1
                p *= self._random.random()
        else:
            p = self._random.expovariate(mean)
            k = 0
            while p < 1.0:
                k += 1
                p += self._random.expovariate(mean)
        return k


class RDDSampler(RDDSamplerBase):
    """Keep each element with probability ``fraction`` (or a Poisson number of times)."""

    def __init__(self, withReplacement, fraction, seed=None):
        super().__init__(withReplacement, seed)
        self._fraction = fraction

    def func(self, split, iterator):
        self.initRandomGenerator(split)
        if self._withReplacement:
            for obj in iterator:
                for _ in range(self.getPoissonSample(self._fraction)):
                    yield obj
        else:
            for obj in iterator:
                if self.getUniformSample() < self._fraction:
                    yield obj


class RDDRangeSampler(RDDSamplerBase):
    """Keep the elements whose uniform draw falls in ``[lowerBound, upperBound)``.

    ``randomSplit`` gives each split one range of [0, 1) and the same seed, so every element
    lands in exactly one split.
    """

    def __init__(self, lowerBound, upperBound, seed=None):
        super().__init__(False, seed)
        self._lowerBound = lowerBound
        self._upperBound = upperBound

    def func(self, split, iterator):
        self.initRandomGenerator(split)
        for obj in iterator:
            if self._lowerBound <= self.getUniformSample() < self._upperBound:
                yield obj


def fraction_for_sample_size(sample_size_lower_bound, total, with_replacement):
    """A sampling fraction that yields at least ``sample_size_lower_bound`` items w.h.p.

    Used by ``takeSample`` (the bounds of Spark's SamplingUtils).
    """
    fraction = float(sample_size_lower_bound) / total
    if with_replacement:
        num_stdev = 9 if sample_size_lower_bound < 12 else 5
        return fraction + num_stdev * math.sqrt(fraction / total)
    delta = 0.00005
    gamma = -math.log(delta) / total
    return min(1, fraction + gamma + math.sqrt(gamma * gamma + 2 * gamma * fraction))
