"""Draw a model's predictions with mmpose's own inference and visualiser."""
import json
import os.path as osp
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
        dict(type='PoseLocalVisualizer', name='animal_da_demo',
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
