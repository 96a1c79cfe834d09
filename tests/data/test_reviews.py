"""Review datasets (NSMC, IMDB, MR) on the shared data, cross-validation folds, and custom files."""
from __future__ import annotations

import gzip

import numpy as np
import pytest

from tests.data.fakedata import fake_data, shared_data  # noqa: F401
from zeronlp.data import datasets, reviews
from zeronlp.data.reviews import LabeledTexts, cv_folds, load_reviews


def test_nsmc_splits_labels_and_empty_documents(shared_data):
    train, test = reviews.load_nsmc("train"), reviews.load_nsmc("test")
    assert (len(train), len(test)) == (150_000, 50_000)
    assert train.texts[0] == "아 더빙.. 진짜 짜증나네요 목소리" and train.labels[0] == 0
    assert test.texts[0] == "굳 ㅋ" and test.labels[0] == 1
    assert train.label_names == test.label_names == ("negative", "positive")
    assert train.labels.dtype == np.int64 and np.bincount(train.labels).tolist() == [75_173, 74_827]
    assert np.bincount(test.labels).tolist() == [24_827, 25_173]
    assert train.texts.count("") == 5 and test.texts.count("") == 3   # kept, not dropped


def test_imdb_from_the_archive_raw_text_and_cached_parse(shared_data):
    train = reviews.load_imdb("train")
    test = load_reviews("imdb", "test")
    assert (len(train), len(test)) == (25_000, 25_000)
    assert np.bincount(train.labels).tolist() == [12_500, 12_500] == np.bincount(test.labels).tolist()
    assert train.labels[:12_500].max() == 0 and train.labels[12_500:].min() == 1   # neg files, then pos
    assert train.texts[0].startswith("Story of a man who has unnatural feelings for a pig.")
    assert sum("<br />" in t for t in train.texts) > 10_000                        # raw, not cleaned
    cache = list(datasets.cache_dir().glob("imdb-v1-*.npz"))
    assert len(cache) == 1
    assert reviews.load_imdb("train").texts[-1] == train.texts[-1]                 # from the cache


def test_mr_is_latin1_split_on_newline_only(shared_data):
    mr = load_reviews("mr")
    assert len(mr) == 10_662 and np.bincount(mr.labels).tolist() == [5_331, 5_331]
    assert mr.texts[0] == "simplistic , silly and tedious . "
    with_nel = [t for t in mr.texts if "\x85" in t]       # byte 0x85: a line break for str.splitlines
    assert sum(t.count("\x85") for t in mr.texts) == 23 and len(with_nel) == 22
    assert with_nel[0].startswith("\x85the maudlin way")
    with pytest.raises(ValueError, match="split of mr must be one of 'all', got 'train'"):
        load_reviews("mr", "train")


def test_cv_folds_stratified_partition_fixed_by_seed():
    labels = np.array([0] * 53 + [1] * 47 + [2] * 5)
    folds = cv_folds(labels, 10, seed=3)
    tests = np.concatenate([te for _, te in folds])
    assert np.array_equal(np.sort(tests), np.arange(len(labels)))                  # each index tested once
    for train, test in folds:
        assert np.intersect1d(train, test).size == 0 and train.size + test.size == labels.size
        assert np.abs(np.bincount(labels[test], minlength=3) - np.bincount(labels, minlength=3) / 10).max() < 1
    assert [len(te) for _, te in folds] in ([11] * 5 + [10] * 5, )
    same = cv_folds(labels, 10, seed=3)
    assert all(np.array_equal(a[1], b[1]) for a, b in zip(folds, same))
    other = cv_folds(labels, 10, seed=4)
    assert not all(np.array_equal(a[1], b[1]) for a, b in zip(folds, other))
    with pytest.raises(ValueError, match="n_folds must be an integer >= 2"):
        cv_folds(labels, 1)
    with pytest.raises(ValueError, match="n_folds 200 is larger than the number of documents"):
        cv_folds(labels, 200)


def test_mr_ten_folds(shared_data):
    mr = reviews.load_mr()
    folds = cv_folds(mr.labels)
    assert [len(te) for _, te in folds] == [1_067, 1_067] + [1_066] * 8
    part = mr.subset(folds[0][1])
    assert isinstance(part, LabeledTexts) and abs(int(part.labels.sum()) - 533) <= 1


def test_tsv_with_any_labels_and_empty_documents(tmp_path):
    path = tmp_path / "reviews.tsv"
    path.write_text('id\tdocument\tlabel\n1\t"quoted" text\tjoy\n2\t\tanger\n3\tcalm\tneutral\n4\tyay\tjoy\n')
    data = load_reviews(str(path))
    assert data.label_names == ("anger", "joy", "neutral") and data.labels.tolist() == [1, 0, 2, 1]
    assert data.texts == ['"quoted" text', "", "calm", "yay"] and data.num_classes == 3
    assert "joy: 2" in repr(data)


def test_csv_text_column_numeric_labels_and_compression(tmp_path):
    path = tmp_path / "reviews.csv.gz"
    path.write_bytes(gzip.compress('text,label\n"good, very good",10\nbad,2\r\nok,2\n'.encode()))
    data = reviews.load_table(path)
    assert data.texts == ["good, very good", "bad", "ok"]
    assert data.label_names == ("2", "10") and data.labels.tolist() == [1, 0, 0]   # numeric order


def test_nsmc_layout_file_and_known_classes(tmp_path):
    path = tmp_path / "ratings.txt"
    path.write_text("id\tdocument\tlabel\n9\t최고의 영화!\t1\n10\t별로\t0\n")
    data = load_reviews(str(path), label_names=("0", "1"))
    assert data.labels.tolist() == [1, 0] and data.label_names == ("0", "1")
    named = load_reviews(str(path), label_names=reviews.BINARY)   # a model trained on nsmc
    assert named.labels.tolist() == [1, 0] and named.label_names == ("negative", "positive")
    with pytest.raises(ValueError, match="label\\(s\\) '0', '1' are not among the known classes 'negative'"):
        reviews.load_table(path, label_names=("negative",))
    single = tmp_path / "one.txt"
    single.write_text("document\tlabel\n좋다\t1\n")
    assert load_reviews(str(single), label_names=("0", "1")).labels.tolist() == [1]   # eval: one class is fine
    with pytest.raises(ValueError, match=r"label\(s\) '1' are not among the known classes '0', '7'"):
        reviews.load_table(path, label_names=("0", "7"))


@pytest.mark.parametrize("content, message", [
    ("id\tbody\tlabel\n1\tx\t0\n", r"header \['id', 'body', 'label'\] needs a text column"),
    ("document\tstars\nx\t1\n", "needs a text column .* and a 'label' column"),
    ("document\tlabel\nx\t1\ny\t1\n", "every document has the label '1'; classification needs at least two"),
    ("document\tlabel\nx\t1\ny\t0\textra\n", "line 3 has 3 tab-separated fields, the header 2"),
    ("document\tlabel\nx\t\ny\t0\n", "document 1 has an empty label"),
    ("", "empty file"),
])
def test_bad_tables_one_line(tmp_path, content, message):
    path = tmp_path / "bad.tsv"
    path.write_text(content)
    with pytest.raises(ValueError, match=message) as e:
        reviews.load_table(path)
    assert "\n" not in str(e.value) and str(path) in str(e.value)


def test_not_utf8_names_the_line(tmp_path):
    path = tmp_path / "latin.tsv"
    path.write_bytes("document\tlabel\nok\t1\ncaf\xe9\t0\n".encode("latin-1"))
    with pytest.raises(ValueError, match="line 3 is not UTF-8"):
        reviews.load_table(path)


def test_folder_with_one_subfolder_per_label(tmp_path):
    for label, docs in {"pos": ["Great.<br />Fun.", "Loved it."], "neg": ["Dull."], "mixed": ["So-so."]}.items():
        (tmp_path / label).mkdir()
        for i, doc in enumerate(docs):
            (tmp_path / label / f"{i}_7.txt").write_text(doc)
    (tmp_path / "pos" / ".hidden").write_text("skip me")
    data = load_reviews(str(tmp_path))
    assert data.label_names == ("mixed", "neg", "pos")
    assert data.texts == ["So-so.", "Dull.", "Great.<br />Fun.", "Loved it."] and data.labels.tolist() == [0, 1, 2, 2]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(ValueError, match="no documents; expected one sub-folder per label"):
        reviews.load_folder(empty)


def test_unknown_data_and_split(tmp_path):
    with pytest.raises(ValueError, match="data must be one of nsmc, imdb, mr or an existing file or folder, got 'sst'"):
        load_reviews("sst")
    with pytest.raises(ValueError, match="split of nsmc must be one of 'train', 'test', got 'valid'"):
        reviews.load_nsmc("valid")


def test_fake_imdb_fetched_then_loaded_twice(fake_data):
    datasets.fetch("imdb", progress=False)
    first = reviews.load_imdb("train")
    assert first.texts == ["Dull.", "Great film.<br /><br />Loved it.", "Café scenes, superb."]
    assert first.labels.tolist() == [0, 1, 1]
    assert list(fake_data.cache.glob("imdb-v1-*.npz"))
    assert reviews.load_imdb("test").labels.tolist() == [0, 0, 1]
    assert reviews.load_imdb("train").texts == first.texts
