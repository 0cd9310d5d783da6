"""The field's own loading rules, re-stated exactly for tests, where the loader is not a
package that can be installed (SAM 2's training loaders need torch and the sam2 package,
which the product never installs; davis2017-evaluation and SA-V's evaluator are scripts in
their repositories). Each function names the code it re-states; the paths, sorting, dtype
and index rules are theirs, the code is written here. RLEs are decoded with pycocotools,
the package those loaders use.
"""

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from glob import glob
from pathlib import Path

import numpy as np
from PIL import Image
from pycocotools import mask as mask_utils


def extract(archive, folder: Path) -> Path:  # type: ignore[no-untyped-def]
    archive.extractall(folder)
    return folder


# ---- SAM 2 training: JSONRawDataset + JSONSegmentLoader (training/dataset/) ------------


@dataclass
class SavTrainingVideo:
    name: str
    frames: list[tuple[int, str]]  # (frame id, image path) kept for training
    annotations: list[list[dict | None]]  # the JSON's masklet list
    ann_every: int

    def load(self, frame_id: int) -> dict[int, np.ndarray | None]:
        """JSONSegmentLoader.load: entry frame_id // ann_every, one decoded mask per object,
        None for an object whose entry is null."""
        assert frame_id % self.ann_every == 0
        entry = self.annotations[frame_id // self.ann_every]
        present = [rle for rle in entry if rle is not None]
        decoded = mask_utils.decode(present) if present else np.zeros((0, 0, 0), np.uint8)
        masks: dict[int, np.ndarray | None] = {}
        used = 0
        for obj_id, rle in enumerate(entry):
            if rle is None:
                masks[obj_id] = None
            else:
                masks[obj_id] = decoded[:, :, used]
                used += 1
        return masks


def sam2_sav_training(
    img_folder: Path, gt_folder: Path, *, ann_every: int = 4, rm_unannotated: bool = True
) -> list[SavTrainingVideo]:
    """JSONRawDataset(img_folder, gt_folder, ann_every=...) without a file list: the videos
    are os.listdir(img_folder), sorted; each reads {gt_folder}/{video}_manual.json; frame
    ids are the integer stems of its sorted frame files, each read from
    {img_folder}/{video}/%05d.jpg; with rm_unannotated only the frames i * ann_every whose
    entry i exists and holds no null stay."""
    videos = []
    for name in sorted(os.listdir(img_folder)):
        with open(os.path.join(gt_folder, name + "_manual.json")) as handle:
            data = json.load(handle)
        annotations = data["masklet"] if "masklet" in data else data["masks"]
        frame_ids = [
            int(os.path.splitext(f)[0]) for f in sorted(os.listdir(os.path.join(img_folder, name)))
        ]
        frames = [(i, os.path.join(img_folder, f"{name}/%05d.jpg" % i)) for i in frame_ids]
        if rm_unannotated:
            valid = {
                i * ann_every
                for i, annot in enumerate(annotations)
                if annot is not None and None not in annot
            }
            frames = [f for f in frames if f[0] in valid]
        for _, path in frames:
            assert os.path.exists(path), path
        videos.append(SavTrainingVideo(name, frames, annotations, ann_every))
    return videos


# ---- SAM 2 training: PNGRawDataset + PalettisedPNGSegmentLoader ------------------------


def sam2_palette_video(
    img_folder: Path, gt_folder: Path, video: str
) -> list[tuple[int, dict[int, np.ndarray]]]:
    """PNGRawDataset(img_folder, gt_folder, is_palette=True).get_video and
    PalettisedPNGSegmentLoader.load for each frame: frames are the sorted *.jpg of the
    video's image folder, frame id the integer before the first dot; the PNG is the file
    whose integer stem is that id (a KeyError when there is none); objects are the non-zero
    values of the PNG opened and converted to "P"."""
    pngs = {int(os.path.splitext(f)[0]): f for f in os.listdir(os.path.join(gt_folder, video))}
    loaded = []
    for path in sorted(glob(os.path.join(img_folder, video, "*.jpg"))):
        frame_id = int(os.path.basename(path).split(".")[0])
        masks = np.array(Image.open(os.path.join(gt_folder, video, pngs[frame_id])).convert("P"))
        ids = [int(i) for i in np.unique(masks.flatten()) if i != 0]
        loaded.append((frame_id, {i: masks == i for i in ids}))
    return loaded


def sam2_file_list(path: Path) -> list[str]:
    """How SAM 2's raw datasets read file_list_txt: each line stripped, extension removed."""
    with open(path) as handle:
        return [os.path.splitext(line.strip())[0] for line in handle]


# ---- davis2017-evaluation: davis2017/davis.py ------------------------------------------


@dataclass
class DavisSequence:
    images: list[str]
    masks: list[str | int]


def davis2017(root: Path, subset: str, resolution: str = "480p") -> dict[str, DavisSequence]:
    """DAVIS(root, task="semi-supervised", subset=..., resolution=...): checks the root,
    ImageSets/2017/{subset}.txt and (train, val) Annotations/{resolution}; reads the
    sequence names from the list; images and masks are the sorted globs *.jpg and *.png of
    each sequence, masks padded with -1 to the images' count; no images is an error."""
    img_path = os.path.join(root, "JPEGImages", resolution)
    mask_path = os.path.join(root, "Annotations", resolution)
    imagesets = os.path.join(root, "ImageSets", "2017")
    if not os.path.exists(root):
        raise FileNotFoundError("DAVIS not found")
    if not os.path.exists(os.path.join(imagesets, f"{subset}.txt")):
        raise FileNotFoundError(f"Subset sequences list for {subset} not found")
    if subset in ("train", "val") and not os.path.exists(mask_path):
        raise FileNotFoundError("Annotations folder not found")
    with open(os.path.join(imagesets, f"{subset}.txt")) as handle:
        names = [line.strip() for line in handle.readlines()]
    sequences = {}
    for seq in names:
        images = np.sort(glob(os.path.join(img_path, seq, "*.jpg"))).tolist()
        if not images:
            raise FileNotFoundError(f"Images for sequence {seq} not found.")
        masks: list[str | int] = np.sort(glob(os.path.join(mask_path, seq, "*.png"))).tolist()
        masks.extend([-1] * (len(images) - len(masks)))
        sequences[seq] = DavisSequence(images, masks)
    return sequences


def davis2017_object_masks(sequence: DavisSequence) -> Iterator[tuple[str, np.ndarray]]:
    """Frame by frame, what DAVIS.get_all_masks(sequence, separate_objects_masks=True)
    holds (it stacks every frame at once, too much memory for long clips): each PNG read
    into a float array with 255 (void) set to 0; the object count is the highest value of
    the first frame; object k is the pixels equal to k. Yields (frame name, [objects, H, W]
    bool); the name is the file name without its extension, as the evaluation keys results.
    """
    num_objects = None
    for path in sequence.masks:
        mask = np.array(Image.open(path)).astype(np.float64)
        mask[mask == 255] = 0
        if num_objects is None:
            num_objects = int(np.max(mask))
        ids = np.arange(1, num_objects + 1)[:, None, None]
        yield "".join(str(path).split("/")[-1].split(".")[:-1]), ids == mask[None, ...]


def davis2017_all_masks(sequence: DavisSequence) -> tuple[np.ndarray, list[str]]:
    """DAVIS.get_all_masks(sequence, separate_objects_masks=True): [objects, T, H, W] bool
    and the frame names."""
    frames = list(davis2017_object_masks(sequence))
    return np.stack([masks for _, masks in frames], axis=1), [name for name, _ in frames]


# ---- SA-V evaluator: sav_dataset/utils/sav_benchmark.py --------------------------------


def sav_ground_truth(gt_root: Path, video: str) -> dict[str, dict[str, np.ndarray]]:
    """VideoEvaluator.scan_vid_folder + get_gt_and_pred for the ground truth: a video
    folder of sub-folders is the SA-V structure; each object's frames are its sorted file
    names; a PNG must hold at most two values and is read as array > 0."""
    folder = os.path.join(gt_root, video)
    entries = sorted(os.listdir(folder))
    assert not all(name.endswith(".png") for name in entries), "not the SA-V structure"
    objects = {}
    for obj_dir in entries:
        frames = {}
        for name in sorted(os.listdir(os.path.join(folder, obj_dir))):
            array = np.array(Image.open(os.path.join(folder, obj_dir, name)))
            assert len(np.unique(array)) <= 2, "more than one object in an SA-V png"
            frames[name] = array > 0
        objects[obj_dir] = frames
    return objects
