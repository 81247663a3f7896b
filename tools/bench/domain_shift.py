"""Domain-shift benchmark on the generated two-domain animals.

Rows: source-only (trained on the `synthetic` style), UDA-Animal-Pose
(its stage 1 is a source-only model with the refinement head, then TTA
pseudo labels of the unlabelled `real` images and stage 2; teacher and
student), FiDIP (fine-tuned from the source-only model on `synthetic` plus 5
labelled `real` images per species), and the oracle (trained on labelled
`real` images). Every row runs through the methods' workflows
(``configs/{baselines,uda_animal,fidip}/*_demo_workflow.py``, merged into one
workflow per seed in ``WORK/domain_shift_<preset>/seed<N>/``), so the
benchmark chains no stages itself. Every run evaluates its final weights on
``target_test`` (no model selection on target labels). Prints a table, each
method's share of the source-only-to-oracle gap (mean and spread over
seeds), training images/s against plain supervised training, and one JSON
line, also written to ``docs/benchmarks/domain_shift_<preset>.json``.
Finished stages are kept in the work folder, so an interrupted benchmark
resumes.

``--uda-switches`` adds, for the first seed, UDA-Animal-Pose's stage 2 with
each documented speed switch (``joint_forward``) beside the full recipe, from
the same stage 1 and pseudo labels (``uda_switches`` in the JSON).
``--methods uda_animal --seeds 0`` with it runs only what that comparison
needs (the seed's own rows come from its record when there is one).

``--uda-rounds`` adds, for every seed, a second stage 2 on pseudo labels
of the first one's teacher against the first trained as long
(``uda_rounds``); ``--uda-keep`` the stage 2 on other shares of the same
pseudo labels kept (``uda_keep``); ``--uda-true-labels`` the stage 2 on the
target's hidden true labels (``uda_true_labels``, a control);
``--uda-stage1-aug`` the recipe from a stage 1 trained with more
augmentation (``STAGE1_AUGS``), beside the source-only model trained with
it (``uda_stage1_aug``).

``--ablation`` adds a one-seed ablation of UDA-Animal-Pose's stage-2 terms
(the pseudo-label loss alone; + the adversarial term; + self-feedback and
the teacher consistency; + mixup = the full recipe), in the first seed's
folder, as ``uda_ablation`` in the JSON. Presets: ``cpu-small`` (the earlier
12-epoch regime), ``cpu-converged`` (the half-width model trained until the
baselines are near their plateaus, ``docs/benchmarks/learning_curves_*``),
``gpu-small`` (the full-width model as long, on a GPU machine:
``tools/bench/gpu_lease.sh``), ``gpu`` (paper-sized),
``smoke``.

Example:
    python tools/bench/domain_shift.py --preset cpu-converged --ablation
    python tools/bench/domain_shift.py --preset gpu --seeds 0 1 2
"""
import argparse
import json
import os
import os.path as osp
import sys
import time
from typing import Callable, Dict, List, Optional

import numpy as np
from mmengine.config import Config, DictAction
from mmengine.logging import MMLogger

sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
from _common import (REPO, RECORDS, SMOKE_LOADERS,  # noqa: E402
                     collect_rows, evaluated_methods, machine,
                     run_seed_cached, runs_by_row, table)

from animal_da.apis.overrides import semi_datasets  # noqa: E402
from animal_da.apis.workflow import subset_stages  # noqa: E402
from animal_da.datasets.synthetic import ensure_dataset  # noqa: E402
from animal_da.evaluation.pseudo_label_quality import \
    pseudo_label_quality  # noqa: E402
from animal_da.utils import dump_json_atomic  # noqa: E402

WORKFLOWS = dict(
    baselines='configs/baselines/td-hm_res18_synanimal_96x96_demo_workflow.py',
    uda_animal='configs/uda_animal/'
    'uda-animal_res18_synanimal-to-real_96x96_demo_workflow.py',
    fidip='configs/fidip/'
    'fidip_res18_synanimal-syn+real-5shot_96x96_demo_workflow.py')
METRICS = ('ap', 'pck_bbox', 'pck_paper')

#: the baselines' configs of the ResNet-18 presets
RES18_BASELINES = dict(
    source_only='configs/baselines/'
    'td-hm_res18_synanimal-source-only_96x96_demo.py',
    oracle='configs/baselines/td-hm_res18_synanimal-oracle_96x96_demo.py')
PRESETS: Dict[str, dict] = {
    # about 10 minutes a plain model on 2 CPU cores
    'cpu-small': dict(
        num_images=2000, epochs=12, batch_size=32, seeds=[0, 1],
        configs=dict(RES18_BASELINES),
        uda=dict(stage2_epochs=2, tta=3),
        fidip=dict(epochs=2, pretrain_epochs=1),
        options=[]),
    # the regime that converges (docs/benchmarks/learning_curves_cpu-small
    # .json): the half-width ResNet-18 (width 0.5, about 2.5x the images/s of
    # cpu-small's), trained until source-only and oracle are within 2 points
    # of their plateaus on target_val
    'cpu-converged': dict(
        num_images=2000, epochs=48, batch_size=32, seeds=[0, 1], width=0.5,
        configs=dict(RES18_BASELINES),
        uda=dict(stage2_epochs=8, tta=3),
        fidip=dict(epochs=8, pretrain_epochs=1),
        options=[]),
    # a minutes-long check that every row runs (figures meaningless)
    'smoke': dict(
        num_images=16, epochs=1, batch_size=8, seeds=[0],
        configs=dict(RES18_BASELINES),
        uda=dict(stage2_epochs=1, tta=2),
        fidip=dict(epochs=1, pretrain_epochs=1),
        options=[f'{k}={v}' for k, v in SMOKE_LOADERS.items()]),
    # the cpu-small network (full-width ResNet-18, whose 32-epoch CPU curve
    # was still rising) trained as long as cpu-converged's half-width one, on
    # a GPU machine; the loaders get the cores (the GPU waits on them).
    # Measured 2026-12-04 on a 16-core H200 machine, three such runs sharing
    # it: 0.099 s per iteration each, so about 25 minutes a seed
    # (docs/benchmarks/gpu_lease_2026-12-04.json): more than one lease
    'gpu-small': dict(
        num_images=2000, epochs=48, batch_size=32, seeds=[0, 1],
        configs=dict(RES18_BASELINES),
        uda=dict(stage2_epochs=8, tta=3),
        fidip=dict(epochs=8, pretrain_epochs=1),
        options=['train_dataloader.num_workers=5',
                 'val_dataloader.num_workers=2',
                 'test_dataloader.num_workers=2']),
    # paper-sized: ResNet-50, 256x256 input, 64x64 heatmaps for every row
    'gpu': dict(
        num_images=10000, epochs=60, batch_size=64, seeds=[0, 1, 2],
        configs=dict(
            source_only='configs/baselines/'
            'td-hm_res50_synanimal-source-only_256x256.py',
            oracle='configs/baselines/'
            'td-hm_res50_synanimal-oracle_256x256.py'),
        uda=dict(stage2_epochs=20, tta=5,
                 stage1='configs/uda_animal/'
                 'td-hm_res50-refine_synanimal-source_256x256.py',
                 stage2='configs/uda_animal/'
                 'uda-animal_res50_synanimal-to-real_256x256.py'),
        fidip=dict(epochs=10, pretrain_epochs=1,
                   config='configs/fidip/'
                   'fidip_res50_synanimal-syn+real-5shot_256x256.py'),
        options=['train_dataloader.num_workers=8',
                 'val_dataloader.num_workers=4',
                 'test_dataloader.num_workers=4']),
}


#: one-seed ablation of UDA-Animal-Pose's stage-2 terms (``--ablation``):
#: row -> options over the full recipe's stage 2 (the full recipe is the
#: ``uda_animal`` row)
UDA_ABLATION: Dict[str, dict] = {
    # the pseudo-label loss alone (and the source loss)
    'uda_pl_only': {
        'model.semi_train_cfg.adv_weight': 0.0,
        'model.semi_train_cfg.two_head_weight': 0.0,
        'custom_hooks[ScheduledValuesHook].values.consistency_weight.max':
        0.0,
        'model.semi_train_cfg.mixup': None},
    # + the domain discriminator
    'uda_pl_adv': {
        'model.semi_train_cfg.two_head_weight': 0.0,
        'custom_hooks[ScheduledValuesHook].values.consistency_weight.max':
        0.0,
        'model.semi_train_cfg.mixup': None},
    # + self-feedback and the teacher consistency (everything but mixup)
    'uda_pl_adv_self_cons': {'model.semi_train_cfg.mixup': None},
}


#: documented speed switches of UDA-Animal-Pose's stage 2 whose effect on
#: accuracy is measured beside the full recipe (``--uda-switches``, one seed)
UDA_SWITCHES: Dict[str, dict] = {
    # one student forward over every view (faster on a GPU; BatchNorm then
    # sees both domains together, docs/benchmarks/step_cost_gpu.json)
    'uda_joint_forward': {'model.semi_train_cfg.joint_forward': True},
}


#: ``--uda-rounds``: a second round of UDA-Animal-Pose's stage 2 from the
#: first round's teacher, on pseudo labels that this teacher makes (the paper
#: never regenerates its labels: METHODS.md 1.5), against the first round
#: trained on as long with the stage-1 labels (the control). Stage -> epochs
#: in stage-2 lengths. Whether to use it is read on ``target_val`` (rows
#: ``val_<stage>``); the ``target_test`` rows are reported beside.
UDA_ROUNDS: Dict[str, int] = {'uda_long': 2, 'uda_round2': 1}
#: the split the rounds are compared on
VAL_SPLIT = {'test_dataloader.dataset.ann_file': 'annotations/target_val.json'}


def rounds_stages(stages: dict) -> dict:
    """The ``--uda-rounds`` stages beside the full recipe's: the control
    (``uda_long``), the first round's teacher exported and labelling the
    target again (``pseudo_labels_round2``), the second round
    (``uda_round2``, started from that teacher), each stage 2 evaluated as
    teacher and student on ``target_val`` (rows ``val_<stage>``) and, the
    two new ones, on ``target_test`` (rows ``<stage>``)."""
    uda = stages['uda_animal']
    out = dict(
        uda_round1_teacher=dict(kind='export', model='@uda_animal',
                                which='teacher'),
        pseudo_labels_round2=dict(stages['pseudo_labels'],
                                  model='@uda_round1_teacher'),
        uda_round2=dict(uda, init='@uda_round1_teacher.checkpoint',
                        pseudo_labels='@pseudo_labels_round2.file'),
        uda_long=dict(uda))
    for row in ('uda_animal', *UDA_ROUNDS):
        out.update(eval_stages(row, test=row in UDA_ROUNDS))
    return out


def eval_stages(row: str, test: bool = True) -> dict:
    """Stage 2 ``row`` evaluated as teacher and student on ``target_val``
    (method ``val_<row>``) and, with ``test``, on ``target_test``
    (method ``<row>``)."""
    out = {}
    for net in ('teacher', 'student'):
        tail = '_student' if net == 'student' else ''
        out[f'val_{row}{tail}'] = dict(
            kind='evaluate', model=f'@{row}', predict_on=net,
            method=f'val_{row}', cfg_options=dict(VAL_SPLIT))
        if test:
            out[f'eval_{row}{tail}'] = dict(
                kind='evaluate', model=f'@{row}', predict_on=net,
                method=row)
    return out


#: ``--uda-true-labels``: stage 2 as the recipe runs it, on the target's
#: hidden true labels (every labelled keypoint kept) instead of pseudo
#: labels: what stage 2 reaches when its labels are right (a control)
UDA_TRUE = 'uda_true_labels'


def _filtered(uda: dict, percentile: float, **kw) -> dict:
    """Stage 2 ``uda`` keeping the keypoints above ``percentile`` of its
    pseudo labels' scores (the recipe's ``GlobalPercentileFilter``)."""
    return dict(uda, **kw, cfg_options=dict(
        uda.get('cfg_options') or {},
        pseudo_label_filter=dict(percentile=percentile)))


def true_label_stages(stages: dict, true_file: str) -> dict:
    """The true-label control beside the full recipe's stage 2 (same stage
    1 and length), evaluated as teacher and student on ``target_val``
    (``val_uda_true_labels``) and ``target_test`` (``uda_true_labels``)."""
    out = {UDA_TRUE: _filtered(stages['uda_animal'], 0.0,
                               pseudo_labels=true_file)}
    out.update(eval_stages(UDA_TRUE))
    return out


#: ``--uda-keep``: the full recipe's stage 2 on another share of the same
#: pseudo labels (the paper keeps the top 40 % of keypoint scores,
#: percentile 0.6, METHODS.md 1.5): fewer labels, more of them right (keep
#: 20 %), or more labels, fewer right (70 %). Row -> percentile. Read on
#: ``target_val`` against ``val_uda_animal``; the ``target_test`` rows are
#: reported beside.
UDA_KEEP: Dict[str, float] = {'uda_keep20': 0.8, 'uda_keep70': 0.3}


def keep_stages(stages: dict) -> dict:
    """The ``--uda-keep`` rows beside the full recipe's stage 2 (same stage
    1, pseudo labels and length), each evaluated as teacher and student on
    ``target_val`` and ``target_test``; the full recipe on ``target_val``
    too."""
    out = {}
    for row, percentile in UDA_KEEP.items():
        out[row] = _filtered(stages['uda_animal'], percentile)
        out.update(eval_stages(row))
    out.update(eval_stages('uda_animal', test=False))
    return out


def write_true_labels(data: str, folder: str) -> str:
    """The target pool's hidden labels as a pseudo-label file (the
    stage-1 config's ``pseudo_label_dataset`` under ``data``)."""
    from mmpose.registry import DATASETS

    from animal_da.evaluation.pseudo_label_quality import \
        hidden_labels_as_pseudo_labels
    cfg = Config.fromfile(_load_stages('uda_animal')['stage1_train'][
        'config'])
    pool = DATASETS.build(dict(cfg.pseudo_label_dataset, pipeline=[],
                               data_root=osp.join(data, '')))
    out = osp.join(folder, 'hidden_labels_as_pseudo_labels.json')
    hidden_labels_as_pseudo_labels(pool, out)
    return out


#: ``--uda-stage1-aug NAME``: stage 1 trained with more of the target's
#: nuisances than the paper's noise / blur / contrast (transforms inserted
#: after the crop, ``TopdownAffine``; those already in a config are not
#: added twice). A better stage 1 is the only source of better first pseudo
#: labels (the true-label control: the labels, not stage 2, hold the
#: recipe back). Its control is the source-only model trained with the same
#: transforms. Read on ``target_val``; ``target_test`` rows beside.
STAGE1_AUGS: Dict[str, List[dict]] = {
    's1aug': [
        # the shear of the paper's stage-1 affine (METHODS.md 1.3), missing
        # from the ResNet-18 stage-1 config
        dict(type='RandomCropShear', prob=0.5, shear=20.0),
        # stage 2's occluders on the source too (the generator's rocks,
        # sticks and grass here; VOC objects with occluder_dir on real data)
        dict(type='PasteOccluders', prob=0.5),
    ]}
# + mmpose's photometric distortion (brightness, contrast, saturation, hue,
# channel order): after the pose, the coat's appearance costs a
# source-trained model most of the nuisances that an image transform can
# imitate (docs/benchmarks/domain_factors_*.json)
STAGE1_AUGS['s1photo'] = STAGE1_AUGS['s1aug'] + [
    dict(type='PhotometricDistortion')]


def s1aug_names(variant: str) -> dict:
    """Stage and row names of a :data:`STAGE1_AUGS` variant: ``train``
    (stage 1), ``export``, ``pseudo_labels``, ``uda`` (stage 2),
    ``control`` (the source-only model with the same transforms) and
    ``rows`` (stage 1's, stage 2's, the control's)."""
    v = variant
    return dict(train=f'{v}_train', export=v, pseudo_labels=f'pseudo_labels_'
                f'{v}', uda=f'uda_{v}', control=f'source_only_{v}',
                rows=(f'uda_{v}_stage1', f'uda_{v}', f'source_only_{v}'))


#: train stage -> (the stage whose config and length it takes, variant)
S1AUG_TRAIN = {n[k]: (like, v) for v in STAGE1_AUGS
               for n in [s1aug_names(v)]
               for k, like in (('train', 'stage1_train'),
                               ('control', 'source_only'))}


def with_stage1_aug(config: str, variant: str) -> list:
    """The train pipeline of ``config`` with the variant's transforms
    (:data:`STAGE1_AUGS`) inserted after its ``TopdownAffine``."""
    pipeline = list(Config.fromfile(config).train_dataloader.dataset.pipeline)
    at = [i for i, t in enumerate(pipeline) if t['type'] == 'TopdownAffine']
    if not at:
        raise ValueError(f'{config}: no TopdownAffine in the train pipeline '
                         'to put the stage-1 augmentation after')
    have = {t['type'] for t in pipeline}
    extra = [dict(t) for t in STAGE1_AUGS[variant] if t['type'] not in have]
    return pipeline[:at[0] + 1] + extra + pipeline[at[0] + 1:]


def stage1_aug_stages(stages: dict, variant: str) -> dict:
    """The ``--uda-stage1-aug`` stages of a variant: stage 1 with its
    transforms, its TTA pseudo labels, stage 1 evaluated, stage 2 from it,
    and the source-only control with the same transforms (last, so the
    recipe's stages finish first); each evaluated on ``target_val``
    (``val_<row>``) and ``target_test``."""
    n = s1aug_names(variant)
    out = {n['train']: dict(stages['stage1_train']),
           n['export']: dict(kind='export', model=f'@{n["train"]}'),
           n['pseudo_labels']: dict(stages['pseudo_labels'],
                                    model=f'@{n["export"]}')}

    def evals(row, model):
        out[f'val_{row}'] = dict(kind='evaluate', model=f'@{model}',
                                 method=f'val_{row}',
                                 cfg_options=dict(VAL_SPLIT))
        out[f'eval_{row}'] = dict(kind='evaluate', model=f'@{model}',
                                  method=row)

    evals(n['rows'][0], n['train'])
    out[n['uda']] = dict(stages['uda_animal'],
                         init=f'@{n["export"]}.checkpoint',
                         pseudo_labels=f'@{n["pseudo_labels"]}.file')
    out.update(eval_stages(n['uda']))
    out[n['control']] = dict(stages['source_only'])
    evals(n['control'], n['control'])
    return out


def ablation_stages(stages: dict, rows: Optional[Dict[str, dict]] = None
                    ) -> dict:
    """Rows (default: the ablation) as stages beside the full recipe's:
    each a copy of its stage 2 with the row's options, evaluated as
    teacher and student."""
    out = {}
    for row, opts in (UDA_ABLATION if rows is None else rows).items():
        st = dict(stages['uda_animal'])
        st['cfg_options'] = dict(st.get('cfg_options') or {}, **opts)
        out[row] = st
        for net in ('teacher', 'student'):
            out[f'eval_{row}' + ('_student' if net == 'student' else '')] = \
                dict(kind='evaluate', model=f'@{row}', predict_on=net,
                     method=row)
    return out


def _train_stages(stages: dict) -> list:
    return [n for n, st in stages.items() if st['kind'] == 'train']


def _load_stages(name: str) -> dict:
    cfg = Config.fromfile(osp.join(REPO, WORKFLOWS[name]))
    folder = osp.dirname(osp.join(REPO, WORKFLOWS[name]))
    stages = cfg.stages.to_dict()
    for st in stages.values():  # paths relative to the workflow file
        if 'config' in st:
            st['config'] = osp.normpath(osp.join(folder, st['config']))
    return stages


def preset_options(preset: dict) -> dict:
    """The preset's ``KEY=VALUE`` options as ``--cfg-options`` gives them
    (values parsed: ``num_workers=0`` is the number 0)."""
    return {k: DictAction._parse_iterable(v) for k, v in
            (o.split('=', 1) for o in preset['options'])}


def _sized(stages: dict, preset: dict) -> dict:
    """Epochs, configs and loader options of the preset in every stage."""
    epochs = dict(source_only=preset['epochs'], oracle=preset['epochs'],
                  stage1_train=preset['epochs'],
                  uda_animal=preset['uda']['stage2_epochs'],
                  fidip=preset['fidip']['epochs'])
    configs = dict(source_only=preset['configs']['source_only'],
                   oracle=preset['configs']['oracle'],
                   stage1_train=preset['uda'].get('stage1'),
                   uda_animal=preset['uda'].get('stage2'),
                   fidip=preset['fidip'].get('config'))
    for row in (*UDA_ABLATION, *UDA_SWITCHES, UDA_TRUE, *UDA_KEEP):
        epochs[row], configs[row] = epochs['uda_animal'], \
            configs['uda_animal']
    for row, k in UDA_ROUNDS.items():
        epochs[row], configs[row] = k * epochs['uda_animal'], \
            configs['uda_animal']
    for v in STAGE1_AUGS:
        row = s1aug_names(v)['uda']
        epochs[row], configs[row] = epochs['uda_animal'], \
            configs['uda_animal']
    for row, (like, _) in S1AUG_TRAIN.items():
        epochs[row], configs[row] = epochs[like], configs[like]
    for name, st in stages.items():
        if st['kind'] == 'train':
            st['epochs'] = epochs[name]
            if configs.get(name):
                st['config'] = osp.join(REPO, configs[name])
            if name in S1AUG_TRAIN:
                st['cfg_options'] = dict(
                    st.get('cfg_options') or {},
                    **{'train_dataloader.dataset.pipeline':
                       with_stage1_aug(st['config'],
                                       S1AUG_TRAIN[name][1])})
        if st['kind'] in ('train', 'evaluate') and preset['options']:
            st['cfg_options'] = dict(st.get('cfg_options') or {},
                                     **preset_options(preset))
    for name in ('pseudo_labels', 'pseudo_labels_round2',
                 *(s1aug_names(v)['pseudo_labels'] for v in STAGE1_AUGS)):
        if name in stages:
            stages[name]['num_transforms'] = preset['uda']['tta']
    if 'fidip' in stages:
        stages['fidip']['cfg_options'][
            'custom_hooks[DiscriminatorPretrainHook].epochs'] = \
            preset['fidip']['pretrain_epochs']
    return stages


def _workflow(stages: dict, preset: dict, data: str, seed: int) -> Config:
    keys = dict(data_root=data, seed=seed, batch_size=preset['batch_size'])
    if preset.get('width', 1.0) != 1.0:
        keys['width'] = preset['width']
    return Config(dict(keys, stages=_sized(stages, preset)))


def source_only_workflow(preset: dict, data: str, seed: int) -> Config:
    """The source-only model and its export (the scarce-labels benchmark
    starts from it): the same stages as in the full workflow, so each
    benchmark reuses the other's run."""
    stages = _load_stages('baselines')
    stages.update(_load_stages('fidip'))
    return _workflow(subset_stages(stages, ['pretrained',
                                            'eval_source_only']),
                     preset, data, seed)


def domain_shift_workflow(preset: dict, data: str, seed: int,
                          methods: List[str],
                          true_file: Optional[str] = None) -> Config:
    """One seed's workflow: the chosen methods' workflows merged (shared
    stages, such as the source-only model FiDIP starts from, run once);
    methods may include the :data:`UDA_ABLATION` rows (and the true-label
    control's, with ``true_file``)."""
    stages: dict = {}
    for name in ('baselines', 'uda_animal', 'fidip'):
        stages.update(_load_stages(name))
    if set(methods) & set(UDA_ABLATION):
        stages.update(ablation_stages(stages))
    if set(methods) & set(UDA_SWITCHES):
        stages.update(ablation_stages(stages, UDA_SWITCHES))
    if any(m.replace('val_', '', 1) in UDA_ROUNDS for m in methods):
        stages.update(rounds_stages(stages))
    if set(methods) & set(UDA_KEEP):
        stages.update(keep_stages(stages))
    for v in STAGE1_AUGS:
        if any(m.replace('val_', '', 1) in s1aug_names(v)['rows']
               for m in methods):
            stages.update(stage1_aug_stages(stages, v))
    if true_file:
        stages.update(true_label_stages(stages, true_file))
    evals = [n for n, st in stages.items() if st['kind'] == 'evaluate' and
             st.get('method') in methods]
    return _workflow(subset_stages(stages, evals), preset, data, seed)


def _uda_pseudo_label_quality(summary: dict, stage: str = 'pseudo_labels',
                              train: str = 'uda_animal') -> dict:
    """Precision and recall of UDA's pseudo labels (stage ``stage``) after
    the stage-2 filter of ``train`` (found by type in its config)."""
    from mmpose.registry import DATASETS
    pl = summary['stages'][stage]['outputs']
    cfg = Config.fromfile(summary['stages'][train]['outputs']['config'])
    filt = [d['pseudo_labels']['filter'] for _, d in semi_datasets(
        cfg._cfg_dict) if d.get('pseudo_labels')][0]
    pool = DATASETS.build(dict(pl['dataset'], pipeline=[]))
    return pseudo_label_quality(pl['file'], pool, filt)


def gap_shares(runs: Dict[str, List[dict]], seeds: List[int]) -> dict:
    """Each method's share of the source-only-to-oracle gap, per seed, then
    mean and std."""
    out = {}
    for method, rs in runs.items():
        if method in ('source_only', 'oracle'):
            continue
        out[method] = {}
        for k in METRICS:
            shares = []
            for i in range(len(seeds)):
                so, orc = runs['source_only'][i][k], runs['oracle'][i][k]
                if orc - so <= 0:  # no gap to recover on this seed
                    break
                shares.append((rs[i][k] - so) / (orc - so))
            else:
                out[method][k] = dict(mean=round(float(np.mean(shares)), 3),
                                      std=round(float(np.std(shares)), 3),
                                      per_seed=[round(float(s), 3)
                                                for s in shares])
                continue
            out[method][k] = None
    return out


def shares_on_test(summaries: List[dict], extra: List[dict],
                   seeds: List[int]) -> Optional[dict]:
    """Shares of the gap of ``extra``'s ``target_test`` rows (not the
    ``val_`` ones), against the seeds' source-only and oracle rows of
    ``summaries`` (None without them)."""
    base = runs_by_row(summaries)
    if 'source_only' not in base or 'oracle' not in base:
        return None
    runs = {k: v for k, v in runs_by_row(extra).items()
            if not k.startswith('val_')}
    return gap_shares(dict(runs, source_only=base['source_only'],
                           oracle=base['oracle']), seeds)


def split_val_test(rows: List[dict]) -> dict:
    """Benchmark rows as ``target_val`` (methods ``val_<row>``) and
    ``target_test`` (the others)."""
    return dict(
        target_val=[r for r in rows if r['method'].startswith('val_')],
        target_test=[r for r in rows if not r['method'].startswith('val_')])


def compared_on_val(rows: dict, tag: str, quality: Callable[[dict], dict],
                    *, preset: dict, data: str, seeds: List[int], work: str,
                    record: str, settings: dict, fresh: bool,
                    summaries: List[dict], logger) -> dict:
    """Stage-2 ``rows`` (``UDA_ROUNDS``, ``UDA_KEEP``) run for every seed
    beside the full recipe, evaluated on ``target_val`` (the choice is read
    there) and ``target_test``; each seed's record is
    ``uda_<tag>_seed<N>``.

    Returns:
        dict: ``target_val`` and ``target_test`` rows, ``pseudo_labels``
        (``quality(summary)``'s precision, recall and kept share, mean over
        the seeds) and, with the seeds' source-only and oracle rows in
        ``summaries``, ``gap_recovered`` on ``target_test``.
    """
    names = list(rows) + [f'val_{r}' for r in ('uda_animal', *rows)]
    sums = []
    for seed in seeds:
        wf = domain_shift_workflow(preset, data, seed, names)
        sums.append(run_seed_cached(
            wf, osp.join(work, f'seed{seed}'),
            record.format(f'uda_{tag}_seed{seed}'),
            dict(settings, **{tag: rows}), evaluated_methods(wf),
            fresh=fresh, logger=logger,
            extra=lambda s: dict(pseudo_labels=quality(s))))
    out = dict(
        **split_val_test(collect_rows(sums, seeds)),
        pseudo_labels={r: {k: round(float(np.mean([
            s['pseudo_labels'][r][k] for s in sums])), 1)
            for k in ('precision', 'recall', 'kept')}
            for r in sums[0]['pseudo_labels']})
    shares = shares_on_test(summaries, sums, seeds)
    if shares:
        out['gap_recovered'] = shares
    return out


def main(argv: Optional[List[str]] = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--preset', choices=sorted(PRESETS),
                        default='cpu-small')
    parser.add_argument('--methods', nargs='+',
                        help='subset of the preset\'s methods')
    parser.add_argument('--seeds', nargs='+', type=int)
    parser.add_argument('--ablation', action='store_true',
                        help='also the one-seed ablation of UDA-Animal-'
                        'Pose\'s stage-2 terms (first seed only)')
    parser.add_argument('--uda-switches', action='store_true',
                        help='also UDA-Animal-Pose\'s stage 2 with each '
                        'speed switch (UDA_SWITCHES) beside the full '
                        'recipe, first seed only (their accuracy)')
    parser.add_argument('--uda-rounds', action='store_true',
                        help='also a second round of UDA-Animal-Pose\'s '
                        'stage 2 on its first teacher\'s pseudo labels '
                        'against the first round trained as long, every '
                        'seed, compared on target_val, reported on '
                        'target_test too (UDA_ROUNDS)')
    parser.add_argument('--uda-true-labels', action='store_true',
                        help='also UDA-Animal-Pose\'s stage 2 on the '
                        'target\'s hidden true labels (a control: the '
                        'recipe with right labels), every seed')
    parser.add_argument('--uda-keep', action='store_true',
                        help='also UDA-Animal-Pose\'s stage 2 keeping other '
                        'shares of the same pseudo labels (UDA_KEEP), every '
                        'seed, compared on target_val, reported on '
                        'target_test too')
    parser.add_argument('--uda-stage1-aug', nargs='*',
                        choices=sorted(STAGE1_AUGS),
                        help='also UDA-Animal-Pose from a stage 1 trained '
                        'with these STAGE1_AUGS variants (default s1aug), '
                        'and the source-only control with the same '
                        'transforms, every seed, compared on target_val, '
                        'reported on target_test too')
    parser.add_argument('--data', default='data/synanimal')
    parser.add_argument('--nproc', type=int, default=2,
                        help='processes generating missing data (the bytes '
                        'do not depend on it)')
    parser.add_argument('--work-dir', default='work_dirs/bench')
    parser.add_argument('--fresh', action='store_true',
                        help='run seeds again even where docs/benchmarks/'
                        'runs/ holds their finished rows')
    parser.add_argument('--out', help='JSON output (default: docs/'
                        'benchmarks/domain_shift_<preset>.json)')
    args = parser.parse_args(argv)
    preset = PRESETS[args.preset]
    seeds = args.seeds or preset['seeds']
    available = list(preset['configs']) + [
        m for m, key in (('uda_animal', 'uda'), ('fidip', 'fidip'))
        if key in preset]
    methods = args.methods or available
    unknown = set(methods) - set(available)
    if unknown:
        parser.error(f'unknown methods {sorted(unknown)}; the preset has '
                     f'{available}')
    logger = MMLogger.get_instance('animal_da_bench')
    t0 = time.perf_counter()
    meta = ensure_dataset(args.data, preset['num_images'], seed=0,
                          nproc=args.nproc)
    logger.info(f'data ready in {time.perf_counter() - t0:.0f} s: {meta}')
    work = osp.join(args.work_dir, f'domain_shift_{args.preset}')
    wanted = list(methods) + (['uda_stage1'] if 'uda_animal' in methods
                              else [])
    # what the rows depend on: a committed seed record made under the same
    # settings stands in for the seed's run (seeds finished on other days)
    settings = dict({k: v for k, v in preset.items() if k != 'seeds'},
                    preset=args.preset, data={k: meta.get(k) for k in (
                        'version', 'num_images', 'seed', 'style_params')})
    record = osp.join(RECORDS, f'domain_shift_{args.preset}_{{}}.json')
    quality_of = (lambda s: dict(pseudo_labels=_uda_pseudo_label_quality(
        s))) if 'uda_animal' in methods else None
    summaries, quality = [], []
    for seed in seeds:
        logger.info(f'seed {seed}: {methods}')
        wf = domain_shift_workflow(preset, args.data, seed, wanted)
        summary = run_seed_cached(
            wf, osp.join(work, f'seed{seed}'), record.format(f'seed{seed}'),
            settings, evaluated_methods(wf), fresh=args.fresh,
            extra=quality_of, logger=logger)
        summaries.append(summary)
        if 'pseudo_labels' in summary:
            quality.append(summary['pseudo_labels'])
            logger.info(f'uda pseudo labels seed {seed}: {quality[-1]}')
    ablation = None
    if args.ablation:  # one seed, in its folder (shared stages reused)
        names = ['source_only', 'oracle', 'uda_animal'] + list(UDA_ABLATION)
        wf = domain_shift_workflow(preset, args.data, seeds[0], names)
        summary = run_seed_cached(
            wf, osp.join(work, f'seed{seeds[0]}'),
            record.format(f'ablation_seed{seeds[0]}'), settings,
            evaluated_methods(wf), fresh=args.fresh,
            logger=logger)
        ab_runs = runs_by_row([summary])
        ablation = dict(seed=seeds[0], rows=collect_rows([summary],
                                                         seeds[:1]),
                        gap_recovered=gap_shares(ab_runs, seeds[:1]))
    switches = None
    if args.uda_switches:  # one seed: the recipe and its switched copies
        names = ['uda_animal'] + list(UDA_SWITCHES)
        wf = domain_shift_workflow(preset, args.data, seeds[0], names)
        summary = run_seed_cached(
            wf, osp.join(work, f'seed{seeds[0]}'),
            record.format(f'uda_switches_seed{seeds[0]}'),
            dict(settings, switches=UDA_SWITCHES), evaluated_methods(wf),
            fresh=args.fresh, logger=logger)
        switches = dict(seed=seeds[0], switches=UDA_SWITCHES,
                        rows=collect_rows([summary], seeds[:1]))

    def on_val(rows: dict, tag: str, quality: Callable[[dict], dict]
               ) -> dict:
        # every seed; the choice is read on target_val
        return compared_on_val(
            rows, tag, quality, preset=preset, data=args.data, seeds=seeds,
            work=work, record=record, settings=settings, fresh=args.fresh,
            summaries=summaries, logger=logger)

    rounds = None
    if args.uda_rounds:
        rounds = dict(epochs={r: k * preset['uda']['stage2_epochs'] for r, k
                              in dict(uda_animal=1, **UDA_ROUNDS).items()},
                      **on_val(UDA_ROUNDS, 'rounds', lambda s: {
                          r: _uda_pseudo_label_quality(s, pl, t)
                          for r, pl, t in (
                              ('round1', 'pseudo_labels', 'uda_animal'),
                              ('round2', 'pseudo_labels_round2',
                               'uda_round2'))}))
    keep = None
    if args.uda_keep:
        keep = dict(percentile=UDA_KEEP, **on_val(
            UDA_KEEP, 'keep', lambda s: {
                r: _uda_pseudo_label_quality(s, train=r)
                for r in ('uda_animal', *UDA_KEEP)}))
    stage1_aug = {}
    variants = [] if args.uda_stage1_aug is None else (
        args.uda_stage1_aug or ['s1aug'])
    for v in variants:  # every seed; read on target_val
        n = s1aug_names(v)
        names = [p + r for r in n['rows'] for p in ('', 'val_')]
        tag = '' if v == 's1aug' else f'_{v}'
        a_sums = [run_seed_cached(
            domain_shift_workflow(preset, args.data, seed, names),
            osp.join(work, f'seed{seed}'),
            record.format(f'uda_stage1_aug{tag}_seed{seed}'),
            dict(settings, stage1_aug=STAGE1_AUGS[v]), set(names),
            fresh=args.fresh, logger=logger,
            extra=lambda s, n=n: dict(
                pseudo_labels=_uda_pseudo_label_quality(
                    s, n['pseudo_labels'], n['uda'])))
            for seed in seeds]
        out = stage1_aug[v] = dict(
            transforms=STAGE1_AUGS[v],
            **split_val_test(collect_rows(a_sums, seeds)),
            pseudo_labels={k: round(float(np.mean([
                s['pseudo_labels'][k] for s in a_sums])), 1)
                for k in ('precision', 'recall', 'kept')})
        shares = shares_on_test(summaries, a_sums, seeds)
        if shares:  # against the plain source-only model
            out['gap_recovered'] = shares
        # against the control trained with the same transforms
        a_runs = {k: r for k, r in runs_by_row(a_sums).items()
                  if not k.startswith('val_')}
        base = runs_by_row(summaries)
        if 'oracle' in base:
            out['gap_recovered_vs_control'] = gap_shares(dict(
                {k: r for k, r in a_runs.items() if k != n['control']},
                source_only=a_runs[n['control']],
                oracle=base['oracle']), seeds)
        logger.info(f'stage-1 augmentation {v}:\n' + table(
            out['target_val'] + out['target_test']))
    true_rows = None
    if args.uda_true_labels:  # every seed: stage 2 on right labels
        names = [UDA_TRUE, f'val_{UDA_TRUE}']
        t_sums = []
        for seed in seeds:
            folder = osp.join(work, f'seed{seed}')
            os.makedirs(folder, exist_ok=True)
            t_sums.append(run_seed_cached(
                lambda: domain_shift_workflow(
                    preset, args.data, seed, names,
                    write_true_labels(args.data, folder)),
                folder, record.format(f'{UDA_TRUE}_seed{seed}'), settings,
                {UDA_TRUE, f'val_{UDA_TRUE}'}, fresh=args.fresh,
                logger=logger))
        true_rows = collect_rows(t_sums, seeds)
    runs = runs_by_row(summaries)
    rows = collect_rows(summaries, seeds)
    by = {r['method']: r for r in rows}
    if quality:
        by['uda_animal']['pseudo_labels'] = {
            k: round(float(np.mean([q[k] for q in quality])), 1)
            for k in ('precision', 'recall', 'kept')}
    if 'source_only' in by:
        plain = by['source_only']['train_images_per_s']
        for r in rows:
            if r.get('train_images_per_s'):
                r['images_per_s_vs_plain'] = round(
                    r['train_images_per_s'] / plain, 3)
    result = dict(bench='domain_shift', preset=args.preset, machine=machine(),
                  data=meta, epochs=preset['epochs'],
                  batch_size=preset['batch_size'], rows=rows,
                  settings={k: preset[k] for k in ('uda', 'fidip')
                            if k in preset},
                  # this invocation's wall time (rows may reuse runs)
                  total_minutes=round((time.perf_counter() - t0) / 60, 1))
    if 'source_only' in by and 'oracle' in by:
        so, orc = by['source_only'], by['oracle']
        result['gap'] = {k: round(orc[k]['mean'] - so[k]['mean'], 2)
                         for k in METRICS}
        result['source_only_over_oracle'] = {
            k: round(so[k]['mean'] / orc[k]['mean'], 3)
            if orc[k]['mean'] > 0 else None for k in METRICS}
        result['gap_recovered'] = gap_shares(runs, seeds)
    if ablation:
        result['uda_ablation'] = ablation
    if switches:
        result['uda_switches'] = switches
    if rounds:
        result['uda_rounds'] = rounds
    if keep:
        result['uda_keep'] = keep
    if stage1_aug:
        result['uda_stage1_aug'] = stage1_aug
    if true_rows:
        result['uda_true_labels'] = dict(rows=true_rows)
        shares = shares_on_test(summaries, t_sums, seeds)
        if shares:
            result['uda_true_labels']['gap_recovered'] = shares
    out = args.out or osp.join(REPO, 'docs', 'benchmarks',
                               f'domain_shift_{args.preset}.json')
    dump_json_atomic(result, out, indent=2)
    logger.info('\n' + table(rows))
    for method, share in result.get('gap_recovered', {}).items():
        logger.info(f'{method}: share of the gap recovered ' + ', '.join(
            f'{k} {v["mean"]:.2f} ± {v["std"]:.2f}' if v else f'{k} n/a'
            for k, v in share.items()) +
            f'; images/s vs plain '
            f'{by[method].get("images_per_s_vs_plain")}')
    logger.info(f'written to {out}')
    print(json.dumps(result))
    return result


if __name__ == '__main__':
    main()
