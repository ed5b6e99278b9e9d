"""The dataset loaders, on small files written here in each dataset's own format."""

import pickle

import numpy as np
import pytest
import torch
from PIL import Image

from nasbench.errors import DataError, InvalidOption
from nasbench.training.data import load_data

PER_BATCH = 20  # images per CIFAR batch file: 2 of each class


def write_cifar_batch(path, labels, protocol=2):
    """A batch in CIFAR-10's python format: a pickled dict of bytes keys, uint8 rows of 3072 values.

    Every image is filled with 20 x its label.
    """
    data = np.stack([np.full(3072, 20 * label, dtype=np.uint8) for label in labels])
    batch = {b"batch_label": b"testing", b"labels": list(labels), b"data": data, b"filenames": [b"x.png"] * len(labels)}
    path.write_bytes(pickle.dumps(batch, protocol=protocol))


def write_cifar(root, per_batch=PER_BATCH, protocol=2):
    root.mkdir(parents=True, exist_ok=True)
    labels = [i % 10 for i in range(per_batch)]
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        write_cifar_batch(root / name, labels, protocol)
    return root


def assert_labels_follow_pixels(split):
    """Each image was filled with 20 x its label: after normalisation, brighter means a larger label."""
    means = split.images.mean(dim=(1, 2, 3)).numpy()
    labels = split.labels.numpy()
    order = np.argsort(labels, kind="stable")
    assert np.all(np.diff(means[order]) >= -1e-5)
    assert len({(int(label), round(float(m), 4)) for label, m in zip(labels, means)}) == len(set(labels.tolist()))


def test_digits_is_embedded_and_split_by_a_fixed_seed():
    data = load_data("digits")
    assert (data.spec.channels, data.spec.height, data.spec.width, data.spec.num_classes) == (1, 8, 8, 10)
    sizes = [len(data.train.labels), len(data.valid.labels), len(data.test.labels)]
    assert sum(sizes) == 1797 and sizes[0] > 1000
    assert sorted(set(data.valid.labels.tolist())) == list(range(10))  # stratified: every class in every split
    assert abs(float(data.train.images.mean())) < 1e-4  # normalised with the training split's statistics
    again, other = load_data("digits", split_seed=0), load_data("digits", split_seed=1)
    assert (again.valid.images == data.valid.images).all()
    assert not (other.valid.images.shape == data.valid.images.shape and (other.valid.images == data.valid.images).all())


def test_the_embedded_digits_are_scikit_learns():
    from sklearn.datasets import load_digits

    from nasbench.training.data import DIGITS

    reference = load_digits()
    with np.load(DIGITS, allow_pickle=False) as stored:
        assert np.array_equal(stored["images"], reference.images) and stored["images"].dtype == np.uint8
        assert np.array_equal(stored["labels"], reference.target)


@pytest.mark.parametrize("nested, protocol", [(False, 2), (True, 2), (False, pickle.HIGHEST_PROTOCOL)])
def test_cifar10_python_format(tmp_path, nested, protocol):
    write_cifar(tmp_path / "cifar-10-batches-py" if nested else tmp_path, protocol=protocol)
    data = load_data("cifar10", str(tmp_path))
    assert (data.spec.channels, data.spec.height, data.spec.width, data.spec.num_classes) == (3, 32, 32, 10)
    assert len(data.train.labels) + len(data.valid.labels) == 5 * PER_BATCH
    assert len(data.valid.labels) == 10  # 10 % of each class
    assert len(data.test.labels) == PER_BATCH and data.augment
    for split in (data.train, data.valid, data.test):
        assert_labels_follow_pixels(split)


@pytest.mark.parametrize(
    "damage, message",
    [
        (
            lambda root: (root / "data_batch_3").write_bytes((root / "data_batch_3").read_bytes()[:500]),
            "corrupt CIFAR-10 batch",
        ),
        (lambda root: (root / "data_batch_2").write_bytes(b"not a pickle at all"), "corrupt CIFAR-10 batch"),
        (lambda root: (root / "test_batch").unlink(), "test_batch is missing"),
        (lambda root: write_cifar_batch(root / "data_batch_1", [3, 12]), "labels in 0..9"),
        (
            lambda root: (root / "data_batch_4").write_bytes(pickle.dumps({b"data": print, b"labels": []})),
            "forbidden object builtins.print",
        ),
    ],
)
def test_damaged_cifar10_is_refused_with_its_reason(tmp_path, damage, message):
    damage(write_cifar(tmp_path))
    with pytest.raises(DataError, match=message):
        load_data("cifar10", str(tmp_path))


def write_folder(root, classes=("cat", "dog", "emu"), per_class=5, size=(12, 10)):
    for label, name in enumerate(classes):
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            mode = "L" if i == 0 else "RGB"  # greyscale files are converted to RGB
            color = 40 * label if mode == "L" else (40 * label,) * 3
            Image.new(mode, size, color).save(root / name / f"{i}.png")
    return root


def test_image_folder_one_subfolder_per_class(tmp_path):
    write_folder(tmp_path)
    (tmp_path / "notes.txt").write_text("ignored: not a class folder")
    data = load_data("folder", str(tmp_path), image_size=16)
    assert (data.spec.channels, data.spec.height, data.spec.width, data.spec.num_classes) == (3, 16, 16, 3)
    assert (len(data.train.labels), len(data.valid.labels)) == (12, 3) and data.test is None
    assert_labels_follow_pixels(data.train)


def test_image_folder_with_given_splits(tmp_path):
    for split, count in (("train", 4), ("val", 2), ("test", 1)):
        write_folder(tmp_path / split, per_class=count)
    data = load_data("folder", str(tmp_path), image_size=8)
    assert (len(data.train.labels), len(data.valid.labels), len(data.test.labels)) == (12, 6, 3)


def test_unreadable_image_is_named(tmp_path):
    (write_folder(tmp_path) / "dog" / "3.png").write_bytes(b"garbage")
    with pytest.raises(DataError, match="cannot read image .*dog/3.png"):
        load_data("folder", str(tmp_path), image_size=8)


def test_image_folder_needs_two_classes(tmp_path):
    write_folder(tmp_path, classes=("cat",))
    with pytest.raises(DataError, match="one sub-folder per class \\(at least 2\\), found 1"):
        load_data("folder", str(tmp_path), image_size=8)


@pytest.mark.parametrize("dataset", ["cifar10", "folder"])
def test_missing_data_directory(tmp_path, dataset):
    with pytest.raises(DataError, match="does not exist"):
        load_data(dataset, str(tmp_path / "nowhere"))
    with pytest.raises(InvalidOption, match="needs --data-dir"):
        load_data(dataset)


def test_unknown_dataset():
    with pytest.raises(InvalidOption, match="unknown dataset 'mnist'; choose from: digits, cifar10, folder"):
        load_data("mnist")


def test_the_sharp_teacher_labels_the_same_images_with_a_quarter_of_the_noise():
    from nasbench.training.teacher import SHARPNESSES, TRAIN_SIZE, generate, irreducible

    plain, sharp = load_data("teacher"), load_data("teacher-sharp")
    assert sharp.spec == plain.spec and torch.equal(sharp.train.images[:512], plain.train.images[:512])
    # the Bayes error: about 10 % for the teacher the scaling laws are fitted on, about 2 % four times sharper
    assert irreducible().error == pytest.approx(9.97, abs=0.01)
    assert irreducible(sharpness=SHARPNESSES["teacher-sharp"]).error == pytest.approx(2.34, abs=0.01)
    # the labels are drawn with the same uniforms: sharper, more of them are the teacher's argmax
    _, _, p = generate(0, SHARPNESSES["teacher-sharp"])
    argmax = torch.from_numpy(p[:TRAIN_SIZE].argmax(axis=1))
    assert (sharp.train.labels == argmax).float().mean() > (plain.train.labels == argmax).float().mean() + 0.05
