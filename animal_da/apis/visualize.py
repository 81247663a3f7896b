"""Draw a model's predictions with mmpose's own inference and visualiser."""
import json
import os
import os.path as osp
import uuid
from typing import List, Optional

import cv2
import numpy as np

from ..utils import atomic_write


def draw_predictions(config: str, checkpoint: str, ann_file: str,
                     img_dir: str, out_file: str, num_images: int = 6,
                     device: str = 'cpu',
                     image_ids: Optional[List[int]] = None) -> str:
    """Predict on a few images of a COCO file and save them side by side.

    Args:
        config (str): A plain mmpose config (e.g. from ``export_pose_model``).
        checkpoint (str): Its checkpoint.
        ann_file (str): COCO keypoint file whose boxes are used.
        img_dir (str): Folder the file names are relative to.
        out_file (str): Output image path.
        num_images (int): How many images to draw.
        device (str): Inference device.
        image_ids (list[int], optional): Which images (default: the first).

    Returns:
        str: ``out_file``.
    """
    from mmpose.apis import inference_topdown, init_model
    from mmpose.registry import VISUALIZERS
    model = init_model(config, checkpoint, device=device)
    with open(ann_file) as f:
        coco = json.load(f)
    boxes = {a['image_id']: a['bbox'] for a in coco['annotations']}
    images = [im for im in coco['images']
              if image_ids is None or im['id'] in image_ids][:num_images]
    visualizer = VISUALIZERS.build(
        dict(type='PoseLocalVisualizer',
             name=f'animal_da_predictions_{uuid.uuid4().hex[:8]}',
             radius=2, line_width=1))
    visualizer.set_dataset_meta(model.dataset_meta)
    tiles = []
    for im in images:
        path = osp.join(img_dir, im['file_name'])
        x, y, w, h = boxes[im['id']]
        results = inference_topdown(model, path,
                                    np.array([[x, y, x + w, y + h]]))
        rgb = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
        visualizer.add_datasample('pred', rgb, results[0], draw_gt=False,
                                  draw_bbox=True, show=False,
                                  kpt_thr=0.0)
        tiles.append(visualizer.get_image())
    grid = np.concatenate(tiles, axis=1)
    atomic_write(out_file,
                 lambda p: cv2.imwrite(p, cv2.cvtColor(grid,
                                                       cv2.COLOR_RGB2BGR)))
    return out_file


def _labelled_row(row: np.ndarray, label: str, scale: int) -> np.ndarray:
    """A row of tiles upscaled (nearest) under a white band with its
    label."""
    row = cv2.resize(row, None, fx=scale, fy=scale,
                     interpolation=cv2.INTER_NEAREST)
    band = np.full((28, row.shape[1], 3), 255, np.uint8)
    cv2.putText(band, label, (6, 20), cv2.FONT_HERSHEY_SIMPLEX, 0.6,
                (0, 0, 0), 1, cv2.LINE_AA)
    return np.concatenate([band, row], axis=0)


def draw_comparison(models: List[tuple], ann_file: str, img_dir: str,
                    out_file: str, num_images: int = 6, device: str = 'cpu',
                    scale: int = 2) -> str:
    """Several models' predictions on the same images, one row per model.

    Args:
        models (list[tuple]): ``(label, config, checkpoint)`` of plain mmpose
            models (e.g. a baseline and a method, exported).
        ann_file (str): COCO keypoint file whose boxes are used.
        img_dir (str): Folder the file names are relative to.
        out_file (str): Output image path.
        num_images (int): Images per row (the first of the file).
        device (str): Inference device.
        scale (int): Upscaling of small images, so skeletons stay visible.

    Returns:
        str: ``out_file``.
    """
    rows = []
    for label, config, checkpoint in models:
        tmp = out_file + f'.{len(rows)}.png'
        draw_predictions(config, checkpoint, ann_file, img_dir, tmp,
                         num_images=num_images, device=device)
        row = cv2.imread(tmp)
        os.remove(tmp)
        rows.append(_labelled_row(row, label, scale))
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0)),
                   constant_values=255) for r in rows]
    grid = np.concatenate(rows, axis=0)
    atomic_write(out_file, lambda p: cv2.imwrite(p, grid))
    return out_file


def _to_rgb_uint8(x, mean, std) -> np.ndarray:
    """A normalised (N, 3, H, W) batch back to (N, H, W, 3) uint8 RGB."""
    x = x.detach().float().cpu() * std.view(1, -1, 1, 1).cpu() + \
        mean.view(1, -1, 1, 1).cpu()
    return x.clamp(0, 255).permute(0, 2, 3, 1).numpy().astype(np.uint8)


def draw_pasted_parts(config: str, checkpoint: Optional[str], out_file: str,
                      num_images: int = 8, seed: int = 0, scale: int = 2,
                      device: str = 'cpu') -> str:
    """ASDA's training crops: clean, with the parts at their initial place
    (the generator's identity) and as the trained generator pastes them.

    Args:
        config (str): An ASDA training config (``AdversarialAugPoseEstimator``
            with its part bank set, e.g. a workflow train stage's config).
        checkpoint (str, optional): Its checkpoint (generator included);
            ``None`` draws an untrained generator.
        out_file (str): Output image path.
        num_images (int): Crops per row (the train set's first ones).
        seed (int): Seed of the random pipeline (parts, augmentation).
        scale (int): Upscaling of the small crops.
        device (str): Device.

    Returns:
        str: ``out_file``.
    """
    import torch
    from mmengine.config import Config
    from mmengine.dataset import pseudo_collate
    from mmengine.runner import load_checkpoint, set_random_seed
    from mmengine.registry import init_default_scope
    from mmpose.registry import DATASETS, MODELS
    init_default_scope('mmpose')
    cfg = Config.fromfile(config)
    if cfg.model.get('type') != 'AdversarialAugPoseEstimator':
        raise ValueError(f'{config}: not an ASDA config (model type '
                         f"{cfg.model.get('type')!r})")
    set_random_seed(seed)
    model = MODELS.build(cfg.model).to(device).eval()
    if checkpoint:
        load_checkpoint(model, checkpoint, map_location=device, strict=True)
    identity = MODELS.build(cfg.model.generator).to(device).eval()
    identity.init_weights()  # zero last layer: the parts stay where placed
    dataset = DATASETS.build(cfg.train_dataloader.dataset)
    batch = pseudo_collate([dataset[i] for i in
                            range(min(num_images, len(dataset)))])
    with torch.no_grad():
        data = model.data_preprocessor(batch, False)
        inputs, samples = data['inputs'], data['data_samples']
        parts = model.parts(samples, inputs.device)
        rows = [inputs, identity(inputs, *parts),
                model.generator(inputs, *parts)]
    pre = model.data_preprocessor
    labels = ['clean crop', 'parts at the canvas centre (generator at init)',
              'parts placed by the trained generator' if checkpoint else
              'parts placed by the generator (untrained)']
    out_rows = []
    for label, x in zip(labels, rows):
        tiles = _to_rgb_uint8(x, pre.mean, pre.std)
        out_rows.append(_labelled_row(np.concatenate(list(tiles), axis=1),
                                      label, scale))
    grid = np.concatenate(out_rows, axis=0)
    atomic_write(out_file, lambda p: cv2.imwrite(
        p, cv2.cvtColor(grid, cv2.COLOR_RGB2BGR)))
    return out_file
