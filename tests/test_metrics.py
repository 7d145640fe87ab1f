"""StageMetrics adds up the task metrics of real jobs; checked against counts in plain Python."""

from operator import add

from minispark.metrics import StageMetrics

WORDS = ("the cat and the hat and the bat sat on the mat " * 30).split()


def distinct_keys_per_partition(rdd):
    """What a map-side combine leaves: one record per key per map task (the oracle)."""
    return sum(len(set(part)) for part in rdd.glom().collect())


def test_reduce_by_key_writes_one_record_per_key_per_map_task(sc):
    words = sc.parallelize(WORDS, 4)
    pairs = words.map(lambda word: (word, 1))
    with StageMetrics(sc) as reduced:
        counts = dict(pairs.reduceByKey(add).collect())
    with StageMetrics(sc) as grouped:
        grouped_counts = {word: sum(ones) for word, ones in pairs.groupByKey().collect()}
    assert counts == grouped_counts
    assert reduced.shuffle_records_written == distinct_keys_per_partition(words)
    assert grouped.shuffle_records_written == len(WORDS)
    assert 0 < reduced.shuffle_bytes_written < grouped.shuffle_bytes_written
    # Every byte a map task wrote was read by exactly one reduce task.
    assert reduced.shuffle_bytes_read == reduced.shuffle_bytes_written
    assert grouped.shuffle_bytes_read == grouped.shuffle_bytes_written


def test_totals_per_stage_and_a_readable_table(sc):
    pairs = sc.parallelize(WORDS, 3).map(lambda word: (word, 1))
    with StageMetrics(sc) as metrics:
        pairs.reduceByKey(add, 2).collect()
    map_stage, result_stage = metrics.stages.values()
    assert (map_stage.tasks, result_stage.tasks) == (3, 2)
    assert map_stage.shuffle_bytes_written > 0 and map_stage.shuffle_bytes_read == 0
    assert result_stage.shuffle_bytes_read == map_stage.shuffle_bytes_written
    assert result_stage.records_read == map_stage.shuffle_records_written
    table = str(metrics).splitlines()
    assert len(table) == 3 and "shuffle write" in table[0]
    assert f"{map_stage.shuffle_records_written} records" in table[1]


def test_the_table_does_not_move_with_the_length_of_a_call_site(sc):
    # A notebook's call sites ("map at In[7]:3", "map at In[12]:3") differ between the run that
    # stored a lesson and the run that checks it; only the names at the ends of lines may differ.
    pairs = sc.parallelize(WORDS, 3).map(lambda word: (word, 1))
    tables = []
    for name in ("map at In[7]:3", "map at In[123]:3"):
        with StageMetrics(sc) as metrics:
            pairs.reduceByKey(add).collect()
        for stage in metrics.stages.values():
            stage.stage_id, stage.name = 0, name
        tables.append([line.removesuffix(name) for line in str(metrics).splitlines()])
    assert tables[0] == tables[1]


def test_a_failed_attempt_is_not_counted_twice(sc):
    pairs = sc.parallelize(WORDS, 4).map(lambda word: (word, 1))
    with StageMetrics(sc) as clean:
        pairs.reduceByKey(add).collect()
    sc.faults.fail_task(partition=1)
    try:
        with StageMetrics(sc) as retried:
            pairs.reduceByKey(add).collect()
    finally:
        sc.faults.clear()
    assert retried.shuffle_records_written == clean.shuffle_records_written
    assert retried.shuffle_bytes_written == clean.shuffle_bytes_written


def test_nothing_is_counted_outside_the_with_block(sc):
    metrics = StageMetrics(sc)
    with metrics:
        pass
    sc.parallelize(WORDS, 2).map(lambda word: (word, 1)).reduceByKey(add).collect()
    assert metrics.stages == {}
    assert str(metrics) == "No stage ran while these metrics were listening."
