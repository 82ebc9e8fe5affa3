"""Per-group maxima and top-n means, the vectorised form of the retriever's section-question and topic scores."""

import numpy as np

from knowledge.retriever import Groups


def test_each_group_gets_its_own_largest_value_whatever_the_order_of_the_rows():
    labels = np.array([2, 0, 2, 1, 0, 2])
    values = np.array([0.1, 0.7, 0.9, 0.3, 0.2, 0.4])
    groups = Groups(labels)
    assert groups.labels.tolist() == [0, 1, 2]
    assert groups.maxima(values).tolist() == [0.7, 0.3, 0.9]


def test_top_means_average_the_n_largest_and_all_of_a_smaller_group():
    labels = np.array([0, 0, 0, 0, 1, 1, 2])
    values = np.array([0.1, 0.8, 0.5, 0.6, 0.4, 0.2, 0.9])
    means = Groups(labels).top_means(values, 3)
    assert np.allclose(means, [(0.8 + 0.6 + 0.5) / 3, (0.4 + 0.2) / 2, 0.9])


def test_random_groups_match_a_plain_loop():
    rng = np.random.default_rng(7)
    labels = rng.integers(0, 40, 2000)
    values = rng.normal(size=2000).astype(np.float32)
    groups = Groups(labels)
    for position, label in enumerate(groups.labels):
        mine = values[labels == label]
        assert groups.maxima(values)[position] == mine.max()
        assert np.isclose(groups.top_means(values, 3)[position], np.mean(sorted(mine.astype(np.float64))[-3:]))
